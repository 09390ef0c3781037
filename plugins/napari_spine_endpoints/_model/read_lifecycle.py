"""The rules of a read's life in the workstation, without Qt: draft, submitted, correction.

A case the reader has not read is ``to read``; the first save makes it a ``draft`` (autosave
writes every change); submit checks that the read is complete, stores it with the measures
shown and makes it ``submitted``, after which the workstation opens the next case still to read
or in draft (:func:`next_case`). A submitted read is never changed: edits made to it are not
saved (the reader is told so) but stay in the session, and a correction, which needs a reason,
makes version n + 1 a draft holding them. A read the store cannot keep (no subject or visit on
the film, no store) is ``not stored``: it can be read, nothing of it is saved.

:class:`ReadLifecycle` applies these rules to the open :class:`ReadingSession` over a
:class:`StoreLink`; it tells the reader what happened through ``tell`` and notifies its
subscribers when the read's status changes. The Qt layer (``_qt/context.py``) only schedules the
autosave and relays messages.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from imaging.errors import SpineEndpointsError
from imaging.store.vocabulary import ReadStatus
from imaging.store.worklist import WorklistItem
from napari_spine_endpoints._model.observable import Observable
from napari_spine_endpoints._model.session import ReadingSession
from napari_spine_endpoints._model.store_link import ReadState, StoreLink

NOT_STORED = "not stored"
"""What the workstation shows for a read the store cannot keep."""
_UNREAD = ReadState(ReadStatus.TO_READ)


def next_case(items: Iterable[WorklistItem], current: str | None = None) -> str | None:
    """The reading id of the first worklist case still to read or in draft, other than
    ``current``; None when the worklist is done."""
    item = next_item(items, current)
    return None if item is None else item.reading_id


def next_item(items: Iterable[WorklistItem], current: str | None = None) -> WorklistItem | None:
    """The first worklist item (a first read, or a repeat read) still to read or in draft, other
    than the case ``current``; None when the worklist is done."""
    for item in items:
        if item.status.editable and item.reading_id != current:
            return item
    return None


def run_write(write: Callable[[], ReadState]) -> ReadState | Exception:
    """A draft write's outcome: the read's state, or the error that stopped it (any error: on a
    worker thread it would otherwise go unseen; the reader is told)."""
    try:
        return write()
    except Exception as error:  # reported to the reader by draft_written
        return error


def _ignore(_message: str) -> None:
    pass


class ReadLifecycle(Observable):
    """The open read's status in the store and the rules for saving, submitting, correcting."""

    def __init__(self, store: StoreLink, tell: Callable[[str], None] = _ignore) -> None:
        super().__init__()
        self.store = store
        self.tell = tell
        """Called with each message for the reader (saved, submitted, refused ...)."""
        self.session: ReadingSession | None = None
        self.state = _UNREAD
        self.stored = True
        """False when the store cannot keep the open read (nothing of it is saved)."""

    # --- the open read -------------------------------------------------------------------------
    def open(self, session: ReadingSession) -> None:
        """Make ``session`` the open read, resuming the reader's stored draft of its case."""
        self.session = session
        try:
            draft = self.store.load_draft(session)
            state = self.store.state(session)
        except SpineEndpointsError as error:
            self.state, self.stored = _UNREAD, False
            self.tell(f"Nothing of this read will be saved: {error}")
        else:
            self.state, self.stored = state, True
            if draft is not None:
                session.restore(draft)
        self._changed()

    def close(self) -> None:
        """No read is open any more (save it first: :meth:`save_draft`)."""
        self.session, self.state, self.stored = None, _UNREAD, True
        self._changed()

    @property
    def editable(self) -> bool:
        """A read is open and its changes are saved as they are (to read or a draft)."""
        return self.session is not None and self.stored and self.state.status.editable

    @property
    def correctable(self) -> bool:
        """The open read is submitted: a correction (with a reason) can reopen it."""
        return (
            self.session is not None and self.stored and self.state.status is ReadStatus.SUBMITTED
        )

    @property
    def status_text(self) -> str:
        """'draft v2', 'to read', 'not stored' ..."""
        if not self.stored:
            return NOT_STORED
        version = f" v{self.state.version}" if self.state.version else ""
        return f"{self.state.status}{version}"

    # --- saving --------------------------------------------------------------------------------
    def save_draft(self) -> bool:
        """Write the draft now; True when written. A submitted read is left as it is (and the
        reader told why); a read the store cannot keep is not written."""
        write = self.draft_to_write()
        return write is not None and self.draft_written(run_write(write))

    def draft_to_write(self) -> Callable[[], ReadState] | None:
        """The draft as it is now and the call that writes it (on any thread: see
        :meth:`draft_written` for its outcome); None when nothing is to be written (a submitted
        read: the reader is told why; a read the store cannot keep)."""
        session = self.session
        if session is None or not self.stored:
            return None
        if not self.state.status.editable:
            self.tell(
                f"Not saved: this read is {self.state.status} (v{self.state.version}). To change "
                "it, start a correction with a reason (Grades: Correct submitted read)."
            )
            return None
        try:
            return self.store.draft_writer(session)
        except SpineEndpointsError as error:
            self.tell(f"Draft NOT saved: {error}")
            return None

    def draft_written(self, outcome: ReadState | Exception) -> bool:
        """A draft write's outcome (:func:`run_write`): the read's new state, or the reader is
        told it was not saved and why; True when written."""
        if isinstance(outcome, Exception):
            self.tell(f"Draft NOT saved: {outcome}")
            return False
        self._set_state(outcome)
        if self.session is not None:
            self.tell(f"Draft saved ({self.session.label})")
        return True

    def submit(self) -> list[str]:
        """Submit the read with its measures; returns what blocks it (empty when submitted)."""
        session = self.session
        if session is None:
            return ["no read is open: open a case from the worklist or a film"]
        if not self.stored:
            return ["this read cannot be stored (see the message when it was opened)"]
        if not self.state.status.editable:
            return [
                f"this read is already {self.state.status} (version {self.state.version}); to "
                "change it, start a correction with a reason (Correct submitted read)"
            ]
        problems = session.problems()
        if problems:
            return problems
        try:
            self._set_state(self.store.submit(session))
        except SpineEndpointsError as error:
            return [f"the store refused the read: {error}"]
        self.tell(f"Submitted {session.label} as reader {session.reader}")
        return []

    def start_correction(self, reason: str) -> list[str]:
        """Reopen the submitted read as version n + 1, a draft, with ``reason``, keeping the
        edits made since it was submitted; returns what prevents it (empty when started)."""
        session = self.session
        if session is None:
            return ["no read is open"]
        if not self.correctable:
            shown = self.state.status if self.stored else NOT_STORED
            return [f"only a submitted read can be corrected; this one is {shown}"]
        try:
            self._set_state(self.store.start_correction(session, reason))
        except SpineEndpointsError as error:
            return [str(error)]
        self.tell(
            f"Correcting {session.label}: version {self.state.version} is a draft until "
            "submitted; the submitted version stays in the store"
        )
        self.save_draft()
        return []

    def _set_state(self, state: ReadState) -> None:
        changed = state != self.state
        self.state = state
        if changed:
            self._changed()
