"""Measures drawn on the films: each disc's height, height loss and angle next to the level, and
napari's scale bar in millimetres on a film calibrated at the patient.

The labels of a film are the text of a Points layer without markers (``<film> measures``), made
from :func:`._model.on_image.level_labels`, that is from the measures table's own cells, so the
film and the table say the same. The scale bar is napari's (``viewer.scale_bar``), whose unit is
the layers' (mm): it is shown only when the film in view has millimetres at the patient
(calibrated, magnification-corrected, or a calibration drawn by the reader), never on a detector
or unknown spacing, which is magnified by 10-25 % on a lateral lumbar film.

When a film's calibration changes (the reader drew one, or a draft brings it back), its layers
get the new scale (mm per pixel) and unit, so the canvas, the scale bar and the measures agree.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from napari.layers import Layer, Points

from imaging.anatomy import Film
from napari_spine_endpoints._layer_info import METADATA_KEY, landmark_image_name
from napari_spine_endpoints._model.on_image import level_labels
from napari_spine_endpoints._qt.context import ReadingContext
from napari_spine_endpoints._qt.in_place import padded, write_in_place
from napari_spine_endpoints._qt.visibility import set_visible

LABEL_COLOR = "#ffe066"
LABEL_SIZE = 10
"""Points (screen), as napari draws text: legible at any zoom."""


def scale_bar(viewer: Any) -> Any:
    """napari's scale bar overlay (``viewer.canvas.overlays`` since napari 0.6; before,
    ``viewer.scale_bar``)."""
    canvas = getattr(viewer, "canvas", None)
    overlays = getattr(canvas, "overlays", None)
    return overlays.scale_bar if overlays is not None else viewer.scale_bar


class MeasureLabels:
    """The on-image measures of every film of the open read, and the scale bar."""

    def __init__(self, context: ReadingContext) -> None:
        self.context = context
        self.viewer = context.viewer
        self.layers: dict[Film, Points] = {}
        self._drawn: dict[Film, tuple[list[tuple[float, float]], list[str], str]] = {}
        """Each film's labels as last set (positions, texts, anchor): a click that leaves a
        film's labels as they are sets nothing on its layer (each set redraws it)."""
        self._watched: list[Any] = []
        self.shown = True
        self.scale_bar = True
        context.changed.connect(self.refresh)
        context.session_replaced.connect(self._on_session_replaced)
        self.viewer.layers.selection.events.active.connect(self._on_active)
        self.refresh()

    def set_shown(self, shown: bool) -> None:
        """Show or hide the measures next to the levels (all films)."""
        self.shown = shown
        self._sync_visibility()
        self.refresh()

    def set_scale_bar(self, shown: bool) -> None:
        self.scale_bar = shown
        self._refresh_scale_bar()

    # --- drawing -----------------------------------------------------------------------------
    def refresh(self) -> None:
        """Redraw from the read: scales, labels, scale bar."""
        context, session = self.context, self.context.session
        if session is not None:
            for film in list(context.images):
                self._follow_calibration(film)
            # a hidden film's labels wait until it is shown (a grade key on the MR computes
            # no measures for films nobody sees)
            shown = [f for f in context.overlays if self._watch(f) and context.images[f].visible]
            if self.shown and shown:
                grids = session.measures().films
                levels = [level.value for level in session.disc_levels]
                for film in shown:
                    positions = session.placements[film].positions
                    self._draw(film, level_labels(grids.get(film), positions, levels))
        self._refresh_scale_bar()

    def _watch(self, film: Film) -> bool:
        """Follow the film's visibility (its labels hidden with it, drawn when it is shown)."""
        image = self.context.images.get(film)
        if image is None:
            return False
        if not any(image is watched for watched in self._watched):
            image.events.visible.connect(self._on_film_visibility)
            self._watched.append(image)
        return True

    def _on_film_visibility(self, event: Any = None) -> None:
        self._sync_visibility()
        if event is not None and getattr(event.source, "visible", False):
            self.refresh()  # labels left waiting while it was hidden

    def _draw(self, film: Film, labels: list[Any]) -> None:
        layer = self.layers.get(film)
        if layer is None:
            if not labels:
                return
            layer = self._make_layer(film)
        anchor = "upper_right" if labels and labels[0].runs_left else "upper_left"  # off the spine
        drawn = ([tuple(x.position) for x in labels], [x.text for x in labels], anchor)
        if self._drawn.get(film) != drawn:
            self._drawn[film] = drawn
            # one row per disc level of the read, written in place (:mod:`._qt.in_place`)
            data = padded(np.array(drawn[0], dtype=float).reshape(-1, 2), self._capacity())
            texts = np.array(drawn[1] + [""] * (len(data) - len(labels)), dtype=object)
            shown = list(layer.features["text"]) if len(layer.features) else []
            if shown != list(texts) or not np.array_equal(layer.data, data):
                if len(layer.data) == len(data):  # the texts first, then the redraw
                    layer.features = {"text": texts}
                    write_in_place(layer, data)
                else:
                    write_in_place(layer, data)
                    layer.features = {"text": texts}
            if layer.text.anchor != anchor:
                layer.text.anchor = anchor
        self._show(layer)

    def _capacity(self) -> int:
        session = self.context.session
        return 0 if session is None else len(session.disc_levels)

    def _make_layer(self, film: Film) -> Points:
        image = self.context.images[film]
        layer = self.context.pool.make("measures", "points", np.empty((0, 2)), {
            "ndim": 2,
            "name": f"{image.name} measures",
            "metadata": {METADATA_KEY: {"kind": "overlay", "image_layer": image.name,
                                        "film": film.value}},
            "features": {"text": np.array([], dtype=object)},
            "text": {"string": "{text}", "size": LABEL_SIZE, "color": LABEL_COLOR,
                     "anchor": "center"},
            "size": 1,
            "face_color": "transparent",
            "border_width": 0,
            "scale": tuple(image.scale),
            "translate": tuple(image.translate),
            "units": tuple(str(u) for u in image.units),
        })  # fmt: skip
        assert isinstance(layer, Points)
        self.layers[film] = layer
        # the points layer stays the active one: clicks keep placing corners
        overlay = self.context.overlays.get(film)
        if overlay is not None and self.viewer.layers.selection.active is layer:
            self.viewer.layers.selection.active = overlay.points
        return layer

    def _sync_visibility(self, _event: Any = None) -> None:
        for layer in self.layers.values():
            self._show(layer)

    def _show(self, layer: Points) -> None:
        """Visible with its film when the measures are shown (set only when it changes: every
        set redraws the layer)."""
        wanted = self.shown and self._film_visible(layer)
        if layer.visible != wanted:
            set_visible(layer, wanted)

    def _film_visible(self, layer: Points) -> bool:
        for film, image in self.context.images.items():
            if self.layers.get(film) is layer:
                return bool(image.visible)
        return False

    def _follow_calibration(self, film: Film) -> None:
        """Give the film's layers the scale and unit of the calibration the read measures with."""
        session = self.context.session
        assert session is not None
        image = self.context.images[film]
        calibration = session.films[film].calibration
        spacing = calibration.pixel_spacing
        if spacing is None or np.allclose(image.scale[-2:], spacing, rtol=1e-12):
            return
        # the film and every layer drawn over it (corners, lines, proposals, labels, calibration)
        layers: list[Layer] = [image] + [
            layer
            for layer in self.viewer.layers
            if landmark_image_name(layer.metadata) == image.name
        ]
        for layer in layers:
            layer.scale = (*tuple(layer.scale)[:-2], *spacing)
            layer.units = ("mm",) * layer.ndim
        self.viewer.reset_view()

    def _refresh_scale_bar(self) -> None:
        film, session = self.context.active_film, self.context.session
        at_patient = (
            film is not None
            and session is not None
            and film in session.films
            and session.films[film].calibration.source.at_the_patient
        )
        scale_bar(self.viewer).visible = bool(self.scale_bar and at_patient)

    def _on_active(self, _event: Any = None) -> None:
        self._refresh_scale_bar()

    def _on_session_replaced(self) -> None:
        for image in self._watched:
            image.events.visible.disconnect(self._on_film_visibility)
        self._watched = []
        layers, self.layers = list(self.layers.values()), {}
        self._drawn = {}
        self.context.retire(layers)
        self.refresh()
