"""The read film of a tracking, prepared once for every film its corners are tracked onto.

Tracking the neutral film's corners onto flexion and onto extension
(:func:`imaging.assist.track_vertebrae`, one call per target film, possibly on two threads)
needs the same things of the neutral film in both calls: its values as floats, its edge maps
(:class:`imaging.assist.registration.EdgeMap`, on the 1 mm and 2 mm grids) and, in the
rigid-body check, its bodies measured by corner refinement
(:mod:`imaging.assist.body_shape`). A :class:`ReferenceFilm` computes each once, when first
asked, and hands the same object to every later call: the results are those of computing it
again (same inputs, same function), at the cost of one.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable
from typing import Any, TypeVar

import numpy as np
from numpy.typing import ArrayLike

from imaging.assist.registration import EdgeMap, FloatArray

T = TypeVar("T")


class ReferenceFilm:
    """A film (``(rows, cols)`` values) with its pixel spacing (``(row, col)`` mm per pixel)
    and what tracking computes from it, each computed once; safe to share between threads (a
    second thread asking for a value being computed waits for it)."""

    def __init__(self, image: ArrayLike, spacing_mm: tuple[float, float]) -> None:
        if np.ndim(image) != 2:
            raise ValueError(f"the film must be a 2-D image (rows, cols), got {np.shape(image)}")
        self._values = image
        self.spacing = (float(spacing_mm[0]), float(spacing_mm[1]))
        self._lock = threading.Lock()
        self._slots: dict[Hashable, _Slot] = {}

    @property
    def image(self) -> FloatArray:
        """The film's values as float64 (converted when first asked: where the work runs, e.g.
        off the GUI thread)."""
        return self.once("image", lambda: np.asarray(self._values, dtype=np.float64))

    def edge_map(self, grid_mm: float) -> EdgeMap:
        """The film's :class:`EdgeMap` on a ``grid_mm`` grid."""
        return self.once(("edge map", grid_mm), lambda: EdgeMap(self.image, self.spacing, grid_mm))

    def once(self, key: Hashable, compute: Callable[[], T]) -> T:
        """``compute()`` the first time ``key`` is asked for, the same value after (a failed
        computation is not kept: the next call tries again). Callers treat it as read-only."""
        with self._lock:
            slot = self._slots.setdefault(key, _Slot())
        with slot.lock:
            if not slot.done:
                slot.value = compute()
                slot.done = True
            value: T = slot.value
        return value


class _Slot:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.done = False
        self.value: Any = None
