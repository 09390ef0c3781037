"""The proposals layer over one film: positions software offers, drawn apart from the corners.

A Points layer of rings (same scale as the film, so its data are (row, col) pixels) shows each
pending proposal of the film's :class:`ProposalSet` with its confidence ("0.93"; "T" for a
tracked corner): green when confident, orange when low-confidence or poorly matched, which only
the reader's own accept applies. Dragging a ring (select mode) moves the corner there (``moved``);
deleting a ring rejects that proposal. Everything goes to the model; the layer is redrawn from it.
The layer is made when the film first gets a proposal (napari takes about 0.1 s to add a layer,
and most films of a read may never need one).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from napari.layers import Layer, Points
from napari.layers.base import ActionType
from napari.utils.events import Event

from imaging.store.vocabulary import LandmarkUse
from napari_spine_endpoints._model.placement import CornerLabel
from napari_spine_endpoints._model.proposals import CornerProposal, ProposalSet
from napari_spine_endpoints._qt.layer_pool import LayerPool

CONFIDENT_COLOR = "#40ff40"
DOUBTFUL_COLOR = "#ffa000"
_DONE_ACTIONS = (ActionType.ADDED, ActionType.CHANGED, ActionType.REMOVED)


def proposal_text(proposal: CornerProposal) -> str:
    """What the ring says: the refinement confidence, or 'T' (tracked)."""
    if proposal.kind is LandmarkUse.TRACKED:
        return "T" if proposal.confident else "T?"
    return f"{proposal.confidence or 0.0:.2f}"


class ProposalOverlay:
    """The proposals Points layer of one film, in step with its :class:`ProposalSet`."""

    def __init__(
        self,
        viewer: Any,
        proposals: ProposalSet,
        name: str,
        size: float,
        common: dict[str, Any],
        metadata: dict[str, Any],
        pool: LayerPool,
    ) -> None:
        self.viewer = viewer
        self.pool = pool
        """Where the layer comes from (a closed read's, refilled)."""
        self.proposals = proposals
        self.layer: Points | None = None
        self._spec = (name, size, common, metadata)
        self._shown: list[CornerLabel] = []
        self._syncing = False
        proposals.subscribe(self.redraw)
        self.redraw()

    def ensure_layer(self) -> Points:
        """The layer, made now if the film had no proposal yet."""
        if self.layer is None:
            name, size, common, metadata = self._spec
            selection = self.viewer.layers.selection
            active, mode = selection.active, getattr(selection.active, "mode", None)
            layer = self.pool.make("proposals", "points", np.empty((0, 2)), {
                "ndim": 2,
                "name": name,
                "metadata": metadata,
                "features": {"label": np.array([], dtype=object),
                             "text": np.array([], dtype=object)},
                "text": {
                    "string": "{text}",
                    "size": 8,
                    "color": CONFIDENT_COLOR,
                    "anchor": "lower_right",
                    "translation": np.array([size, -size]),  # data pixels
                },
                "size": 1.6 * size,
                "symbol": "ring",
                "face_color": CONFIDENT_COLOR,
                "border_width": 0.0,
                **common,
            })  # fmt: skip
            assert isinstance(layer, Points)
            self.layer = layer
            self.layer.events.data.connect(self._on_data)
            if active is not None:  # napari selects a new layer: the reader's clicks stay put
                selection.active = active
                if mode is not None:
                    active.mode = mode
        return self.layer

    def redraw(self) -> None:
        shown = [p for p in self.proposals.ordered() if p.point is not None]
        if not shown and self.layer is None:
            return
        layer = self.ensure_layer()
        data = np.array([p.point for p in shown], dtype=float).reshape(-1, 2)
        self._syncing = True
        try:
            layer.data = data
            layer.features = {
                "label": np.array([p.label.text for p in shown], dtype=object),
                "text": np.array([proposal_text(p) for p in shown], dtype=object),
            }
            if shown:
                layer.face_color = [
                    CONFIDENT_COLOR if p.confident else DOUBTFUL_COLOR for p in shown
                ]
        finally:
            self._syncing = False
        self._shown = [p.label for p in shown]

    def _on_data(self, event: Event) -> None:
        action = getattr(event, "action", None)
        if self._syncing or action not in _DONE_ACTIONS:
            return
        if action == ActionType.ADDED:
            self.redraw()  # a click on this layer offers nothing: back to the model
            return
        layer = self.ensure_layer()
        labels = layer.features["label"] if len(layer.data) else []
        now = {
            CornerLabel.parse(str(text)): (float(p[-2]), float(p[-1]))
            for p, text in zip(layer.data, labels, strict=True)
        }
        gone = [x for x in self._shown if x not in now]
        if gone:
            self.proposals.reject(gone)
        for label, point in now.items():
            proposal = self.proposals.pending.get(label)
            if proposal is not None and proposal.point != point:
                self.proposals.move(label, *point)
        self.redraw()

    def detach(self) -> list[Layer]:
        """Stop following the model; the layer to take out of the viewer (none if never made)."""
        self.proposals.unsubscribe(self.redraw)
        if self.layer is None:
            return []
        self.layer.events.data.disconnect(self._on_data)
        return [self.layer]

    def remove(self) -> None:
        for layer in self.detach():
            if layer in self.viewer.layers:
                self.viewer.layers.remove(layer)
