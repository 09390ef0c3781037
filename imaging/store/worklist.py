"""Blinded worklists: a reader sees cases under reading ids, in an order of their own.

The order is by SHA-256 of (reader id, reading id): random-looking, different for every reader,
stable across sessions, and a case added later takes its place without reshuffling the others.
Items carry no subject, visit name or date. The mapping from reading id to subject and visit is
only for exports (:func:`unblinding_map`).

Given the protocol, a worklist follows its reading design (``[reading]``, docs/protocol-format.md):
a case is offered until it has ``reads_per_case`` reads by different readers, and never again to a
reader who read it; :func:`adjudication_worklist` lists the double-read cases whose reads set off
an adjudication trigger, with the triggers as reasons, to adjudicators who read neither;
:func:`repeats_due` lists the cases a reader is to read again (intra-reader repeats) once the
protocol's interval has passed since their first read, without pointing at that read. With a
qualification set (``[reading.qualification]``) a reader not yet qualified gets the set's cases
only, a qualified reader never (:mod:`imaging.store.qualification`).
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from imaging.errors import StoreError
from imaging.protocol.model import Protocol
from imaging.store.adjudication import decisions
from imaging.store.qualification import QUALIFY_FIX, qualified, unqualified_reason
from imaging.store.reader_access import (
    blinded,
    blinded_case,
    case_files,
    reading_cases,
    reading_ids,
)
from imaging.store.reading_design import qualification_cases as kept_qualification_cases
from imaging.store.schema import Case, Image, Read, Subject, utc_now
from imaging.store.triggered import KEEP_FIX, NOT_KEPT, adjudication_cases
from imaging.store.vocabulary import ReaderRole, ReadStatus


@dataclass(frozen=True)
class WorklistItem:
    """One case as a blinded reader sees it, with this reader's progress on it."""

    position: int
    reading_id: str
    status: ReadStatus
    version: int | None
    read_id: int | None
    image_count: int
    repeat: int = 0
    """0: the reader's read; 1: an intra-reader repeat, to be read blind to the first read
    (:mod:`imaging.store.repeats`; open the read with ``latest_version(..., repeat=1)``)."""


def _order_key(reader: str, reading_id: str) -> str:
    return hashlib.sha256(f"{reader}\x00{reading_id}".encode()).hexdigest()


def worklist(
    session: Session,
    reader: str,
    *,
    with_images_only: bool = False,
    protocol: Protocol | None = None,
    now: dt.datetime | None = None,
) -> list[WorklistItem]:
    """The reader's cases in the reader's own order, with this reader's progress on each.

    With ``protocol``: only cases this reader has a read of, or that other readers have fewer
    than ``reads_per_case`` primary reads of (each case read by that many different readers);
    then the reader's intra-reader repeats due (:func:`repeats_due`), ``repeat`` 1. With a
    qualification set: the set's cases (every reader reads them) until the reader is qualified,
    then the trial cases (:func:`~imaging.store.qualification.unqualified_reason` says why)."""
    if not reader.strip():
        raise StoreError("a worklist needs a reader id")
    cases, counts, others = _case_facts(session, reader)
    in_set: set[int] = set()
    if protocol is not None:
        in_set = qualification_cases(session, protocol)
        own = set(session.scalars(select(Read.case_pk).where(Read.reader == reader)))
        allowed = protocol.reading_design.reads_per_case
        full = {pk for pk, n in others.items() if n >= allowed} - own
        cases = [c for c in cases if c.id not in full - in_set]
        if in_set:
            learner = not qualified(session, protocol, reader)
            cases = [c for c in cases if (c.id in in_set) == learner]
    latest: dict[int, Read] = {}
    again: dict[int, Read] = {}
    for read in session.scalars(select(Read).where(Read.reader == reader)):
        newest = latest if read.repeat == 0 else again
        if read.case_pk not in newest or read.version > newest[read.case_pk].version:
            newest[read.case_pk] = read
    cases.sort(key=lambda c: _order_key(reader, c.reading_id))
    by_reading = {c.reading_id: c for c in cases}
    due = [] if protocol is None else repeats_due(session, protocol, reader, now=now)
    due = [r for r in due if r in by_reading and by_reading[r].id not in in_set]
    entries = [(c, latest.get(c.id), 0) for c in cases]
    entries += [(by_reading[r], again.get(by_reading[r].id), 1) for r in due if r in by_reading]
    items: list[WorklistItem] = []
    for case, current, repeat in entries:
        if with_images_only and not counts.get(case.id):
            continue
        items.append(
            WorklistItem(
                position=len(items) + 1,
                reading_id=case.reading_id,
                status=ReadStatus.TO_READ if current is None else ReadStatus(current.status),
                version=None if current is None else current.version,
                read_id=None if current is None else current.id,
                image_count=counts.get(case.id, 0),
                repeat=repeat,
            )
        )
    return items


