"""The measures stored with a read: endpoint rows computed from its corners, with the software.

A read's measures are rows of the one endpoint table (:mod:`imaging.endpoints`), computed by
:func:`imaging.endpoints.endpoint_rows` from the read's landmarks and each film's calibration when
the read is submitted, and stored beside it with the software version that computed them. A
correction recomputes them. Nothing else writes :class:`~imaging.store.schema.Measurement` rows.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol as TypingProtocol

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from imaging import __version__
from imaging.anatomy import Corner, Film, Vertebra
from imaging.endpoints import (
    EndpointRow,
    FilmCorners,
    Grade,
    MeasureRules,
    StudyRead,
    corners_label,
    endpoint_rows,
    kept_click_note,
)
from imaging.errors import LandmarkError, ReadImmutableError, SpineEndpointsError, StoreError
from imaging.geometry.landmarks import Landmarks
from imaging.protocol.model import Protocol
from imaging.store.cases import case_names
from imaging.store.reader_access import blinded, case_label, case_of_pk
from imaging.store.reads import ReadContent, save_draft, submit
from imaging.store.schema import Measurement, Read


class MeasureRow(TypingProtocol):
    """What is stored of an endpoint row (:class:`imaging.endpoints.EndpointRow`)."""

    @property
    def level(self) -> str: ...
    @property
    def measure(self) -> str: ...
    @property
    def value(self) -> float | None: ...
    @property
    def unit(self) -> str: ...
    @property
    def calibration(self) -> str: ...
    @property
    def film(self) -> str: ...
    @property
    def corners(self) -> str: ...
    @property
    def reference_levels(self) -> str: ...
    @property
    def source_image(self) -> str: ...
    @property
    def note(self) -> str: ...
    @property
    def grade(self) -> str: ...


def replace_measures(
    session: Session,
    read: Read,
    rows: Iterable[MeasureRow],
    *,
    software_version: str = __version__,
) -> int:
    """Store ``rows`` as the measures of the draft ``read`` (replacing any); returns the count."""
    if read.status != "draft":
        raise ReadImmutableError(
            f"read {read.id} (reader {read.reader}, version {read.version}) is {read.status}: "
            "its measures are final",
            fix="Correct the read (a new version with a reason); its measures are recomputed.",
        )
    session.execute(delete(Measurement).where(Measurement.read_pk == read.id))
    count = 0
    for row in rows:
        if row.grade:
            continue  # grades are the read's own values, stored as such
        session.add(
            Measurement(
                case_pk=read.case_pk, read_pk=read.id, level=row.level, measure=row.measure,
                value=row.value, unit=row.unit, calibration=row.calibration, film=row.film,
                corners=row.corners, reader=read.reader, reference_levels=row.reference_levels,
                source_image=row.source_image, note=row.note, software_version=software_version,
            )
        )  # fmt: skip
        count += 1
    session.flush()
    return count


def read_measures(session: Session, read: Read) -> list[Measurement]:
    """The measures stored with ``read``, in the order they were stored."""
    query = select(Measurement).where(Measurement.read_pk == read.id).order_by(Measurement.id)
    return list(session.scalars(query))


def submit_with_measures(
    session: Session, read: Read, content: ReadContent, protocol: Protocol, *, actor: str
) -> None:
    """Save the draft's ``content``, compute its measures from it and store them, and submit it:
    every path that submits a read (the workstation, ``grades import``, ``landmarks import``)
    does it here, so a read's measures always follow its current corners, films and grades."""
    save_draft(session, read, content, protocol)
    case = case_of_pk(session, read.case_pk)
    # a reader's own role: the case by reading id; no visit in a message its session sees
    subject, visit = (
        (case_label(session, case), "") if blinded(session) else case_names(session, case)
    )
    rows = content_rows(subject, visit, read.reader, read.version, content, protocol)
    if rows is not None:
        replace_measures(session, read, rows)
    submit(session, read, actor=actor)


def content_rows(
    subject: str,
    visit: str,
    reader: str,
    version: int | None,
    content: ReadContent,
    protocol: Protocol,
) -> list[EndpointRow] | None:
    """The endpoint rows of a read's content through :func:`imaging.endpoints.endpoint_rows`:
    each film's corners with the calibration stored with it, and the read's grades. None when
    corners lie on an image without a stored film (reads stored before films were kept: their
    stored measures stand)."""
    by_image: dict[str, dict[Vertebra, dict[Corner, tuple[float, float]]]] = {}
    uses: dict[str, list[tuple[str, str, str | None]]] = {}
    for point in content.landmarks.values():
        placed = by_image.setdefault(point.image, {}).setdefault(Vertebra(point.vertebra), {})
        placed[Corner(point.corner)] = (point.row, point.col)
        use = (f"{point.vertebra} {point.corner}", str(point.used), point.refinement_status)
        uses.setdefault(point.image, []).append(use)
    if any(image not in content.films for image in by_image):
        return None
    films = []
    for image, corners in by_image.items():
        record = content.films[image]
        try:
            landmarks = Landmarks(
                corners, Film(record.film), record.calibration, image=image, subject=subject,
                visit=visit, reader=reader, anterior_direction=record.anterior_direction,
            )  # fmt: skip
        except LandmarkError as error:
            raise StoreError(
                f"{subject} {visit}, reader {reader}: the {record.film} film's corners cannot be "
                f"measured: {error.reason}",
                fix="Correct the corners before submitting.",
            ) from error
        label = corners_label(use for _, use, _ in uses[image])
        films.append(FilmCorners(landmarks, label, kept_click_note(record.film, uses[image])))
    grades = tuple(
        Grade(level, item, code, grade_score(protocol, item, code))
        for (level, item), code in sorted(content.grades.items())
    )
    read = StudyRead(subject, visit, reader, version, films=tuple(films), grades=grades)
    return endpoint_rows(read, MeasureRules.from_protocol(protocol))


def grade_score(protocol: Protocol, item: str, code: str) -> float | None:
    """:meth:`Protocol.score`, None for an item of another protocol version (kept, unscored)."""
    try:
        return protocol.score(item, code)
    except (SpineEndpointsError, ValueError):
        return None
