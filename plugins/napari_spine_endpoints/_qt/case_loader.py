"""Opening worklist cases: images load off the GUI thread and come on screen film first.

A case's images load in a napari worker (:func:`napari.qt.threading.create_worker`) in stages,
the film read first, the other films, then the MR/CT series, blinded by the store
(:mod:`imaging.store.blinding`: pixels and what measuring needs, no path, date, name or
description; layers made by :func:`napari_spine_endpoints._layers.blinded_layer`); the other
images decode once the first film is on screen, not competing with it. napari takes about
0.1-0.2 s to add an image layer and as long to remove it, so only the shown film is added at
once (into the previous case's film layer, refilled:
:class:`~napari_spine_endpoints._qt.layer_pool.LayerPool`); the other films of a read with
corners to place, and the series, are made into layers one per event-loop turn and held out of
the viewer until the reader shows them (another film chosen; the Grades step): the first film
is on screen quickly, napari stays responsive, and a film only tracked is never added. The
previous case's layers not refilled are removed at once, in one batch (napari collects garbage
once per removal batch). The read and the layers are named by the reading id, never by subject
or visit.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from napari.layers import Layer
from napari.qt.threading import create_worker
from qtpy.QtCore import QTimer

from imaging.store.blinding import CaseImages
from napari_spine_endpoints._layer_info import ImageInfo
from napari_spine_endpoints._layers import LayerData, blinded_layer
from napari_spine_endpoints._model.read_lifecycle import next_item

if TYPE_CHECKING:
    from napari_spine_endpoints._qt.context import ReadingContext

QueuedLayer = tuple[str, Any, dict[str, Any], str]


FIRST_FILM_WAIT_S = 2.0
"""Longest the other images wait for the first film's first frame."""


def layers_in_stages(
    images: CaseImages, reading_id: str, first_film_shown: threading.Event | None = None
) -> Iterator[list[LayerData]]:
    """The case's first film, the other films, then its series, as layer data (run in the
    worker). The rest waits for ``first_film_shown`` (at most :data:`FIRST_FILM_WAIT_S`; not at
    all when the first film did not load): its decoding does not compete with putting the first
    film on screen."""
    for number, stage in enumerate(images.stages()):
        yield [blinded_layer(image, reading_id) for image in stage]
        if number == 0 and stage and first_film_shown is not None:  # (no film: nothing to wait for)
            first_film_shown.wait(FIRST_FILM_WAIT_S)


