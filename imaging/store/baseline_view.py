"""A reader's own baseline read beside a follow-up case, where the protocol allows it.

Reading a follow-up with the subject's baseline in view unblinds the reader to time order, so a
trial must say it allows it: ``[reading] show_own_baseline = true`` (docs/protocol-format.md).
Then :func:`own_baseline` gives, for a follow-up case being read, the same reader's latest read of
the subject at the protocol's baseline visit - its corners and films' calibrations - and the
baseline case's images, blinded as a worklist case's are (tokens, pixels; no path, date or
name). Otherwise, or at the baseline visit itself, or without such a read, it refuses with the
reason; nothing of another reader's read is ever given. A reader's own PostgreSQL role finds the
baseline case through the store (migration 0013), only where the design the store keeps for
the protocol allows it: the reader's protocol file alone cannot.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from imaging.errors import StoreError
from imaging.protocol.model import Protocol
from imaging.store.blinding import CaseImages, case_images, named_by_token
from imaging.store.reader_access import blinded, blinded_case, own_baseline_reading
from imaging.store.reading_design import shows_own_baseline
from imaging.store.reads import ReadContent, latest_version, read_content
from imaging.store.schema import Case


@dataclass(frozen=True)
class BaselineView:
    """The reader's baseline read (images named by the baseline case's tokens), its version and
    status, and the baseline case's images to load."""

    content: ReadContent
    version: int
    status: str
    images: CaseImages


def own_baseline(session: Session, case: Case, reader: str, protocol: Protocol) -> BaselineView:
    """``reader``'s own read of ``case``'s subject at the baseline visit, to show beside ``case``.

    Raises :class:`StoreError` saying why not: the protocol keeps reads blinded to time order,
    the case is the baseline, or the reader has no baseline read of the subject.
    """
    if not protocol.show_own_baseline:
        raise StoreError(
            f"protocol {protocol.id} keeps reads blinded to time order: a reader's baseline read "
            "is not shown beside a follow-up",
            fix="A trial that allows it sets [reading] show_own_baseline = true in its protocol.",
        )
    baseline_visit = protocol.baseline_visit
    if case.visit_id == baseline_visit:
        raise StoreError("this case is the baseline: there is no earlier read to show")
    if blinded(session):  # a reader's own role: the store's kept design decides, not the file
        baseline = _blinded_baseline(session, case, protocol)
    else:
        baseline = session.scalars(
            select(Case).where(Case.subject_pk == case.subject_pk, Case.visit_id == baseline_visit)
        ).first()
    read = None if baseline is None else latest_version(session, baseline, reader)
    if baseline is None or read is None:
        raise StoreError(
            f"reader {reader} has no baseline read of this case's subject to show beside it",
            fix="Read the subject's baseline case first.",
        )
    content = named_by_token(session, baseline.reading_id, read_content(session, read))
    return BaselineView(
        content, read.version, str(read.status), case_images(session, baseline.reading_id)
    )


def _blinded_baseline(session: Session, case: Case, protocol: Protocol) -> Case | None:
    """The baseline case of ``case``'s subject for a reader's own PostgreSQL role
    (:func:`~imaging.store.reader_access.own_baseline_reading`); None when the reader has no
    read of it; refused when the store keeps the protocol's design without show_own_baseline."""
    reading_id = own_baseline_reading(session, case.reading_id)
    if reading_id is not None:
        return blinded_case(session, reading_id)
    if not shows_own_baseline(session, protocol):
        raise StoreError(
            f"the store keeps protocol {protocol.id}'s reading design without show_own_baseline: "
            "a reader's own database role is not shown a baseline read beside a follow-up",
            fix="A manager registers images under the protocol again (spine-endpoints "
            "register), which keeps its reading design in the store.",
        )
    return None


def own_baseline_of(
    session: Session, reader: str, protocol: Protocol, *, reading_id: str = "",
    subject: str = "", visit: str = "",
) -> BaselineView:  # fmt: skip
    """:func:`own_baseline` of the worklist case ``reading_id`` (blinded), else of ``subject``
    at ``visit`` (films opened from files)."""
    from imaging.store.cases import get_case
    from imaging.store.worklist import case_for_reading

    if reading_id:
        case = case_for_reading(session, reading_id)
    else:
        case = get_case(session, subject, visit, actor=reader, create=False)
    return own_baseline(session, case, reader, protocol)
