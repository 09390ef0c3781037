"""``landmarks import``: a landmark file's corners into the store, as reads with their measures.

A landmark file (docs/landmark-format.md) is an import format: its corners become reads of the
store, one per subject, visit and reader, with the same validation, versions and audit as grade
forms (:mod:`imaging.store.imports`). A file holds a read's whole corner set: the films in it
replace the read's corners and films (its grades are kept). Each film is stored with its
calibration (from the image headers, or ``--mm-per-pixel``), and the store computes the read's
measures from them (:func:`imaging.store.measures.submit_with_measures`), as everywhere else.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import replace

from imaging.errors import LandmarkError
from imaging.geometry.landmarks import Landmarks
from imaging.protocol.model import Protocol
from imaging.store.imports import ImportSummary, ReadImport, import_reads, listed, refusal_fix
from imaging.store.read_content import FilmRecord, LandmarkPoint, ReadContent
from imaging.store.store import ReadStore


def import_landmarks(
    store: ReadStore,
    protocol: Protocol,
    films: Sequence[Landmarks],
    *,
    actor: str,
    reason: str | None = None,
    reader: str = "",
    role: str = "primary",
    source: str = "",
    path: str | None = None,
    register_unknown: bool = False,
) -> ImportSummary:
    """Store the films' corners (from :func:`imaging.landmark_files.load_landmarks`).

    ``reader`` is used for sets whose file names none. Films of a subject or visit nobody
    registered are refused unless ``register_unknown``. Raises
    :class:`~imaging.errors.LandmarkError` listing every refused read; nothing is then stored.
    """
    groups: dict[tuple[str, str, str], list[Landmarks]] = defaultdict(list)
    problems: list[tuple[int | str | None, str]] = []
    for film in films:
        who = film.reader or reader
        where = _where(film)
        try:
            visit = protocol.visit(film.visit).id
        except ValueError:
            problems.append(
                (where, f"{film.label}: visit {film.visit!r} is not a visit of protocol "
                        f"{protocol.id} ({', '.join(v.id for v in protocol.visits)})")
            )  # fmt: skip
            continue
        if not who.strip():
            problems.append(
                (where, f"{film.label}: no reader; a read belongs to a reader: add a reader "
                        "column or give --reader")
            )  # fmt: skip
            continue
        groups[(film.subject, visit, who)].append(film)
    imports = [
        ReadImport(
            subject,
            visit,
            who,
            _corners(group),
            where=_where(group[0]),
        )
        for (subject, visit, who), group in sorted(groups.items())
    ]
    summary = ImportSummary()
    with store.writing() as session:
        problems += import_reads(
            session, protocol, imports, summary, actor=actor, reason=reason, role=role,
            source=source, register_unknown=register_unknown,
        )  # fmt: skip
        if problems:
            raise LandmarkError(
                f"{len(problems)} read(s) refused:{listed(problems)}",
                path=path,
                fix=refusal_fix(summary),
            )
    return summary


def _where(film: Landmarks) -> str:
    points = [p.source for p in film.points() if p.source]
    return points[0] if points else ""


def _corners(films: Sequence[Landmarks]) -> Callable[[ReadContent], ReadContent]:
    points = {
        (film.image, point.vertebra.value, point.corner.value): LandmarkPoint(
            film.film.value,
            film.image,
            point.vertebra.value,
            point.corner.value,
            point.row,
            point.col,
        )
        for film in films
        for point in film.points()
    }
    records = {
        film.image: FilmRecord(
            film.film.value, film.image, film.calibration, film.anterior_direction
        )
        for film in films
    }
    return lambda current: replace(current, landmarks=points, films=records)
