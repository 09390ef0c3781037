"""CSV files the tool writes, safe to open in a spreadsheet.

A text cell that starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is taken as a
formula by Excel, LibreOffice Calc and Google Sheets (CSV injection, OWASP). Every CSV the tool
writes (endpoint tables, failures, eligibility, grade forms, audit, agreement) passes its text
cells through :func:`neutralised`, which prefixes such a cell with an apostrophe: spreadsheets then
show the text as written. Numbers the tool formats itself (``-1.50``) are not text and are left as
they are; Parquet files keep every value raw.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from pathlib import Path
from typing import IO, Any

import pandas as pd

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
"""First characters that make a spreadsheet evaluate a cell."""
_FORMULA_FIRST = frozenset(FORMULA_STARTS)
assert all(len(start) == 1 for start in FORMULA_STARTS), "neutralised compares one character"


def neutralised(value: Any) -> Any:
    """``value`` with an apostrophe in front when it is text a spreadsheet would evaluate."""
    # A set lookup of the first character, not str.startswith of six prefixes: an endpoint
    # table passes hundreds of thousands of cells through here.
    if (type(value) is str or isinstance(value, str)) and value and value[0] in _FORMULA_FIRST:
        return "'" + value
    return value


class SafeWriter:
    """:func:`csv.writer` whose text cells are :func:`neutralised` (lines end with ``\\n``)."""

    def __init__(self, stream: IO[str]) -> None:
        self._writer = csv.writer(stream, lineterminator="\n")

    def writerow(self, row: Iterable[Any]) -> None:
        self._writer.writerow([neutralised(cell) for cell in row])

    def writerows(self, rows: Iterable[Iterable[Any]]) -> None:
        for row in rows:
            self.writerow(row)

    def writerow_as_is(self, row: Iterable[Any]) -> None:
        """A row whose cells are already safe (e.g. numbers formatted by the tool)."""
        self._writer.writerow(row)


def safe_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` whose text cells are :func:`neutralised` (numbers untouched)."""
    safe = frame.copy()
    for column in safe.columns:
        if safe[column].dtype == object or pd.api.types.is_string_dtype(safe[column]):
            safe[column] = safe[column].map(neutralised)
    return safe


def write_frame_csv(frame: pd.DataFrame, target: Path | IO[str], **options: Any) -> None:
    """``frame.to_csv`` with its text cells neutralised."""
    safe_frame(frame).to_csv(target, index=False, **options)