class CaseLoader:
    """Opens cases of the reader's worklist into the context's viewer."""

    def __init__(self, context: ReadingContext) -> None:
        self.context = context
        self._queue: list[QueuedLayer] = []
        self._film_shown = False
        """The open case's first film came (shown; the others come hidden)."""
        self._loaded: tuple[str, list[str]] = ("", [])
        """The case whose images have all loaded (its reading id) and those left out."""
        self._failed_case = ""
        """The case none of whose images loaded."""
        self._first_frame = threading.Event()
        """Set once the open case's first film is on screen."""
        self._worker: Any = None
        """The open case's loading worker."""

    def open_next(self) -> str | None:
        """Open the first case still to read (or in draft); its reading id, or None when done."""
        context = self.context
        items = context.store.worklist(context.reader_id, context.protocol)
        item = next_item(items, context.case_id)
        if item is None:
            context.message.emit("Worklist done: no case left to read")
            return None
        self.open(item.reading_id, item.repeat)
        return item.reading_id

    def open(self, reading_id: str, repeat: int = 0) -> Any:
        """Close the open read, then load the case (``repeat`` 1: the reader's repeat read of
        it, blind to the first); returns the (started) worker."""
        context, viewer = self.context, self.context.viewer
        context.drafts.wait()  # the open read's last autosave first
        case = context.store.case(reading_id, context.reader_id, context.protocol, repeat)
        images = context.store.images(reading_id)
        previous = [layer for layer in viewer.layers if ImageInfo.from_metadata(layer.metadata)]
        context.close_session(and_remove=previous)
        label = f"{reading_id} (repeat read)" if repeat else reading_id
        context.new_session(label=label, case_id=reading_id, items=case.items, repeat=repeat)
        self._queue.clear()
        self._film_shown = False
        self._failed_case = ""
        if self._worker is not None:
            self._worker.quit()  # the previous case's images stop loading at the next stage
        self._first_frame.set()  # (and wait no longer for its first film)
        self._first_frame = threading.Event()
        context.message.emit(f"Loading case {reading_id} ...")
        worker = create_worker(layers_in_stages, images, reading_id, self._first_frame)
        worker.yielded.connect(lambda layers: self._add(layers, reading_id))
        worker.errored.connect(lambda error: self._failed(reading_id, error))
        worker.finished.connect(lambda: self._finished(images, reading_id))
        worker.start()
        self._worker = worker
        return worker

    def _first_frame_shown(self) -> None:
        """The first film's first frame is on screen; its corner layers come with it (see
        :meth:`ReadingContext.attach_film`): the other images load after their frame."""
        self.context.after_next_frame(self._first_frame.set)

    def _failed(self, reading_id: str, error: BaseException) -> None:
        """Nothing of the case could be loaded: said (its images by their tokens)."""
        if reading_id == self.context.case_id:
            self._failed_case = reading_id
            self.context.message.emit(f"Case {reading_id}: {error}")

    def _finished(self, images: CaseImages, reading_id: str) -> None:
        """Every image loaded: the case is open once the last is in, and the images left out
        are named with it (by their tokens: the store's messages hold no path). Nothing of a
        case closed meanwhile, nor after the reason nothing loaded."""
        if reading_id != self.context.case_id or reading_id == self._failed_case:
            return
        self._loaded = (reading_id, list(images.problems))
        self._say_open()

    def _say_open(self) -> None:
        case_id, (loaded, problems) = self.context.case_id, self._loaded
        if case_id is None or case_id != loaded or self._queue:
            return
        listed = "".join(f"\n- {problem}" for problem in problems)
        left_out = f"; {len(problems)} image(s) left out:{listed}" if problems else ""
        self.context.message.emit(f"Case {case_id} open{left_out}")

    def _add(self, layers: list[Any], reading_id: str) -> None:
        """Queue a loaded batch: shown images now, hidden ones one per event-loop turn."""
        if self.context.case_id != reading_id:
            return  # another case was opened meanwhile
        for _, kwargs, _ in layers:  # the case's first film shown (a series stage comes hidden)
            info = ImageInfo.from_metadata(kwargs["metadata"])
            first = info is not None and info.kind == "radiograph" and not self._film_shown
            kwargs["visible"] = first
            self._film_shown = self._film_shown or first
        for data, kwargs, kind in layers:
            self._queue.append((reading_id, data, kwargs, kind))
        self._queue.sort(key=lambda item: not item[2].get("visible", True))  # stable
        self._add_queued()

    def _add_queued(self) -> None:
        context = self.context
        while self._queue:
            reading_id, data, kwargs, kind = self._queue.pop(0)
            if reading_id != context.case_id:
                continue
            info = ImageInfo.from_metadata(kwargs["metadata"])
            kind_of = None if info is None or kind != "image" else info.kind
            if kind_of == "series":
                # in at the Grades step, into the last read's series layer (refilled)
                context.hanging.hold(context.pool.hold("series", kind, data, kwargs))
            elif kind_of == "radiograph" and not kwargs["visible"] and context.places_corners:
                # a film not shown first: out of the viewer until the reader shows it (a
                # tracked film may never be shown)
                context.hold_film(Layer.create(data, kwargs, kind))
            else:
                context.pool.make("film", kind, data, kwargs)  # the last read's, refilled
                context.hanging.reassert()  # the added layer became active: the corners again
                if kwargs["visible"]:
                    context.after_next_frame(self._first_frame_shown)
            if self._queue and not self._queue[0][2].get("visible", True):
                QTimer.singleShot(0, self._add_queued)
                return
        self._say_open()
