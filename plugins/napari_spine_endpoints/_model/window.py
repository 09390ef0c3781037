"""Window width and level: presets from the file, and adjustment by a mouse drag.

Values are in the image's stored units after the modality LUT (rescale), the units the layer holds.
A window maps to display contrast limits with DICOM's LINEAR VOI function (PS3.3 C.11.2.1.2.1):
values at or below ``center - 0.5 - (width - 1) / 2`` are black, values above
``center - 0.5 + (width - 1) / 2`` white. Display only: pixel values are never changed, and
MONOCHROME1 films are inverted by the colormap, not by the window.

Drag convention (as in most PACS): horizontal changes the width (right = wider, less contrast),
vertical changes the level (up = brighter image). On an inverted (MONOCHROME1) display "brighter"
means a higher center, so the vertical sign flips there.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

DRAG_PIXELS_FOR_FULL_RANGE = 512.0
"""Screen pixels of drag that change the width or level by the image's full value range."""


@dataclass(frozen=True)
class Window:
    """A window (center, width) in stored units after rescale, with where it came from."""

    center: float
    width: float
    explanation: str = ""

    def __post_init__(self) -> None:
        center, width = float(self.center), float(self.width)
        if not (math.isfinite(center) and math.isfinite(width)):
            raise ValueError(
                f"window center and width must be finite, got {self.center}, {self.width}"
            )
        if width < 1.0:
            raise ValueError(
                f"window width must be at least 1 (DICOM PS3.3 C.11.2.1.2), got {width:g}"
            )
        object.__setattr__(self, "center", center)
        object.__setattr__(self, "width", width)

    @property
    def contrast_limits(self) -> tuple[float, float]:
        """(lower, upper): the values shown black and white under DICOM's LINEAR function."""
        lower = self.center - 0.5 - (self.width - 1.0) / 2.0
        upper = self.center - 0.5 + (self.width - 1.0) / 2.0
        # A width of exactly 1 is a threshold; napari needs lower < upper.
        return lower, max(upper, float(np.nextafter(lower, math.inf)))

    @classmethod
    def from_contrast_limits(cls, limits: Sequence[float], explanation: str = "custom") -> Window:
        """The window whose LINEAR limits are ``limits`` (inverse of :attr:`contrast_limits`)."""
        lower, upper = float(limits[0]), float(limits[1])
        if not upper > lower:
            raise ValueError(f"contrast limits must increase, got {lower:g}, {upper:g}")
        return cls(
            center=(lower + upper) / 2.0 + 0.5, width=upper - lower + 1.0, explanation=explanation
        )

    @property
    def label(self) -> str:
        """Menu text, e.g. 'Bone: C 1200 / W 3000'."""
        name = self.explanation or "window"
        return f"{name}: C {self.center:g} / W {self.width:g}"


def value_range(data: npt.ArrayLike) -> tuple[float, float]:
    """(min, max) of an image's values, ignoring non-finite ones; (0, 1) for a constant image."""
    array = np.asarray(data)
    if array.dtype.kind == "f":
        array = array[np.isfinite(array)]
    if array.size == 0:
        return 0.0, 1.0
    low, high = float(array.min()), float(array.max())
    return (low, high) if high > low else (low, low + 1.0)


def full_range_window(data: npt.ArrayLike) -> Window:
    """The window showing every value from the darkest to the brightest."""
    low, high = value_range(data)
    return Window.from_contrast_limits((low, high), explanation="Full range")


def percentile_window(
    data: npt.ArrayLike, low: float = 1.0, high: float = 99.0, max_samples: int = 250_000
) -> Window:
    """A window over the ``low``-``high`` percentiles (on a regular subsample for speed)."""
    array = np.asarray(data).ravel()
    step = max(1, array.size // max_samples)
    sample = array[::step]
    if sample.dtype.kind == "f":
        sample = sample[np.isfinite(sample)]
    if sample.size == 0:
        return full_range_window(array)
    lower, upper = (float(v) for v in np.percentile(sample, [low, high]))
    if not upper > lower:
        return full_range_window(array)
    return Window.from_contrast_limits((lower, upper), explanation=f"Auto ({low:g}-{high:g}%)")


def window_presets(
    file_presets: Iterable[tuple[float, float, str]], data: npt.ArrayLike
) -> list[Window]:
    """The file's windows (center, width, explanation) first, then 'Auto' and 'Full range'.

    File windows with a width below 1 (invalid in DICOM) are left out.
    """
    presets = []
    for index, (center, width, explanation) in enumerate(file_presets, start=1):
        if float(width) >= 1.0:
            presets.append(Window(center, width, explanation or f"File window {index}"))
    presets.append(percentile_window(data))
    presets.append(full_range_window(data))
    return presets


def drag_window(
    start: Window,
    drag_right: float,
    drag_down: float,
    data_range: tuple[float, float],
    inverted: bool = False,
) -> Window:
    """The window after dragging the mouse ``drag_right``, ``drag_down`` screen pixels.

    ``start`` is the window when the drag began and ``data_range`` the image's (min, max). The
    width stays in [1, 2 x range] and the center in [min - range / 2, max + range / 2].
    """
    low, high = data_range
    span = max(high - low, 1.0)
    per_pixel = span / DRAG_PIXELS_FOR_FULL_RANGE
    width = start.width + drag_right * per_pixel
    brighter = -drag_down if not inverted else drag_down  # dragging up = brighter
    center = start.center - brighter * per_pixel
    width = min(max(width, 1.0), 2.0 * span)
    center = min(max(center, low - span / 2.0), high + span / 2.0)
    return Window(center, width, "custom")
