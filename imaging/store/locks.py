"""A manager's lock of a visit's reads after quality control.

:func:`lock_visit` freezes every read of one subject's visit: no read is started and none
corrected while it holds (the code refuses with the lock's reason; a database trigger refuses
the insert too). Locking signs each current read with the meaning ``locked``
(:mod:`imaging.store.signatures`). :func:`unlock_visit` lifts it, with a reason. Both are
audited and kept in the append-only ``visit_locks`` table: the newest row of a case is its
state. Unlike a read's own ``locked`` status (:func:`imaging.store.reads.lock`, final), a
visit lock can be lifted.
"""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from imaging.errors import ReadImmutableError, StoreError
from imaging.store.audit import record
from imaging.store.cases import case_names, get_case
from imaging.store.people import PersonRole, authorize, secured
from imaging.store.reader_access import blinded
from imaging.store.schema import Case, Read, VisitLock, utc_now
from imaging.store.signatures import SignatureMeaning, sign
from imaging.store.vocabulary import ReadStatus


def visit_lock(session: Session, case: Case) -> VisitLock | None:
    """The lock holding ``case``, or None when it is not locked."""
    if not secured(session):
        return None
    newest = session.scalars(
        select(VisitLock).where(VisitLock.case_pk == case.id).order_by(VisitLock.id.desc())
    ).first()
    return newest if newest is not None and newest.locked else None


def refuse_if_locked(session: Session, case: Case, what: str) -> None:
    """Raise :class:`~imaging.errors.ReadImmutableError` when ``case``'s visit is locked (to a
    reader's own PostgreSQL role, which may read only whether it is, without who or why)."""
    if blinded(session):
        newest = session.scalars(
            select(VisitLock.locked).where(VisitLock.case_pk == case.id)
            .order_by(VisitLock.id.desc())
        ).first()  # fmt: skip
        if newest:
            raise ReadImmutableError(
                f"{what}: case {case.reading_id} is locked",
                fix="A manager unlocks it first (spine-endpoints unlock, with a reason).",
            )
        return
    lock = visit_lock(session, case)
    if lock is not None:
        subject, visit = case_names(session, case)
        raise ReadImmutableError(
            f"{what}: {subject} {visit} was locked by {lock.actor} on "
            f"{lock.at:%Y-%m-%d %H:%M}Z ({lock.reason})",
            fix=f"A manager unlocks it first: spine-endpoints unlock {subject} {visit} "
            "--reason '...'.",
        )


def _current_reads(session: Session, case: Case) -> list[Read]:
    newest = (
        select(Read.reader, Read.repeat, func.max(Read.version).label("version"))
        .where(Read.case_pk == case.id)
        .group_by(Read.reader, Read.repeat)
        .subquery()
    )
    same = (
        (Read.reader == newest.c.reader)
        & (Read.repeat == newest.c.repeat)
        & (Read.version == newest.c.version)
    )
    return list(
        session.scalars(
            select(Read)
            .join(newest, same)
            .where(Read.case_pk == case.id)
            .order_by(Read.reader, Read.repeat)
        )
    )


def lock_visit(session: Session, subject: str, visit: str, *, actor: str, reason: str) -> int:
    """Lock the reads of ``subject`` at ``visit`` (a manager, with a reason); signs each current
    read ``locked`` and returns how many. Refused while a read of the visit is a draft."""
    case = _case(session, subject, visit, actor, reason, "lock")
    refuse_if_locked(session, case, "lock")
    reads = _current_reads(session, case)
    drafts = [r.reader for r in reads if r.status == ReadStatus.DRAFT]
    if drafts:
        raise StoreError(
            f"cannot lock {subject} {visit}: a draft of {', '.join(drafts)} is open",
            fix="The reader submits or discards the draft first.",
        )
    _record(session, case, True, actor, reason, subject, visit)
    for read in reads:
        sign(session, read, actor=actor, meaning=SignatureMeaning.LOCKED)
    return len(reads)


def unlock_visit(session: Session, subject: str, visit: str, *, actor: str, reason: str) -> None:
    """Lift the lock of ``subject`` at ``visit`` (a manager, with a reason)."""
    case = _case(session, subject, visit, actor, reason, "unlock")
    if visit_lock(session, case) is None:
        raise StoreError(f"{subject} {visit} is not locked")
    _record(session, case, False, actor, reason, subject, visit)


def _case(session: Session, subject: str, visit: str, actor: str, reason: str, what: str) -> Case:
    if not reason or not reason.strip():
        raise StoreError(f"{what} {subject} {visit}: a reason is needed", fix="--reason '...'")
    authorize(session, actor, f"{what} {subject} {visit}", roles=(PersonRole.MANAGER,))
    return get_case(session, subject, visit, actor=actor, create=False)


def _record(
    session: Session, case: Case, locked: bool, actor: str, reason: str, subject: str, visit: str
) -> None:
    session.add(
        VisitLock(case_pk=case.id, locked=locked, actor=actor, at=utc_now(), reason=reason.strip())
    )
    session.flush()
    action = "locked" if locked else "unlocked"
    record(session, actor=actor, action=action, entity="visit", entity_pk=case.id,
           subject=subject, visit=visit, reason=reason.strip())  # fmt: skip
