"""A bad landmark row fails its film, with file, line, subject, visit and reason; the rest is
measured."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest
from batch_helpers import assert_matches, failures, ground_truth, table_values

from imaging.batch import BatchOptions, run_batch
from imaging.batch.sources import landmark_sets_from_file


@pytest.fixture
def bad_rows(archive_copy: Path) -> tuple[Path, dict[str, int]]:
    """DLBP-003 only, with three bad landmark rows; returns the archive and their lines."""
    for folder in archive_copy.glob("DLBP-00[12]"):
        shutil.rmtree(folder)
    grades = pd.read_csv(archive_copy / "grades.csv", dtype=str, keep_default_na=False)
    grades[grades["subject"] == "DLBP-003"].to_csv(archive_copy / "grades.csv", index=False)
    table = pd.read_csv(archive_copy / "landmarks.csv", dtype=str, keep_default_na=False)
    table = table[table["subject"] == "DLBP-003"].reset_index(drop=True)

    def row_of(visit: str, film: str, vertebra: str, corner: str) -> int:
        match = table[
            (table["visit"] == visit)
            & (table["film"] == film)
            & (table["vertebra"] == vertebra)
            & (table["corner"] == corner)
        ]
        return int(match.index[0])

    corner = row_of("baseline", "neutral", "L3", "anterior_superior")
    table.loc[corner, "corner"] = "anterior_superiour"
    number = row_of("month_6", "flexion", "L5", "posterior_inferior")
    table.loc[number, "row"] = "12,5 px"
    stray = dict(table.loc[0]) | {"subject": "", "visit": "baseline"}
    table = pd.concat([table, pd.DataFrame([stray])], ignore_index=True)
    table.to_csv(archive_copy / "landmarks.csv", index=False)
    # Line 1 is the header: row i of the table is on line i + 2.
    lines = {"corner": corner + 2, "number": number + 2, "stray": len(table) + 1}
    return archive_copy, lines


def test_bad_rows_fail_their_film_and_every_other_film_is_measured(
    bad_rows: tuple[Path, dict[str, int]],
) -> None:
    archive, lines = bad_rows
    out = archive.parent / "out"

    summary = run_batch(BatchOptions(archive, out))

    assert summary.exit_status == 1 and summary.computed == 3
    assert failures(out) == {
        ("landmarks.csv", "DLBP-003", "baseline", "landmarks"),
        ("landmarks.csv", "DLBP-003", "month_6", "landmarks"),
        ("landmarks.csv", "", "baseline", "landmarks"),
        ("DLBP-003/month_12/DX_lateral_flexion.dcm", "DLBP-003", "month_12", "uncalibrated"),
    }
    reasons = pd.read_csv(out / "failures.csv", dtype=str, keep_default_na=False)
    by_visit = dict(
        zip(reasons["subject"] + "/" + reasons["visit"], reasons["reason"], strict=True)
    )
    assert by_visit["DLBP-003/baseline"].startswith(
        f"landmarks: line {lines['corner']} (subject DLBP-003, visit baseline, film neutral): "
        "unknown corner 'anterior_superiour' of L3; its film is not measured. Use one of: "
        "anterior_superior, posterior_superior"
    )
    assert by_visit["DLBP-003/month_6"].startswith(
        f"landmarks: line {lines['number']} (subject DLBP-003, visit month_6, film flexion): "
        "L5 posterior_inferior: row '12,5 px' is not a number"
    )
    assert by_visit["/baseline"].startswith(f"landmarks: line {lines['stray']} (visit baseline")

    values = table_values(out)
    measured = 0
    for key, expected in ground_truth(archive):
        subject, visit, _, _, film = key
        if subject != "DLBP-003":
            continue
        if (visit, film) in (("baseline", "neutral"), ("month_6", "flexion")):
            assert key not in values, "a film with a bad row is not measured"
        elif (visit, film) == ("month_6", "flexion-extension"):
            assert values[key] is None, "no ROM without the flexion film"
        elif (visit, film) == ("month_12", "flexion") or (
            (visit, film) == ("month_12", "flexion-extension") and "translation" in key[3]
        ):
            continue  # the uncalibrated film: its millimetres are empty
        else:
            assert_matches(expected, values[key], key)
            measured += 1
    assert measured > 100


def test_landmark_sets_carry_their_problems(bad_rows: tuple[Path, dict[str, int]]) -> None:
    archive, lines = bad_rows

    sets = landmark_sets_from_file(archive / "landmarks.csv")

    troubled = {(s.subject, s.visit, s.film): s for s in sets if s.problems}
    assert set(troubled) == {
        ("DLBP-003", "baseline", "neutral"),
        ("DLBP-003", "month_6", "flexion"),
        ("", "baseline", "neutral"),
    }
    neutral = troubled[("DLBP-003", "baseline", "neutral")]
    assert len(neutral.points) == 21  # the 21 good corners, kept but not measured
    assert neutral.problems[0].startswith(f"line {lines['corner']} ")
    assert "Use one of: anterior_superior" in neutral.problems[0]
    assert sum(1 for s in sets if not s.problems) == 9 - 2
