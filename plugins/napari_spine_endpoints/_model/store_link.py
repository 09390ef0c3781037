"""The workstation's connection to the read store (:mod:`imaging.store`), without Qt.

Drafts are written with :func:`imaging.store.reads.save_draft` (autosave) and submitted with
:func:`imaging.store.reads.submit`; at submit the measures the reader saw (rows of
:mod:`imaging.endpoints`) are stored with the read, in the same transaction. The store is opened
lazily from ``$SPINE_ENDPOINTS_STORE`` (else the store's default) or the URL set in the worklist.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import delete
from sqlalchemy.orm import Session

from imaging import __version__
from imaging.errors import StoreError
from imaging.protocol.model import Protocol
from imaging.store.cases import ImageRecord, case_names, get_case, register_images
from imaging.store.reads import (
    latest_version,
    read_content,
    save_draft,
    start_correction,
    start_read,
    submit,
)
from imaging.store.schema import Case, Measurement, Read
from imaging.store.store import ReadStore, store_url
from imaging.store.worklist import WorklistItem, case_for_reading, images_for_reading, worklist
from napari_spine_endpoints._model.session import ReadingSession
from napari_spine_endpoints._model.store_content import to_draft, to_read_content

SOURCE = f"napari workstation (spine-endpoints {__version__})"


@dataclass(frozen=True)
class CaseToOpen:
    """A worklist case: its reading id, its images (path, film) and, for the session only, whom
    and when it is (never shown when reading is blinded)."""

    reading_id: str
    subject: str
    visit: str
    images: tuple[tuple[str, str], ...]
    status: str


@dataclass(frozen=True)
class ReadState:
    """The reader's latest read of a case: its status and version, or 'to read'."""

    status: str
    version: int | None


class StoreLink:
    """Opens the store on first use; every call is one transaction."""

    def __init__(self, url: str | None = None) -> None:
        self.url = store_url(url)
        self._store: ReadStore | None = None

    def set_url(self, url: str) -> None:
        """Use another store (closing the current one)."""
        self.close()
        self.url = store_url(url or None)

    @property
    def store(self) -> ReadStore:
        if self._store is None:
            self._store = ReadStore(self.url)
        return self._store

    def close(self) -> None:
        if self._store is not None:
            self._store.close()
            self._store = None

    # --- reads ---------------------------------------------------------------------------------
    def state(self, session: ReadingSession) -> ReadState:
        """Where this reader's read of the session's case stands."""
        with self.store.reading() as db:
            read = self._latest(db, session, create=False)
            return (
                ReadState("to read", None) if read is None else ReadState(read.status, read.version)
            )

    def load_draft(self, session: ReadingSession) -> dict[str, Any] | None:
        """The stored content of the reader's latest read of this case, as a session draft."""
        with self.store.reading() as db:
            read = self._latest(db, session, create=False)
            if read is None:
                return None
            return to_draft(read_content(db, read), session)

    def save_draft(self, session: ReadingSession) -> ReadState:
        """Write the draft (starting the read when new); refused once submitted."""
        with self.store.writing() as db:
            read = self._latest(db, session, create=True)
            assert read is not None
            save_draft(db, read, to_read_content(session), session.protocol)
            return ReadState(read.status, read.version)

    def submit(self, session: ReadingSession, measures: Iterable[Any]) -> ReadState:
        """Save, store the measures with the read, and submit it, in one transaction."""
        with self.store.writing() as db:
            read = self._latest(db, session, create=True)
            assert read is not None
            save_draft(db, read, to_read_content(session), session.protocol)
            db.execute(delete(Measurement).where(Measurement.read_pk == read.id))
            for row in measures:
                db.add(
                    Measurement(
                        case_pk=read.case_pk, read_pk=read.id, level=row.level,
                        measure=row.measure, value=row.value, unit=row.unit,
                        calibration=row.calibration, film=row.film, reader=row.reader,
                        reference_levels=row.reference_levels, source_image=row.source_image,
                        note=row.note,
                    )
                )  # fmt: skip
            db.flush()
            submit(db, read, actor=session.reader)
            return ReadState(read.status, read.version)

    def start_correction(self, session: ReadingSession, reason: str) -> ReadState:
        """Open version n + 1 of the reader's submitted read as a draft, with ``reason``."""
        with self.store.writing() as db:
            read = self._latest(db, session, create=False)
            if read is None:
                raise StoreError("there is no submitted read of this case to correct")
            correction = start_correction(
                db, read, reason=reason, actor=session.reader, source=SOURCE
            )
            return ReadState(correction.status, correction.version)

    def _latest(self, db: Session, session: ReadingSession, *, create: bool) -> Read | None:
        if not session.subject or not session.visit:
            raise StoreError(
                "the film names no subject or visit ((0012,0040) Clinical Trial Subject ID, "
                "(0012,0050) Clinical Trial Time Point ID), so the read cannot be stored",
                fix="Open the case from the worklist, or use films with clinical trial attributes.",
            )
        try:
            case = get_case(db, session.subject, session.visit, actor=session.reader, create=create)
        except StoreError:
            if create:
                raise
            return None
        read = latest_version(db, case, session.reader)
        if read is None and create:
            read = start_read(
                db, case, session.reader, actor=session.reader,
                protocol_id=session.protocol.id, source=SOURCE,
            )  # fmt: skip
        return read

    # --- worklist ------------------------------------------------------------------------------
    def worklist(self, reader: str) -> list[WorklistItem]:
        """The reader's blinded worklist (cases with images only)."""
        with self.store.reading() as db:
            return worklist(db, reader, with_images_only=True)

    def case(self, reading_id: str, reader: str) -> CaseToOpen:
        """What to open for a worklist case."""
        with self.store.reading() as db:
            case: Case = case_for_reading(db, reading_id)
            subject, visit = case_names(db, case)
            images = tuple((path, film) for _, path, film in images_for_reading(db, reading_id))
            read = latest_version(db, case, reader)
            status = "to read" if read is None else read.status
        return CaseToOpen(reading_id, subject, visit, images, status)

    def register(self, paths: Iterable[Path], protocol: Protocol, actor: str) -> int:
        """Register DICOM files as images of the store's cases; returns how many."""
        records = [ImageRecord.from_file(path) for path in paths]
        with self.store.writing() as db:
            return len(register_images(db, protocol, records, actor=actor))
