"""The store as a reader's own PostgreSQL role reaches it (issue 16, migration 0010).

A reader or adjudicator connected as their own database role may not read ``subjects``,
``visits``, ``images`` or ``archive_roots`` (:mod:`imaging.store.migrations.access`). Such a
session is :func:`blinded`; the store's functions then reach a case through the owner's
functions of migration 0010, which answer for the connecting login only:

- :func:`reading_cases`: every case's key, reading id, number of images and how many *other*
  readers made a primary read of it (the worklist and ``reads_per_case`` need no more);
- :func:`blinded_case`: a case by reading id as a :class:`~imaging.store.schema.Case` that is
  never added to the session, with its visit id only once the caller has a read of it;
- :func:`case_files`: a case's image files, only once the caller has a read of it (opening a
  case from the worklist starts the read: :func:`imaging.store.workstation.case_to_open`);
- :func:`case_for_import`: the case an import of the caller's own file names by subject and
  visit; every look-up is audited;
- :func:`own_baseline_reading`: the baseline case beside a follow-up where the kept design
  allows it (migration 0013).

Everything here is consumed inside :mod:`imaging.store`: a front end gets reading ids, tokens and
pixels (:mod:`imaging.store.blinding`). docs/store-security.md says what a reader's role can and
cannot learn.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from imaging.errors import StoreError
from imaging.store.archive_roots import resolved
from imaging.store.cases import case_names
from imaging.store.schema import ArchiveRoot, Case, Image

NO_READ_FIX = (
    "Open the case from your worklist: the workstation starts your read of it when it opens it; "
    "a case that is not on your worklist stays out of reach."
)


def blinded(session: Session) -> bool:
    """True when the session may not read ``visits``: a reader's or adjudicator's own PostgreSQL
    role. The store then goes through the functions of migration 0010."""
    if "spine_blinded" not in session.info:
        session.info["spine_blinded"] = session.get_bind().dialect.name == "postgresql" and not (
            session.execute(text("SELECT has_table_privilege('visits', 'SELECT')")).scalar_one()
        )
    return bool(session.info["spine_blinded"])


@dataclass(frozen=True)
class ReadingCase:
    """A case as a reader's role sees it: no subject, visit or date."""

    case_pk: int
    reading_id: str
    image_count: int
    other_readers: int
    """Readers other than the caller with a primary read (any version, drafts too) of it."""


def reading_cases(session: Session) -> list[ReadingCase]:
    rows = session.execute(text("SELECT * FROM spine_reading_worklist()")).all()
    return [ReadingCase(int(pk), str(rid), int(n), int(others)) for pk, rid, n, others in rows]


def reading_ids(session: Session) -> dict[int, str]:
    """Case key -> reading id, from the view ``reading_cases``."""
    rows = session.execute(text("SELECT case_pk, reading_id FROM reading_cases")).all()
    return {int(pk): str(rid) for pk, rid in rows}


def blinded_case(session: Session, reading_id: str) -> Case:
    """The case ``reading_id`` as a transient :class:`Case` (never added to the session):
    ``subject_pk`` 0, ``visit_id`` the visit once the caller has a read of it, else ''."""
    pk = session.execute(
        text("SELECT case_pk FROM reading_cases WHERE reading_id = :rid"), {"rid": reading_id}
    ).scalar()
    if pk is None:
        raise StoreError(f"no case with reading id {reading_id!r}")
    visit = session.execute(text("SELECT spine_case_visit(:rid)"), {"rid": reading_id}).scalar()
    return Case(id=int(pk), reading_id=reading_id, visit_id=visit or "", subject_pk=0)


def case_of_pk(session: Session, case_pk: int) -> Case:
    """The case with key ``case_pk``: the row, or in a :func:`blinded` session the transient
    case of :func:`blinded_case`."""
    if not blinded(session):
        return session.get_one(Case, case_pk)
    reading_id = reading_ids(session).get(case_pk)
    if reading_id is None:
        raise StoreError(f"no case with key {case_pk}")
    return blinded_case(session, reading_id)


def case_visit(session: Session, case: Case) -> str:
    """The visit id of a case the caller has a read of (the protocol's items depend on it);
    refused, with the reason, for any other case."""
    if case.visit_id:
        return case.visit_id
    raise StoreError(f"case {case.reading_id}: you have no read of it", fix=NO_READ_FIX)


def case_label(session: Session, case: Case) -> str:
    """How a message names a case: 'SUBJECT VISIT', or 'case R-...' in a blinded session."""
    if blinded(session):
        return f"case {case.reading_id}"
    return " ".join(case_names(session, case))


def case_files(session: Session, reading_id: str) -> list[tuple[int, str, str, str, str, str]]:
    """(image key, SOP Instance UID, stored path, file, film, modality) of each image of the case
    ``reading_id``, the file resolved against its archive root; in a :func:`blinded` session
    only for a case the caller has a read of (refused, with the reason, for any other)."""
    if not blinded(session):
        if session.scalars(select(Case.id).where(Case.reading_id == reading_id)).first() is None:
            raise StoreError(f"no case with reading id {reading_id!r}")
        query = (
            select(Image.id, Image.sop_instance_uid, Image.path, ArchiveRoot.path, Image.film,
                   Image.modality)
            .join(Case, Image.case_pk == Case.id)
            .outerjoin(ArchiveRoot, Image.root_pk == ArchiveRoot.id)
            .where(Case.reading_id == reading_id)
            .order_by(Image.id)
        )  # fmt: skip
        return [
            (pk, uid, path, resolved(root, path), film, modality)
            for pk, uid, path, root, film, modality in session.execute(query).all()
        ]
    rows = session.execute(text("SELECT * FROM spine_case_files(:rid)"), {"rid": reading_id}).all()
    if (
        not rows
        and not session.execute(text("SELECT spine_case_visit(:rid)"), {"rid": reading_id}).scalar()
    ):
        raise StoreError(
            f"case {reading_id}: you have no read of it, so its images stay out of reach",
            fix=NO_READ_FIX,
        )
    return [
        (int(pk), str(uid), str(path), resolved(root, path), str(film), str(modality))
        for pk, uid, path, root, film, modality in rows
    ]


def own_baseline_reading(session: Session, reading_id: str) -> str | None:
    """The reading id of the baseline case of the subject of follow-up ``reading_id``
    (``spine_own_baseline``, migration 0013): only when the caller has a read of both and the
    store keeps their protocol's design with ``show_own_baseline``; else None."""
    found = session.execute(text("SELECT spine_own_baseline(:rid)"), {"rid": reading_id}).scalar()
    return None if found is None else str(found)


def case_for_import(session: Session, subject: str, visit: str) -> Case | None:
    """The case an import names by ``subject`` and ``visit`` (None: not registered); the
    look-up is in the audit trail (action ``looked up``) either way."""
    row = session.execute(
        text("SELECT * FROM spine_case_for_import(:subject, :visit)"),
        {"subject": subject, "visit": visit},
    ).first()
    if row is None:
        return None
    return Case(id=int(row[0]), reading_id=str(row[1]), visit_id=visit, subject_pk=0)
