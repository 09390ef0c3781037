"""The report's reader drift section: ``drift.csv`` of ``spine-endpoints agreement --by-month``.

The agreement table with a ``month`` column first (inter-reader agreement per calendar month of
submission, :mod:`imaging.agreement.drift`), read and refused like ``agreement.csv``
(:mod:`imaging.report.agreement`) and shown row for row, every cell escaped. No file: no section.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from imaging.report.agreement import REQUIRED, SHOWN, statistics_table
from imaging.report.data import read_table
from imaging.report.page import Section

FILE_NAME = "drift.csv"


def load_drift(out_dir: str | Path) -> pd.DataFrame:
    """``out_dir/drift.csv`` as text cells (empty when there is none)."""
    return read_table(Path(out_dir) / FILE_NAME, ("month", *REQUIRED))


def drift_section(table: pd.DataFrame) -> Section | None:
    """The section of a non-empty drift table, else None."""
    if table.empty:
        return None
    text = (
        '<h2 id="drift">Reader drift</h2>\n'
        f"<p>{len(table)} statistics from <code>{FILE_NAME}</code>: the reader agreement "
        "statistics computed for each calendar month on the cases whose second read was "
        "submitted that month. A reader whose agreement with the others falls over the months "
        "is drifting.</p>\n" + statistics_table(table, ("month", *SHOWN))
    )
    return Section("drift", f"Drift ({len(table)})", text)
