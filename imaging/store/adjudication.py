"""Adjudication of double-read cases in the store, and the endpoint rows it makes.

When a protocol reads each case twice (``[reading] reads_per_case = 2``), the two readers'
current reads are compared with the protocol's triggers
(:func:`imaging.protocol.adjudication.triggers`, on the rows of :mod:`imaging.store.read_rows`:
no measure is computed again). A triggered case goes to the adjudicators' worklist
(:func:`imaging.store.worklist.adjudication_worklist`). An adjudicator, never one of the case's
readers, takes one read per item (:func:`choose`: a grade per level and item, the corners per
film) from either reader or from a third read of their own (role ``adjudicator``), each with a
reason, and submits (:func:`submit_adjudication`), which needs every triggered item decided
and signs the decision (:func:`imaging.store.signatures.sign_adjudication`: meaning
``adjudicated``, bound to its content's hash; final from then on). Every choice, the submission
and the signature are audited. A reader's later correction makes the adjudication
stale: the case is compared again and goes back to the worklist if still triggered.

:func:`case_rows` gives every case's endpoint rows with their ``origin``; :func:`resolutions`
gives what ``batch --store`` needs to make the same rows from the corners it measures.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from imaging.endpoints import EndpointRow, MeasureRules
from imaging.errors import StoreError
from imaging.protocol.adjudication import (
    DYNAMIC_FILMS,
    FILM,
    GRADE,
    Choice,
    DecisionKey,
    ReadRows,
    Resolution,
    Trigger,
    case_endpoint,
    decision_text,
    single_reads,
    triggers,
)
from imaging.protocol.model import Protocol
from imaging.store.audit import record
from imaging.store.current_reads import CurrentRead, current_reads
from imaging.store.read_rows import read_rows, study_days
from imaging.store.reader_access import blinded, blinded_case
from imaging.store.schema import Adjudication, AdjudicationChoice, Case, Read, utc_now
from imaging.store.signatures import sign_adjudication
from imaging.store.triggered import KEEP_FIX, NOT_KEPT, adjudication_cases
from imaging.store.vocabulary import ReaderRole

DRAFT, SUBMITTED = "draft", "submitted"
FILMS = ("neutral", *DYNAMIC_FILMS)


@dataclass
class CaseReads:
    """A case's current reads: the primary reads (in the order they were started) and the
    adjudicator's own read, if any."""

    case_pk: int
    subject: str
    visit: str
    reading_id: str
    primaries: list[CurrentRead] = field(default_factory=list)
    third: CurrentRead | None = None


@dataclass(frozen=True)
class CaseDecision:
    """What a double-read case needs: its triggers, and the current adjudication (None when
    there is none on these two read versions)."""

    reads: CaseReads
    fired: tuple[Trigger, ...]
    adjudication: Adjudication | None
    choices: Mapping[DecisionKey, Choice]
    rows: Mapping[str, ReadRows]

    @property
    def status(self) -> str:
        """``to adjudicate``, ``draft`` or ``adjudicated`` (nothing fired: ``agreeing``)."""
        if not self.fired:
            return "agreeing"
        if self.adjudication is None:
            return "to adjudicate"
        return "adjudicated" if self.adjudication.status == SUBMITTED else DRAFT

    @property
    def submitted(self) -> bool:
        return self.adjudication is not None and self.adjudication.status == SUBMITTED


