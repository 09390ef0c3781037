"""Baseline beside follow-up: the reader's own baseline read of the subject, the same level side
by side with the film being read.

Only where the protocol unblinds reads to time order (``[reading] show_own_baseline = true``);
otherwise the button says why not. The baseline film comes from the store blinded (pixels and a
token, :func:`imaging.store.baseline_view.own_baseline`), with the reader's corners and endplate
lines drawn read-only; it is moved so that the level in view (the disc being graded, else the
vertebra being placed) sits where it is on the current film, and napari's grid shows the two side
by side (baseline left). Pressing the button again puts the view back.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from napari.layers import Layer
from qtpy.QtWidgets import QPushButton

from imaging.anatomy import Corner, DiscLevel, Film, Vertebra
from imaging.errors import SpineEndpointsError
from napari_spine_endpoints._layer_info import METADATA_KEY
from napari_spine_endpoints._layers import blinded_layer
from napari_spine_endpoints._model.overlay import overlay_segments
from napari_spine_endpoints._model.placement import CornerLabel
from napari_spine_endpoints._qt.context import ReadingContext
from napari_spine_endpoints._qt.visibility import set_visible

Point = tuple[float, float]


def disc_centre(positions: dict[CornerLabel, Point], level: DiscLevel) -> Point | None:
    """Mean of the disc's four corners ((row, col) pixels); None when one is missing."""
    found = [
        positions.get(CornerLabel(vertebra, corner))
        for vertebra, corner in (
            (level.upper_vertebra, Corner.ANTERIOR_INFERIOR),
            (level.upper_vertebra, Corner.POSTERIOR_INFERIOR),
            (level.lower_vertebra, Corner.ANTERIOR_SUPERIOR),
            (level.lower_vertebra, Corner.POSTERIOR_SUPERIOR),
        )
    ]
    points = [p for p in found if p is not None]
    if len(points) < 4:
        return None
    return (float(np.mean([p[0] for p in points])), float(np.mean([p[1] for p in points])))


class BaselineButton(QPushButton):
    """Toggles the reader's own baseline read beside the film being read."""

    def __init__(self, context: ReadingContext) -> None:
        super().__init__(
            "Baseline beside (my baseline read)" if context.protocol.show_own_baseline else ""
        )
        self.setCheckable(True)
        self.context = context
        self.layers: list[Layer] = []
        self.corners: dict[CornerLabel, Point] = {}
        """The baseline read's corners shown ((row, col) pixels of the baseline film)."""
        self._visibility: dict[Any, bool] = {}
        self.toggled.connect(self._on_toggled)
        context.session_replaced.connect(lambda: self.setChecked(False))

    def _on_toggled(self, shown: bool) -> None:
        if shown:
            if not self.show():
                self.blockSignals(True)
                self.setChecked(False)
                self.blockSignals(False)
        else:
            self.hide_baseline()

    def show(self) -> bool:  # type: ignore[override]
        """Show the baseline beside the active film; False (with the reason told) when not."""
        context, session = self.context, self.context.session
        film = context.active_film or Film.NEUTRAL
        if session is None or film not in context.images:
            context.message.emit("Baseline beside: open a follow-up case first")
            return False
        try:
            view = context.store.baseline(session)
            images = [image for image in view.images.films() if image.film is film]
        except SpineEndpointsError as error:
            context.message.emit(f"Baseline beside: {error}")
            return False
        if not images:
            context.message.emit(f"Baseline beside: the baseline has no {film.value} film")
            return False
        image = images[0]
        viewer = context.viewer
        data, kwargs, _ = blinded_layer(image, view.images.reading_id)
        kwargs["name"] = f"baseline {film.value} (read version {view.version}, {view.status})"
        kwargs["metadata"] = {METADATA_KEY: {"kind": "baseline", "film": film.value}}
        corners = {
            CornerLabel(Vertebra(p.vertebra), Corner(p.corner)): (p.row, p.col)
            for p in view.content.landmarks.values()
            if p.image == image.token
        }
        levels = session.disc_levels
        segments = overlay_segments(corners, levels)
        common = {"scale": kwargs["scale"], "units": kwargs["units"]}
        self._visibility = {layer: layer.visible for layer in viewer.layers}
        baseline = viewer.add_image(data, **kwargs)
        lines = viewer.add_vectors(
            np.array(
                [[s.start, (s.end[0] - s.start[0], s.end[1] - s.start[1])] for s in segments],
                dtype=float,
            ).reshape(-1, 2, 2),
            name="baseline lines", vector_style="line", edge_color="#ffd24d", **common,
        )  # fmt: skip
        points = viewer.add_points(
            np.array(list(corners.values()), dtype=float).reshape(-1, 2),
            name="baseline corners", face_color="#ff4040", size=6, **common,
        )  # fmt: skip
        points.editable = False
        self.layers = [baseline, lines, points]
        self.corners = corners
        context.select_film(film)
        self._align(film, corners)
        self._grid(film)
        context.message.emit(
            f"Baseline beside: your baseline read (version {view.version}, {view.status}) "
            "left, this visit right"
        )
        return True

    def _level(self) -> DiscLevel | None:
        session = self.context.session
        if session is None or not session.disc_levels:
            return None
        if session.grades is not None:
            try:
                return DiscLevel(session.grades.current_level)
            except ValueError:
                pass
        return session.disc_levels[0]

    def _align(self, film: Film, corners: dict[CornerLabel, Point]) -> None:
        """Move the baseline so its level's disc lies where the current film's does; centre
        the camera there."""
        context, session = self.context, self.context.session
        level = self._level()
        assert session is not None
        image = context.images[film]
        here = None if level is None else disc_centre(session.placements[film].positions, level)
        there = None if level is None else disc_centre(corners, level)
        scale = np.asarray(self.layers[0].scale, dtype=float)
        if here is not None and there is not None:
            world_here = np.asarray(image.data_to_world(here), dtype=float)[-2:]
            shift = world_here - np.asarray(there) * scale
            for layer in self.layers:
                layer.translate = tuple(shift)
            context.viewer.scene.camera.center = tuple(world_here)

    def _grid(self, film: Film) -> None:
        viewer = self.context.viewer
        overlay = self.context.overlays.get(film)
        mine = [overlay.image, overlay.lines, overlay.points] if overlay is not None else []
        ordered = [*self.layers, *mine]
        for position, layer in enumerate(ordered):
            viewer.layers.move(viewer.layers.index(layer), position)
        for layer in viewer.layers:
            set_visible(layer, layer in ordered)
        viewer.canvas.grid.stride = len(self.layers)
        viewer.canvas.grid.shape = (1, 2)
        viewer.canvas.grid.enabled = True
        if overlay is not None:
            viewer.layers.selection.active = overlay.points

    def hide_baseline(self) -> None:
        """Take the baseline away and put the view back."""
        viewer = self.context.viewer
        viewer.canvas.grid.enabled = False
        self.context.remove_layers(self.layers)
        self.layers, self.corners = [], {}
        for layer, visible in self._visibility.items():
            if layer in viewer.layers:
                set_visible(layer, visible)
        self._visibility = {}
