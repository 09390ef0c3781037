"""A refined corner stays on its own vertebra: on its body's side of the disc space, near the
outline of the clicked corners; otherwise the click is kept with the reason.

The disc space between two clicked corners facing each other (the upper vertebra's inferior
corner, the lower vertebra's superior corner on the same side) is split at its middle: a refined
point on the far side of that middle has landed on the neighbouring vertebra's endplate (the
error that moves a disc height from 2.4 to 0.6 mm). And a refined point further than
``OUTLINE_TOLERANCE_MM`` from the outline through its vertebra's clicked corners is on some other
structure. Coordinates in the millimetre frame of :mod:`imaging.assist.edges`.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from imaging.anatomy import BODY_OUTLINE, Corner, Vertebra
from imaging.assist.corners import CornerKey
from imaging.assist.edges import FloatArray

OUTLINE_TOLERANCE_MM = 3.0
"""How far a refined corner may lie from the outline through its vertebra's clicked corners."""

_FACING = {
    Corner.ANTERIOR_INFERIOR: Corner.ANTERIOR_SUPERIOR,
    Corner.POSTERIOR_INFERIOR: Corner.POSTERIOR_SUPERIOR,
    Corner.ANTERIOR_SUPERIOR: Corner.ANTERIOR_INFERIOR,
    Corner.POSTERIOR_SUPERIOR: Corner.POSTERIOR_INFERIOR,
}


def _across_disc(key: CornerKey) -> CornerKey | None:
    """The corner facing ``key`` across its disc (same side), if a vertebra is there."""
    vertebra, corner = key
    step = 1 if corner in (Corner.ANTERIOR_INFERIOR, Corner.POSTERIOR_INFERIOR) else -1
    position = vertebra.position + step
    if not 0 <= position < len(Vertebra):
        return None
    return (list(Vertebra)[position], _FACING[corner])


def off_vertebra(key: CornerKey, point: FloatArray, clicks: Mapping[CornerKey, FloatArray]) -> str:
    """Why the refined ``point`` of ``key`` is not on its own vertebra, or "" (mm frame)."""
    vertebra = key[0]
    other = _across_disc(key)
    if other is not None and other in clicks:
        own, facing = clicks[key], clicks[other]
        if float((point - (own + facing) / 2) @ (own - facing)) <= 0:
            return (
                f"the fitted corner lies across the middle of the disc space, on {other[0]}'s "
                "side (the neighbouring endplate); click kept"
            )
    outline = [clicks[(vertebra, c)] for c in BODY_OUTLINE if (vertebra, c) in clicks]
    if len(outline) >= 2:
        sides = len(outline) if len(outline) > 2 else 1
        distance = min(
            _segment_distance(point, outline[i], outline[(i + 1) % len(outline)])
            for i in range(sides)
        )
        if distance > OUTLINE_TOLERANCE_MM:
            return (
                f"the fitted corner lies {distance:.1f} mm from the outline of {vertebra}'s "
                f"clicked corners (more than {OUTLINE_TOLERANCE_MM:g} mm); click kept"
            )
    return ""


def _segment_distance(point: FloatArray, start: FloatArray, end: FloatArray) -> float:
    edge = end - start
    length2 = float(edge @ edge)
    t = 0.0 if length2 == 0 else float(np.clip((point - start) @ edge / length2, 0.0, 1.0))
    return float(np.hypot(*(point - start - t * edge)))
