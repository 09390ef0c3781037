"""The read in progress as a :class:`imaging.report.read_summary.ReadSummary`: the printable
summary the reader signs off (:func:`imaging.report.read_summary.read_summary_html`).

Nothing is computed here: the measures are the session's endpoint rows (those of the measures
table), the grades and notes those of the grade form, the films' pixels those on screen.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

import numpy as np

from imaging import __version__
from imaging.anatomy import Film
from imaging.report.read_summary import ReadSummary, SummaryFilm, SummaryGrade, grade_meaning
from napari_spine_endpoints._model.session import ReadingSession


def read_summary(
    session: ReadingSession,
    pixels: Mapping[Film, np.ndarray],
    status: str,
    version: int | None,
    signature: str = "",
    now: dt.datetime | None = None,
) -> ReadSummary:
    """The summary of ``session`` with the films' ``pixels`` (as shown) and the read's
    ``status``, ``version`` and ``signature`` in the store."""
    films = []
    for film, info in session.films.items():
        if film not in pixels:
            continue
        placement = session.placements[film]
        corners: dict[str, dict[str, tuple[float, float]]] = {}
        for label, point in placement.positions.items():
            corners.setdefault(label.vertebra.value, {})[label.corner.value] = point
        films.append(
            SummaryFilm(film.value, pixels[film], corners, info.calibration, info.inverted)
        )
    grades, notes = [], {}
    form = session.grades
    if form is not None:
        for (level, item), code in form.values.items():
            grades.append(
                SummaryGrade(level, item, code, grade_meaning(session.protocol, item, code))
            )
        for level, reason in form.reasons.items():
            grades.append(SummaryGrade(level, "", "not graded", reason))
        notes = dict(form.comments)
    for placement_film, placement in session.placements.items():
        for label, reason in placement.skipped.items():
            key = f"{placement_film.value} {label.text}"
            notes[key] = f"skipped: {reason}"
    when = (now or dt.datetime.now(dt.UTC)).isoformat(timespec="seconds").replace("+00:00", "Z")
    return ReadSummary(
        case=session.label, reader=session.reader, date=when, version=version, status=status,
        protocol=session.protocol.id, software_version=__version__, films=tuple(films),
        rows=session.measures().rows, grades=tuple(grades), notes=notes, signature=signature,
    )  # fmt: skip
