"""The report's reader agreement section: ``agreement.csv`` shown row for row, escaped."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from imaging.agreement import AGREEMENT_COLUMNS
from imaging.cli import main
from imaging.report import ReportInputError, load
from imaging.report.agreement import load_agreement
from imaging.spreadsheet import write_frame_csv


def _agreement(folder: Path) -> None:
    row = dict.fromkeys(AGREEMENT_COLUMNS, "")
    rows = [
        dict(row, comparison="inter-reader", readers="R1|<script>alert(1)</script>",
             kind="measure", name="disc_height_mean", film="neutral", level="L4-L5",
             statistic="ICC(2,1)", estimate=0.8765, ci_lower=0.5123, ci_upper=0.9712,
             n_subjects=12, n_pairs=12, method="ICC(A,1) & co"),
        dict(row, comparison="inter-reader", readers="R1|R2", kind="grade", name="pfirrmann",
             level="all", statistic="kappa_linear", estimate=float("nan"), n_subjects=12,
             n_pairs=60, method="=HYPERLINK(\"x\")"),
    ]  # fmt: skip
    write_frame_csv(pd.DataFrame(rows, columns=list(AGREEMENT_COLUMNS)), folder / "agreement.csv")


def test_the_report_shows_the_agreement_table_escaped(fake_batch_output: Path) -> None:
    _agreement(fake_batch_output)
    assert main(["report", str(fake_batch_output)]) == 0
    page = (fake_batch_output / "report.html").read_text(encoding="utf-8")
    assert '<a href="#agreement">Agreement (2)</a>' in page
    section = page[page.index('<h2 id="agreement">') : page.index('<h2 id="cohort">')]
    assert "<script>" not in page and "R1|&lt;script&gt;alert(1)&lt;/script&gt;" in section
    assert '<td class="num">0.88</td><td class="num">0.51</td><td class="num">0.97</td>' in section
    assert "ICC(A,1) &amp; co" in section
    assert "&#x27;=HYPERLINK(&quot;x&quot;)" in section  # as the CSV holds it, neutralised
    assert '<td class="num">-</td>' in section  # kappa undefined: no number


def test_without_agreement_csv_there_is_no_section(fake_batch_output: Path) -> None:
    assert load_agreement(fake_batch_output).empty
    assert main(["report", str(fake_batch_output)]) == 0
    assert 'id="agreement"' not in (fake_batch_output / "report.html").read_text("utf-8")


def test_a_damaged_agreement_csv_is_refused_naming_it(fake_batch_output: Path) -> None:
    (fake_batch_output / "agreement.csv").write_text("comparison,readers\ninter,R1|R2\n")
    load(fake_batch_output)  # the batch's own tables are fine
    with pytest.raises(ReportInputError) as refused:
        load_agreement(fake_batch_output)
    assert str(refused.value).startswith(f"{fake_batch_output / 'agreement.csv'}: lacks the col")


def test_the_report_shows_the_drift_table_by_month(fake_batch_output: Path) -> None:
    from imaging.agreement.drift import DRIFT_COLUMNS

    row = dict.fromkeys(DRIFT_COLUMNS, "")
    rows = [
        dict(row, month=month, comparison="inter-reader", readers="R1|R2", kind="grade",
             name="pfirrmann", level="all", statistic="kappa_linear", estimate=kappa,
             n_subjects=6, n_pairs=30)
        for month, kappa in (("2027-01", 0.81), ("2027-02", 0.42))
    ]  # fmt: skip
    write_frame_csv(
        pd.DataFrame(rows, columns=list(DRIFT_COLUMNS)), fake_batch_output / "drift.csv"
    )
    assert main(["report", str(fake_batch_output)]) == 0
    page = (fake_batch_output / "report.html").read_text(encoding="utf-8")
    assert '<a href="#drift">Drift (2)</a>' in page
    section = page[page.index('<h2 id="drift">') :]
    assert section.index("<td>2027-01</td>") < section.index('<td class="num">0.81</td>')
    assert section.index("<td>2027-02</td>") < section.index('<td class="num">0.42</td>')