def qualification_cases(session: Session, protocol: Protocol) -> set[int]:
    """The cases (keys) of the protocol's qualification set: not trial cases."""
    subjects = protocol.reading_design.qualification_subjects
    if not subjects:
        return set()
    if blinded(session):  # a reader's own role: from the design kept in the store
        return kept_qualification_cases(session, protocol)
    query = select(Case.id).join(Subject, Case.subject_pk == Subject.id)
    return set(session.scalars(query.where(Subject.subject_id.in_(subjects))))


def read_refusal(
    session: Session, protocol: Protocol, case: Case, reader: str, role: str = "primary"
) -> str | None:
    """Why the protocol's reading design has no room for a new read of ``case`` by ``reader``
    (None: there is): not qualified for a trial case (:mod:`imaging.store.qualification`), or a
    primary read beyond ``reads_per_case``. Any reader may read the qualification set; an
    adjudicator's read is never counted (an adjudicator's own PostgreSQL role reads the kept
    triggered cases only: :mod:`imaging.store.triggered`). Imports and the workstation both ask
    it."""
    if case.id in qualification_cases(session, protocol):
        return None
    unqualified = unqualified_reason(session, protocol, reader)
    if unqualified:
        return f"{unqualified}. {QUALIFY_FIX}"
    if role == ReaderRole.ADJUDICATOR:
        if blinded(session) and case.id not in {c.case_pk for c in adjudication_cases(session)}:
            return f"case {case.reading_id} {NOT_KEPT}. {KEEP_FIX}"  # the database refuses it too
        return None
    allowed = protocol.reading_design.reads_per_case
    if blinded(session):  # other readers' reads are out of sight: counted, not named
        count = _case_facts(session, reader)[2].get(case.id, 0)
        readers = [f"{count} other reader{'s' if count > 1 else ''}"] if count else []
    else:
        query = select(Read.reader).where(
            Read.case_pk == case.id, Read.role != ReaderRole.ADJUDICATOR.value, Read.repeat == 0
        )
        readers = sorted(set(session.scalars(query)) - {reader})
        count = len(readers)
    if count < allowed:
        return None
    return (
        f"already read by {' and '.join(readers)}; protocol {protocol.id} reads each case "
        f"{allowed} time{'s' if allowed > 1 else ''} (reads_per_case = {allowed}), so "
        f"{reader}'s read would be one too many. An adjudicator's read of a triggered case is "
        "made in the adjudicator role (imports: --role adjudicator); otherwise leave this "
        "reader's read out"
    )


def _case_facts(session: Session, reader: str) -> tuple[list[Case], dict[int, int], dict[int, int]]:
    """Every case, its number of images and how many readers other than ``reader`` made a
    primary read of it (drafts count: a case being read is taken). In a blinded session (a
    reader's own PostgreSQL role) from :func:`~imaging.store.reader_access.reading_cases`, the
    cases transient (never added to the session)."""
    if blinded(session):
        facts = reading_cases(session)
        cases = [Case(id=f.case_pk, reading_id=f.reading_id, visit_id="", subject_pk=0)
                 for f in facts]  # fmt: skip
        return (cases, {f.case_pk: f.image_count for f in facts},
                {f.case_pk: f.other_readers for f in facts})  # fmt: skip
    counts: dict[int, int] = {}
    for case_pk in session.scalars(select(Image.case_pk).where(Image.case_pk.is_not(None))):
        if case_pk is not None:
            counts[case_pk] = counts.get(case_pk, 0) + 1
    readers = (
        select(Read.case_pk, func.count(func.distinct(Read.reader)))
        .where(Read.role != ReaderRole.ADJUDICATOR.value, Read.repeat == 0, Read.reader != reader)
        .group_by(Read.case_pk)
    )
    others = {pk: n for pk, n in session.execute(readers).all()}
    return list(session.scalars(select(Case))), counts, others


