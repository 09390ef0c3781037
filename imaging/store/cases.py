"""Subjects, cases (a subject at one visit) and images in the store.

Images are registered with their UIDs, path (relative to their archive root:
:mod:`imaging.store.archive_roots`) and SHA-256, and assigned to a visit by
:func:`imaging.protocol.visits.assign_visit`: a flagged image (out of window, ambiguous, unknown
time point, no date, or a visit that depends on the unknown treatment date) is stored with its
reason and no case, never silently assigned. Registering a subject's baseline later re-assigns its
images that had no date to go by; recording its treatment date and calling
:func:`assign_flagged` re-assigns all its waiting images.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from collections.abc import Iterable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from imaging.dicom.trial import NO_SUBJECT, NO_SUBJECT_FIX, other_trial_problem, text_value
from imaging.dicom.trial import subject_id as subject_of_dataset
from imaging.errors import FileAccessError, StoreError
from imaging.protocol.model import Protocol
from imaging.protocol.visits import AssignmentStatus, assign_visit
from imaging.store.archive_roots import get_root, image_path, path_in_root
from imaging.store.audit import record
from imaging.store.identifiers import check_value
from imaging.store.reading_design import publish
from imaging.store.schema import Case, Image, Subject


def subject_by_id(session: Session, subject_id: str) -> Subject | None:
    return session.scalars(select(Subject).where(Subject.subject_id == subject_id)).first()


def get_subject(session: Session, subject_id: str, *, actor: str, create: bool = True) -> Subject:
    """The subject, created (and audited) when new and ``create`` is true."""
    subject = subject_by_id(session, subject_id)
    if subject is not None:
        return subject
    if not create:
        raise StoreError(f"no subject {subject_id!r} in the store")
    subject = Subject(subject_id=subject_id)
    session.add(subject)
    session.flush()
    record(
        session, actor=actor, action="created", entity="subject", entity_pk=subject.id,
        subject=subject_id,
    )  # fmt: skip
    return subject


def set_treatment_date(
    session: Session, subject_id: str, date: dt.date, *, actor: str, reason: str = ""
) -> bool:
    """Record the treatment date (day 0 of the visit windows); True when it changed. No allocation
    is ever stored. Images already waiting for a visit are not moved: see :func:`assign_flagged`."""
    subject = get_subject(session, subject_id, actor=actor)
    old = subject.treatment_date
    if old == date:
        return False
    subject.treatment_date = date
    record(
        session, actor=actor, action="changed", entity="subject", entity_pk=subject.id,
        subject=subject_id, field="treatment_date",
        old_value=None if old is None else old.isoformat(), new_value=date.isoformat(),
        reason=reason,
    )  # fmt: skip
    return True


def treatment_dates(session: Session) -> dict[str, dt.date]:
    """Each subject's recorded treatment date (day 0), by subject id; subjects without one are
    left out."""
    rows = session.execute(
        select(Subject.subject_id, Subject.treatment_date).where(
            Subject.treatment_date.is_not(None)
        )
    ).all()
    return {subject: date for subject, date in rows if date is not None}


def _new_reading_id(session: Session) -> str:
    while True:
        candidate = "R-" + secrets.token_hex(4).upper()
        if session.scalars(select(Case).where(Case.reading_id == candidate)).first() is None:
            return candidate


def get_case(
    session: Session, subject_id: str, visit_id: str, *, actor: str, create: bool = True
) -> Case:
    """The case (subject at visit), created with a fresh random reading id when new."""
    subject = get_subject(session, subject_id, actor=actor, create=create)
    case = session.scalars(
        select(Case).where(Case.subject_pk == subject.id, Case.visit_id == visit_id)
    ).first()
    if case is not None:
        return case
    if not create:
        raise StoreError(f"no case for subject {subject_id!r} at visit {visit_id!r}")
    case = Case(subject_pk=subject.id, visit_id=visit_id, reading_id=_new_reading_id(session))
    session.add(case)
    session.flush()
    record(
        session, actor=actor, action="created", entity="visit", entity_pk=case.id,
        subject=subject_id, visit=visit_id, field="reading_id", new_value=case.reading_id,
    )  # fmt: skip
    return case


def case_names(session: Session, case: Case) -> tuple[str, str]:
    """(subject id, visit id) of a case."""
    subject = session.get(Subject, case.subject_pk)
    assert subject is not None
    return subject.subject_id, case.visit_id


@dataclass(frozen=True)
class ImageRecord:
    """What the store keeps of one DICOM instance (read from its header).

    ``path`` is where the file is now (absolute, or relative to the current folder); the store
    keeps it relative to ``root``, the archive folder it was registered from ('' for the file's
    own folder).
    """

    path: str
    sha256: str
    subject: str
    sop_instance_uid: str
    study_instance_uid: str = ""
    series_instance_uid: str = ""
    modality: str = ""
    study_date: dt.date | None = None
    time_point_id: str = ""
    film: str = ""
    root: str = ""
    trial_protocol_id: str = ""
    """(0012,0020) *Clinical Trial Protocol ID*: :func:`register_images` refuses another trial's."""

    @classmethod
    def from_file(cls, path: str | Path, film: str = "", root: str | Path = "") -> ImageRecord:
        """Read the header of a DICOM file (no pixel data) and hash the file.

        Raises the reader's :class:`imaging.errors.DicomReadError` (a folder, a FIFO, a file
        that is not DICOM or is cut short, ...) before the file is hashed, and
        :class:`~imaging.errors.StoreError` for a header value the store cannot keep.
        """
        from imaging.dicom.read import read_header

        path = Path(path)
        dataset = read_header(path)
        try:
            digest = hashlib.sha256(path.read_bytes()).hexdigest()
        except OSError as error:
            raise FileAccessError(f"cannot read the file ({error.strerror})", path=path) from None
        return replace(cls.from_dataset(dataset, str(path), digest, film), root=str(root))

    @classmethod
    def from_dataset(cls, dataset: Any, path: str, sha256: str, film: str = "") -> ImageRecord:
        """(0012,0040) *Clinical Trial Subject ID* names the subject (else a de-identified
        (0010,0020) *Patient ID*: :func:`imaging.dicom.trial.subject_of`); (0012,0050)
        *Clinical Trial Time Point ID* and (0008,0020) *Study Date* the visit.

        A value the store cannot keep (longer than its column, a control character) raises
        :class:`~imaging.errors.StoreError` naming the file and the tag
        (:mod:`imaging.store.identifiers`).
        """
        subject = subject_of_dataset(dataset) or ""
        uid = str(dataset.get("SOPInstanceUID", "") or "")
        if not subject:
            raise StoreError(NO_SUBJECT, path=path, fix=NO_SUBJECT_FIX)
        if not uid:
            raise StoreError(
                "the file has no (0008,0018) SOP Instance UID",
                path=path,
                fix="Only files with one can be registered.",
            )
        date_text = str(dataset.get("StudyDate", "") or "")
        study_date = None
        if date_text:
            try:
                study_date = dt.datetime.strptime(date_text[:8], "%Y%m%d").date()
            except ValueError:
                study_date = None
        found = cls(
            path=path,
            sha256=sha256,
            subject=subject.strip(),
            sop_instance_uid=uid,
            study_instance_uid=str(dataset.get("StudyInstanceUID", "") or ""),
            series_instance_uid=str(dataset.get("SeriesInstanceUID", "") or ""),
            modality=str(dataset.get("Modality", "") or ""),
            study_date=study_date,
            time_point_id=str(dataset.get("ClinicalTrialTimePointID", "") or "").strip(),
            film=film,
            trial_protocol_id=text_value(dataset, "ClinicalTrialProtocolID") or "",
        )
        trial_subject = dataset.get("ClinicalTrialSubjectID")
        tag = "(0012,0040) Clinical Trial Subject ID" if trial_subject else "(0010,0020) Patient ID"
        for value, column, what in (
            (found.subject, Subject.subject_id, tag),
            (found.sop_instance_uid, Image.sop_instance_uid, "(0008,0018) SOP Instance UID"),
            (found.study_instance_uid, Image.study_instance_uid, "(0020,000D) Study Instance UID"),
            (found.series_instance_uid, Image.series_instance_uid,
             "(0020,000E) Series Instance UID"),
            (found.modality, Image.modality, "(0008,0060) Modality"),
            (found.time_point_id, Image.time_point_id, "(0012,0050) Clinical Trial Time Point ID"),
        ):  # fmt: skip
            check_value(value, column, what, path=path, fix=HEADER_FIX)
        return found


