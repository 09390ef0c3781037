"""The workstation's connection to the read store, without Qt and without database rows.

Every step goes through :mod:`imaging.store.workstation` (plain values in and out), one
transaction each: a worklist case and its blinded images (a read of it is keyed by its reading
id; the store finds its subject and visit when saving), the state of the reader's read of a
case, its stored draft, save (autosave), submit with the measures the reader saw (stored with
the software version by :func:`imaging.store.measures.replace_measures`), a correction,
registering files. The store is opened lazily from ``$SPINE_ENDPOINTS_STORE`` (else the store's
default) or the URL set in the worklist.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from imaging import __version__
from imaging.errors import StoreError
from imaging.protocol.model import Protocol
from imaging.report.read_summary import signature_line
from imaging.store.baseline_view import BaselineView, own_baseline_of
from imaging.store.blinding import CaseImages, case_images
from imaging.store.cases import ImageRecord
from imaging.store.qualification import unqualified_reason
from imaging.store.signatures import signature_frame
from imaging.store.store import ReadStore, store_url
from imaging.store.worklist import WorklistItem, worklist
from imaging.store.workstation import (
    CaseKey,
    CaseToOpen,
    ReadKey,
    ReadState,
    case_to_open,
    read_state,
    register_files,
    save_read_draft,
    start_read_correction,
    stored_content,
    submit_read,
)
from napari_spine_endpoints._model.session import ReadingSession
from napari_spine_endpoints._model.store_content import to_draft, to_read_content

SOURCE = f"napari workstation (spine-endpoints {__version__})"

__all__ = ["SOURCE", "CaseToOpen", "ReadState", "StoreLink"]


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
            return read_state(db, _key(session))

    def load_draft(self, session: ReadingSession) -> dict[str, Any] | None:
        """The stored content of the reader's latest read of this case, as a session draft."""
        with self.store.reading() as db:
            content = stored_content(db, _key(session))
        return None if content is None else to_draft(content, session)

    def save_draft(self, session: ReadingSession) -> ReadState:
        """Write the draft (starting the read when new); refused once submitted."""
        return self.draft_writer(session)()

    def draft_writer(self, session: ReadingSession) -> Callable[[], ReadState]:
        """The draft as it is now, and a call that writes it (one transaction, on any thread:
        it holds values only). Raises StoreError when the read cannot be stored."""
        key, content, protocol, store = (
            _key(session),
            to_read_content(session),
            session.protocol,
            self.store,
        )

        def write() -> ReadState:
            with store.writing() as db:
                return save_read_draft(db, key, content, protocol, source=SOURCE)

        return write

    @property
    def writes_off_thread(self) -> bool:
        """Another thread may write: the store is not one in-memory database on one shared
        connection (:attr:`ReadStore.one_connection`)."""
        return not self.store.one_connection

    def submit(self, session: ReadingSession) -> ReadState:
        """Save and submit the read, in one transaction; the store computes its measures from
        the same corners, films' calibrations and grades as the measures table shows."""
        content = to_read_content(session)
        with self.store.writing() as db:
            return submit_read(db, _key(session), content, session.protocol, source=SOURCE)

    def start_correction(self, session: ReadingSession, reason: str) -> ReadState:
        """Open version n + 1 of the reader's submitted read as a draft, with ``reason``."""
        with self.store.writing() as db:
            return start_read_correction(db, _key(session), reason, source=SOURCE)

    def signature(self, session: ReadingSession, version: int | None) -> str:
        """The electronic signature of ``version`` of the reader's read, in words; '' when that
        version is not signed (a draft, or a store without people)."""
        key = _key(session)
        with self.store.reading() as db:
            frame = signature_frame(db)
        chosen = (frame["reader"] == session.reader) & (frame["read_version"] == version)
        if isinstance(key, CaseKey):
            chosen &= frame["reading_id"] == key.reading_id
        else:
            chosen &= (frame["subject"] == key.subject) & (frame["visit"] == key.visit)
        return "; ".join(signature_line(row) for row in frame[chosen].to_dict("records"))

    def baseline(self, session: ReadingSession) -> BaselineView:
        """The reader's own baseline read of the session's subject and its images, where the
        protocol allows it (:func:`imaging.store.baseline_view.own_baseline`: StoreError, why
        not, otherwise)."""
        with self.store.reading() as db:
            return own_baseline_of(
                db, session.reader, session.protocol, reading_id=session.reading_id,
                subject=session.subject, visit=session.visit,
            )  # fmt: skip

    # --- worklist ------------------------------------------------------------------------------
    def worklist(self, reader: str, protocol: Protocol | None = None) -> list[WorklistItem]:
        """The reader's blinded worklist (cases with images only); with ``protocol``, as its
        reading design has it: reads per case, qualification, the repeats due (``repeat`` 1)."""
        with self.store.reading() as db:
            return worklist(db, reader, with_images_only=True, protocol=protocol)

    def trial_cases_refused(self, reader: str, protocol: Protocol) -> str | None:
        """Why the reader gets no trial case yet (qualification), or None."""
        with self.store.reading() as db:
            return unqualified_reason(db, protocol, reader)

    def case(self, reading_id: str, reader: str, protocol: Protocol, repeat: int = 0) -> CaseToOpen:
        """What to open for a worklist case (its reading id, status and items to grade);
        ``repeat`` 1: the reader's repeat read of it. A write transaction: connected as the
        reader's own PostgreSQL role, opening a case starts the reader's draft."""
        with self.store.writing() as db:
            return case_to_open(db, reading_id, reader, protocol, repeat, source=SOURCE)

    def images(self, reading_id: str) -> CaseImages:
        """The case's images, blinded, to load with :meth:`CaseImages.stages` (off the GUI
        thread): pixels and what measuring needs, never a path or a name."""
        with self.store.reading() as db:
            return case_images(db, reading_id)

    def register(self, paths: Iterable[Path], protocol: Protocol, actor: str) -> int:
        """Register DICOM files as images of the store's cases; returns how many."""
        records = [ImageRecord.from_file(path) for path in paths]
        with self.store.writing() as db:
            return register_files(db, records, protocol, actor)


def _key(session: ReadingSession) -> ReadKey | CaseKey:
    if session.reading_id:
        return CaseKey(session.reading_id, session.reader, session.repeat)
    if not session.subject or not session.visit:
        raise StoreError(
            "the film names no subject or visit ((0012,0040) Clinical Trial Subject ID, "
            "(0012,0050) Clinical Trial Time Point ID), so the read cannot be stored",
            fix="Open the case from the worklist, or use films with clinical trial attributes.",
        )
    return ReadKey(session.subject, session.visit, session.reader)
