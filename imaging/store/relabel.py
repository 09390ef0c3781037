"""Relabelling what a read refers to: a subject id, a visit, an image's case. With a reason.

The database refuses changing a subject, visit (case) or image that a read refers to in place
(triggers of migration 0007, on SQLite and PostgreSQL): a plain ``UPDATE subjects SET
subject_id = ...`` would move reads to another subject without a trace. These functions are the
one way through: each writes a ``relabels`` row naming exactly the change (which the trigger
checks), makes it, and records an audit entry with the old value, the new value and the reason.
A reading id never changes. Only a manager relabels once the store has people
(:mod:`imaging.store.people`).
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from imaging.errors import StoreError
from imaging.protocol.model import Protocol
from imaging.store.audit import record
from imaging.store.cases import case_names, get_case, subject_by_id
from imaging.store.identifiers import check_value
from imaging.store.people import PersonRole, authorize
from imaging.store.schema import Case, Image, Relabel, Subject, utc_now


def relabel_subject(session: Session, old: str, new: str, *, actor: str, reason: str) -> None:
    """Subject ``old`` is henceforth ``new`` (its visits, images and reads with it)."""
    _allowed(session, actor, reason, f"relabel subject {old}")
    subject = subject_by_id(session, old)
    if subject is None:
        raise StoreError(f"no subject {old!r} in the store")
    check_value(new, Subject.subject_id)
    if subject_by_id(session, new) is not None:
        raise StoreError(
            f"cannot relabel {old} as {new}: subject {new} exists",
            fix="Relabel one visit at a time (relabel visit), or choose another id.",
        )
    _change(session, subject, "subjects", "subject_id", old, new, actor, reason)
    subject.subject_id = new
    session.flush()
    _audit(session, actor, "subject", subject.id, new, "", "subject_id", old, new, reason)


def relabel_visit(
    session: Session,
    subject: str,
    old: str,
    new: str,
    protocol: Protocol,
    *,
    actor: str,
    reason: str,
) -> None:
    """Subject ``subject``'s case at visit ``old`` is henceforth at visit ``new`` (a visit of
    ``protocol``), keeping its reading id, images and reads."""
    _allowed(session, actor, reason, f"relabel {subject} {old}")
    case = get_case(session, subject, old, actor=actor, create=False)
    new = protocol.visit(new).id
    taken = select(Case.id).where(Case.subject_pk == case.subject_pk, Case.visit_id == new)
    if session.scalars(taken).first() is not None:
        raise StoreError(f"cannot relabel {subject} {old} as {new}: {subject} has a {new} case")
    _change(session, case, "visits", "visit_id", old, new, actor, reason)
    case.visit_id = new
    session.flush()
    _audit(session, actor, "visit", case.id, subject, new, "visit_id", old, new, reason)


def move_image(
    session: Session, sop_instance_uid: str, subject: str, visit: str, *, actor: str, reason: str
) -> None:
    """Image ``sop_instance_uid`` belongs henceforth to ``subject``'s case at ``visit``."""
    _allowed(session, actor, reason, f"move image {sop_instance_uid}")
    image = session.scalars(select(Image).where(Image.sop_instance_uid == sop_instance_uid)).first()
    if image is None:
        raise StoreError(f"no image with SOP Instance UID {sop_instance_uid!r} in the store")
    case = get_case(session, subject, visit, actor=actor, create=False)
    if image.case_pk == case.id:
        raise StoreError(f"image {sop_instance_uid} is already in {subject} {visit}")
    old = "" if image.case_pk is None else str(image.case_pk)
    before = "no case"
    if image.case_pk is not None:
        before = " ".join(case_names(session, session.get_one(Case, image.case_pk)))
    _change(session, image, "images", "case_pk", old, str(case.id), actor, reason)
    image.case_pk, image.subject_pk = case.id, case.subject_pk
    session.flush()
    _audit(session, actor, "image", image.id, subject, visit, "case", before,
           f"{subject} {visit}", reason)  # fmt: skip


def _allowed(session: Session, actor: str, reason: str, what: str) -> None:
    if not reason or not reason.strip():
        raise StoreError(f"{what}: a reason is needed", fix="--reason '...'")
    authorize(session, actor, what, roles=(PersonRole.MANAGER,))


def _change(
    session: Session,
    row: Subject | Case | Image,
    entity: str,
    field: str,
    old: str,
    new: str,
    actor: str,
    reason: str,
) -> None:
    """The relabels row the trigger lets through: the newest, naming this change."""
    session.add(
        Relabel(at=utc_now(), actor=actor, entity=entity, entity_pk=row.id, field=field,
                old_value=old, new_value=new, reason=reason.strip())
    )  # fmt: skip
    session.flush()


def _audit(
    session: Session,
    actor: str,
    entity: str,
    pk: int,
    subject: str,
    visit: str,
    field: str,
    old: str,
    new: str,
    reason: str,
) -> None:
    record(session, actor=actor, action="relabelled", entity=entity, entity_pk=pk,
           subject=subject, visit=visit, field=field, old_value=old, new_value=new,
           reason=reason.strip())  # fmt: skip
