"""A printable summary of one reader's read of one case: for the reader's sign-off and the trial
master file.

:func:`read_summary_html` is a pure function of a :class:`ReadSummary` (plain values: the films'
pixels and corners, the endpoint rows of :func:`imaging.endpoints.endpoint_rows`, the grades,
reader, date, version and signature) and returns one self-contained HTML page: inline CSS with a
print stylesheet (A4, a film per column, no page break inside a table), the thumbnails as
JPEGs of :func:`imaging.report.thumbnails.film_thumbnail` (corners and endplate lines drawn),
no script.
The workstation (button "Read summary...") and ``spine-endpoints read-summary`` both call it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from imaging.calibration import Calibration
from imaging.endpoints import EndpointRow
from imaging.errors import SpineEndpointsError
from imaging.measures import MEASURES
from imaging.protocol.model import Protocol
from imaging.report.markup import escape
from imaging.report.thumbnails import CornerMap, film_thumbnail

THUMBNAIL_SIDE = 420
"""Longest side of a film's thumbnail in pixels (about 9 cm printed at 120 dpi)."""

CSS = """
body { font-family: Helvetica, Arial, sans-serif; color: #1d1d1d; max-width: 1000px;
       margin: 1.5em auto; padding: 0 1em; font-size: 10.5pt; }
h1 { font-size: 1.5em; margin: 0 0 0.2em; }
h2 { font-size: 1.15em; border-bottom: 1px solid #999; margin-top: 1.2em; }
.meta td { border: none; padding: 0.1em 1em 0.1em 0; }
table { border-collapse: collapse; margin: 0.4em 0 1em; }
th, td { border: 1px solid #bbb; padding: 0.15em 0.45em; text-align: left; }
th { background: #f0f0f0; } td.num { text-align: right; font-variant-numeric: tabular-nums; }
.films { display: flex; gap: 0.6em; flex-wrap: wrap; }
figure { margin: 0; } figcaption { font-size: 0.85em; color: #444; }
.sign { margin-top: 2em; border: 1px solid #999; padding: 0.6em; }
.draft { color: #b00020; font-weight: bold; }
@page { size: A4; margin: 12mm; }
@media print {
  body { max-width: none; margin: 0; font-size: 9pt; }
  table, figure, .sign { break-inside: avoid; }
  h2 { break-after: avoid; }
  th { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
}
"""


@dataclass(frozen=True)
class SummaryFilm:
    """One film of the read: ``pixels`` (rows, cols) as stored, the placed corners (vertebra ->
    corner -> (row, col) pixels) and the calibration they are measured with."""

    film: str
    pixels: np.ndarray
    corners: CornerMap
    calibration: Calibration
    inverted: bool = False
    """MONOCHROME1: low values shown bright."""


@dataclass(frozen=True)
class SummaryGrade:
    """One grade (or the reason it is missing) at a level."""

    level: str
    item: str
    grade: str
    meaning: str = ""


@dataclass(frozen=True)
class ReadSummary:
    """What the summary page shows of a read."""

    case: str
    """The case as the reader knows it (a reading id when blinded, else subject and visit)."""
    reader: str
    date: str
    """When the summary was made (ISO 8601, UTC)."""
    version: int | None
    status: str
    protocol: str
    software_version: str
    films: Sequence[SummaryFilm] = ()
    rows: Sequence[EndpointRow] = ()
    grades: Sequence[SummaryGrade] = ()
    notes: Mapping[str, str] = field(default_factory=dict)
    signature: str = ""
    """The signature's text (signer, time, meaning, SHA-256); empty when the version is unsigned."""


def grade_meaning(protocol: Protocol, item: str, code: str) -> str:
    """The scale's label of ``code`` for ``item``; '' for an item or code the protocol lacks."""
    try:
        return protocol.item(item).scale.grade(code).label
    except (SpineEndpointsError, ValueError):
        return ""


def signature_line(signature: Mapping[Any, Any]) -> str:
    """A row of :func:`imaging.store.signatures.signature_frame` in words: 'read completed by
    Dr A. Reader (reader-1), 2026-12-06T21:04:05Z, version 1, SHA-256 9f2c...'."""
    return (
        f"{signature['meaning']} by {signature['signer_name']} ({signature['signer']}), "
        f"{signature['signed_at']}, version {signature['read_version']}, "
        f"SHA-256 {signature['content_sha256']}"
    )


