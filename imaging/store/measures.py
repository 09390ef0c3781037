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
from imaging.errors import ReadImmutableError
from imaging.protocol.model import Protocol
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
    session: Session,
    read: Read,
    content: ReadContent,
    protocol: Protocol,
    measures: Iterable[MeasureRow] | None,
    *,
    actor: str,
) -> None:
    """Save the draft's ``content``, store its ``measures`` (None keeps those it has, e.g. a
    grade form's correction) and submit it: every path that submits a read does it here."""
    save_draft(session, read, content, protocol)
    if measures is not None:
        replace_measures(session, read, measures)
    submit(session, read, actor=actor)