def case_reads(
    session: Session, subject: str | None = None, leave_out: frozenset[str] = frozenset()
) -> list[CaseReads]:
    """Every case with a current read, its reads grouped; subjects in ``leave_out`` (the
    protocol's qualification set: never trial endpoints) left out. In a blinded session (an
    adjudicator's own PostgreSQL role) the kept triggered cases it may adjudicate only
    (:func:`~imaging.store.triggered.adjudication_cases`), with their visit and no subject."""
    visits = None
    if blinded(session):
        visits = {c.case_pk: c.visit for c in adjudication_cases(session)}
    started = {
        (case_pk, reader): first
        for case_pk, reader, first in session.execute(
            select(Read.case_pk, Read.reader, func.min(Read.id))
            .where(Read.repeat == 0)
            .group_by(Read.case_pk, Read.reader)
        ).all()
    }
    cases: dict[int, CaseReads] = {}
    for current in current_reads(session, subject):
        read = current.read
        if current.subject in leave_out or (visits is not None and read.case_pk not in visits):
            continue
        visit = current.visit if visits is None else visits[read.case_pk]
        entry = cases.setdefault(
            read.case_pk, CaseReads(read.case_pk, current.subject, visit, current.reading_id)
        )
        if read.role == ReaderRole.ADJUDICATOR:
            entry.third = current
        else:
            entry.primaries.append(current)
    for entry in cases.values():
        entry.primaries.sort(key=lambda c: started.get((c.read.case_pk, c.read.reader), 0))
    return list(cases.values())


def _read_rows(
    session: Session, current: CurrentRead, protocol: Protocol, rules: MeasureRules, day: int | None
) -> ReadRows:
    rows = read_rows(session, current, protocol, rules, day)
    return ReadRows(current.read.reader, rows, current.read.version)


def _decision(
    session: Session, protocol: Protocol, reads: CaseReads, rules: MeasureRules, day: int | None
) -> CaseDecision:
    rows = {
        c.read.reader: _read_rows(session, c, protocol, rules, day)
        for c in (*reads.primaries[:2], *([reads.third] if reads.third else []))
    }
    first, second = (rows[c.read.reader] for c in reads.primaries[:2])
    fired = tuple(triggers(protocol, first, second))
    adjudication = _current_adjudication(session, reads)
    choices: dict[DecisionKey, Choice] = {}
    if adjudication is not None:
        readers = {c.read.id: c.read.reader for c in reads.primaries[:2]}
        if reads.third is not None:
            readers[reads.third.read.id] = reads.third.read.reader
        for choice in session.scalars(
            select(AdjudicationChoice).where(AdjudicationChoice.adjudication_pk == adjudication.id)
        ):
            reader = readers.get(choice.read_pk)
            if reader is not None:  # a third read corrected since: its choice no longer holds
                key = (choice.kind, choice.level, choice.item)
                choices[key] = Choice(reader, adjudication.adjudicator, choice.reason)
    return CaseDecision(reads, fired, adjudication, choices, rows)


def _current_adjudication(session: Session, reads: CaseReads) -> Adjudication | None:
    first, second = (c.read.id for c in reads.primaries[:2])
    return session.scalars(
        select(Adjudication).where(
            Adjudication.case_pk == reads.case_pk,
            Adjudication.first_read_pk == first,
            Adjudication.second_read_pk == second,
        )
    ).first()


def decisions(
    session: Session, protocol: Protocol, subject: str | None = None
) -> list[CaseDecision]:
    """Every case read twice, with its triggers and current adjudication."""
    rules = MeasureRules.from_protocol(protocol)
    days = study_days(session, protocol)
    return [
        _decision(session, protocol, reads, rules, days.get(reads.case_pk))
        for reads in case_reads(session, subject, protocol.reading_design.qualification_subjects)
        if len(reads.primaries) >= 2
    ]


def case_rows(
    session: Session, protocol: Protocol, subject: str | None = None
) -> list[EndpointRow]:
    """Every case's endpoint rows (not yet completed with change from baseline): one read's rows
    (``single read``), or for a case read twice the rows
    :func:`~imaging.protocol.adjudication.case_endpoint` makes of its two reads and its submitted
    adjudication."""
    rules = MeasureRules.from_protocol(protocol)
    days = study_days(session, protocol)
    rows: list[EndpointRow] = []
    for reads in case_reads(session, subject, protocol.reading_design.qualification_subjects):
        day = days.get(reads.case_pk)
        if len(reads.primaries) < 2:
            alone = [*reads.primaries, *([reads.third] if reads.third else [])]
            rows.extend(single_reads(_read_rows(session, c, protocol, rules, day) for c in alone))
            continue
        decided = _decision(session, protocol, reads, rules, day)
        first, second = (decided.rows[c.read.reader] for c in reads.primaries[:2])
        third = decided.rows.get(reads.third.read.reader) if reads.third else None
        choices = decided.choices if decided.submitted else {}
        rows.extend(case_endpoint(protocol, first, second, decided.fired, choices, third))
    return rows


