"""``heights`` names each visit by the protocol's visit id: a folder-style name ("Month 6")
becomes ``month_6``; a name of no visit is refused with its line, never written as a visit."""

from __future__ import annotations

import io
from pathlib import Path

import pandas as pd
import pytest
from geometry_files import landmark_rows, write_csv, write_dx
from geometry_spines import spine_corners

from imaging.cli import main


def _landmarks(tmp_path: Path, visits: list[str]) -> Path:
    """One neutral film of DLBP-001 per visit name, its corners in one landmark file."""
    corners = spine_corners(
        posterior_height=[10.0, 11.0, 12.0, 8.0, 13.0], angle=[3, 5, 7, 9, 14], offset=(30.0, 120.0)
    )
    rows = []
    for index, visit in enumerate(visits):
        image = f"DLBP-001/{index}/neutral.dcm"
        write_dx(tmp_path / image)
        rows += landmark_rows(corners, "DLBP-001", visit, "neutral", image)
    return write_csv(tmp_path / "landmarks.csv", rows)


def test_visit_names_become_the_protocols_visit_ids(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _landmarks(tmp_path, ["BL", "Month 6"])

    assert main(["heights", str(path)]) == 0

    table = pd.read_csv(io.StringIO(capsys.readouterr().out), keep_default_na=False)
    assert sorted(set(table["visit"])) == ["baseline", "month_6"]
    at_6 = table[(table["visit"] == "month_6") & (table["measure"] == "posterior_height")]
    assert len(at_6) > 0 and set(at_6["change_from_baseline"]) == {"0.00"}  # same corners


def test_a_visit_the_protocol_does_not_have_is_refused_with_its_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _landmarks(tmp_path, ["baseline", "month 7"])
    line = 2 + len(pd.read_csv(path)) // 2  # header, then the baseline film's rows

    assert main(["heights", str(path)]) == 2

    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err == (
        f"spine-endpoints heights: error: {path}: line {line}: visit 'month 7' is not a visit "
        "of protocol DLBP-ChiCTR2200058291; visits: baseline, week_1, month_1, month_3, "
        "month_6, month_12, month_18, month_24. Name each visit by its id or a time point id, "
        "or give --protocol for the trial the corners were read in.\n"
    )
