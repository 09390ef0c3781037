"""Grade CSV forms: every value checked against the protocol; bad rows named by line and reason."""

from __future__ import annotations

import io

import pytest

from imaging.errors import GradeValueError
from imaging.protocol import load_protocol
from imaging.protocol.grade_forms import grade_csv_text, long_grades, parse_grade_csv

HEADER = "subject,visit,level,reader,pfirrmann,modic_cranial,modic_caudal,comment\n"
FINDING_COLUMNS = (
    "discography_single_painful_disc", "spondylitis", "vertebral_fracture",
    "severe_spinal_stenosis", "severe_disc_herniation",
)  # fmt: skip


def parse(text: str) -> list:
    return parse_grade_csv(io.StringIO(text), load_protocol(), "grades.csv")


def problems(text: str) -> list[tuple[int | None, str]]:
    with pytest.raises(GradeValueError) as caught:
        parse(text)
    assert str(caught.value).startswith("grades.csv: ")
    assert str(caught.value).endswith("nothing was imported.")
    return caught.value.problems


def test_good_rows_are_read_in_canonical_form() -> None:
    rows = parse(
        HEADER + "DLBP-001,M06,l4-5,R1,IV,1,i/ii,dark disc\nDLBP-001,BASELINE,L5/S1,R1,3,,,\n"
    )
    assert rows[0].visit == "month_6" and rows[0].level == "L4-L5"
    assert rows[0].grades == (("pfirrmann", "4"), ("modic_cranial", "I"), ("modic_caudal", "I/II"))
    assert rows[0].comment == "dark disc" and rows[0].line == 2
    assert rows[1].visit == "baseline" and rows[1].grades == (("pfirrmann", "3"),)
    long = long_grades(rows)
    assert list(long["code"]) == ["4", "I", "I/II", "3"]


def test_grade_6_modic_iv_and_unknown_level_are_refused_all_at_once() -> None:
    found = problems(
        HEADER
        + "DLBP-001,baseline,L4-L5,R1,6,I,I,\n"
        + "DLBP-001,baseline,L3-L4,R1,3,IV,0,\n"
        + "DLBP-001,baseline,L4-L9,R1,3,0,0,\n"
        + "DLBP-001,month_7,L2-L3,R1,2,0,0,\n"
    )
    assert found == [
        (2, "pfirrmann: '6' is not a grade of the Pfirrmann scale; valid: 1, 2, 3, 4, 5 "
            "(or I, II, III, IV, V)"),
        (3, "modic_cranial: 'IV' is not a grade of the Modic scale; valid: 0, I, II, III, I/II, "
            "II/III"),
        (4, "'L4-L9' is not a level read in protocol DLBP-ChiCTR2200058291; levels: L1-L2, "
            "L2-L3, L3-L4, L4-L5, L5-S1, spine"),
        (5, "'month_7' is not a visit of protocol DLBP-ChiCTR2200058291; visits: baseline, "
            "week_1, month_1, month_3, month_6, month_12, month_18, month_24"),
    ]  # fmt: skip


def test_duplicates_empty_rows_and_missing_readers() -> None:
    found = problems(
        HEADER
        + "S,baseline,L4-L5,R1,4,I,I,\n"
        + ",,,,,,,\n"
        + "S,baseline,L4-5,R1,3,I,I,\n"
        + "S,baseline,L3-L4,,3,0,0,\n"
        + "S,baseline,L2-L3,R1,,,,\n"
    )
    assert found == [
        (4, "S baseline L4-L5 R1 is graded twice (also on line 2)"),
        (5, "reader is empty"),
        (6, "no grade and no comment: give the grades, or say in comment why not"),
    ]


def test_the_header_must_match_the_protocol() -> None:
    found = problems("subject,visit,level,reader,pfirman,modic_cranial,modic_caudal\n")
    assert found == [(1, found[0][1])] and "unknown columns ['pfirman']" in found[0][1]
    assert "missing columns ['reader']" in problems("subject,visit,level,pfirrmann\n")[0][1]
    assert "no grading item column" in problems("subject,visit,level,reader,comment\n")[0][1]
    assert problems("")[0] == (1, "the file is empty: expected a header line")


def test_a_grade_of_an_item_not_read_at_that_level_is_refused() -> None:
    protocol = load_protocol("as-ucmsc")
    text = "subject,visit,level,reader,sacroiliitis,msasss,comment\nA,baseline,SIJ-left,R1,2,3,\n"
    with pytest.raises(GradeValueError) as caught:
        parse_grade_csv(io.StringIO(text), protocol)
    assert caught.value.problems == [(2, "msasss '3': msasss is not read at SIJ-left")]


def test_rows_are_written_back_unchanged_in_protocol_order() -> None:
    text = (
        HEADER.replace(",comment", "," + ",".join(FINDING_COLUMNS) + ",comment")
        + "DLBP-001,baseline,L3-L4,R1,2,0,0,,,,,,\n"
        + 'DLBP-001,baseline,L4-L5,R1,4,I,I,yes,,,,,"dark, collapsed"\n'
        + "DLBP-001,baseline,spine,R1,,,,,no,no,not_assessable,no,no axial T2 at L2-L3\n"
        + "DLBP-001,month_6,L4-L5,R1,4,I,0,,,,,,\n"
        + "DLBP-001,month_12,L4-L5,R1,5,II,0,,,,,,\n"
    )
    rows = parse(text)
    assert grade_csv_text(reversed(rows), load_protocol()) == text
