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
from typing import TYPE_CHECKING

from imaging.endpoints import (
    EndpointRow,
    Grade,
    MeasureRules,
    complete_rows,
    endpoint_rows,
    reads_from_landmarks,
)
from imaging.endpoints.rows import natural
from imaging.errors import LandmarkError
from imaging.protocol.model import Protocol

if TYPE_CHECKING:
    from imaging.landmark_files import LandmarkFile

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
    normal references). Visit names become the protocol's visit ids (``BASELINE``, ``Month 6``:
    :meth:`~imaging.protocol.model.Protocol.visit_id`); a name that is none of its visits is
    refused with its line. The whole landmark file and grade form are read and checked before the
    first row comes out.
    """
    from imaging.landmark_files import LandmarkFile
    from imaging.landmark_files.images import ArchiveIndex

    corners = LandmarkFile(landmarks) if landmarks is not None else None
    visit_ids = _visit_ids(protocol, corners) if corners is not None else {}
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
                film.with_study(visit=visit_ids[film.visit])
                for film in corners.films([subject], archive=index, mm_per_pixel=mm_per_pixel)
            ]
        )
        reads = reads_from_landmarks(films, by_subject.get(subject, {}))
        yield from complete_rows(
            (row for read in reads for row in endpoint_rows(read, rules)), protocol
        )


def _visit_ids(protocol: Protocol, corners: LandmarkFile) -> dict[str, str]:
    """The protocol's visit id of each visit name of the landmark file; a name that is none of
    the protocol's visits is refused with its line (the table's ``visit`` is a visit id)."""
    ids: dict[str, str] = {}
    for name, where in corners.visits().items():
        found = protocol.visit_id(name)
        if found is None:
            raise LandmarkError(
                f"{where}: visit {protocol.not_a_visit(name)}",
                path=corners.path,
                fix="Name each visit by its id or a time point id, or give --protocol for the "
                "trial the corners were read in.",
            )
        ids[name] = found
    return ids
