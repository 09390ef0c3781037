"""Readers' qualification results in the store (``[reading.qualification]``).

A protocol may name a qualification set: subjects whose cases have reference reads. Until a
reader's newest result on the set (``qualifications`` table, append-only, migration 0009) says
passed, the reader gets the set's cases and no trial case: the worklist offers only the set, and
starting or importing a read of a trial case is refused with the reason
(:func:`unqualified_reason`, through :func:`imaging.store.worklist.read_refusal`). A qualified
reader no longer gets the set's cases. The reference reader reads the set only. The set's cases
are never trial endpoints (export, eligibility, agreement, ``batch --store``:
:attr:`~imaging.protocol.reading_design.ReadingDesign.qualification_subjects`).
:func:`record_result` stores a result (a manager's, once the store has people) with an audit
entry; the evaluation is :func:`imaging.agreement.qualification.evaluate_reader`.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from imaging.errors import StoreError
from imaging.protocol.model import Protocol
from imaging.store.audit import record
from imaging.store.people import PersonRole, authorize
from imaging.store.schema import Qualification, utc_now


def standing(session: Session, protocol: Protocol, reader: str) -> Qualification | None:
    """The reader's newest result on the protocol's set (None: never evaluated, or no set)."""
    found = protocol.reading_design.qualification
    if found is None:
        return None
    query = (
        select(Qualification)
        .where(Qualification.reader == reader, Qualification.qualification == found.id)
        .order_by(Qualification.checked_at.desc(), Qualification.id.desc())
    )
    return session.scalars(query).first()


def qualified(session: Session, protocol: Protocol, reader: str) -> bool:
    """The reader may read trial cases: no set in the protocol, or their newest result passed.
    The reference reader reads the set only."""
    found = protocol.reading_design.qualification
    if found is None:
        return True
    if reader == found.reference_reader:
        return False
    result = standing(session, protocol, reader)
    return result is not None and result.passed


def unqualified_reason(session: Session, protocol: Protocol, reader: str) -> str | None:
    """Why ``reader`` gets no trial case (None when they may read them)."""
    found = protocol.reading_design.qualification
    if found is None or qualified(session, protocol, reader):
        return None
    if reader == found.reference_reader:
        return (
            f"{reader} is the reference reader of qualification {found.id}: they read its "
            "cases only"
        )
    result = standing(session, protocol, reader)
    if result is None:
        state = "has not been evaluated on it"
    else:
        state = f"did not pass it ({result.checked_at:%Y-%m-%d}, checked by {result.checked_by})"
    return (
        f"{reader} gets trial cases once qualified: protocol {protocol.id} names the "
        f"qualification set {found.id} ({len(found.subjects)} subjects) and {reader} {state}"
    )


QUALIFY_FIX = (
    "The reader reads the qualification set's cases (their worklist offers them); a manager "
    "then runs `spine-endpoints qualification check READER`."
)


def record_result(
    session: Session, protocol: Protocol, reader: str, passed: bool, summary: str, *, actor: str
) -> Qualification:
    """Store a reader's result on the protocol's set, with an audit entry (a manager's once
    the store has people)."""
    found = protocol.reading_design.qualification
    if found is None:
        raise StoreError(
            f"protocol {protocol.id!r} names no qualification set",
            fix="Declare [reading.qualification] in the protocol (docs/protocol-format.md).",
        )
    authorize(session, actor, f"record {reader}'s qualification", roles=(PersonRole.MANAGER,))
    result = Qualification(
        reader=reader, qualification=found.id, passed=passed, summary=summary,
        checked_by=actor, checked_at=utc_now(),
    )  # fmt: skip
    session.add(result)
    session.flush()
    record(
        session, actor=actor, action="qualification", entity="qualification",
        entity_pk=result.id, field=found.id, new_value="passed" if passed else "not passed",
        reason=summary,
    )  # fmt: skip
    return result


def results(session: Session, protocol: Protocol) -> list[Qualification]:
    """Every result on the protocol's set, oldest first."""
    found = protocol.reading_design.qualification
    if found is None:
        return []
    query = select(Qualification).where(Qualification.qualification == found.id)
    return list(session.scalars(query.order_by(Qualification.checked_at, Qualification.id)))


__all__ = [
    "QUALIFY_FIX",
    "qualified",
    "record_result",
    "results",
    "standing",
    "unqualified_reason",
]
