"""Segmental motion between two films from tracked vertebrae.

For each disc level whose two vertebrae were tracked, the change of the segmental angle is the
relative rotation of the two vertebrae (``angular_rom_transform_deg``, from the transforms
alone) and, equivalently, the difference of the segmental angles measured on the source corners
and on the corners mapped onto the target film (``angular_rom_corners_deg``); translation ROM
comes from the corners (source and mapped). Every measure uses
:func:`imaging.geometry.disc_measures` and so the formulas of issue 3.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, replace

import numpy as np

from imaging.anatomy import Corner, DiscLevel, Film, Vertebra
from imaging.assist.corners import CornerInput, Point, flat_corners, nested_corners
from imaging.assist.tracking import TrackingResult
from imaging.calibration import Calibration
from imaging.geometry import Landmarks, disc_measures

_AI, _PI = Corner.ANTERIOR_INFERIOR, Corner.POSTERIOR_INFERIOR
_AS, _PS = Corner.ANTERIOR_SUPERIOR, Corner.POSTERIOR_SUPERIOR


@dataclass(frozen=True)
class TrackedMotion:
    """Motion of one disc level between the source and the target film (lordosis positive).

    Angles in degrees; translations in mm (upper vertebra forward positive) and % of the lower
    superior endplate depth. ``angle_change_deg`` is target minus source. ``poor_match`` when
    either vertebra's match was poor: every value is then NaN (empty) and ``reason`` says which
    vertebra and why it is empty.
    """

    level: DiscLevel
    source_angle_deg: float
    target_angle_deg: float
    angle_change_deg: float
    angular_rom_transform_deg: float
    angular_rom_corners_deg: float
    source_translation_mm: float
    target_translation_mm: float
    translation_rom_mm: float
    translation_rom_pct_depth: float
    poor_match: bool
    reason: str


def rom_from_tracking(
    source_corners: CornerInput,
    tracking: TrackingResult,
    spacing_mm: tuple[float, float],
    target_spacing_mm: tuple[float, float] | None = None,
) -> dict[DiscLevel, TrackedMotion]:
    """Angular and translation ROM of every level whose two vertebrae were tracked.

    ``source_corners`` are the corners the tracking started from (pixels of the source film);
    ``spacing_mm`` / ``target_spacing_mm`` the (row, col) mm per pixel of the two films.
    """
    source = nested_corners(flat_corners(source_corners))
    target_spacing = spacing_mm if target_spacing_mm is None else target_spacing_mm
    out: dict[DiscLevel, TrackedMotion] = {}
    for level in DiscLevel:
        upper, lower = level.upper_vertebra, level.lower_vertebra
        tracks = [tracking.vertebrae.get(upper), tracking.vertebrae.get(lower)]
        if any(t is None or t.transform is None for t in tracks):
            continue
        upper_track, lower_track = tracks
        assert upper_track is not None and lower_track is not None
        assert upper_track.transform is not None and lower_track.transform is not None
        needed = [(upper, _AI), (upper, _PI), (lower, _AS), (lower, _PS)]
        if any(c not in source.get(v, {}) for v, c in needed):
            continue
        mapped = {
            upper: dict(upper_track.corners),
            lower: dict(lower_track.corners),
        }
        before = _measures(source, upper, lower, spacing_mm)
        after = _measures(mapped, upper, lower, target_spacing)
        relative = upper_track.transform.angle_deg - lower_track.transform.angle_deg
        poor = [t.vertebra.value for t in (upper_track, lower_track) if t.poor_match]
        change = after[0] - before[0]
        if poor:  # a value from a vertebra not matched with confidence is no value
            before = after = (math.nan, math.nan, math.nan)
            change = relative = math.nan
        out[level] = TrackedMotion(
            level=level,
            source_angle_deg=before[0],
            target_angle_deg=after[0],
            angle_change_deg=change,
            angular_rom_transform_deg=abs(_wrap(relative)),
            angular_rom_corners_deg=abs(change),
            source_translation_mm=before[1],
            target_translation_mm=after[1],
            translation_rom_mm=abs(after[1] - before[1]),
            translation_rom_pct_depth=abs(after[2] - before[2]),
            poor_match=bool(poor),
            reason=f"empty: poor match of {', '.join(poor)}" if poor else "",
        )
    return out


def mapped_landmarks(
    source: Landmarks,
    tracking: TrackingResult,
    film: Film | str,
    *,
    calibration: Calibration | None = None,
    image: str = "",
    include_poor: bool = False,
) -> Landmarks:
    """The source film's landmarks carried onto the target film by the tracking.

    Same subject, visit and reader; ``film``, ``calibration`` (default: the source's) and
    ``image`` of the target. Poorly matched vertebrae are left out unless ``include_poor``.
    """
    corners: Mapping[Vertebra, Mapping[Corner, Point]] = tracking.mapped_corners(include_poor)
    return replace(
        source,
        corners=corners,
        film=Film(film),
        calibration=calibration or source.calibration,
        image=image,
        sources={},
        origin=None,
    )


def _measures(
    corners: Mapping[Vertebra, Mapping[Corner, Point]],
    upper: Vertebra,
    lower: Vertebra,
    spacing: tuple[float, float],
) -> tuple[float, float, float]:
    """(segmental angle, translation mm, translation % depth) of one level."""
    result = disc_measures(
        np.array(corners[upper][_AI]),
        np.array(corners[upper][_PI]),
        np.array(corners[lower][_AS]),
        np.array(corners[lower][_PS]),
        spacing,
    )
    return (
        float(result.segmental_angle[0]),
        float(result.translation.distance[0]),
        float(result.translation.pct_depth[0]),
    )


def _wrap(angle_deg: float) -> float:
    return (angle_deg + 180.0) % 360.0 - 180.0 if math.isfinite(angle_deg) else angle_deg
