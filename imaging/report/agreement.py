"""The report's reader agreement section: the tidy table ``spine-endpoints agreement`` wrote.

``agreement.csv`` in the batch output folder (``spine-endpoints agreement --out DIR/agreement.csv``)
is read like the batch's own tables (:func:`imaging.report.data.read_table`: refused whole, with
the file and the line, when damaged) and shown as it is, one row per statistic, every cell
escaped. No file: no section.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from imaging.report.data import number_cell, read_table
from imaging.report.markup import html_table
from imaging.report.page import Section

FILE_NAME = "agreement.csv"
REQUIRED = ("comparison", "readers", "kind", "name", "level", "statistic", "estimate")
SHOWN = ("comparison", "readers", "kind", "name", "film", "level", "statistic", "estimate",
         "ci_lower", "ci_upper", "unit", "n_subjects", "n_pairs", "method")  # fmt: skip
NUMBERS = ("estimate", "ci_lower", "ci_upper")


def load_agreement(out_dir: str | Path) -> pd.DataFrame:
    """``out_dir/agreement.csv`` as text cells (empty when there is none)."""
    return read_table(Path(out_dir) / FILE_NAME, REQUIRED)


def statistics_table(table: pd.DataFrame, shown: tuple[str, ...]) -> str:
    """The HTML table of an agreement-style table's ``shown`` columns (those it has), the
    estimates and their bounds formatted as numbers, every cell escaped."""
    columns = [c for c in shown if c in table.columns]
    rows = [
        [number_cell(record[c]) if c in NUMBERS else record[c] for c in columns]
        for record in table.to_dict("records")
    ]
    return html_table([c.replace("_", " ") for c in columns], rows)


def agreement_section(table: pd.DataFrame) -> Section | None:
    """The section (anchor, link text, HTML) of a non-empty table, else None."""
    if table.empty:
        return None
    text = (
        '<h2 id="agreement">Reader agreement</h2>\n'
        f"<p>{len(table)} statistics from <code>{FILE_NAME}</code>, one per row: per measure, "
        "film and level (never pooled across levels) the protocol's primary intraclass "
        "correlation and Bland-Altman limits with 95% confidence intervals, the SEM and the "
        "smallest detectable change; per grading item, flag and eligibility rule, percent "
        "agreement and Cohen's kappa with 95% intervals from a bootstrap over subjects. The "
        "method column names each statistic's form and reference.</p>\n"
        + statistics_table(table, SHOWN)
    )
    return Section("agreement", f"Agreement ({len(table)})", text)