def resolutions(session: Session, protocol: Protocol) -> dict[tuple[str, str], Resolution]:
    """(subject, visit) -> :class:`Resolution` of every case read twice."""
    out: dict[tuple[str, str], Resolution] = {}
    for decided in decisions(session, protocol):
        reads = decided.reads
        first, second = (c.read.reader for c in reads.primaries[:2])
        third = reads.third.read.reader if reads.third else ""
        choices = decided.choices if decided.submitted else {}
        out[(reads.subject, reads.visit)] = Resolution(
            (first, second), third, decided.fired, choices
        )
    return out


def _case_decision(session: Session, protocol: Protocol, reading_id: str) -> CaseDecision:
    if blinded(session):  # an adjudicator's own role: a kept triggered case
        case_pk = blinded_case(session, reading_id).id
    else:
        case = session.scalars(select(Case).where(Case.reading_id == reading_id)).first()
        if case is None:
            raise StoreError(f"no case with reading id {reading_id!r}")
        case_pk = case.id
    for reads in case_reads(session):
        if reads.case_pk == case_pk and len(reads.primaries) >= 2:
            rules = MeasureRules.from_protocol(protocol)
            day = study_days(session, protocol).get(case_pk)
            return _decision(session, protocol, reads, rules, day)
    if blinded(session):
        raise StoreError(f"case {reading_id} {NOT_KEPT}", fix=KEEP_FIX)
    raise StoreError(
        f"case {reading_id} does not have two submitted reads: there is nothing to adjudicate",
        fix="Adjudicate once both readers have submitted their reads.",
    )


def decision_for(session: Session, protocol: Protocol, reading_id: str) -> CaseDecision:
    """The case's two reads (and a third read), triggers, adjudication and choices."""
    return _case_decision(session, protocol, reading_id)


def _check_adjudicator(decided: CaseDecision, adjudicator: str) -> None:
    if not adjudicator.strip():
        raise StoreError("an adjudication needs the adjudicator's id")
    readers = [c.read.reader for c in decided.reads.primaries[:2]]
    if adjudicator in readers:
        raise StoreError(
            f"{adjudicator} read case {decided.reads.reading_id}: a reader never adjudicates "
            "their own read",
            fix="Another adjudicator adjudicates this case.",
        )
    if not decided.fired:
        raise StoreError(
            f"case {decided.reads.reading_id}: the two reads set off no adjudication trigger",
            fix="Only triggered cases are adjudicated (the adjudication worklist lists them).",
        )
    made = decided.adjudication
    if made is not None and made.adjudicator != adjudicator:
        raise StoreError(
            f"case {decided.reads.reading_id} is adjudicated by {made.adjudicator} ({made.status})"
        )
    if made is not None and made.status == SUBMITTED:
        raise StoreError(
            f"the adjudication of case {decided.reads.reading_id} is submitted: it is final",
            fix="A reader's correction of a read reopens the case for adjudication.",
        )


