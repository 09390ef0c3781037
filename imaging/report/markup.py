"""HTML pieces of the report's pages: escaped text, tables, numbers as printed, inline PNGs.

One place for how a value reaches the page, so every page (the report, the subject pages, a read's
summary) escapes, rounds and embeds alike.
"""

from __future__ import annotations

import base64
import html
from collections.abc import Iterable, Sequence
from typing import Any

import pandas as pd


def escape(value: Any) -> str:
    """``value`` as text safe in HTML content and in a quoted attribute."""
    return html.escape(str(value), quote=True)


def html_table(columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    """A table with a header row; numbers right-aligned as :func:`number_text` prints them."""
    head = "".join(f"<th>{escape(c)}</th>" for c in columns)
    body = "".join("<tr>" + "".join(_cell(v) for v in row) + "</tr>" for row in rows)
    return f"<table><tr>{head}</tr>{body}</table>"


def _cell(value: Any) -> str:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return f'<td class="num">{number_text(value)}</td>'
    return f"<td>{escape(value)}</td>"


def number_text(value: Any) -> str:
    """An integer as it is, another number to 2 decimals, a missing one (None, NaN) as "-"."""
    if value is None or pd.isna(value):
        return "-"
    if isinstance(value, int):
        return str(value)
    return f"{round(float(value), 2) + 0.0:.2f}"  # + 0.0: no "-0.00" for rounding noise


def img_tag(png: bytes, alt: str) -> str:
    """``png`` inline as a base64 data URI, with its ``alt`` text."""
    encoded = base64.b64encode(png).decode("ascii")
    return f'<img alt="{escape(alt)}" src="data:image/png;base64,{encoded}">'
