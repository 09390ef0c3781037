"""Every disc and vertebral body measure of one film, with what is missing and why.

:func:`film_geometry` gathers the corners of a :class:`~imaging.geometry.landmarks.Landmarks` into
per-level arrays and runs the vectorised measures of :mod:`imaging.geometry.discs` and
:mod:`imaging.geometry.height_loss` once for all levels. Lengths are in mm when the film is
calibrated and in pixels otherwise (``millimetres`` says which; callers must not report pixel
lengths as mm). Levels L1-L2 to L5-S1 and vertebrae L1 to L5 are always present (missing corners
are listed); T12-L1 and T12 only when T12 was read.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

import numpy as np
from numpy.typing import ArrayLike, NDArray

from imaging.anatomy import LUMBAR_LEVELS, Corner, DiscLevel, Vertebra
from imaging.geometry.discs import disc_measures, vertebral_body_heights
from imaging.geometry.height_loss import HeightLossRule, height_loss_vs_adjacent
from imaging.geometry.landmarks import Landmarks
from imaging.measures import MEASURES, MeasureKind

FloatArray = NDArray[np.float64]

DISC_MEASURE_CORNERS: Mapping[str, tuple[tuple[str, Corner], ...]] = MappingProxyType(
    {
        name: measure.corners
        for name, measure in MEASURES.items()
        if measure.kind is MeasureKind.DISC and not measure.flag
    }
)
"""The corners each disc measure needs, of the upper and the lower vertebra (the registry's)."""
BODY_MEASURE_CORNERS: Mapping[str, tuple[Corner, ...]] = MappingProxyType(
    {
        name: tuple(corner for _, corner in measure.corners)
        for name, measure in MEASURES.items()
        if measure.kind is MeasureKind.BODY
    }
)
"""The corners each vertebral body measure needs (the registry's)."""


@dataclass(frozen=True)
class FilmGeometry:
    """The measures of one film, arrays aligned with ``levels`` / ``vertebrae``."""

    levels: tuple[DiscLevel, ...]
    vertebrae: tuple[Vertebra, ...]
    disc: Mapping[str, FloatArray]
    """Measure name -> values per level (NaN when not computable)."""
    body: Mapping[str, FloatArray]
    """``anterior_height`` / ``posterior_height`` -> values per vertebra."""
    missing: Mapping[tuple[str, str], tuple[str, ...]]
    """(level or vertebra name, measure) -> missing corners such as ``"L5 posterior_inferior"``."""
    references: Mapping[DiscLevel, tuple[DiscLevel, ...]]
    """Reference discs used for each level's height loss."""
    millimetres: bool
    """True when lengths are mm; False when they are pixels of an uncalibrated film."""

    def value(self, level: DiscLevel, measure: str) -> float:
        """One disc measure of one level (NaN when not computable or not a level of the film)."""
        if level not in self.levels:
            return float("nan")
        return float(self.disc[measure][self.levels.index(level)])


MEYERDING_LIMITS_PCT = (25.0, 50.0, 75.0, 100.0)
"""Slip (% of the caudal endplate's depth) where Meyerding grades II, III, IV and V begin
(shared/reference/spine-imaging.md section 4: I < 25, II 25-50, III 50-75, IV 75-100, V > 100)."""


def meyerding_grade(slip_pct_depth: ArrayLike) -> FloatArray:
    """Meyerding grade 1-5 of each slip's size (``|translation % depth|``), NaN where unknown.

    Grade IV ends at 100 % inclusive; beyond is V (spondyloptosis).
    """
    slip = np.abs(np.asarray(slip_pct_depth, dtype=np.float64))
    grade = 1.0 + np.searchsorted(MEYERDING_LIMITS_PCT[:3], slip, side="right")
    grade = np.where(slip > MEYERDING_LIMITS_PCT[3], 5.0, grade)
    return np.where(np.isfinite(slip), grade, np.nan)


def film_geometry(landmarks: Landmarks, height_loss: HeightLossRule | None = None) -> FilmGeometry:
    """All disc and vertebral body measures of one film."""
    rule = height_loss or HeightLossRule()
    spacing = landmarks.calibration.pixel_spacing or (1.0, 1.0)
    levels = tuple(
        level
        for level in DiscLevel
        if level in LUMBAR_LEVELS or level.upper_vertebra in landmarks.vertebrae
    )
    upper = [level.upper_vertebra for level in levels]
    lower = [level.lower_vertebra for level in levels]
    ua = landmarks.array(upper, Corner.ANTERIOR_INFERIOR)
    up = landmarks.array(upper, Corner.POSTERIOR_INFERIOR)
    la = landmarks.array(lower, Corner.ANTERIOR_SUPERIOR)
    lp = landmarks.array(lower, Corner.POSTERIOR_SUPERIOR)

    discs = disc_measures(ua, up, la, lp, spacing, facing=landmarks.facing)
    heights, angle, shift = discs.heights, discs.segmental_angle, discs.translation

    disc = {
        "disc_height_anterior": heights.anterior,
        "disc_height_posterior": heights.posterior,
        "disc_height_mean": heights.mean,
        "disc_height_middle": heights.middle,
        "disc_height_index": heights.index,
        "disc_height_anterior_bisector": heights.anterior_bisector,
        "disc_height_posterior_bisector": heights.posterior_bisector,
        "disc_height_mean_bisector": heights.mean_bisector,
        "disc_height_index_bisector": heights.index_bisector,
        "segmental_angle": angle,
        "translation": shift.distance,
        "translation_pct_depth": shift.pct_depth,
        "meyerding_grade": meyerding_grade(shift.pct_depth),
    }
    if rule.height not in disc:
        raise ValueError(f"height loss cannot compare {rule.height!r}: not a disc height")
    all_levels = tuple(DiscLevel)
    all_means = np.full(len(all_levels), np.nan)
    for i, level in enumerate(levels):
        all_means[all_levels.index(level)] = disc[rule.height][i]
    loss = height_loss_vs_adjacent(all_means, all_levels, rule)
    positions = [all_levels.index(level) for level in levels]
    references = {
        level: tuple(
            ref for ref, used in zip(all_levels, loss.references[0, position], strict=True) if used
        )
        for level, position in zip(levels, positions, strict=True)
    }
    disc["height_loss_vs_adjacent_pct"] = loss.loss_pct[0, positions]

    vertebrae = tuple(
        v
        for v in Vertebra
        if v is not Vertebra.S1 and (v is not Vertebra.T12 or v in landmarks.vertebrae)
    )
    body = vertebral_body_heights(
        landmarks.array(vertebrae, Corner.ANTERIOR_SUPERIOR),
        landmarks.array(vertebrae, Corner.POSTERIOR_SUPERIOR),
        landmarks.array(vertebrae, Corner.ANTERIOR_INFERIOR),
        landmarks.array(vertebrae, Corner.POSTERIOR_INFERIOR),
        spacing,
    )

    missing: dict[tuple[str, str], tuple[str, ...]] = {}
    for level in levels:
        ends = {"upper": level.upper_vertebra, "lower": level.lower_vertebra}
        for measure, needed in DISC_MEASURE_CORNERS.items():
            absent = tuple(
                f"{ends[end]} {corner.value}"
                for end, corner in needed
                if landmarks.point(ends[end], corner) is None
            )
            if absent:
                missing[(level.value, measure)] = absent
    for vertebra in vertebrae:
        for measure, corners in BODY_MEASURE_CORNERS.items():
            absent = tuple(
                f"{vertebra} {c.value}" for c in corners if landmarks.point(vertebra, c) is None
            )
            if absent:
                missing[(vertebra.value, measure)] = absent

    return FilmGeometry(
        levels=levels,
        vertebrae=vertebrae,
        disc=MappingProxyType(disc),
        body=MappingProxyType(
            {"anterior_height": body.anterior, "posterior_height": body.posterior}
        ),
        missing=MappingProxyType(missing),
        references=MappingProxyType(references),
        millimetres=landmarks.calibration.has_millimetres,
    )
