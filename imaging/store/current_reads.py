"""The reads that count: per case and reader, the newest submitted or locked version."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from imaging.errors import StoreError
from imaging.store.reader_access import blinded, reading_ids
from imaging.store.schema import Case, Read, Subject
from imaging.store.vocabulary import ReadStatus


@dataclass(frozen=True)
class CurrentRead:
    """The newest submitted or locked version of one reader's read of one case."""

    read: Read
    subject: str
    visit: str
    reading_id: str


def current_reads(
    session: Session, subject: str | None = None, *, repeats: bool = False
) -> list[CurrentRead]:
    """Per case and reader, the newest submitted or locked version (drafts never count) of the
    reader's read; with ``repeats``, of each of the reader's intra-reader repeats instead (never
    an endpoint: :mod:`imaging.store.repeats`). In a blinded session (an own PostgreSQL role) the
    reads its row-level security shows, with no subject or visit."""
    kept = Read.repeat > 0 if repeats else Read.repeat == 0
    newest = (
        select(Read.case_pk, Read.reader, Read.repeat, func.max(Read.version).label("version"))
        .where(Read.status.in_([s.value for s in ReadStatus if s.done]), kept)
        .group_by(Read.case_pk, Read.reader, Read.repeat)
        .subquery()
    )
    is_newest = (
        (Read.case_pk == newest.c.case_pk)
        & (Read.reader == newest.c.reader)
        & (Read.repeat == newest.c.repeat)
        & (Read.version == newest.c.version)
    )
    if blinded(session):  # a reader's or adjudicator's own role: no subject or visit
        if subject is not None:
            raise StoreError(f"subject {subject}: your own database role cannot read subjects")
        ids = reading_ids(session)
        ordered = select(Read).join(newest, is_newest).order_by(Read.case_pk, Read.reader)
        return [CurrentRead(r, "", "", ids[r.case_pk]) for r in session.scalars(ordered)]
    query = (
        select(Read, Subject.subject_id, Case.visit_id, Case.reading_id)
        .join(newest, is_newest)
        .join(Case, Read.case_pk == Case.id)
        .join(Subject, Case.subject_pk == Subject.id)
        .order_by(Subject.subject_id, Case.visit_id, Read.reader, Read.repeat)
    )
    if subject is not None:
        query = query.where(Subject.subject_id == subject)
    return [CurrentRead(r, s, v, rid) for r, s, v, rid in session.execute(query).all()]
