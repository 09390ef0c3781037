"""Registered images as plain values, by case or by SOP Instance UID (for exchange formats).

A read's corners name their image as the landmark file or workstation gave it (a path, usually
relative to the archive root, or a SOP Instance UID); :meth:`StoredImage.names` are the names
that refer to an image, so an exchange format (DICOM SR, :mod:`imaging.sr`) can turn a corner's
image into the image's UIDs and back.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from imaging.store.archive_roots import absolute, resolved
from imaging.store.schema import ArchiveRoot, Case, Image, Subject


@dataclass(frozen=True)
class StoredImage:
    """One registered image: its UIDs, subject, visit (None: fits no visit), stored path (relative
    to its archive root), file (resolved), film and modality."""

    sop_instance_uid: str
    study_instance_uid: str
    subject: str
    visit: str | None
    path: str
    file: str
    film: str
    modality: str

    def names(self) -> set[str]:
        """The values a corner's ``image`` may hold for this image."""
        return {self.sop_instance_uid, self.path, self.file, absolute(self.file)}


def _query() -> Select[Image, str, str, str]:
    return (
        select(Image, ArchiveRoot.path, Subject.subject_id, Case.visit_id)
        .join(Subject, Image.subject_pk == Subject.id)
        .outerjoin(Case, Image.case_pk == Case.id)
        .outerjoin(ArchiveRoot, Image.root_pk == ArchiveRoot.id)
        .order_by(Image.id)
    )


def _stored(image: Image, root: str | None, subject: str, visit: str | None) -> StoredImage:
    return StoredImage(
        image.sop_instance_uid, image.study_instance_uid, subject, visit, image.path,
        resolved(root, image.path), image.film, image.modality,
    )  # fmt: skip


def case_images(session: Session, subject: str, visit: str) -> list[StoredImage]:
    """The images registered to ``subject`` at ``visit``, in registration order."""
    query = _query().where(Subject.subject_id == subject, Case.visit_id == visit)
    return [_stored(*row) for row in session.execute(query).all()]


def images_by_uid(session: Session, uids: Iterable[str]) -> dict[str, StoredImage]:
    """SOP Instance UID -> the registered image (UIDs not registered are left out)."""
    wanted = sorted(set(uids))
    found: dict[str, StoredImage] = {}
    for start in range(0, len(wanted), 500):
        query = _query().where(Image.sop_instance_uid.in_(wanted[start : start + 500]))
        for row in session.execute(query).all():
            stored = _stored(*row)
            found[stored.sop_instance_uid] = stored
    return found


def image_for(images: Iterable[StoredImage], name: str) -> StoredImage | None:
    """The image among ``images`` a corner's ``image`` value refers to (None: none does)."""
    wanted = {name, absolute(name)} if Path(name).is_absolute() else {name}
    for image in images:
        if image.names() & wanted:
            return image
    return None
