"""Archive roots: the folders images are registered from, so stored paths survive a move.

An image's ``path`` is kept relative to its archive root (an absolute folder recorded in
``archive_roots``): ``register ../samples`` from one folder and a workstation started in another
open the same file, and when the archive moves, :func:`move_root` points the root at the new
folder (``spine-endpoints archive-roots move OLD NEW``, audited) and every image of it opens
again. Images of stores older than revision 0006 have no root: their path is used as stored.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from imaging.errors import StoreError
from imaging.store.audit import record
from imaging.store.schema import ArchiveRoot, Image


def absolute(folder: str | Path) -> str:
    """``folder`` as an absolute path, ``..`` and ``.`` removed (symbolic links kept as named)."""
    return os.path.normpath(Path(folder).expanduser().absolute())


def path_in_root(path: str | Path, root: str) -> str:
    """``path`` relative to the folder ``root`` (absolute), with ``/`` separators; a path outside
    ``root`` raises :class:`~imaging.errors.StoreError`."""
    relative = Path(os.path.relpath(absolute(path), root))
    if not relative.parts or relative.parts[0] == os.pardir:
        raise StoreError(
            f"the path is not inside the archive root {root}",
            path=path,
            fix="Give an --archive-root that holds every registered path.",
        )
    return relative.as_posix()


def resolved(root: str | None, path: str) -> str:
    """Where an image is: its path under its root, or as stored when it has no root."""
    return path if root is None else str(Path(root) / path)


def image_path(session: Session, image: Image) -> str:
    """The file of a stored image (see :func:`resolved`)."""
    root = None if image.root_pk is None else session.get(ArchiveRoot, image.root_pk)
    return resolved(None if root is None else root.path, image.path)


def get_root(session: Session, folder: str | Path, *, actor: str) -> ArchiveRoot:
    """The archive root of ``folder`` (made absolute), recorded (and audited) when new."""
    path = absolute(folder)
    root = session.scalars(select(ArchiveRoot).where(ArchiveRoot.path == path)).first()
    if root is None:
        root = ArchiveRoot(path=path)
        session.add(root)
        session.flush()
        record(
            session, actor=actor, action="created", entity="archive_root", entity_pk=root.id,
            field="path", new_value=path,
        )  # fmt: skip
    return root


@dataclass(frozen=True)
class RootSummary:
    """An archive root, its images and how many of them are not where the root says."""

    path: str
    images: int
    missing: int


def root_summaries(session: Session) -> list[RootSummary]:
    """Every archive root with its image count and missing files (one stat per image), then
    ``path=""`` for images registered before roots existed (paths as stored)."""
    summaries = []
    counts = dict(
        session.execute(select(Image.root_pk, func.count(Image.id)).group_by(Image.root_pk)).all()
    )
    roots = [(root.id, root.path) for root in session.scalars(select(ArchiveRoot))]
    for root_pk, path in [*sorted(roots, key=lambda r: r[1]), (None, None)]:
        if root_pk is None and not counts.get(None):
            continue
        held = Image.root_pk.is_(None) if root_pk is None else Image.root_pk == root_pk
        stored = session.scalars(select(Image.path).where(held))
        missing = sum(not Path(resolved(path, each)).is_file() for each in stored)
        summaries.append(RootSummary(path or "", counts.get(root_pk, 0), missing))
    return summaries


def move_root(
    session: Session, old: str | Path, new: str | Path, *, actor: str, reason: str = ""
) -> RootSummary:
    """Point the archive root ``old`` (as recorded) at the folder ``new``, where its images now
    are; audited. Returns the root with the images still missing there."""
    old_path, new_path = absolute(old), absolute(new)
    root = session.scalars(select(ArchiveRoot).where(ArchiveRoot.path == old_path)).first()
    if root is None:
        known = ", ".join(sorted(session.scalars(select(ArchiveRoot.path)))) or "none"
        raise StoreError(
            f"no archive root {old_path} in the store (roots: {known})",
            fix="Give the old root as `spine-endpoints archive-roots` lists it.",
        )
    if not Path(new_path).is_dir():
        raise StoreError(
            "the new archive root is not a folder", path=new_path, fix="Give the moved archive."
        )
    taken = session.scalars(select(ArchiveRoot).where(ArchiveRoot.path == new_path)).first()
    if taken is not None and taken.id != root.id:
        raise StoreError(
            f"{new_path} is already an archive root (of other registered images)",
            fix="Images of two roots cannot share one; move the root to another folder.",
        )
    root.path = new_path
    session.flush()
    record(
        session, actor=actor, action="changed", entity="archive_root", entity_pk=root.id,
        field="path", old_value=old_path, new_value=new_path, reason=reason,
    )  # fmt: skip
    stored = list(session.scalars(select(Image.path).where(Image.root_pk == root.id)))
    missing = sum(not Path(resolved(new_path, each)).is_file() for each in stored)
    return RootSummary(new_path, len(stored), missing)