HEADER_FIX = (
    "Correct the header (a de-identification tool can map a long id to a shorter one) and "
    "register the file again."
)


def _baseline_date(session: Session, subject: Subject, protocol: Protocol) -> dt.date | None:
    query = (
        select(Image.study_date)
        .join(Case, Image.case_pk == Case.id)
        .where(Image.subject_pk == subject.id, Case.visit_id == protocol.baseline_visit)
        .where(Image.study_date.is_not(None))
        .order_by(Image.study_date)
    )
    return session.scalars(query).first()


def _assign(
    session: Session, protocol: Protocol, image: Image, subject: Subject, actor: str
) -> None:
    outcome = assign_visit(
        protocol,
        time_point_id=image.time_point_id or None,
        study_date=image.study_date,
        treatment_date=subject.treatment_date,
        baseline_date=_baseline_date(session, subject, protocol),
    )
    image.assignment_status = outcome.status.value
    image.assignment_reason = outcome.reason + (f"; {outcome.note}" if outcome.note else "")
    if outcome.visit is not None:
        case = get_case(session, subject.subject_id, outcome.visit.id, actor=actor)
        image.case_pk = case.id
    session.flush()
    record(
        session, actor=actor, action=outcome.status.value, entity="image", entity_pk=image.id,
        subject=subject.subject_id, visit=outcome.visit.id if outcome.visit else "",
        field=image.sop_instance_uid, new_value=image_path(session, image),
        reason=image.assignment_reason,
    )  # fmt: skip


