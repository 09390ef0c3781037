"""Layers arriving in the viewer, put in by napari (File > Open, a plugin) or refilled by the
layer pool (:class:`~napari_spine_endpoints._qt.layer_pool.LayerPool`).

A radiograph of the open read (or of no read: one starts for its subject and visit) is attached
to the read, and said when it cannot be (a second neutral film). An MR/CT series goes to its
middle (mid-sagittal) slice and is held for the Grades step (:class:`Hanging`), once the films
opened with it are attached; one opened lazily (a dask volume) is decoded in the background
after the first frame (:class:`SeriesDecoder`). A film of another case is left alone: the
reader opens that case from the worklist.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
from napari.layers import Image, Layer
from napari.utils.notifications import show_warning
from qtpy.QtCore import QTimer

from imaging.errors import SpineEndpointsError
from napari_spine_endpoints._layer_info import ImageInfo
from napari_spine_endpoints._model.hanging import middle_slice
from napari_spine_endpoints._qt.series_decoder import SeriesDecoder

if TYPE_CHECKING:
    from napari_spine_endpoints._qt.context import ReadingContext


class LayerArrivals:
    """What the context does with each layer that comes into its viewer."""

    def __init__(self, context: ReadingContext) -> None:
        self.context = context
        self.series_decoder = SeriesDecoder(self._series_problem)
        """Decodes series opened lazily (File > Open) in the background."""

    def on_inserted(self, event: Any) -> None:
        """napari's ``layers.events.inserted``."""
        self.layer_in(event.value)

    def layer_in(self, layer: Layer) -> None:
        """A layer put in the viewer, or a kept one refilled: attached or held, and the
        context's ``films_changed`` said for a radiograph."""
        self.attach(layer)
        info = ImageInfo.from_metadata(layer.metadata)
        if isinstance(layer, Image) and info is not None and info.kind == "radiograph":
            self.context.films_changed.emit()

    def attach(self, layer: Layer) -> None:
        """A radiograph attached to the read it belongs to; a series held for its Grades step."""
        if not isinstance(layer, Image):
            return
        context = self.context
        info = ImageInfo.from_metadata(layer.metadata)
        if info is not None and info.kind == "series" and layer.ndim == 3:
            self._show_middle_slice(layer)
            # once the films opened with it are attached: held for the Grades step
            QTimer.singleShot(0, lambda: self._hold_series(layer, info))
            if not isinstance(layer.data, np.ndarray):  # opened lazily (File > Open)
                # one more turn of the event loop: the film's corner layers, due after the same
                # frame, come first
                context.after_next_frame(
                    lambda: QTimer.singleShot(0, lambda: self._decode_in_background(layer))
                )
        if info is None or info.kind != "radiograph":
            return
        if context.session is not None and not context.same_case(info):
            return  # another case's film: the reader opens it from the worklist
        self.attach_or_say(layer)

    def attach_or_say(self, layer: Image) -> None:
        """Attach a radiograph to the read, or tell the reader why it is not."""
        try:
            self.context.attach_film(layer)
        except (ValueError, SpineEndpointsError) as error:  # e.g. a second neutral film
            self.context.message.emit(f"{layer.name}: shown, not added to the read: {error}")

    def _hold_series(self, layer: Image, info: ImageInfo) -> None:
        context = self.context
        if layer in context.viewer.layers and (context.session is None or context.same_case(info)):
            context.hanging.hold(layer)

    def _decode_in_background(self, layer: Image) -> None:
        if layer in self.context.viewer.layers or layer in self.context.hanging.series:
            self.series_decoder.decode(layer)

    def _series_problem(self, name: str, error: BaseException) -> None:
        text = f"{name}: {error}"
        self.context.message.emit(text)
        show_warning(text)

    def _show_middle_slice(self, layer: Image) -> None:
        """Put the slice slider of a newly added series on its middle (mid-sagittal) slice."""
        viewer = self.context.viewer
        middle = layer.translate[0] + layer.scale[0] * middle_slice(layer.data.shape[0])
        viewer.dims.set_point(viewer.dims.ndim - 3, middle)
