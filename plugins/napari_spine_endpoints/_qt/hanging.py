"""The hanging protocols on the viewer (:mod:`._model.hanging` decides, this applies it).

The read's MR/CT series are held here: in the Landmarks step they are out of the viewer (a 3-D
layer would put a slice slider under the film and, added while the film loads, take the clicks);
in the Grades step the T2 series is in the viewer on its mid-sagittal slice with the films and
their lines hidden (the T1 joins it when Shift-M shows it: a layer inserted costs napari about
0.3 s, so only the series shown goes in). Layers only enter and leave through napari's public
layer list; the active layer is set through ``layers.selection``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
from napari.layers import Image, Layer
from qtpy.QtCore import QObject, QTimer, Signal

from napari_spine_endpoints._layer_info import METADATA_KEY, ImageInfo
from napari_spine_endpoints._model.hanging import MrHanging, Step, middle_slice, mr_hanging
from napari_spine_endpoints._model.shortcuts import GRADE_KEYS
from napari_spine_endpoints._qt.visibility import set_visible

if TYPE_CHECKING:
    from imaging.anatomy import Film
    from napari_spine_endpoints._qt.context import ReadingContext


class Hanging(QObject):
    """The step on screen and the read's series; ``changed`` after every change of either."""

    changed = Signal()

    def __init__(self, context: ReadingContext) -> None:
        super().__init__()
        self.context = context
        self.viewer = context.viewer
        self.step = Step.LANDMARKS
        self.series: list[Image] = []
        """The open read's MR/CT series, in the order they came (in the viewer or held)."""
        self.mr_overlays: list[Layer] = []
        """Layers drawn on the MR (disc centres): in the viewer with the series only."""
        self.mr = MrHanging(None, None)
        self._chosen_t2: Image | None = None
        self._film_visibility: dict[Layer, bool] = {}
        self._fitted: tuple[Any, ...] = ()
        self._apply_pending = False

    # --- what is held ---------------------------------------------------------------------------
    def clear(self) -> None:
        """Another read: its series are its own (those in the viewer are the caller's to take
        away with the rest of the case)."""
        self.series = []
        self.mr_overlays = []
        self._chosen_t2 = None
        self._film_visibility = {}
        self._fitted = ()
        self.mr = MrHanging(None, None)
        self.step = Step.LANDMARKS
        self.changed.emit()

    def hold(self, layer: Image) -> None:
        """A series of the open read (in the viewer already, or not): hung as the step wants."""
        if layer not in self.series:
            self.series.append(layer)
            bind_grade_keys(layer, self.context)
            self._choose()
        elif self.step is Step.GRADES:
            return  # one of the read's series, put back by show_grades: hung already
        if not self._apply_pending:  # after the insertion that brought it has finished
            self._apply_pending = True
            QTimer.singleShot(0, self._apply)

    def add_mr_overlay(self, layer: Layer) -> None:
        """A layer drawn on the MR: it leaves and comes back with the series."""
        if layer not in self.mr_overlays:
            self.mr_overlays.append(layer)

    def mr_layers(self) -> list[Image]:
        """The held MR series (the T2/T1 choices)."""
        return [layer for layer in self.series if _info(layer).modality.upper() == "MR"]

    @property
    def t2(self) -> Image | None:
        return None if self.mr.t2 is None else self.mr_layers()[self.mr.t2]

    @property
    def t1(self) -> Image | None:
        return None if self.mr.t1 is None else self.mr_layers()[self.mr.t1]

    @property
    def shown_mr(self) -> Image | None:
        return None if self.mr.shown is None else self.mr_layers()[self.mr.shown]

    def choose_t2(self, layer: Image | None) -> None:
        """The reader's pick of the series to grade on."""
        self._chosen_t2 = layer
        self._choose()
        if self.step is Step.GRADES:
            self.show_grades()

    def _choose(self) -> None:
        layers = self.mr_layers()
        described = [(_info(x).weighting, _orientation(x)) for x in layers]
        chosen = layers.index(self._chosen_t2) if self._chosen_t2 in layers else None
        self.mr = mr_hanging(described, chosen)
        self.changed.emit()

    def _apply(self) -> None:
        self._apply_pending = False
        if self.step is Step.GRADES:
            self.show_grades()
        elif self.context.images:  # a film to read: the series wait for the Grades step
            self.context.remove_layers([*self.series, *self.mr_overlays])
            self.reassert()

    # --- the steps ------------------------------------------------------------------------------
    def show_landmarks(self, film: Film | None = None) -> None:
        """The film to read (``film``, else the active one) with its corner layer active."""
        self.step = Step.LANDMARKS
        self.context.remove_layers([*self.series, *self.mr_overlays])
        for layer, visible in self._film_visibility.items():
            if layer in self.viewer.layers:
                set_visible(layer, visible)
        self._film_visibility = {}
        self.reassert(film, chosen=film is not None)
        self.changed.emit()

    def reassert(self, film: Film | None = None, chosen: bool = False) -> None:
        """In the Landmarks step, the shown film's corner layer active in add mode, the film
        fitted to the window once per read (layers added while a case loads become active).
        Its corner layers are made a frame after the film is shown, unless the film was
        ``chosen`` by the reader."""
        context = self.context
        if self.step is not Step.LANDMARKS or context.session is None:
            return
        film = film or _shown_film(context)
        if film is None or film not in context.images:
            return
        if context.places_corners and film not in context.overlays and not chosen:
            return
        context.select_film(film)
        key, image = (id(context.session), film), context.images[film]
        series_in = any(layer in self.viewer.layers for layer in self.series)
        if self._fitted != key and not series_in:
            self._fitted = key
            fit_to_film(self.viewer, image)

    def show_grades(self) -> None:
        """The T2 series on its mid-sagittal slice (T1 hidden), films and their lines hidden."""
        self.step = Step.GRADES
        shown = self.shown_mr
        if shown is None:
            self.context.message.emit("No MR series in this read: the films stay on screen")
            self.changed.emit()
            return
        for layer in _film_layers(self.context):
            self._film_visibility.setdefault(layer, layer.visible)
            set_visible(layer, False)
        for layer in self.series:
            set_visible(layer, layer is shown)
        shown = self._put_in(shown)  # only the series shown: the T1 comes when Shift-M shows it
        for layer in self.mr_overlays:
            if layer not in self.viewer.layers:
                self.viewer.layers.append(layer)
        self.viewer.dims.set_point(
            self.viewer.dims.ndim - 3,
            shown.translate[0] + shown.scale[0] * middle_slice(shown.data.shape[0]),
        )
        if self._fitted != (id(self.context.session), "mr"):
            self._fitted = (id(self.context.session), "mr")
            self.viewer.reset_view(layers=[shown])
        self.viewer.layers.selection.active = shown
        self.changed.emit()

    def toggle_t1(self) -> None:
        """T2 <-> T1 on the same slice (Modic reads both)."""
        if self.step is not Step.GRADES or self.mr.t1 is None:
            self.context.message.emit("No T1 series to show (Grades step)")
            return
        self.mr = self.mr.toggled()
        shown = self.shown_mr
        for layer in self.series:
            set_visible(layer, layer is shown)
        if shown is not None:
            self.viewer.layers.selection.active = self._put_in(shown)
        self.changed.emit()

    def _put_in(self, layer: Image) -> Image:
        """A held series into the viewer, under the disc centres (the layer now in the viewer
        for it: the last read's series layer refilled, :meth:`LayerPool.put_in`, takes its
        place here). Not in a batched update: napari ends a batch with a full garbage
        collection (0.3-1 s with a case open), which an insertion does not need."""
        shown = self.context.pool.put_in(layer)
        assert isinstance(shown, Image)
        if shown is not layer:
            self.series[self.series.index(layer)] = shown
            bind_grade_keys(shown, self.context)
            if self._chosen_t2 is layer:
                self._chosen_t2 = shown
        return shown