def register_images(
    session: Session, protocol: Protocol, records: Iterable[ImageRecord], *, actor: str
) -> list[Image]:
    """Store and assign images; re-assign a subject's flagged images once a baseline is known.

    Images with a time point id are assigned first, so a baseline found that way anchors the dates
    of the others. An already registered SOP Instance UID with the same hash is skipped; with a
    different hash it is an error (the file changed). Each path is kept relative to the record's
    archive root (recorded when new), else to the file's folder. Another trial's image
    (:func:`imaging.dicom.trial.other_trial_problem`) is refused before anything is written.
    """
    records = list(records)
    for rec in records:
        other = other_trial_problem(rec.trial_protocol_id, protocol.dicom_protocol_ids, protocol.id)
        if other:
            raise StoreError(other, path=rec.path)
    publish(session, protocol, actor=actor)  # the design a reader's own role is held to
    images: list[Image] = []
    ordered = sorted(
        records, key=lambda r: (r.subject, not r.time_point_id, r.study_date or dt.date.max)
    )
    for rec in ordered:
        existing = session.scalars(
            select(Image).where(Image.sop_instance_uid == rec.sop_instance_uid)
        ).first()
        if existing is not None:
            if existing.sha256 != rec.sha256:
                raise StoreError(
                    f"SOP Instance UID {rec.sop_instance_uid} is registered with another file "
                    f"content ({image_path(session, existing)})",
                    path=rec.path,
                    fix="A changed image needs a new SOP Instance UID.",
                )
            images.append(existing)
            continue
        subject = get_subject(session, rec.subject, actor=actor)
        root = get_root(session, rec.root or Path(rec.path).absolute().parent, actor=actor)
        image = Image(
            sop_instance_uid=rec.sop_instance_uid,
            series_instance_uid=rec.series_instance_uid,
            study_instance_uid=rec.study_instance_uid,
            subject_pk=subject.id,
            root_pk=root.id,
            path=path_in_root(rec.path, root.path),
            sha256=rec.sha256,
            modality=rec.modality,
            film=rec.film,
            study_date=rec.study_date,
            time_point_id=rec.time_point_id,
            assignment_status="pending",
        )
        session.add(image)
        session.flush()
        _assign(session, protocol, image, subject, actor)
        images.append(image)
    for subject_id in sorted({r.subject for r in ordered}):
        subject = get_subject(session, subject_id, actor=actor)
        flagged = session.scalars(
            select(Image).where(
                Image.subject_pk == subject.id,
                Image.case_pk.is_(None),
                Image.assignment_status == AssignmentStatus.NO_DATE.value,
            )
        ).all()
        for image in flagged:
            if image.study_date is not None:
                _assign(session, protocol, image, subject, actor)
    from imaging.store.paired_groups import keep  # it reads cases as this module makes them

    keep(session, protocol)  # the paired cases a reader's own role reads (PostgreSQL)
    return images


def assign_flagged(
    session: Session, protocol: Protocol, subject_id: str, *, actor: str
) -> list[Image]:
    """Assign again a subject's images that fit no visit (after its treatment date changed, say);
    returns those that now have one. Assigned images are never moved."""
    subject = get_subject(session, subject_id, actor=actor)
    waiting = session.scalars(
        select(Image).where(Image.subject_pk == subject.id, Image.case_pk.is_(None))
    ).all()
    for image in waiting:
        _assign(session, protocol, image, subject, actor)
    return [image for image in waiting if image.case_pk is not None]


def flagged_images(session: Session) -> list[Image]:
    """Images that could not be assigned to a visit, with their reasons."""
    return list(session.scalars(select(Image).where(Image.case_pk.is_(None)).order_by(Image.id)))
