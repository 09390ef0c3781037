"""Reads from files, for the commands that work without a store (``heights``, ``rom``,
``eligibility --landmarks/--grades``): landmark files and grade forms -> the one endpoint
function (:func:`imaging.endpoints.endpoint_rows`) -> completed rows.

The rows stream out subject by subject (table order): what is held is the landmark file's
corners, packed (:class:`~imaging.landmark_files.LandmarkFile`), the grades, and one subject's
rows, so ``heights`` on a million corners does not hold millions of rows.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator
from pathlib import Path

from imaging.endpoints import (
    EndpointRow,
    Grade,
    MeasureRules,
    complete_rows,
    endpoint_rows,
    reads_from_landmarks,
)
from imaging.endpoints.rows import natural
from imaging.protocol.model import Protocol

ReadKey = tuple[str, str, str]
"""(subject, visit, reader)."""


def rows_from_files(
    protocol: Protocol,
    landmarks: Path | None,
    grades: Path | None,
    *,
    rules: MeasureRules | None = None,
    archive: Path | None = None,
    mm_per_pixel: float | tuple[float, float] | None = None,
    known_grades: Iterable[EndpointRow] = (),
) -> Iterator[EndpointRow]:
    """Every endpoint row of a landmark file and a grade form, with change from baseline, in
    table order, one subject at a time (a stream: ``list()`` it to keep them).

    ``known_grades``: grade rows from elsewhere (the store) standing in for a grade form: they
    join the corners of the same subject, visit and reader (the grades decide which discs are
    normal references). Visits named by a time point id (``BASELINE``) become the protocol's
    visit ids. The whole landmark file and grade form are read and checked before the first row
    comes out.
    """
    from imaging.landmark_files import LandmarkFile
    from imaging.landmark_files.images import ArchiveIndex

    corners = LandmarkFile(landmarks) if landmarks is not None else None
    by_subject: dict[str, dict[ReadKey, list[Grade]]] = defaultdict(lambda: defaultdict(list))
    if grades is not None:
        from imaging.protocol.grade_forms import read_grade_csv

        for row in read_grade_csv(grades, protocol):
            for item, code in row.grades:
                by_subject[row.subject][(row.subject, row.visit, row.reader)].append(
                    Grade(row.level, item, code, protocol.score(item, code), row.comment)
                )
    for known in known_grades:
        by_subject[known.subject][(known.subject, known.visit, known.reader)].append(
            Grade(known.level, known.measure, known.grade, known.value, known.note)
        )
    rules = rules or MeasureRules.from_protocol(protocol)
    index = ArchiveIndex(archive) if archive is not None and corners is not None else None
    subjects = set(by_subject) | set(corners.subjects() if corners is not None else ())
    for subject in sorted(subjects, key=lambda s: (natural(s), s)):
        films = (
            []
            if corners is None
            else [
                film.with_study(visit=visit_id(protocol, film.visit))
                for film in corners.films([subject], archive=index, mm_per_pixel=mm_per_pixel)
            ]
        )
        reads = reads_from_landmarks(films, by_subject.get(subject, {}))
        yield from complete_rows(
            (row for read in reads for row in endpoint_rows(read, rules)), protocol
        )


def visit_id(protocol: Protocol, name: str) -> str:
    """The protocol's visit id for ``name`` (an id or a time point id), else ``name`` itself."""
    try:
        return protocol.visit(str(name)).id
    except ValueError:
        return str(name)
