"""Opening worklist cases: images load off the GUI thread and come on screen film first.

A case's files load in a napari worker (:func:`napari.qt.threading.create_worker`) in two stages,
films then MR/CT series (:func:`napari_spine_endpoints._reader.read_in_stages`). napari takes
about 0.1-0.2 s to add an image layer, so the shown film is added at once and the hidden images
one per event-loop turn: the first film is on screen quickly and napari stays responsive. The
previous case's layers are hidden at once and removed just after the new film's first frame
(napari collects garbage on each removal). With blinded reading the layers are named by the
reading id, never by subject or visit.
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING, Any

from napari.layers import Layer
from napari.qt.threading import create_worker
from qtpy.QtCore import QTimer

from napari_spine_endpoints._layer_info import ImageInfo
from napari_spine_endpoints._model.read_lifecycle import next_case
from napari_spine_endpoints._reader import read_in_stages

if TYPE_CHECKING:
    from napari_spine_endpoints._qt.context import ReadingContext

QueuedLayer = tuple[str, Any, dict[str, Any], str]


class CaseLoader:
    """Opens cases of the reader's worklist into the context's viewer."""

    def __init__(self, context: ReadingContext) -> None:
        self.context = context
        self._queue: list[QueuedLayer] = []
        self._retired: dict[str, list[Layer]] = {}
        """By case opened: the layers it replaced, hidden, removed once its film is on screen."""

    def open_next(self) -> str | None:
        """Open the first case still to read (or in draft); its reading id, or None when done."""
        context = self.context
        reading_id = next_case(context.store.worklist(context.reader_id), context.case_id)
        if reading_id is None:
            context.message.emit("Worklist done: no case left to read")
            return None
        self.open(reading_id)
        return reading_id

    def open(self, reading_id: str) -> Any:
        """Close the open read, then load the case; returns the (started) worker."""
        context, viewer = self.context, self.context.viewer
        case = context.store.case(reading_id, context.reader_id)
        blinded = context.protocol.blinded_reading
        previous = [layer for layer in viewer.layers if ImageInfo.from_metadata(layer.metadata)]
        self._retired[reading_id] = context.close_session(and_remove=previous, later=True)
        label = reading_id if blinded else ""
        context.new_session(case.subject, case.visit, label=label, case_id=reading_id)
        self._queue.clear()
        context.message.emit(f"Loading case {reading_id} ...")
        worker = create_worker(read_in_stages, [path for path, _ in case.images])
        worker.yielded.connect(lambda layers: self._add(layers, reading_id, blinded))
        worker.errored.connect(lambda error: context.message.emit(f"Case {reading_id}: {error}"))
        # also when nothing could be shown
        worker.finished.connect(
            lambda: context.after_next_frame(lambda: self._remove_retired(reading_id))
        )
        worker.start()
        return worker

    def _remove_retired(self, reading_id: str) -> None:
        self.context.remove_layers(self._retired.pop(reading_id, []))

    def _add(self, layers: list[Any], reading_id: str, blinded: bool) -> None:
        """Queue a loaded batch: shown images now, hidden ones one per event-loop turn."""
        if self.context.case_id != reading_id:
            return  # another case was opened meanwhile
        for data, kwargs, kind in layers:
            info = ImageInfo.from_metadata(kwargs["metadata"])
            if blinded and info is not None:
                what = info.film.value if info.film else info.description
                kwargs["name"] = f"{reading_id} {what}"
            self._queue.append((reading_id, data, kwargs, kind))
        self._queue.sort(key=lambda item: not item[2].get("visible", True))  # stable
        self._add_queued()

    def _add_queued(self) -> None:
        context = self.context
        while self._queue:
            reading_id, data, kwargs, kind = self._queue.pop(0)
            if reading_id != context.case_id:
                continue
            layer = context.viewer.add_layer(Layer.create(data, kwargs, kind))
            if layer.visible and reading_id in self._retired:
                context.after_next_frame(functools.partial(self._remove_retired, reading_id))
            if self._queue and not self._queue[0][2].get("visible", True):
                QTimer.singleShot(0, self._add_queued)
                return
        if context.case_id is not None:
            context.message.emit(f"Case {context.case_id} open")
