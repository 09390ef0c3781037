"""The corner Points layer, the line layer and the proposals layer over one film, in step with
the model.

The Points layer shares the film's scale and translation, so its data are (row, col) pixels of the
film. A corner's colour says where it came from: the reader's click (red), a refined position
accepted (blue), a tracked one (violet), or moved by hand after a proposal (orange); the corner
asked for next is green. Proposals waiting for the reader are rings on their own layer
(:mod:`._qt.proposal_overlay`). A click in add mode places the corner the model asks for (the
layer's feature defaults carry its label, so the new point is born labelled); dragging a point
moves that corner; deleting one removes it. Every change goes to :class:`PlacementState`, and the
layers are redrawn from it.

Endplate lines and disc height segments are a Vectors layer drawn as plain lines: redrawing 30
segments costs about 6 ms there against about 40 ms in a Shapes layer (which triangulates every
shape again), and they are redrawn on every move of a dragged corner; written in place, as many
rows as the read can have (:mod:`._qt.in_place`), about 3 ms.
"""

from __future__ import annotations

import functools
from typing import Any

import numpy as np
from napari.layers import Image, Layer, Points, Vectors
from napari.layers.base import ActionType
from napari.utils.colormaps.standardize_color import transform_color
from napari.utils.events import Event

from imaging.anatomy import DiscLevel
from imaging.store.vocabulary import LandmarkUse
from napari_spine_endpoints._layer_info import METADATA_KEY, ImageInfo, landmark_metadata
from napari_spine_endpoints._model.overlay import Segment, overlay_segments
from napari_spine_endpoints._model.placement import CornerLabel, PlacementState
from napari_spine_endpoints._model.proposals import ProposalSet
from napari_spine_endpoints._qt.in_place import padded, write_in_place
from napari_spine_endpoints._qt.layer_pool import LayerPool
from napari_spine_endpoints._qt.proposal_overlay import ProposalOverlay

CORNER_COLOR = "#ff4040"
CURRENT_COLOR = "#40ff80"
TEXT_COLOR = "#ffffff"
USED_COLORS = {
    LandmarkUse.CLICK: CORNER_COLOR,
    LandmarkUse.REFINED: "#40a0ff",
    LandmarkUse.TRACKED: "#c080ff",
    LandmarkUse.MOVED: "#ffb040",
}

_DONE_ACTIONS = (ActionType.ADDED, ActionType.CHANGED, ActionType.REMOVED)

MARKER_PX = 9.0
"""Corner markers' diameter in screen pixels at any zoom (napari ``canvas_size_limits``): legible
on a whole 2614 x 3072 film, a third of a 10 mm disc space at 1:1 and less when zoomed in."""
LABEL_OFFSET_PX = 7.0
"""Screen pixels from a corner to its label (kept in screen pixels as the reader zooms)."""

_CORNER_SHORT = {
    "anterior_superior": "AS",
    "posterior_superior": "PS",
    "anterior_inferior": "AI",
    "posterior_inferior": "PI",
}


def short_label(label: CornerLabel) -> str:
    """Text drawn next to a point: 'L4 PI'."""
    return f"{label.vertebra.value} {_CORNER_SHORT[label.corner.value]}"