@dataclass(frozen=True)
class AdjudicationItem:
    """A triggered double-read case on an adjudicator's worklist: its reading id, the triggers
    (reasons), the two readers and where the adjudication stands."""

    position: int
    reading_id: str
    reasons: tuple[str, ...]
    readers: tuple[str, str]
    status: str
    """``to adjudicate``, ``draft`` or ``adjudicated``."""


def adjudication_worklist(
    session: Session, protocol: Protocol, adjudicator: str, *, done: bool = False
) -> list[AdjudicationItem]:
    """The triggered cases an adjudicator may adjudicate (not their own reads; not another
    adjudicator's), in the adjudicator's own order; ``done`` also lists submitted ones."""
    if not adjudicator.strip():
        raise StoreError("an adjudication worklist needs the adjudicator's id")
    items: list[AdjudicationItem] = []
    found = [d for d in decisions(session, protocol) if d.fired]
    found.sort(key=lambda d: _order_key(adjudicator, d.reads.reading_id))
    for decided in found:
        first, second = (c.read.reader for c in decided.reads.primaries[:2])
        made = decided.adjudication
        if adjudicator in (first, second) or (made is not None and made.adjudicator != adjudicator):
            continue
        if decided.submitted and not done:
            continue
        items.append(
            AdjudicationItem(
                len(items) + 1, decided.reads.reading_id,
                tuple(t.reason for t in decided.fired), (first, second), decided.status,
            )
        )  # fmt: skip
    return items


def repeats_due(
    session: Session, protocol: Protocol, reader: str, *, now: dt.datetime | None = None
) -> list[str]:
    """Reading ids the reader is to read again (``[reading.repeats]``): cases drawn for this
    reader whose first read was submitted at least ``after_days`` days before ``now``."""
    repeats = protocol.reading_design.repeats
    if repeats is None:
        return []
    now = now or utc_now()
    first_submitted = (
        select(Read.case_pk, func.min(Read.submitted_at))
        .where(Read.reader == reader, Read.repeat == 0, Read.submitted_at.is_not(None))
        .group_by(Read.case_pk)
    )
    if blinded(session):
        ids = reading_ids(session)
    else:
        ids = {pk: rid for pk, rid in session.execute(select(Case.id, Case.reading_id)).all()}
    due = [
        reading_id
        for reading_id, submitted in (
            (ids[pk], when) for pk, when in session.execute(first_submitted).all()
        )
        if submitted is not None
        and _aware(submitted) + dt.timedelta(days=repeats.after_days) <= now
        and repeats.chosen(reader, reading_id)
    ]
    return sorted(due, key=lambda r: _order_key(f"repeat\x00{reader}", r))


def _aware(when: dt.datetime) -> dt.datetime:
    """An aggregate (MIN) comes back without its zone on SQLite: it is UTC."""
    return when if when.tzinfo is not None else when.replace(tzinfo=dt.UTC)


def case_for_reading(session: Session, reading_id: str) -> Case:
    """The case ``reading_id`` (in a blinded session a transient case:
    :func:`~imaging.store.reader_access.blinded_case`)."""
    if blinded(session):
        return blinded_case(session, reading_id)
    case = session.scalars(select(Case).where(Case.reading_id == reading_id)).first()
    if case is None:
        raise StoreError(f"no case with reading id {reading_id!r}")
    return case


def images_for_reading(session: Session, reading_id: str) -> list[tuple[int, str, str]]:
    """(image id, path, film) of a case, for the viewer to open; no dates or names. The path is
    resolved against the image's archive root (:mod:`imaging.store.archive_roots`)."""
    return [(pk, file, film) for pk, _, _, file, film, _ in case_files(session, reading_id)]


def unblinding_map(session: Session) -> dict[str, tuple[str, str]]:
    """reading id -> (subject, visit). For exports only, never for a reader's screen."""
    rows = session.execute(
        select(Case.reading_id, Subject.subject_id, Case.visit_id).join(
            Subject, Case.subject_pk == Subject.id
        )
    ).all()
    return {r: (s, v) for r, s, v in rows}
