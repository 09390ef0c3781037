"""Grades through the store: import -> store -> export unchanged; corrections audited; CLI."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pandas as pd
import pytest

from imaging.cli import main
from imaging.errors import GradeValueError
from imaging.protocol import Protocol, load_protocol
from imaging.protocol.grade_forms import columns, grade_csv_text, read_grade_csv
from imaging.store.audit import audit_entries
from imaging.store.cases import get_case
from imaging.store.export import stored_rows
from imaging.store.grades import export_grade_rows, import_grade_rows
from imaging.store.reads import versions
from imaging.store.store import ReadStore

FORM = """subject,visit,level,reader,pfirrmann,modic_cranial,modic_caudal,comment
DLBP-001,baseline,L3-L4,R1,2,0,0,
DLBP-001,baseline,L4-L5,R1,4,I,I,"dark, collapsed"
DLBP-001,baseline,L5-S1,R1,2,0,,caudal endplate not visible
DLBP-001,month_6,L4-L5,R1,4,I,0,
DLBP-002,baseline,L4-L5,R1,3,II,II,
DLBP-002,baseline,L4-L5,R2,4,II,I/II,
"""


def exported(form: str) -> str:
    """``form`` as the export writes it: every item column of the protocol (the findings, read
    at baseline only, are empty here)."""
    header, *lines = list(csv.reader(io.StringIO(form)))
    every = columns(load_protocol())
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows(
        [every] + [[dict(zip(header, row, strict=True)).get(c, "") for c in every] for row in lines]
    )
    return buffer.getvalue()


def write(tmp_path: Path, text: str, name: str = "grades.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_grades_round_trip_import_store_export_unchanged(
    tmp_path: Path, store: ReadStore, protocol: Protocol
) -> None:
    rows = read_grade_csv(write(tmp_path, FORM), protocol)
    summary = import_grade_rows(store, protocol, rows, actor="alice", register_unknown=True)
    assert len(summary.created) == 4 and not summary.corrected
    assert grade_csv_text(export_grade_rows(store, protocol), protocol) == exported(FORM)
    again = import_grade_rows(store, protocol, rows, actor="alice", register_unknown=True)
    assert len(again.unchanged) == 4 and not again.created and not again.corrected


def test_a_correction_is_audited_with_its_reason_and_exported_as_latest(
    tmp_path: Path, store: ReadStore, protocol: Protocol
) -> None:
    form = read_grade_csv(write(tmp_path, FORM), protocol)
    import_grade_rows(store, protocol, form, actor="a", register_unknown=True)
    fix = FORM.splitlines()[0] + '\nDLBP-001,baseline,L4-L5,R1,5,I,II,"dark, collapsed"\n'
    fixed_rows = read_grade_csv(write(tmp_path, fix, "fix.csv"), protocol)

    with pytest.raises(GradeValueError, match="a correction needs --reason") as caught:
        import_grade_rows(store, protocol, fixed_rows, actor="bob", register_unknown=True)
    assert caught.value.problems[0][0] == 2
    assert "at L4-L5 modic_caudal, L4-L5 pfirrmann" in caught.value.problems[0][1]

    summary = import_grade_rows(
        store, protocol, fixed_rows, actor="bob", reason="adjudicated", register_unknown=True
    )
    assert summary.corrected == [("DLBP-001", "baseline", "R1", 2)]

    with store.reading() as session:
        trail = audit_entries(session, subject="DLBP-001")
        corrections = [(e.actor, e.field, e.old_value, e.new_value, e.reason)
                       for e in trail if e.action == "corrected"]  # fmt: skip
        assert corrections == [
            ("bob", "L4-L5 modic_caudal", "I", "II", "adjudicated"),
            ("bob", "L4-L5 pfirrmann", "4", "5", "adjudicated"),
        ]
        case = get_case(session, "DLBP-001", "baseline", actor="t", create=False)
        assert [(r.version, r.reason) for r in versions(session, case)] == [
            (1, None), (2, "adjudicated"),
        ]  # fmt: skip
        rows = stored_rows(session, protocol)

    exported = grade_csv_text(export_grade_rows(store, protocol), protocol)
    assert 'DLBP-001,baseline,L4-L5,R1,5,I,II,,,,,,"dark, collapsed"' in exported
    assert "DLBP-001,baseline,L3-L4,R1,2,0,0," in exported  # other levels carried over
    found = [(r.value, r.read_version) for r in rows if (r.subject, r.visit, r.level, r.measure)
             == ("DLBP-001", "baseline", "L4-L5", "pfirrmann")]  # fmt: skip
    assert found == [(5.0, 2)]


def test_nothing_is_imported_when_any_group_is_refused(
    tmp_path: Path, store: ReadStore, protocol: Protocol
) -> None:
    form = read_grade_csv(write(tmp_path, FORM), protocol)
    import_grade_rows(store, protocol, form, actor="a", register_unknown=True)
    mixed = (FORM.splitlines()[0] + "\nDLBP-009,baseline,L4-L5,R1,3,I,I,\n"
             "DLBP-001,month_6,L4-L5,R1,5,I,0,\n")  # fmt: skip
    rows = read_grade_csv(write(tmp_path, mixed, "mixed.csv"), protocol)
    with pytest.raises(GradeValueError):
        import_grade_rows(store, protocol, rows, actor="a", register_unknown=True)
    subjects = {row.subject for row in export_grade_rows(store, protocol)}
    assert subjects == {"DLBP-001", "DLBP-002"}


def test_command_line_round_trip_correction_and_audit(
    tmp_path: Path, store_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    form = write(tmp_path, FORM)
    assert main(["grades", "import", "--register-unknown", str(form), "--store", store_url,
                 "--actor", "alice"]) == 0  # fmt: skip
    out = tmp_path / "out.csv"
    assert main(["grades", "export", "--out", str(out), "--store", store_url]) == 0
    assert out.read_text(encoding="utf-8") == exported(FORM)

    bad = write(tmp_path, FORM.replace("L4-L5,R1,4,I,I", "L4-L5,R1,6,IV,I"), "bad.csv")
    assert main(["grades", "import", "--register-unknown", str(bad), "--store", store_url]) == 2
    error = capsys.readouterr().err
    assert "bad.csv: 2 bad rows:" in error
    assert "line 3: pfirrmann: '6' is not a grade of the Pfirrmann scale" in error
    assert "line 3: modic_cranial: 'IV' is not a grade of the Modic scale" in error

    fix = write(tmp_path, FORM.replace("month_6,L4-L5,R1,4,I,0", "month_6,L4-L5,R1,5,I,0"), "f.csv")
    assert main(["grades", "import", "--register-unknown", str(fix), "--store", store_url,
                 "--actor", "bob", "--reason", "second look"]) == 0  # fmt: skip
    capsys.readouterr()
    assert main(["audit", "--subject", "DLBP-001", "--store", store_url]) == 0
    trail = capsys.readouterr().out
    assert "bob" in trail and "DLBP-001 month_6" in trail
    assert "L4-L5 pfirrmann: 4 -> 5  (reason: second look)" in trail

    table = tmp_path / "endpoints.parquet"
    assert main(["export", "--out", str(table), "--store", store_url]) == 0
    frame = pd.read_parquet(table)
    row = frame[(frame["subject"] == "DLBP-001") & (frame["visit"] == "month_6")
                & (frame["measure"] == "pfirrmann")]  # fmt: skip
    assert list(row["value"]) == [5.0] and list(row["change_from_baseline"]) == [1.0]
    assert list(row["read_version"]) == [2]
