"""The report's structural progression section (issue 20): mSASSS per subject, change against
the SDC of agreement.csv, new syndesmophytes; none for a trial without spine scores."""

from __future__ import annotations

import pandas as pd

from imaging.endpoints import complete_rows, endpoint_table
from imaging.endpoints.rows import GRADE_UNIT, EndpointRow
from imaging.protocol import load_protocol
from imaging.report.data import ReportData
from imaging.report.progression import progression_section

AS = load_protocol("as-ucmsc")
assert AS.msasss is not None


def reads(subject: str, before: int, after: int) -> list[EndpointRow]:
    """All corners scored ``before`` at baseline; ``after`` of them 3 at 24 months."""
    rows = []
    for visit in ("baseline", "month_24"):
        for index, site in enumerate(AS.msasss.sites):  # type: ignore[union-attr]
            code = before if visit == "baseline" or index >= after else 3
            rows.append(EndpointRow(subject, visit, site, "msasss", float(code), GRADE_UNIT,
                                    grade=str(code), reader="R1"))  # fmt: skip
    return rows


def data(rows: list[EndpointRow]) -> ReportData:
    table = endpoint_table(complete_rows(rows, AS))
    empty = pd.DataFrame()
    return ReportData(table, empty, empty, visits=("baseline", "month_24"))


SDC = pd.DataFrame([{
    "comparison": "inter-reader", "readers": "R1|R2", "kind": "measure", "name": "msasss_total",
    "film": "lateral cervical and lumbar", "level": "spine", "statistic": "sdc", "estimate": 2.5,
    "unit": "1", "n_pairs": 20,
}])  # fmt: skip


def test_each_subject_change_is_classified_against_the_sdc_with_new_syndesmophytes() -> None:
    section = progression_section(data(reads("AS-1", 1, 2) + reads("AS-2", 0, 0)), SDC)
    assert section is not None and section.anchor == "progression"
    html = section.html
    assert "SDC 2.50 (inter-reader R1|R2, lateral cervical and lumbar film, 20 pairs)" in html
    # AS-1: 24 -> 22 x 1 + 2 x 3 = 28, change 4 > 2.5; two corners 1 -> 3
    number = '<td class="num">{}</td>'
    as_1 = "<td>AS-1</td>" + "".join(number.format(v) for v in ("24.00", "28.00", "4.00"))
    assert as_1 + "<td>increase beyond SDC</td>" + number.format("2.00") in html
    assert "<td>AS-2</td>" in html and "<td>within SDC</td>" in html
    assert 'alt="Waterfall of each subject' in html
    assert "mSASSS change from baseline to month_24, one bar per subject sorted" in html


def test_without_an_sdc_the_changes_are_not_classified() -> None:
    section = progression_section(data(reads("AS-1", 1, 2)), pd.DataFrame())
    assert section is not None and "No SDC of msasss_total in agreement.csv" in section.html
    assert "beyond SDC" not in section.html


def test_a_table_without_spine_scores_has_no_progression_section() -> None:
    row = EndpointRow("S", "baseline", "L4-L5", "pfirrmann", 3.0, GRADE_UNIT, grade="3")
    table = endpoint_table(complete_rows([row], load_protocol()))
    empty = pd.DataFrame()
    assert progression_section(ReportData(table, empty, empty, visits=("baseline",)), SDC) is None