def fit_to_film(viewer: Any, image: Image, margin: float = 0.05) -> None:
    """Centre and zoom the camera on a 2-D ``image``, ``margin`` (a fraction of the canvas)
    left around it, as ``viewer.reset_view(layers=[image])`` does; napari 0.9 cannot fit a 2-D
    layer while a 3-D one is in the viewer (the last read's MR waits hidden in it:
    :mod:`.layer_pool`). Extent in world units (mm), the pixels' own width included."""
    step = np.asarray(image.extent.step, dtype=float)[-2:]
    extent = np.asarray(image.extent.world, dtype=float)[:, -2:] + np.outer([-0.5, 0.5], step)
    size = extent[1] - extent[0]
    size[np.isclose(size, 0)] = 1
    viewbox = np.asarray(viewer.canvas.viewbox_size(viewer.layers), dtype=float)
    viewer.scene.camera.center = tuple(float(x) for x in extent[0] + size / 2)
    viewer.scene.camera.zoom = (1 - margin) * float(np.min(viewbox / size))


def bind_grade_keys(layer: Layer, context: ReadingContext) -> None:
    """The grade keys on a layer of the Grades step: its own binding comes before napari's
    layer-mode digits, on this layer only (``Layer.bind_key``)."""
    for key in GRADE_KEYS:
        layer.bind_key(key, _grade_handler(context, key), overwrite=True)


def _grade_handler(context: ReadingContext, key: str) -> Any:
    def grade(_layer: Layer) -> None:  # napari names a key handler by its __name__
        context.actions.grade_key(key)

    return grade


def _info(layer: Layer) -> ImageInfo:
    info = ImageInfo.from_metadata(layer.metadata)
    assert info is not None, f"{layer.name} is not a layer of spine-endpoints"
    return info


def _orientation(layer: Layer) -> str:
    """'sagittal', 'axial' ...: the plane recorded with a series layer."""
    return str(layer.metadata.get(METADATA_KEY, {}).get("orientation", ""))


def _film_layers(context: ReadingContext) -> list[Layer]:
    """The read's films and their corner, line and proposal layers in the viewer."""
    layers: list[Layer] = list(context.images.values())
    for overlay in context.overlays.values():
        layers += overlay.layers
    return [layer for layer in layers if layer in context.viewer.layers]


def _shown_film(context: ReadingContext) -> Film | None:
    """The visible film of the read (else the first)."""
    for film, image in context.images.items():
        if image.visible:
            return film
    return next(iter(context.images), None)
