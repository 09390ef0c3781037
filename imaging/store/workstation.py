"""A reading workstation's steps on the store: plain values in, plain values out.

A reader opens a case (from the worklist: :func:`case_to_open`, or a film naming its subject and
visit), resumes the stored draft (:func:`stored_content`), saves as it goes
(:func:`save_read_draft`, which starts the read when new), submits with the measures it showed
(:func:`submit_read`), and corrects a submitted read with a reason (:func:`start_read_correction`).
Each function takes the session of one :class:`~imaging.store.store.ReadStore` transaction and
identifies the read by :class:`ReadKey` (subject, visit, reader); none returns database rows, so a
front end (the napari plugin) never builds or holds them.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy.orm import Session

from imaging.errors import StoreError
from imaging.protocol.model import Protocol
from imaging.store.cases import ImageRecord, case_names, get_case, register_images
from imaging.store.identifiers import check_value
from imaging.store.measures import submit_with_measures
from imaging.store.reads import (
    ReadContent,
    latest_version,
    read_content,
    save_draft,
    start_correction,
    start_read,
)
from imaging.store.schema import Case, Read, Subject
from imaging.store.vocabulary import ReadStatus
from imaging.store.worklist import case_for_reading, images_for_reading


@dataclass(frozen=True)
class ReadKey:
    """One reader's read of one case: the subject, the protocol's visit id and the reader id."""

    subject: str
    visit: str
    reader: str

    def __post_init__(self) -> None:
        columns = {"subject": Subject.subject_id, "visit": Case.visit_id, "reader": Read.reader}
        for name, column in columns.items():
            if not getattr(self, name).strip():
                raise StoreError(f"a read needs a {name}: {name} is empty")
            check_value(getattr(self, name), column)


@dataclass(frozen=True)
class ReadState:
    """Where the reader's latest read of a case stands: its status and version (None when the
    case is still to read)."""

    status: ReadStatus
    version: int | None = None

    @classmethod
    def of(cls, read: Read | None) -> ReadState:
        if read is None:
            return cls(ReadStatus.TO_READ)
        return cls(ReadStatus(read.status), read.version)


@dataclass(frozen=True)
class CaseToOpen:
    """A worklist case: its reading id, its images (path, film) and, for the workstation's read
    only, its subject and visit (never shown when reading is blinded)."""

    reading_id: str
    subject: str
    visit: str
    images: tuple[tuple[str, str], ...]
    status: ReadStatus


def _latest(session: Session, key: ReadKey) -> Read | None:
    try:
        case = get_case(session, key.subject, key.visit, actor=key.reader, create=False)
    except StoreError:  # no such subject or case yet: nothing read
        return None
    return latest_version(session, case, key.reader)


def _latest_or_new(session: Session, key: ReadKey, protocol: Protocol, source: str) -> Read:
    case = get_case(session, key.subject, key.visit, actor=key.reader, create=True)
    read = latest_version(session, case, key.reader)
    if read is None:
        read = start_read(
            session, case, key.reader, actor=key.reader, protocol_id=protocol.id, source=source
        )
    return read


def read_state(session: Session, key: ReadKey) -> ReadState:
    """Where the reader's latest read of the case stands."""
    return ReadState.of(_latest(session, key))


def stored_content(session: Session, key: ReadKey) -> ReadContent | None:
    """What the reader's latest read of the case holds; None when there is none."""
    read = _latest(session, key)
    return None if read is None else read_content(session, read)


def save_read_draft(
    session: Session, key: ReadKey, content: ReadContent, protocol: Protocol, *, source: str = ""
) -> ReadState:
    """Save ``content`` as the draft (starting the read, and the case, when new).

    Raises :class:`~imaging.errors.ReadImmutableError` when the latest read is submitted.
    """
    read = _latest_or_new(session, key, protocol, source)
    save_draft(session, read, content, protocol)
    return ReadState.of(read)


def submit_read(
    session: Session,
    key: ReadKey,
    content: ReadContent,
    protocol: Protocol,
    *,
    source: str = "",
) -> ReadState:
    """Save ``content`` and submit it with the measures the store computes from it
    (:func:`~imaging.store.measures.submit_with_measures`): call it inside one transaction, so
    that all of it is stored or none."""
    read = _latest_or_new(session, key, protocol, source)
    submit_with_measures(session, read, content, protocol, actor=key.reader)
    return ReadState.of(read)


def start_read_correction(
    session: Session, key: ReadKey, reason: str, *, source: str = ""
) -> ReadState:
    """Open version n + 1 of the reader's submitted read as a draft, with ``reason``."""
    read = _latest(session, key)
    if read is None:
        raise StoreError(
            f"reader {key.reader} has no read of {key.subject} {key.visit} to correct",
            fix="Only a submitted read is corrected; a case not read yet is simply read.",
        )
    correction = start_correction(session, read, reason=reason, actor=key.reader, source=source)
    return ReadState.of(correction)


def case_to_open(session: Session, reading_id: str, reader: str) -> CaseToOpen:
    """What a workstation opens for the worklist case ``reading_id``, and the reader's progress."""
    case = case_for_reading(session, reading_id)
    subject, visit = case_names(session, case)
    images = tuple((path, film) for _, path, film in images_for_reading(session, reading_id))
    state = ReadState.of(latest_version(session, case, reader))
    return CaseToOpen(reading_id, subject, visit, images, state.status)


def register_files(
    session: Session, records: Iterable[ImageRecord], protocol: Protocol, actor: str
) -> int:
    """Register DICOM files (their headers, read beforehand with
    :meth:`~imaging.store.cases.ImageRecord.from_file`, outside the transaction) as images of
    the store's cases; returns how many were registered."""
    return len(register_images(session, protocol, list(records), actor=actor))
