"""What the Scoring and Paired tabs share: the score keys, the ring on the current site and a click
placing it.

Both tabs step through a :class:`~napari_spine_endpoints._model.scoring.GuidedScoring` site by
site: digits score the current site, X says it cannot be scored (with the reason typed in the
tab), B goes back; the site is ringed on its film and a click (no drag) on that film places it.
"""

from __future__ import annotations

from collections.abc import Callable, Generator
from functools import partial
from typing import Any, Protocol

import numpy as np
from napari.layers import Image

from napari_spine_endpoints._model.shortcuts import GRADE_KEYS
from napari_spine_endpoints._qt.reader_actions import key_handler
from napari_spine_endpoints._qt.visibility import set_visible

CANNOT_SCORE_KEY, BACK_KEY = "X", "B"
DEFAULT_REASON = "hidden by the shoulders"
"""The reason a site cannot be scored until the reader types another."""


class ScoringActions(Protocol):
    """A tab's answers to the scoring keys."""

    def score_key(self, key: str) -> None: ...
    def cannot_score(self) -> None: ...
    def back(self) -> None: ...


def bind_scoring_keys(target: Any, tab: ScoringActions) -> None:
    """The scoring keys on the viewer or on a film layer (a layer's own binding comes before
    napari's layer-mode digits, on that layer only)."""
    for key in GRADE_KEYS:
        target.bind_key(key, key_handler(partial(tab.score_key, key)), overwrite=True)
    target.bind_key(CANNOT_SCORE_KEY, key_handler(tab.cannot_score), overwrite=True)
    target.bind_key(BACK_KEY, key_handler(tab.back), overwrite=True)


class SiteRing:
    """A yellow ring on the current site, as a points layer named ``name`` over its film."""

    def __init__(self, viewer: Any, name: str) -> None:
        self.viewer, self.name = viewer, name
        self.layer: Any = None

    def show(self, film: Image | None, position: tuple[float, float] | None) -> None:
        """Ring ``position`` ((row, col) pixels of ``film``); hidden without a film or place."""
        if film is None or position is None:
            if self.layer is not None:
                set_visible(self.layer, False)
            return
        if self.layer is None or self.layer not in self.viewer.layers:
            size = max(12.0, float(max(film.data.shape[:2])) / 25.0)  # pixels, 1/25 of the film
            self.layer = self.viewer.add_points(
                np.empty((0, 2)), ndim=2, name=self.name, symbol="ring", size=size,
                face_color="yellow", border_color="yellow", opacity=0.9,
            )  # fmt: skip
        self.layer.scale, self.layer.translate = film.scale, film.translate
        self.layer.units = film.units
        self.layer.data = np.array([position])
        set_visible(self.layer, True)

    def remove(self) -> None:
        """Take the ring's layer out of the viewer."""
        layer, self.layer = self.layer, None
        if layer is not None and layer in self.viewer.layers:
            self.viewer.layers.remove(layer)


def place_on_click(
    film: Image, event: Any, place: Callable[[tuple[float, float]], None]
) -> Generator[None, None, None]:
    """A napari mouse-drag callback's body: on release without a drag, ``place`` the click's
    (row, col) pixels on ``film``; a drag (panning) places nothing."""
    dragged = False
    yield
    while event.type == "mouse_move":
        dragged = True
        yield
    if not dragged:
        row, col = np.asarray(film.world_to_data(event.position), dtype=float)[-2:]
        place((float(row), float(col)))
