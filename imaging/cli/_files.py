"""Reads from files, for the commands that work without a store (``heights``, ``rom``,
``eligibility --landmarks/--grades``): landmark files and grade forms -> the one endpoint
function (:func:`imaging.endpoints.endpoint_rows`) -> completed rows."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from pathlib import Path

from imaging.endpoints import (
    EndpointRow,
    Grade,
    MeasureRules,
    complete_rows,
    endpoint_rows,
    reads_from_landmarks,
)
from imaging.geometry.landmarks import Landmarks
from imaging.protocol.model import Protocol


def rows_from_files(
    protocol: Protocol,
    landmarks: Path | None,
    grades: Path | None,
    *,
    rules: MeasureRules | None = None,
    archive: Path | None = None,
    mm_per_pixel: float | tuple[float, float] | None = None,
    known_grades: Iterable[EndpointRow] = (),
) -> list[EndpointRow]:
    """Every endpoint row of a landmark file and a grade form, with change from baseline.

    ``known_grades``: grade rows from elsewhere (the store) standing in for a grade form: they
    join the corners of the same subject, visit and reader (the grades decide which discs are
    normal references). Visits named by a time point id (``BASELINE``) become the protocol's
    visit ids.
    """
    films: list[Landmarks] = []
    if landmarks is not None:
        from imaging.landmark_files import load_landmarks

        loaded = load_landmarks(landmarks, archive=archive, mm_per_pixel=mm_per_pixel)
        films = [film.with_study(visit=visit_id(protocol, film.visit)) for film in loaded]
    by_read: dict[tuple[str, str, str], list[Grade]] = defaultdict(list)
    if grades is not None:
        from imaging.protocol.grade_forms import read_grade_csv

        for row in read_grade_csv(grades, protocol):
            for item, code in row.grades:
                by_read[(row.subject, row.visit, row.reader)].append(
                    Grade(row.level, item, code, protocol.score(item, code), row.comment)
                )
    for known in known_grades:
        by_read[(known.subject, known.visit, known.reader)].append(
            Grade(known.level, known.measure, known.grade, known.value, known.note)
        )
    rules = rules or MeasureRules.from_protocol(protocol)
    rows = [
        row for read in reads_from_landmarks(films, by_read) for row in endpoint_rows(read, rules)
    ]
    return complete_rows(rows, protocol)


def visit_id(protocol: Protocol, name: str) -> str:
    """The protocol's visit id for ``name`` (an id or a time point id), else ``name`` itself."""
    try:
        return protocol.visit(str(name)).id
    except ValueError:
        return str(name)
