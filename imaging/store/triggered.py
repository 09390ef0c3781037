"""The triggered cases kept in a PostgreSQL store for adjudicators' own roles (migration 0012).

Which double-read cases an adjudicator may adjudicate follows from the protocol's triggers
(:func:`imaging.protocol.adjudication.triggers`), computed in Python from both reads; the
database cannot compute them, so a process that reads every case (a manager's or the store
owner's) keeps them: :func:`keep` (``spine-endpoints adjudication triggers``), and
:func:`refresh` after a manager's import of reads. An adjudicator connected as their own role
then gets the kept cases whose two reads are still current and not theirs
(:func:`adjudication_cases`; the visit id, never the subject), and the database refuses their
adjudication or adjudicator's read of any other case. A reader's own role cannot compute the
triggers (it sees no other reader's read), so its correction leaves the case stale until a
manager keeps the cases again: :func:`empty_worklist_reason` tells the adjudicator so, naming
the stale cases (migration 0016). On SQLite, and on a store before 0012, nothing is kept: the
adjudicator is the login and the store's code compares the reads.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy import text
from sqlalchemy.orm import Session

from imaging.errors import StoreError
from imaging.store.audit import record
from imaging.store.cases import case_names
from imaging.store.reader_access import blinded
from imaging.store.reading_design import kept
from imaging.store.schema import Case, utc_now

if TYPE_CHECKING:
    from imaging.protocol.model import Protocol
    from imaging.store.adjudication import CaseDecision

TABLE = "triggered_cases"
NOT_KEPT = (
    "is not a triggered case kept for your adjudication: its two current reads set off no "
    "trigger, a manager has not kept it since they were submitted, or you read it"
)
KEEP_COMMAND = "spine-endpoints adjudication triggers"
KEEP_FIX = (
    f"A manager keeps the triggered cases after reads are submitted or corrected ({KEEP_COMMAND})."
)


@dataclass(frozen=True)
class AdjudicationCase:
    """A kept triggered case as an adjudicator's role sees it: no subject or date."""

    case_pk: int
    reading_id: str
    visit: str
    read_pks: tuple[int, int]
    """The first and second readers' read versions the triggers were found on."""


def adjudication_cases(session: Session) -> list[AdjudicationCase]:
    """The kept triggered cases the connecting adjudicator may adjudicate (their two reads still
    current, neither the caller's); none for anyone else's role."""
    rows = session.execute(text("SELECT * FROM spine_adjudication_cases()")).all()
    return [AdjudicationCase(int(pk), str(rid), str(visit), (int(a), int(b)))
            for pk, rid, visit, a, b in rows]  # fmt: skip


def keep(session: Session, decided: Sequence[CaseDecision], *, actor: str) -> list[str]:
    """Keep the triggered cases among ``decided`` (:func:`imaging.store.adjudication.decisions`,
    from a session that reads every case) for adjudicators' roles, replacing what was kept; a
    case no longer triggered is dropped. Each change is audited (``kept`` / ``dropped``, with
    the case's subject, visit and reading id and the two read versions kept or dropped).
    Returns the reading ids that changed; nothing on a store that keeps none."""
    if not kept(session, TABLE):
        return []
    if blinded(session):
        raise StoreError(
            "a reader's or adjudicator's own database role does not see every read and case, so "
            "it cannot keep the triggered cases",
            fix=KEEP_FIX,
        )
    old = {
        int(pk): (int(a), int(b))
        for pk, a, b in session.execute(
            text(f"SELECT case_pk, first_read_pk, second_read_pk FROM {TABLE}")
        ).all()
    }
    changed: list[str] = []
    seen: set[int] = set()
    for decision in decided:
        reads = decision.reads
        if not decision.fired:
            continue
        seen.add(reads.case_pk)
        pair = (reads.primaries[0].read.id, reads.primaries[1].read.id)
        if old.get(reads.case_pk) == pair:
            continue
        reasons = "\n".join(t.reason for t in decision.fired)
        session.execute(
            text(
                f"INSERT INTO {TABLE} (case_pk, first_read_pk, second_read_pk, reasons, kept_by, "
                "kept_at) VALUES (:case, :first, :second, :reasons, :actor, :at) "
                "ON CONFLICT (case_pk) DO UPDATE SET first_read_pk = EXCLUDED.first_read_pk, "
                "second_read_pk = EXCLUDED.second_read_pk, reasons = EXCLUDED.reasons, "
                "kept_by = EXCLUDED.kept_by, kept_at = EXCLUDED.kept_at"
            ),
            {"case": reads.case_pk, "first": pair[0], "second": pair[1], "reasons": reasons,
             "actor": actor, "at": utc_now()},
        )  # fmt: skip
        record(
            session, actor=actor, action="kept", entity="triggered case", entity_pk=reads.case_pk,
            subject=reads.subject, visit=reads.visit, field=reads.reading_id,
            new_value=f"reads {pair[0]} and {pair[1]}", reason=reasons,
        )  # fmt: skip
        changed.append(reads.reading_id)
    for case_pk in sorted(set(old) - seen):
        case = session.get_one(Case, case_pk)
        subject, visit = case_names(session, case)
        session.execute(text(f"DELETE FROM {TABLE} WHERE case_pk = :pk"), {"pk": case_pk})
        first, second = old[case_pk]
        record(
            session, actor=actor, action="dropped", entity="triggered case", entity_pk=case_pk,
            subject=subject, visit=visit, field=case.reading_id,
            old_value=f"reads {first} and {second}", reason="its current reads set off no trigger",
        )  # fmt: skip
        changed.append(case.reading_id)
    return changed


def refresh(session: Session, protocol: Protocol, *, actor: str) -> list[str]:
    """Keep the triggered cases up to date (:func:`keep` of every case's decision) when the
    store keeps them and ``session`` reads every case (a manager's or the owner's); else
    nothing. Returns the reading ids that changed."""
    if not kept(session, TABLE) or blinded(session):
        return []
    from imaging.store.adjudication import decisions  # it imports this module

    return keep(session, [d for d in decisions(session, protocol) if d.fired], actor=actor)


def stale_cases(session: Session) -> list[str]:
    """Reading ids of kept cases one of whose reads was corrected since a manager kept them,
    for an adjudicator's own role (neither read theirs); none elsewhere."""
    if not (blinded(session) and kept(session, TABLE)):
        return []
    rows = session.execute(text("SELECT reading_id FROM spine_stale_adjudication_cases()"))
    return [str(rid) for rid in rows.scalars()]


def empty_worklist_reason(session: Session) -> str:
    """Why an adjudicator's worklist is empty, in words for the adjudicator."""
    if not (blinded(session) and kept(session, TABLE)):
        return "No case to adjudicate: no double-read case's reads set off a trigger left open"
    stale = stale_cases(session)
    if stale:
        return (
            f"No case to adjudicate now: a read of {', '.join(stale)} was corrected since a "
            f"manager kept it for adjudication; it returns once a manager runs {KEEP_COMMAND} "
            "again"
        )
    if adjudication_cases(session):
        return "No case to adjudicate: every kept case is adjudicated"
    return (
        f"No case kept for adjudication yet: a manager runs {KEEP_COMMAND} after reads are "
        "submitted or corrected"
    )