class FilmOverlay:
    """Corner, line and proposal layers of one film, synchronised with its model."""

    def __init__(
        self,
        viewer: Any,
        image: Image,
        placement: PlacementState,
        levels: tuple[DiscLevel, ...],
        proposals: ProposalSet | None = None,
        *,
        pool: LayerPool,
    ) -> None:
        """``pool``: where the corner and line layers come from (the last read's, refilled)."""
        self.viewer = viewer
        self.image = image
        self.placement = placement
        self.levels = levels
        info = ImageInfo.from_metadata(image.metadata)
        self.info = info
        extent = float(max(image.data.shape[:2]))
        self.point_size = max(4.0, extent / 120.0)  # data pixels
        self.line_width = max(1.0, extent / 400.0)
        common = {
            "scale": tuple(image.scale),
            "translate": tuple(image.translate),
            "units": tuple(str(u) for u in image.units),
        }
        self.lines = pool.make("lines", "vectors", np.zeros((0, 2, 2)), {
            "name": f"{image.name} lines",
            "metadata": _overlay_metadata(image.name, info),
            "vector_style": "line",
            "edge_width": self.line_width,
            "opacity": 0.9,
            **common,
        })  # fmt: skip
        assert isinstance(self.lines, Vectors)
        self._segments: list[Segment] = []
        self._line_colors: list[str] = []
        self.points = pool.make("corners", "points", np.empty((0, 2)), {
            "ndim": 2,
            "name": f"{image.name} corners",
            "metadata": landmark_metadata(image.name, None if info is None else info.film),
            "features": {"label": np.array([], dtype=object),
                         "short": np.array([], dtype=object)},
            "text": {
                "string": "{short}",
                "size": 9,  # points on screen: napari does not scale text with the zoom
                "color": TEXT_COLOR,
                "anchor": "upper_left",
            },
            "size": self.point_size,
            "canvas_size_limits": (MARKER_PX, MARKER_PX),  # the same size on screen at any zoom
            "face_color": CORNER_COLOR,
            "border_color": "white",
            "border_width": 0.1,
            **common,
        })  # fmt: skip
        assert isinstance(self.points, Points)
        self.proposals = ProposalOverlay(
            viewer,
            proposals or ProposalSet(placement),
            f"{image.name} proposals",
            self.point_size,
            common,
            _overlay_metadata(image.name, info),
            pool,
        )
        self._syncing = False
        self._colors: list[str] = []
        self._default: CornerLabel | None = None
        self.points.events.data.connect(self._on_points_data)
        # Selecting a point (napari selects each new one) copies its features into the defaults:
        # put the current corner's label back, so the next click is born with the right label.
        self.points.events.feature_defaults.connect(self._keep_defaults)
        placement.subscribe(self.redraw)
        self.redraw()
        self.points.mode = "add"
        viewer.scene.camera.events.zoom.connect(self._place_labels)
        self._place_labels()

    def _place_labels(self, _event: Event | None = None) -> None:
        """Labels LABEL_OFFSET_PX screen pixels up and right of their corners at this zoom
        (napari's text translation is in data units)."""
        per_pixel = float(self.viewer.scene.camera.zoom) * float(np.asarray(self.image.scale)[-1])
        offset = LABEL_OFFSET_PX / max(per_pixel, 1e-6)  # data pixels
        self.points.text.translation = np.array([-offset, offset])

    # --- layer -> model ---------------------------------------------------------------------
    def _layer_positions(self) -> dict[CornerLabel, tuple[float, float]]:
        """Corners as the layer holds them; a corner placed twice keeps its newest point."""
        positions: dict[CornerLabel, tuple[float, float]] = {}
        labels = self.points.features["label"] if len(self.points.data) else []
        for point, text in zip(self.points.data, labels, strict=True):
            positions[CornerLabel.parse(str(text))] = (float(point[-2]), float(point[-1]))
        return positions

    def _on_points_data(self, event: Event) -> None:
        action = getattr(event, "action", None)
        if self._syncing or action not in _DONE_ACTIONS:
            return
        model = self.placement
        if action == ActionType.ADDED:
            if model.current is None:
                self.redraw()  # all corners placed: the stray point is dropped
                return
            row, col = (float(v) for v in self.points.data[-1][-2:])
            model.place(row, col)  # redraws (and drops an older point of the same corner)
            return
        positions = self._layer_positions()
        for label in [k for k in model.positions if k not in positions]:
            model.remove(label)
        for label, point in positions.items():
            if model.positions.get(label) != point:
                model.move(label, *point)

    # --- model -> layers ---------------------------------------------------------------------
    def redraw(self) -> None:
        """Redraw points, labels and lines from the model."""
        model = self.placement
        labels = [label for label in model.labels if label in model.positions]
        data = np.array([model.positions[x] for x in labels], dtype=float).reshape(-1, 2)
        current = model.current
        self._syncing = True
        try:
            texts = [x.text for x in labels]
            shown = list(self.points.features["label"]) if len(self.points.features) else []
            rebuilt = shown != texts or not np.array_equal(self.points.data, data)
            if rebuilt:
                selected = set(self.points.selected_data)
                self.points.data = data
                self.points.features = {
                    "label": np.array(texts, dtype=object),
                    "short": np.array([short_label(x) for x in labels], dtype=object),
                }
                self.points.selected_data = {i for i in selected if i < len(labels)}
            records = model.records
            colors = [
                CURRENT_COLOR if x == current else USED_COLORS[records[x].used] for x in labels
            ]
            if colors and (rebuilt or colors != self._colors) and not self._coloured(colors):
                self.points.face_color = colors  # each set recolours every point
            self._colors = colors
            self._default = current
            self._keep_defaults()
        finally:
            self._syncing = False
        self._redraw_lines()

    def _coloured(self, colors: list[str]) -> bool:
        """The layer's points already have these colours (napari gave a clicked point the
        layer's current colour, the click colour)."""
        shown = np.asarray(self.points.face_color)
        if shown.shape != (len(colors), 4):
            return False
        return bool(np.allclose(shown, [_rgba(color) for color in colors], atol=1e-3))

    def _keep_defaults(self, _event: Event | None = None) -> None:
        current = self._default
        if current is None or self.points.feature_defaults["label"].iloc[0] == current.text:
            return
        self.points.feature_defaults = {"label": current.text, "short": short_label(current)}

    def _redraw_lines(self) -> None:
        """The segments drawn, as many rows as the read can have (:mod:`._qt.in_place`): those
        not drawn have no length and no colour."""
        segments = overlay_segments(self.placement.positions, self.levels)
        if segments == self._segments:
            return
        self._segments = segments
        data = np.array(
            [[s.start, (s.end[0] - s.start[0], s.end[1] - s.start[1])] for s in segments],
            dtype=float,
        ).reshape(-1, 2, 2)  # napari vectors: (start, projection)
        capacity = len(self.placement.labels) // 2 + 3 * len(self.levels)  # endplates, heights
        data = padded(data, capacity)
        write_in_place(self.lines, data)
        colors = [s.color for s in segments] + ["transparent"] * (len(data) - len(segments))
        if colors != self._line_colors:
            self._line_colors = colors
            self.lines.edge_color = colors

    @property
    def layers(self) -> list[Layer]:
        """The corner and line layers, and the proposals' once made."""
        proposals = self.proposals.layer
        return [self.points, self.lines] + ([] if proposals is None else [proposals])

    def detach(self) -> list[Layer]:
        """Stop following the model; the overlay's layers, for the caller to take away."""
        self.placement.unsubscribe(self.redraw)
        self.points.events.data.disconnect(self._on_points_data)
        self.points.events.feature_defaults.disconnect(self._keep_defaults)
        self.viewer.scene.camera.events.zoom.disconnect(self._place_labels)
        return [self.points, self.lines, *self.proposals.detach()]

    def remove(self) -> None:
        """Take the overlay's layers out of the viewer."""
        for layer in self.detach():
            if layer in self.viewer.layers:
                self.viewer.layers.remove(layer)


@functools.cache
def _rgba(color: str) -> tuple[float, ...]:
    """A '#rrggbb' colour as napari holds it (RGBA, 0-1)."""
    return tuple(float(v) for v in transform_color(color)[0])


def _overlay_metadata(image_name: str, info: ImageInfo | None) -> dict[str, Any]:
    film = None if info is None or info.film is None else info.film.value
    return {METADATA_KEY: {"kind": "overlay", "image_layer": image_name, "film": film}}