def read_summary_html(summary: ReadSummary) -> str:
    """The whole printable page for ``summary``."""
    title = f"Read summary - {summary.case}"
    status = summary.status
    if summary.status != "submitted":
        status = f'<span class="draft">{escape(summary.status)}: not signed</span>'
    else:
        status = escape(status)
    version = "-" if summary.version is None else str(summary.version)
    meta = [
        ("Case", escape(summary.case)), ("Reader", escape(summary.reader)),
        ("Version", escape(version)), ("Status", status), ("Protocol", escape(summary.protocol)),
        ("Date", escape(summary.date)),
        ("Software", escape(f"spine-endpoints {summary.software_version}")),
    ]  # fmt: skip
    out = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>{escape(title)}</title><style>{CSS}</style></head><body>",
        f"<h1>{escape(title)}</h1>",
        '<table class="meta">'
        + "".join(f"<tr><td><b>{k}</b></td><td>{v}</td></tr>" for k, v in meta)
        + "</table>",
    ]
    if summary.films:
        out.append('<h2>Films</h2><div class="films">')
        for film in summary.films:
            source = film.calibration.source.value
            count = sum(len(c) for c in film.corners.values())
            caption = f"{film.film}: {count} corners; calibration {source}"
            alt = f"{film.film} film with the reader's corners and endplate lines"
            thumbnail = film_thumbnail(
                film.pixels, film.corners, bone_bright=not film.inverted, max_side=THUMBNAIL_SIDE
            )
            out.append(
                f'<figure><img alt="{escape(alt)}" src="{thumbnail.data_uri}">'
                f"<figcaption>{escape(caption)}</figcaption></figure>"
            )
        out.append("</div>")
    out.append(_measures(summary.rows))
    out.append(_grades(summary.grades, summary.notes))
    out.append(_signature(summary))
    out.append("</body></html>")
    return "\n".join(out)


def _measures(rows: Sequence[EndpointRow]) -> str:
    """Per film, measures x levels (as the workstation's table: titles and decimals from the
    registry); a level or a measure without any value on the film is left out, a missing value
    is '-' with its reason as the cell's tooltip."""
    measured = [r for r in rows if not r.grade and r.measure in MEASURES]
    if not any(r.value is not None for r in measured):
        return "<h2>Measures</h2><p>No measures: no corners placed.</p>"
    out = ["<h2>Measures</h2>"]
    for film in dict.fromkeys(r.film for r in measured):
        film_rows = [r for r in measured if r.film == film]
        valued = [r for r in film_rows if r.value is not None]
        levels = list(dict.fromkeys(r.level for r in valued))
        names = [m for m in MEASURES if any(r.measure == m for r in valued)]
        cells = {(r.level, r.measure): r for r in film_rows}
        calibrations = sorted({r.calibration for r in film_rows if r.calibration})
        how = f" (calibration: {', '.join(calibrations)})" if calibrations else ""
        out.append(f"<h3>{escape(film)}{escape(how)}</h3>")
        head = "".join(f"<th>{escape(level)}</th>" for level in levels)
        body = []
        for name in names:
            line = [f"<td>{escape(MEASURES[name].heading)}</td>"]
            for level in levels:
                row = cells.get((level, name))
                text = "" if row is None else MEASURES[name].format(row.value)
                note = "" if row is None or not row.note else f' title="{escape(row.note)}"'
                line.append(f'<td class="num"{note}>{escape(text or "-")}</td>')
            body.append("<tr>" + "".join(line) + "</tr>")
        out.append(f"<table><tr><th>Measure</th>{head}</tr>{''.join(body)}</table>")
    return "\n".join(out)


def _grades(grades: Sequence[SummaryGrade], notes: Mapping[str, str]) -> str:
    if not grades and not notes:
        return "<h2>Grades</h2><p>No grades.</p>"
    rows = "".join(
        f"<tr><td>{escape(g.level)}</td><td>{escape(g.item)}</td><td>{escape(g.grade)}</td>"
        f"<td>{escape(g.meaning)}</td></tr>"
        for g in grades
    )
    out = [
        "<h2>Grades</h2><table><tr><th>Level</th><th>Item</th><th>Grade</th><th>Meaning</th></tr>"
        f"{rows}</table>"
    ]
    if notes:
        out.append(
            "<table><tr><th>Level</th><th>Note</th></tr>"
            + "".join(
                f"<tr><td>{escape(k)}</td><td>{escape(v)}</td></tr>" for k, v in notes.items()
            )
            + "</table>"
        )
    return "\n".join(out)


def _signature(summary: ReadSummary) -> str:
    if summary.signature:
        text = escape(summary.signature)
    elif summary.status == "submitted":
        text = "Submitted; the store keeps no electronic signature (no people registered)."
    else:
        text = '<span class="draft">Not signed: the read is not submitted.</span>'
    return (
        f'<div class="sign"><b>Signature</b><br>{text}<br><br>'
        "Reader's signature: ____________________________ Date: ______________</div>"
    )
