"""Reader-recorded findings in the store: refused at a visit where the protocol does not read
them, imported from a findings-only form beside the grades, exported and judged (issue 12)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from imaging.cli import main
from imaging.errors import StoreError
from imaging.protocol import Protocol
from imaging.protocol.grade_forms import grade_csv_text, read_grade_csv
from imaging.store.cases import get_case
from imaging.store.grades import export_grade_rows, import_grade_rows
from imaging.store.reads import ReadContent, save_draft, start_read
from imaging.store.store import ReadStore

GRADES = """subject,visit,level,reader,pfirrmann,modic_cranial,modic_caudal,comment
DLBP-001,baseline,L4-L5,R1,4,I,I,"dark, collapsed"
"""
FINDINGS = """subject,visit,level,reader,discography_single_painful_disc,spondylitis,\
vertebral_fracture,severe_spinal_stenosis,severe_disc_herniation
DLBP-001,baseline,L4-L5,R1,not_assessable,,,,
DLBP-001,baseline,spine,R1,,no,no,no,no
"""


def write(tmp_path: Path, text: str, name: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_a_finding_at_a_visit_where_it_is_not_read_is_refused(
    store: ReadStore, protocol: Protocol
) -> None:
    with store.writing() as session:
        case = get_case(session, "DLBP-001", "month_6", actor="t")
        read = start_read(session, case, "R1", actor="t", protocol_id=protocol.id)
        with pytest.raises(StoreError) as caught:
            save_draft(
                session, read, ReadContent({("spine", "vertebral_fracture"): "no"}), protocol
            )
    assert str(caught.value).startswith(
        "spine vertebral_fracture is read at baseline only in protocol DLBP-ChiCTR2200058291, "
        "not at month_6"
    )
    with store.writing() as session:
        case = get_case(session, "DLBP-001", "baseline", actor="t")
        read = start_read(session, case, "R1", actor="t", protocol_id=protocol.id)
        save_draft(session, read, ReadContent({("spine", "vertebral_fracture"): "no"}), protocol)


def test_a_findings_form_completes_a_read_and_keeps_its_grades_and_comments(
    tmp_path: Path, store: ReadStore, protocol: Protocol
) -> None:
    grades = read_grade_csv(write(tmp_path, GRADES, "grades.csv"), protocol)
    import_grade_rows(store, protocol, grades, actor="a", register_unknown=True)
    findings = read_grade_csv(write(tmp_path, FINDINGS, "findings.csv"), protocol)
    summary = import_grade_rows(store, protocol, findings, actor="a", register_unknown=True)
    assert summary.completed == [("DLBP-001", "baseline", "R1", 2)] and not summary.corrected
    exported = grade_csv_text(export_grade_rows(store, protocol), protocol)
    assert exported.splitlines()[1:] == [
        'DLBP-001,baseline,L4-L5,R1,4,I,I,not_assessable,,,,,"dark, collapsed"',
        "DLBP-001,baseline,spine,R1,,,,,no,no,no,no,",
    ]
    again = import_grade_rows(
        store, protocol, findings, actor="a", register_unknown=True
    )  # the same file again
    assert again.unchanged == [("DLBP-001", "baseline", "R1")]
    # the export is a complete form: imported back, it changes nothing
    back = read_grade_csv(write(tmp_path, exported, "exported.csv"), protocol)
    assert import_grade_rows(store, protocol, back, actor="a", register_unknown=True).unchanged == [
        ("DLBP-001", "baseline", "R1")
    ]


def test_eligibility_from_the_store_names_the_undecided_finding(
    tmp_path: Path, store_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    for name, text in (("grades.csv", GRADES), ("findings.csv", FINDINGS)):
        assert main(["grades", "import", "--register-unknown", str(write(tmp_path, text, name)),
                     "--store", store_url]) == 0  # fmt: skip
    month_6 = FINDINGS.replace("baseline", "month_6")
    assert main(["grades", "import", "--register-unknown", str(write(tmp_path, month_6, "m6.csv")),
                 "--store", store_url]) == 2  # fmt: skip
    assert "spondylitis is read at baseline only, not at month_6" in capsys.readouterr().err

    out = tmp_path / "eligibility.csv"
    assert main(["eligibility", "--store", store_url, "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "DLBP-001: pending (undecided: " in printed
    assert "meets every imaging criterion" not in printed
    table = pd.read_csv(out, dtype=str, keep_default_na=False).set_index("rule")
    discography = table.loc["discography_single_l4_l5"]
    assert discography["verdict"] == "not evaluable" and discography["kind"] == "finding"
    assert discography["reason"] == (
        "L4-L5 discography_single_painful_disc: not assessable (R1: 'dark, collapsed')"
    )
    assert table.loc["spondylitis_or_fracture", "verdict"] == "pass"
    assert table.loc["spondylitis_or_fracture", "values"] == (
        "spine spondylitis no; spine vertebral_fracture no"
    )
    assert set(table["subject_verdict"]) == {"pending"}
