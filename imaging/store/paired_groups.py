"""Paired cases: a subject's cases at the protocol's progression visits, under a paired id.

:func:`groups` gives them (:mod:`imaging.store.paired` reads them in one sitting). The paired id
is ``P-`` and 10 hex digits of a hash of the subject's first progression case's reading id: no
subject, no visit. A reader's own PostgreSQL role cannot group cases by subject, so a
registration by the store's owner or a manager keeps the groups in the store (:func:`keep`,
migration 0014) and that role gets them from ``spine_paired_cases`` (never in visit order). On
SQLite nothing is kept: the reader is the login and the groups are made from the tables.
"""

from __future__ import annotations

import hashlib

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from imaging.errors import StoreError
from imaging.protocol.model import Protocol
from imaging.store.reader_access import blinded
from imaging.store.reading_design import kept
from imaging.store.schema import Case, Image, Subject

PAIRED_PREFIX = "P-"
TABLE = "paired_cases"


def paired_id(reading_id: str) -> str:
    """The paired id of a subject whose first progression case is ``reading_id``."""
    return PAIRED_PREFIX + hashlib.sha256(f"paired\x00{reading_id}".encode()).hexdigest()[:10]


def settings(protocol: Protocol) -> tuple[str, tuple[str, ...], tuple[str, ...]]:
    """The paired item, the progression visits and the sites; refused for a protocol that reads
    nothing paired."""
    found = protocol.msasss
    if found is None or not found.paired_reading:
        raise StoreError(
            f"protocol {protocol.id} reads nothing paired",
            fix="Paired reading is set in the protocol's [msasss] table: paired_reading = true.",
        )
    return found.item, found.progression_visits, found.sites


def groups(session: Session, protocol: Protocol) -> dict[str, list[Case]]:
    """Paired id -> the subject's cases with images at the progression visits, in visit order;
    in a :func:`~imaging.store.reader_access.blinded` session the kept groups, their cases
    transient (no visit) and in no visit order."""
    _, visits, _ = settings(protocol)
    if blinded(session):
        return _kept_groups(session, protocol)
    with_images = set(session.scalars(select(Image.case_pk).where(Image.case_pk.is_not(None))))
    query = (
        select(Subject.subject_id, Case)
        .join(Subject, Case.subject_pk == Subject.id)
        .where(Case.visit_id.in_(visits))
    )
    by_subject: dict[str, list[Case]] = {}
    for subject, case in session.execute(query).all():
        if case.id in with_images:
            by_subject.setdefault(subject, []).append(case)
    found = {}
    for cases in by_subject.values():
        cases.sort(key=lambda c: visits.index(c.visit_id))
        found[paired_id(cases[0].reading_id)] = cases
    return found


def keep(session: Session, protocol: Protocol) -> None:
    """Keep the protocol's paired cases in a PostgreSQL store (after a registration by its owner
    or a manager), replacing what was kept; nothing for a protocol that reads nothing paired."""
    found = protocol.msasss
    if found is None or not found.paired_reading or not kept(session, TABLE) or blinded(session):
        return
    session.execute(text(f"DELETE FROM {TABLE} WHERE protocol_id = :p"), {"p": protocol.id})
    rows = [
        {"case": case.id, "p": protocol.id, "key": key}
        for key, cases in groups(session, protocol).items()
        for case in cases
    ]
    if rows:
        insert = f"INSERT INTO {TABLE} (case_pk, protocol_id, paired_id) VALUES (:case, :p, :key)"
        session.execute(text(insert), rows)
    session.execute(
        text("UPDATE reading_designs SET paired_kept = true WHERE protocol_id = :p"),
        {"p": protocol.id},
    )


def _kept_groups(session: Session, protocol: Protocol) -> dict[str, list[Case]]:
    kept = session.execute(
        text("SELECT paired_kept FROM reading_designs WHERE protocol_id = :p"), {"p": protocol.id}
    ).scalar()
    if not kept:
        raise StoreError(
            f"the store keeps no paired cases for protocol {protocol.id}: a reader's own "
            "database role cannot group a subject's visits",
            fix="A manager registers images under the protocol again (spine-endpoints "
            "register), which keeps its paired cases in the store.",
        )
    rows = session.execute(text("SELECT * FROM spine_paired_cases(:p)"), {"p": protocol.id})
    found: dict[str, list[Case]] = {}
    for key, case_pk, reading_id in rows.all():
        case = Case(id=int(case_pk), reading_id=str(reading_id), visit_id="", subject_pk=0)
        found.setdefault(str(key), []).append(case)
    return found
