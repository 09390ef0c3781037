"""Blinded worklists: a reader sees cases under reading ids, in an order of their own.

The order is by SHA-256 of (reader id, reading id): random-looking, different for every reader,
stable across sessions, and a case added later takes its place without reshuffling the others.
Items carry no subject, visit name or date. The mapping from reading id to subject and visit is
only for exports (:func:`unblinding_map`).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from imaging.errors import StoreError
from imaging.store.archive_roots import resolved
from imaging.store.schema import ArchiveRoot, Case, Image, Read, Subject
from imaging.store.vocabulary import ReadStatus


@dataclass(frozen=True)
class WorklistItem:
    """One case as a blinded reader sees it, with this reader's progress on it."""

    position: int
    reading_id: str
    status: ReadStatus
    version: int | None
    read_id: int | None
    image_count: int


def _order_key(reader: str, reading_id: str) -> str:
    return hashlib.sha256(f"{reader}\x00{reading_id}".encode()).hexdigest()


def worklist(
    session: Session, reader: str, *, with_images_only: bool = False
) -> list[WorklistItem]:
    """The reader's cases in the reader's own order, with this reader's progress on each."""
    if not reader.strip():
        raise StoreError("a worklist needs a reader id")
    cases = list(session.scalars(select(Case)))
    counts: dict[int, int] = {}
    for case_pk in session.scalars(select(Image.case_pk).where(Image.case_pk.is_not(None))):
        if case_pk is not None:
            counts[case_pk] = counts.get(case_pk, 0) + 1
    latest: dict[int, Read] = {}
    for read in session.scalars(select(Read).where(Read.reader == reader)):
        if read.case_pk not in latest or read.version > latest[read.case_pk].version:
            latest[read.case_pk] = read
    cases.sort(key=lambda c: _order_key(reader, c.reading_id))
    items: list[WorklistItem] = []
    for case in cases:
        if with_images_only and not counts.get(case.id):
            continue
        current = latest.get(case.id)
        items.append(
            WorklistItem(
                position=len(items) + 1,
                reading_id=case.reading_id,
                status=ReadStatus.TO_READ if current is None else ReadStatus(current.status),
                version=None if current is None else current.version,
                read_id=None if current is None else current.id,
                image_count=counts.get(case.id, 0),
            )
        )
    return items


def case_for_reading(session: Session, reading_id: str) -> Case:
    case = session.scalars(select(Case).where(Case.reading_id == reading_id)).first()
    if case is None:
        raise StoreError(f"no case with reading id {reading_id!r}")
    return case


def images_for_reading(session: Session, reading_id: str) -> list[tuple[int, str, str]]:
    """(image id, path, film) of a case, for the viewer to open; no dates or names. The path is
    resolved against the image's archive root (:mod:`imaging.store.archive_roots`)."""
    case = case_for_reading(session, reading_id)
    rows = session.execute(
        select(Image.id, ArchiveRoot.path, Image.path, Image.film)
        .outerjoin(ArchiveRoot, Image.root_pk == ArchiveRoot.id)
        .where(Image.case_pk == case.id)
        .order_by(Image.id)
    ).all()
    return [(i, resolved(root, p), f) for i, root, p, f in rows]


def unblinding_map(session: Session) -> dict[str, tuple[str, str]]:
    """reading id -> (subject, visit). For exports only, never for a reader's screen."""
    rows = session.execute(
        select(Case.reading_id, Subject.subject_id, Case.visit_id).join(
            Subject, Case.subject_pk == Subject.id
        )
    ).all()
    return {r: (s, v) for r, s, v in rows}
