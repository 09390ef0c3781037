"""A refined corner stays on its own vertebra: on its body's side of the disc space, near the
outline of its vertebra's other corners; otherwise the click is kept with the reason.

The checks run after every corner of the film was fitted (:func:`keep_on_vertebra`), against
the other corners' best positions: refined where the fit was confident, else the click. A
rough click (up to 3 mm off) therefore does not move the disc middle or the outline the check
uses, while a refined point that crossed to a neighbour is still caught.

The disc space between two corners facing each other (the upper vertebra's inferior corner,
the lower vertebra's superior corner on the same side) is split at the middle between the
corner's own click and the facing corner: a refined point on the far side of that middle has
landed on the neighbouring vertebra's endplate (the error that moves a disc height from 2.4 to
0.6 mm). And a refined point further than ``OUTLINE_TOLERANCE_MM`` from the outline through its
vertebra's corners is on some other structure. Coordinates in millimetres.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace

import numpy as np

from imaging.anatomy import BODY_OUTLINE, Corner, Vertebra
from imaging.assist.corners import CornerKey
from imaging.assist.edges import FloatArray
from imaging.assist.refinement import CornerRefinement, RefinementStatus

OUTLINE_TOLERANCE_MM = 3.5
"""How far a refined corner may lie from the outline through its vertebra's corners: a rough
click's error (up to 3 mm, the outline passes through it) and a margin."""

_FACING = {
    Corner.ANTERIOR_INFERIOR: Corner.ANTERIOR_SUPERIOR,
    Corner.POSTERIOR_INFERIOR: Corner.POSTERIOR_SUPERIOR,
    Corner.ANTERIOR_SUPERIOR: Corner.ANTERIOR_INFERIOR,
    Corner.POSTERIOR_SUPERIOR: Corner.POSTERIOR_INFERIOR,
}


def keep_on_vertebra(
    results: Mapping[CornerKey, CornerRefinement], spacing: tuple[float, float]
) -> dict[CornerKey, CornerRefinement]:
    """Every refinement, with a confident fit that left its vertebra turned back to the click.

    ``spacing``: (row, col) mm per pixel of the film.
    """
    scale = np.array(spacing)
    best = {k: np.array(r.used) * scale for k, r in results.items()}
    out = dict(results)
    for key, result in results.items():
        if not result.accepted:
            continue
        positions = {**best, key: np.array(result.clicked) * scale}
        why = off_vertebra(key, np.array(result.used) * scale, positions)
        if why:
            out[key] = replace(
                result, used=result.clicked, confidence=0.0,
                status=RefinementStatus.LOW_CONFIDENCE, reason=why,
            )  # fmt: skip
    return out


def _across_disc(key: CornerKey) -> CornerKey | None:
    """The corner facing ``key`` across its disc (same side), if a vertebra is there."""
    vertebra, corner = key
    step = 1 if corner in (Corner.ANTERIOR_INFERIOR, Corner.POSTERIOR_INFERIOR) else -1
    position = vertebra.position + step
    if not 0 <= position < len(Vertebra):
        return None
    return (list(Vertebra)[position], _FACING[corner])


def off_vertebra(
    key: CornerKey, point: FloatArray, positions: Mapping[CornerKey, FloatArray]
) -> str:
    """Why the refined ``point`` of ``key`` is not on its own vertebra, or "" (mm).

    ``positions``: the corner's own click and the other corners' best positions, mm.
    """
    vertebra = key[0]
    other = _across_disc(key)
    if other is not None and other in positions:
        own, facing = positions[key], positions[other]
        if float((point - (own + facing) / 2) @ (own - facing)) <= 0:
            return (
                f"the fitted corner lies across the middle of the disc space, on {other[0]}'s "
                "side (the neighbouring endplate); click kept"
            )
    outline = [positions[(vertebra, c)] for c in BODY_OUTLINE if (vertebra, c) in positions]
    if len(outline) >= 2:
        sides = len(outline) if len(outline) > 2 else 1
        distance = min(
            _segment_distance(point, outline[i], outline[(i + 1) % len(outline)])
            for i in range(sides)
        )
        if distance > OUTLINE_TOLERANCE_MM:
            return (
                f"the fitted corner lies {distance:.1f} mm from the outline of {vertebra}'s "
                f"corners (more than {OUTLINE_TOLERANCE_MM:g} mm); click kept"
            )
    return ""


def _segment_distance(point: FloatArray, start: FloatArray, end: FloatArray) -> float:
    edge = end - start
    length2 = float(edge @ edge)
    t = 0.0 if length2 == 0 else float(np.clip((point - start) @ edge / length2, 0.0, 1.0))
    return float(np.hypot(*(point - start - t * edge)))
