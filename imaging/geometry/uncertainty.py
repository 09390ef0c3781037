"""How uncertain a film's segmental angle and translation are, from its corners' uncertainty.

Software-placed corners (refined on the film's pixels) carry a covariance estimated from the
film's noise and edge contrast (:attr:`imaging.assist.CornerRefinement.covariance_px`). The
standard uncertainty of each level's segmental angle and translation follows by first-order
propagation (JCGM 100:2008, *Guide to the expression of uncertainty in measurement*, 5.1.2):
``var(f) = sum_c J_c C_c J_c^T`` over the level's corners ``c`` with covariance ``C_c`` and the
measure's gradient ``J_c``, taken here by central differences of
:func:`imaging.geometry.discs.disc_measures`. Corners without a covariance (a reader's click)
add nothing: this is the uncertainty the software added, not the reader's.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from imaging.anatomy import Corner, DiscLevel
from imaging.geometry.discs import disc_measures
from imaging.geometry.landmarks import CornerKey, Landmarks

Covariance = tuple[float, float, float]
"""A point's covariance (row-row, row-col, col-col) in pixels squared."""
MOTION_SOURCES = ("segmental_angle", "translation", "translation_pct_depth")
"""The single-film measures whose uncertainty :func:`motion_uncertainty` gives."""
_LEVEL_CORNERS = (
    ("upper", Corner.ANTERIOR_INFERIOR),
    ("upper", Corner.POSTERIOR_INFERIOR),
    ("lower", Corner.ANTERIOR_SUPERIOR),
    ("lower", Corner.POSTERIOR_SUPERIOR),
)
"""The corners of a level in :func:`~imaging.geometry.discs.disc_measures`' argument order."""
_STEP_PX = 0.01


def motion_uncertainty(
    landmarks: Landmarks,
    covariances: Mapping[CornerKey, Covariance],
    levels: Sequence[DiscLevel],
) -> dict[str, np.ndarray]:
    """Standard uncertainty of each level's segmental angle (degrees), translation (the film's
    length unit: mm when calibrated, else pixels) and translation in % of depth.

    ``covariances``: per corner, its covariance in pixels squared; corners without one count as
    exact. Returns ``{measure: array aligned with levels}``: 0 where no corner of the level has a
    covariance; NaN where one has and a corner of the level is missing.
    """
    spacing = landmarks.calibration.pixel_spacing or (1.0, 1.0)
    ends = [{"upper": level.upper_vertebra, "lower": level.lower_vertebra} for level in levels]
    corners = [
        np.array([landmarks.point(e[end], corner) or (np.nan, np.nan) for e in ends], dtype=float)
        for end, corner in _LEVEL_CORNERS
    ]
    variance = {name: np.zeros(len(levels)) for name in MOTION_SOURCES}
    for index, (end, corner) in enumerate(_LEVEL_CORNERS):
        cov = np.zeros((len(levels), 2, 2))
        for i, e in enumerate(ends):
            rr, rc, cc = covariances.get((e[end], corner), (0.0, 0.0, 0.0))
            cov[i] = ((rr, rc), (rc, cc))
        if not cov.any():
            continue
        gradient = {name: np.zeros((len(levels), 2)) for name in MOTION_SOURCES}
        for axis in (0, 1):
            moved = []
            for sign in (1.0, -1.0):
                shifted = [c.copy() for c in corners]
                shifted[index][:, axis] += sign * _STEP_PX
                ua, up, la, lp = shifted
                measures = disc_measures(ua, up, la, lp, spacing, facing=landmarks.facing)
                moved.append(
                    {
                        "segmental_angle": measures.segmental_angle,
                        "translation": measures.translation.distance,
                        "translation_pct_depth": measures.translation.pct_depth,
                    }
                )
            for name in MOTION_SOURCES:
                gradient[name][:, axis] = (moved[0][name] - moved[1][name]) / (2 * _STEP_PX)
        for name in MOTION_SOURCES:
            g = gradient[name]
            variance[name] += np.einsum("li,lij,lj->l", g, cov, g)
    return {name: np.sqrt(values) for name, values in variance.items()}
