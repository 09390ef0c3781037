"""Is each tracked vertebra the same vertebra? Checks of the tracking result against anatomy.

Registration finds the region that looks most like a vertebra's body; on a film shifted by a
vertebra, cut at the sacrum or of another subject that region can be a neighbour or nothing at
all, at a correlation that looks acceptable. A tracked vertebra is a poor match when:

- its body lands partly off the target film (the film is cut or shifted there);
- its correlation is far below the film's other vertebrae (``relative_drop`` under their median);
- with a tracked neighbour, the order along the spine is reversed, the distance between the two
  body centres differs from the read film's by more than ``spacing_tolerance`` (a fraction), or
  the two turned relative to each other by more than ``max_level_rotation_deg`` (beyond any
  segment's motion: White & Panjabi's largest lumbar limit is 25 degrees at L5-S1).

A film whose vertebrae mostly fail (median correlation under ``min_film_correlation``, or no
anchor found) is not this spine: another subject's film, or another part of the spine; every
vertebra is then a poor match with that reason (:func:`film_identity`).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping
from dataclasses import dataclass, replace

import numpy as np

from imaging.anatomy import Vertebra
from imaging.assist.registration import FloatArray


@dataclass(frozen=True)
class IdentityLimits:
    """The thresholds of the identity checks (see the module docstring)."""

    relative_drop: float = 0.2
    spacing_tolerance: float = 0.2
    spacing_floor_mm: float = 4.0
    max_level_rotation_deg: float = 25.0
    min_film_correlation: float = 0.7
    """Median correlation of a film's matches below which it is not the same spine."""
    edge_margin_mm: float = 1.0


def off_film(
    polygon_mm: FloatArray, target_shape: tuple[int, int], spacing: tuple[float, float]
) -> bool:
    """Whether a mapped body outline (target mm) leaves the target film."""
    high = (np.array(target_shape, dtype=np.float64) - 1.0) * np.array(spacing)
    return bool(np.any(polygon_mm < 0.0) or np.any(polygon_mm > high))


@dataclass(frozen=True)
class Match:
    """What the checks need of one tracked vertebra (mm frames)."""

    vertebra: Vertebra
    source_centre: FloatArray
    target_centre: FloatArray
    angle_deg: float
    correlation: float
    reasons: tuple[str, ...] = ()

    @property
    def poor(self) -> bool:
        return bool(self.reasons)

    def flagged(self, reason: str) -> Match:
        return replace(self, reasons=(*self.reasons, reason))


def check_neighbours(
    matches: Mapping[Vertebra, Match], limits: IdentityLimits
) -> dict[Vertebra, Match]:
    """The matches with the relative-correlation and neighbour checks applied (cranial first)."""
    out = dict(matches)
    good = [m.correlation for m in out.values() if not m.poor and math.isfinite(m.correlation)]
    if len(good) >= 3:
        median = float(np.median(good))
        for vertebra, match in out.items():
            if not match.poor and match.correlation < median - limits.relative_drop:
                out[vertebra] = match.flagged(
                    f"correlation {match.correlation:.2f} is far below the other vertebrae's "
                    f"(median {median:.2f})"
                )
    ordered = sorted((m for m in out.values() if not m.poor), key=lambda m: m.vertebra.position)
    for upper, lower in itertools.pairwise(ordered):
        problem = _pair_problem(upper, lower, limits)
        if problem:
            for match in (upper, lower):
                out[match.vertebra] = out[match.vertebra].flagged(problem)
    return out


def _pair_problem(upper: Match, lower: Match, limits: IdentityLimits) -> str:
    """Why two tracked neighbours cannot both be right, or ""."""
    source = upper.source_centre - lower.source_centre
    target = upper.target_centre - lower.target_centre
    before, after = float(np.hypot(*source)), float(np.hypot(*target))
    pair = f"{upper.vertebra} and {lower.vertebra}"
    if before > 0 and float(source @ target) <= 0:
        return f"{pair} are in reverse order along the spine"
    allowed = max(limits.spacing_tolerance * before, limits.spacing_floor_mm)
    if abs(after - before) > allowed:
        return (
            f"{pair} are {after:.0f} mm apart, {before:.0f} mm on the read film: not "
            "neighbouring vertebrae"
        )
    turn = abs((upper.angle_deg - lower.angle_deg + 180.0) % 360.0 - 180.0)
    if turn > limits.max_level_rotation_deg:
        return f"{pair} turned {turn:.0f} degrees relative to each other, more than a segment can"
    return ""


def film_identity(matches: Mapping[Vertebra, Match], anchored: bool, limits: IdentityLimits) -> str:
    """Why the target film is not this spine (another subject's, another part of the spine),
    or "" when it is. ``anchored``: whether the sacrum anchor was found with confidence."""
    values = [m.correlation for m in matches.values() if math.isfinite(m.correlation)]
    if not values:
        return ""
    median = float(np.median(values))
    poor = sum(m.poor for m in matches.values())
    if median < limits.min_film_correlation or (not anchored and 2 * poor > len(matches)):
        return (
            f"the target film does not show this spine (median correlation {median:.2f}, "
            f"{poor} of {len(matches)} vertebrae poorly matched): another subject's film, or "
            "another part of the spine"
        )
    return ""
