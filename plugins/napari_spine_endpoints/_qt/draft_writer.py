"""The autosave's write, off the GUI thread.

A draft write is a store transaction (about 8 ms of the GUI thread per pause on SQLite, more on
a distant PostgreSQL server). When the reader pauses, the draft is taken as it is on the GUI
thread (:meth:`ReadLifecycle.draft_to_write`: plain values) and written by one worker thread,
one write at a time, in order; its outcome (saved, or not saved and why) reaches the reader on
the GUI thread. Every write the GUI thread makes itself (a flush on a change of film or step,
submit, a correction, closing the case, opening the next) first waits for the write in flight
and takes its outcome, so writes never overlap or land out of order. An in-memory SQLite store
(one database per connection) is written on the GUI thread.
"""

from __future__ import annotations

from concurrent.futures import Future, ThreadPoolExecutor

from qtpy.QtCore import QObject, Signal

from napari_spine_endpoints._model.read_lifecycle import ReadLifecycle, run_write
from napari_spine_endpoints._model.store_link import ReadState


class DraftWriter(QObject):
    """Writes the open read's draft on a worker thread (see the module's docstring)."""

    _finished = Signal()

    def __init__(self, lifecycle: ReadLifecycle) -> None:
        super().__init__()
        self.lifecycle = lifecycle
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="draft-writer")
        self._pending: Future[ReadState | Exception] | None = None
        self._finished.connect(self._deliver)  # queued: the GUI thread takes the outcome

    def write_later(self) -> None:
        """Take the draft now and write it on the worker thread."""
        self.wait()
        write = self.lifecycle.draft_to_write()
        if write is None:
            return
        if not self.lifecycle.store.writes_off_thread:
            self.lifecycle.draft_written(run_write(write))
            return
        self._pending = self._pool.submit(run_write, write)
        self._pending.add_done_callback(lambda _future: self._finished.emit())

    @property
    def idle(self) -> bool:
        """No write in flight or waiting to give its outcome."""
        return self._pending is None

    def wait(self) -> None:
        """Let the write in flight finish and give its outcome, before the GUI thread writes."""
        if self._pending is not None:
            self._pending.result()
            self._deliver()

    def _deliver(self) -> None:
        pending = self._pending
        if pending is None or not pending.done():
            return
        self._pending = None
        self.lifecycle.draft_written(pending.result())