def choose(
    session: Session,
    protocol: Protocol,
    reading_id: str,
    adjudicator: str,
    key: DecisionKey,
    reader: str,
    reason: str,
) -> None:
    """Take ``reader``'s read (one of the two readers, or ``adjudicator``'s own third read) for
    the item ``key`` (``grade_key(level, item)`` or ``film_key(film)``), with ``reason``."""
    decided = _case_decision(session, protocol, reading_id)
    _check_adjudicator(decided, adjudicator)
    if not reason or not reason.strip():
        raise StoreError(
            f"taking {reader}'s read for {decision_text(key)} needs a reason",
            fix="Say why this read is right (e.g. 'endplate contour followed on the T2').",
        )
    kind, level, item = key
    if kind == GRADE:
        protocol.item(item)
        protocol.level(level)
    elif kind != FILM or item not in FILMS:
        raise StoreError(
            f"{decision_text(key)} is not an item to adjudicate",
            fix=f"Adjudicate a grade (level, item) or a film's corners ({', '.join(FILMS)}).",
        )
    reads = decided.reads
    by_reader = {c.read.reader: c.read for c in reads.primaries[:2]}
    if reads.third is not None and reads.third.read.reader == adjudicator:
        by_reader[adjudicator] = reads.third.read
    if reader not in by_reader:
        raise StoreError(
            f"case {reading_id}: {reader!r} has no read to take",
            fix=f"Take the read of {' or '.join(by_reader)}; for a third read, submit your "
            "own read of the case (role adjudicator) first.",
        )
    adjudication = decided.adjudication
    subject, visit = reads.subject, reads.visit
    if adjudication is None:
        first, second = reads.primaries[:2]
        adjudication = Adjudication(
            case_pk=reads.case_pk, adjudicator=adjudicator, first_read_pk=first.read.id,
            second_read_pk=second.read.id, status=DRAFT, started_at=utc_now(),
            reasons="\n".join(t.reason for t in decided.fired),
        )  # fmt: skip
        session.add(adjudication)
        session.flush()
        record(
            session, actor=adjudicator, action="started", entity="adjudication",
            entity_pk=adjudication.id, subject=subject, visit=visit, field="adjudication",
            new_value=DRAFT, reason=adjudication.reasons,
        )  # fmt: skip
    old = decided.choices.get(key)
    session.execute(
        delete(AdjudicationChoice).where(
            AdjudicationChoice.adjudication_pk == adjudication.id,
            AdjudicationChoice.kind == kind,
            AdjudicationChoice.level == level,
            AdjudicationChoice.item == item,
        )
    )
    taken = by_reader[reader]
    session.add(
        AdjudicationChoice(
            adjudication_pk=adjudication.id, kind=kind, level=level, item=item,
            read_pk=taken.id, reason=reason.strip(), decided_at=utc_now(),
        )
    )  # fmt: skip
    session.flush()
    record(
        session, actor=adjudicator, action="adjudicated", entity="adjudication",
        entity_pk=adjudication.id, subject=subject, visit=visit, field=decision_text(key),
        old_value=None if old is None else old.reader,
        new_value=f"{reader} (version {taken.version})", reason=reason.strip(),
    )  # fmt: skip


def submit_adjudication(
    session: Session, protocol: Protocol, reading_id: str, adjudicator: str
) -> list[str]:
    """Submit the adjudication: every item a trigger names must have a read taken. Returns the
    decided items ('L4-L5 pfirrmann: reader-2')."""
    decided = _case_decision(session, protocol, reading_id)
    _check_adjudicator(decided, adjudicator)
    needed = [key for trigger in decided.fired for key in trigger.decides]
    missing = [decision_text(k) for k in dict.fromkeys(needed) if k not in decided.choices]
    if missing:
        raise StoreError(
            f"case {reading_id}: no read is taken for {', '.join(missing)}",
            fix="Take one reader's read (or your third read) for each, with a reason.",
        )
    adjudication = decided.adjudication
    if adjudication is None:  # e.g. only the eligibility verdict differed: nothing to take
        raise StoreError(
            f"case {reading_id}: nothing is decided yet",
            fix="Take a read for at least one item (the one that decides the verdict).",
        )
    adjudication.status = SUBMITTED
    adjudication.submitted_at = utc_now()
    session.flush()
    record(
        session, actor=adjudicator, action="submitted", entity="adjudication",
        entity_pk=adjudication.id, subject=decided.reads.subject, visit=decided.reads.visit,
        field="adjudication", old_value=DRAFT, new_value=SUBMITTED, reason=adjudication.reasons,
    )  # fmt: skip
    sign_adjudication(session, adjudication, actor=adjudicator)
    return [f"{decision_text(k)}: {c.reader}" for k, c in sorted(decided.choices.items())]


def pending(decided: Sequence[CaseDecision]) -> list[CaseDecision]:
    """The triggered cases whose adjudication is not submitted."""
    return [d for d in decided if d.fired and not d.submitted]
