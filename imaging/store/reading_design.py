"""The protocol's reading design kept in a PostgreSQL store (migration 0011), so that the database
itself holds a reader's own role to it: reads per case, the qualification set, repeats after a
first read, adjudicators' reads by adjudicators (a trigger on ``reads``), and whether a reader's
own baseline read is shown beside a follow-up (``show_own_baseline``, migration 0013).

:func:`publish` writes it: registering images under a protocol does (a manager's or the owner's
registration), so a store's design follows the protocol it is registered under. On SQLite, and on
a store before 0011, nothing is kept: the store's code checks the design
(:func:`imaging.store.worklist.read_refusal`).
"""

from __future__ import annotations

from sqlalchemy import inspect, text
from sqlalchemy.orm import Session

from imaging.errors import StoreError
from imaging.protocol.model import Protocol
from imaging.store.audit import record
from imaging.store.schema import utc_now

TABLE = "reading_designs"


def kept(session: Session, table: str = TABLE) -> bool:
    """True when the store keeps ``table`` for readers' own roles: a PostgreSQL store at the
    revision that made it (reading designs: 0011; triggered cases: 0012; paired cases: 0014)."""
    key = f"spine_kept_{table}"
    if key not in session.info:
        session.info[key] = session.get_bind().dialect.name == "postgresql" and (
            inspect(session.connection()).has_table(table)
        )
    return bool(session.info[key])


def publish(session: Session, protocol: Protocol, *, actor: str) -> bool:
    """Keep ``protocol``'s reading design in the store (replacing an older one of the same id);
    audited when it changed. Returns True when it changed."""
    if not kept(session):
        return False
    design = protocol.reading_design
    found = design.qualification
    baseline = protocol.baseline_visit if protocol.show_own_baseline else ""
    new = _text(
        design.reads_per_case, found.id if found else "",
        sorted(design.qualification_subjects), found.reference_reader if found else "", baseline,
    )  # fmt: skip
    old = session.execute(
        text(
            "SELECT reads_per_case, qualification, qualification_subjects, reference_reader, "
            f"CASE WHEN show_own_baseline THEN baseline_visit ELSE '' END FROM {TABLE} "
            "WHERE protocol_id = :protocol"
        ),
        {"protocol": protocol.id},
    ).first()
    old_text = None if old is None else _text(int(old[0]), old[1], sorted(old[2]), old[3], old[4])
    if old_text == new:
        return False
    session.execute(
        text(
            f"INSERT INTO {TABLE} (protocol_id, reads_per_case, qualification, "
            "qualification_subjects, reference_reader, show_own_baseline, baseline_visit, "
            "published_by, published_at) VALUES (:protocol, :reads, :qualification, :subjects, "
            ":reference, :shown, :baseline, :actor, :at) "
            "ON CONFLICT (protocol_id) DO UPDATE SET reads_per_case = EXCLUDED.reads_per_case, "
            "qualification = EXCLUDED.qualification, qualification_subjects = "
            "EXCLUDED.qualification_subjects, reference_reader = EXCLUDED.reference_reader, "
            "show_own_baseline = EXCLUDED.show_own_baseline, "
            "baseline_visit = EXCLUDED.baseline_visit, "
            "published_by = EXCLUDED.published_by, published_at = EXCLUDED.published_at"
        ),
        {
            "protocol": protocol.id, "reads": design.reads_per_case,
            "qualification": found.id if found else "",
            "subjects": sorted(design.qualification_subjects),
            "reference": found.reference_reader if found else "",
            "shown": bool(baseline), "baseline": baseline, "actor": actor, "at": utc_now(),
        },
    )  # fmt: skip
    record(
        session, actor=actor, action="published", entity="reading design", field=protocol.id,
        old_value=old_text, new_value=new,
    )  # fmt: skip
    return True


def qualification_cases(session: Session, protocol: Protocol) -> set[int]:
    """The keys of the cases of ``protocol``'s qualification set, for a session that may not read
    subjects (a reader's own role), from the design kept in the store; refused, with the fix,
    when the store keeps none or another set (never a set taken as empty)."""
    wanted = sorted(protocol.reading_design.qualification_subjects)
    stored = None
    if kept(session):
        stored = session.execute(
            text(f"SELECT qualification_subjects FROM {TABLE} WHERE protocol_id = :protocol"),
            {"protocol": protocol.id},
        ).scalar()
    if stored is None or sorted(stored) != wanted:
        state = "keeps no reading design" if stored is None else "keeps another qualification set"
        raise StoreError(
            f"the store {state} for protocol {protocol.id}: a reader's own database role cannot "
            "tell the qualification set's cases from trial cases",
            fix="A manager registers images under the protocol (spine-endpoints register), "
            "which keeps its reading design in the store.",
        )
    query = text("SELECT * FROM spine_qualification_cases(:protocol)")
    return {int(pk) for pk in session.execute(query, {"protocol": protocol.id}).scalars()}


def _text(
    reads: int, qualification: str, subjects: list[str], reference: str, baseline: str = ""
) -> str:
    """A design in words, for the audit trail and to tell a change (the set's subjects listed:
    they are the protocol's data); ``baseline``: the baseline visit when a reader's own baseline
    read is shown beside a follow-up (``show_own_baseline``)."""
    words = f"reads_per_case {reads}"
    if qualification:
        named = f"{qualification} ({', '.join(subjects)}; reference {reference})"
        words += f", qualification {named}"
    if baseline:
        words += f", own {baseline} read shown beside follow-ups"
    return words


def shows_own_baseline(session: Session, protocol: Protocol) -> bool:
    """Whether the store keeps ``protocol``'s design with ``show_own_baseline`` (what the
    database holds a reader's own role to, whatever the client's protocol file says)."""
    if not kept(session):
        return False
    query = text(f"SELECT show_own_baseline FROM {TABLE} WHERE protocol_id = :protocol")
    return bool(session.execute(query, {"protocol": protocol.id}).scalar())
