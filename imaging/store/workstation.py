"""A reading workstation's steps on the store: plain values in, plain values out.

A reader opens a case (from the worklist: :func:`case_to_open`, its images from
:func:`~imaging.store.blinding.case_images`, blinded: a reading id and pixels; or a film opened
from a file naming its subject and visit), resumes the stored draft (:func:`stored_content`),
saves as it goes (:func:`save_read_draft`, which starts the read when new), submits with the
measures it showed (:func:`submit_read`), and corrects a submitted read with a reason
(:func:`start_read_correction`).
Each function takes the session of one :class:`~imaging.store.store.ReadStore` transaction and
identifies the read by :class:`CaseKey` (reading id, reader: a worklist case, whose images the
read names by their tokens) or :class:`ReadKey` (subject, visit, reader: a film opened from a
file); none returns database rows, so a front end (the napari plugin) never builds or holds them.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy.orm import Session

from imaging.errors import StoreError
from imaging.protocol.model import Protocol
from imaging.store.blinding import case_images, named_as_stored, named_by_token
from imaging.store.cases import ImageRecord, case_names, get_case, register_images
from imaging.store.corrections import start_correction
from imaging.store.identifiers import check_value
from imaging.store.measures import submit_with_measures
from imaging.store.reader_access import blinded, case_visit
from imaging.store.reads import (
    ReadContent,
    latest_version,
    read_content,
    save_draft,
    start_read,
)
from imaging.store.repeats import REPEAT, start_repeat
from imaging.store.schema import Case, Read, Subject
from imaging.store.vocabulary import ReadStatus
from imaging.store.worklist import case_for_reading, read_refusal, repeats_due


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

    @property
    def label(self) -> str:
        return f"{self.subject} {self.visit}"


@dataclass(frozen=True)
class CaseKey:
    """One reader's read of a worklist case, by its reading id (blinded reading); ``repeat`` 1:
    their intra-reader repeat of it (:mod:`imaging.store.repeats`)."""

    reading_id: str
    reader: str
    repeat: int = 0

    def __post_init__(self) -> None:
        columns = {"reading id": Case.reading_id, "reader": Read.reader}
        for name, column in columns.items():
            value = getattr(self, name.replace(" ", "_"))
            if not value.strip():
                raise StoreError(f"a read needs a {name}: {name} is empty")
            check_value(value, column)

    @property
    def label(self) -> str:
        return f"case {self.reading_id}" + (" (repeat read)" if self.repeat else "")


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
    """A worklist case as the reader's session receives it: its reading id, the reader's
    progress, the grading items read for it (the visit's, resolved here; the visit is not named)
    and how many images it has (loaded with :func:`case_images`)."""

    reading_id: str
    status: ReadStatus
    items: tuple[str, ...]
    image_count: int
    repeat: int = 0
    """1: the reader's intra-reader repeat of the case, started empty."""


def _case(session: Session, key: ReadKey | CaseKey, *, create: bool) -> Case:
    if isinstance(key, CaseKey):
        return case_for_reading(session, key.reading_id)
    return get_case(session, key.subject, key.visit, actor=key.reader, create=create)


def _latest(session: Session, key: ReadKey | CaseKey) -> Read | None:
    try:
        case = _case(session, key, create=False)
    except StoreError:  # no such subject or case yet: nothing read
        return None
    return latest_version(session, case, key.reader, repeat=_repeat(key))


def _repeat(key: ReadKey | CaseKey) -> int:
    return key.repeat if isinstance(key, CaseKey) else 0


def _latest_or_new(
    session: Session, key: ReadKey | CaseKey, protocol: Protocol, source: str
) -> Read:
    case = _case(session, key, create=True)
    read = latest_version(session, case, key.reader, repeat=_repeat(key))
    if read is None and _repeat(key):
        return start_repeat(session, protocol, case, key.reader, actor=key.reader)
    if read is None:
        refused = read_refusal(session, protocol, case, key.reader)
        if refused:
            raise StoreError(f"{key.label}: {refused}")
        read = start_read(
            session, case, key.reader, actor=key.reader, protocol_id=protocol.id, source=source
        )
    return read


def _as_stored(session: Session, key: ReadKey | CaseKey, content: ReadContent) -> ReadContent:
    """A blinded read's image tokens as the store names the images."""
    return (
        named_as_stored(session, key.reading_id, content) if isinstance(key, CaseKey) else content
    )


def read_state(session: Session, key: ReadKey | CaseKey) -> ReadState:
    """Where the reader's latest read of the case stands."""
    return ReadState.of(_latest(session, key))


def stored_content(session: Session, key: ReadKey | CaseKey) -> ReadContent | None:
    """What the reader's latest read of the case holds (a blinded read's images named by their
    tokens); None when there is none."""
    read = _latest(session, key)
    if read is None:
        return None
    content = read_content(session, read)
    return named_by_token(session, key.reading_id, content) if isinstance(key, CaseKey) else content


def save_read_draft(
    session: Session,
    key: ReadKey | CaseKey,
    content: ReadContent,
    protocol: Protocol,
    *,
    source: str = "",
) -> ReadState:
    """Save ``content`` as the draft (starting the read, and the case, when new).

    Raises :class:`~imaging.errors.ReadImmutableError` when the latest read is submitted.
    """
    read = _latest_or_new(session, key, protocol, source)  # first: a reader's role reaches
    content = _as_stored(session, key, content)  # a case's files through their read of it
    save_draft(session, read, content, protocol)
    return ReadState.of(read)


def submit_read(
    session: Session,
    key: ReadKey | CaseKey,
    content: ReadContent,
    protocol: Protocol,
    *,
    source: str = "",
) -> ReadState:
    """Save ``content`` and submit it with the measures the store computes from it
    (:func:`~imaging.store.measures.submit_with_measures`): call it inside one transaction, so
    that all of it is stored or none."""
    read = _latest_or_new(session, key, protocol, source)
    content = _as_stored(session, key, content)
    submit_with_measures(session, read, content, protocol, actor=key.reader)
    return ReadState.of(read)


def start_read_correction(
    session: Session, key: ReadKey | CaseKey, reason: str, *, source: str = ""
) -> ReadState:
    """Open version n + 1 of the reader's submitted read as a draft, with ``reason``."""
    read = _latest(session, key)
    if read is None:
        raise StoreError(
            f"reader {key.reader} has no read of {key.label} to correct",
            fix="Only a submitted read is corrected; a case not read yet is simply read.",
        )
    correction = start_correction(session, read, reason=reason, actor=key.reader, source=source)
    return ReadState.of(correction)


def case_to_open(
    session: Session,
    reading_id: str,
    reader: str,
    protocol: Protocol,
    repeat: int = 0,
    *,
    source: str = "",
) -> CaseToOpen:
    """What a workstation opens for the worklist case ``reading_id`` (``repeat`` 1: the reader's
    repeat of it), and the reader's progress: no subject, visit, date or path (the images come
    from :func:`~imaging.store.blinding.case_images`). While a repeat of the case is due and not
    submitted, the reader's first read is refused: the repeat is read blind to it.

    Connected as the reader's own PostgreSQL role, opening a case the reader has no read of
    starts their draft (when the protocol's reading design has room for it: refused with the
    reason otherwise), since that role reaches a case's visit and files only through a read of
    it (:mod:`imaging.store.reader_access`): call it in a write transaction there."""
    case = case_for_reading(session, reading_id)
    if blinded(session):
        if latest_version(session, case, reader, repeat=repeat) is None:
            _latest_or_new(session, CaseKey(reading_id, reader, repeat), protocol, source)
            case = case_for_reading(session, reading_id)
        visit = case_visit(session, case)
    else:
        _, visit = case_names(session, case)
    items = tuple(item.name for item in protocol.items_at_visit(visit))
    if not repeat and reading_id in repeats_due(session, protocol, reader):
        again = latest_version(session, case, reader, repeat=REPEAT)
        if again is None or not ReadStatus(again.status).done:
            raise StoreError(
                f"case {reading_id}: your repeat read of it is due, and your first read stays "
                "out of view until the repeat is submitted (a repeat is read blind to it)",
                fix="Open the case's repeat read from the worklist.",
            )
    state = ReadState.of(latest_version(session, case, reader, repeat=repeat))
    count = len(case_images(session, reading_id))
    return CaseToOpen(reading_id, state.status, items, count, repeat)


def register_files(
    session: Session, records: Iterable[ImageRecord], protocol: Protocol, actor: str
) -> int:
    """Register DICOM files (their headers, read beforehand with
    :meth:`~imaging.store.cases.ImageRecord.from_file`, outside the transaction) as images of
    the store's cases; returns how many were registered."""
    return len(register_images(session, protocol, list(records), actor=actor))
