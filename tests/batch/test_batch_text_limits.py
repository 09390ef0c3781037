"""A landmark file or grade form the batch cannot read within the limits of imaging.text_input
(a cell over 128 KiB, /dev/zero) is one failure row naming the file and line; the run goes on."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from batch_helpers import keep_subject

from imaging.batch import BatchOptions, run_batch

LONG_CELL = "x" * (128 * 1024 + 1)


def _insert_line(path: Path, number: int, text: str) -> None:
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    lines.insert(number - 1, text + "\n")
    path.write_text("".join(lines), encoding="utf-8")


def _failures(out: Path) -> list[dict[str, str]]:
    table = pd.read_csv(out / "failures.csv", dtype=str, keep_default_na=False)
    return [{str(k): str(v) for k, v in row.items()} for row in table.to_dict("records")]


def test_a_landmark_cell_over_128_kib_is_one_failure_and_the_grades_are_still_read(
    archive_copy: Path,
) -> None:
    archive = keep_subject(archive_copy, "DLBP-001")
    _insert_line(archive / "landmarks.csv", 5, f"DLBP-001,baseline,neutral,{LONG_CELL}")
    out = archive.parent / "out"

    summary = run_batch(BatchOptions(archive, out))

    assert summary.exit_status == 1
    [landmarks] = [f for f in _failures(out) if f["reason"].startswith("landmarks:")]
    assert landmarks["file"].endswith("landmarks.csv")
    assert "landmarks.csv: line 5: a cell is longer than 131,072 characters" in landmarks["reason"]
    table = pd.read_parquet(out / "endpoints.parquet")
    assert set(table["measure"]) >= {"pfirrmann", "modic_cranial"}  # the grades went on


def test_a_grade_cell_over_128_kib_drops_the_form_with_its_line(archive_copy: Path) -> None:
    archive = keep_subject(archive_copy, "DLBP-001")
    _insert_line(archive / "grades.csv", 3, f"DLBP-001,baseline,L4-L5,R1,3,0,0,{LONG_CELL}")
    out = archive.parent / "out"

    run_batch(BatchOptions(archive, out))

    [grades] = [f for f in _failures(out) if f["reason"].startswith("grades:")]
    assert "grades.csv: line 3: a cell is longer than 131,072 characters" in grades["reason"]
    table = pd.read_parquet(out / "endpoints.parquet")
    assert "pfirrmann" not in set(table["measure"])  # none of a half-read form is used
    assert "disc_height_mean" in set(table["measure"])


@pytest.mark.skipif(not Path("/dev/zero").exists(), reason="needs /dev/zero")
@pytest.mark.parametrize("given", ["landmarks", "grades"])
def test_dev_zero_as_landmark_file_or_grade_form_is_one_failure_and_the_run_finishes(
    archive_copy: Path, given: str
) -> None:
    archive = keep_subject(archive_copy, "DLBP-001")
    out = archive.parent / "out"

    zero = Path("/dev/zero")
    options = (
        BatchOptions(archive, out, landmarks=zero)
        if given == "landmarks"
        else BatchOptions(archive, out, grades=zero)
    )

    summary = run_batch(options)

    assert summary.exit_status == 1
    [refused] = [f for f in _failures(out) if f["reason"].startswith(f"{given}:")]
    assert refused["file"] == "/dev/zero"
    assert "/dev/zero: a character device, not a regular file" in refused["reason"]
    measures = set(pd.read_parquet(out / "endpoints.parquet")["measure"])
    assert ("pfirrmann" in measures) == (given == "landmarks")  # the other input still counts
    assert ("disc_height_mean" in measures) == (given == "grades")
