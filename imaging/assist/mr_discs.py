"""Quantify lumbar discs on a mid-sagittal T2 (and T1) slice from one click per disc centre.

For each clicked disc: its endplates, height and depth (:mod:`imaging.assist.mr_geometry`, on
T1 when given, where the disc is evenly grey between bright marrow); nucleus, annulus and CSF
signal, homogeneity and a horizontal band on T2 (:mod:`imaging.assist.mr_signals`); then a
suggested Pfirrmann grade with the decision questions answered and a suggested Modic type per
endplate (:mod:`imaging.assist.mr_grades`). Suggestions are labelled as such.

The spine's axis at each disc comes from the neighbouring clicks; a single click takes rows as
running caudally (every sagittal display). Coordinates are (row, col) pixels; ``spacing`` is
(0028,0030) *Pixel Spacing*, (row, col) mm.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from imaging.anatomy import DiscLevel
from imaging.assist.corners import Point
from imaging.assist.edges import FloatArray, ImageSampler, noise_sigma
from imaging.assist.mr_geometry import DiscGeometry, find_disc, meet
from imaging.assist.mr_grades import (
    GradingThresholds,
    ModicSuggestion,
    PfirrmannEvidence,
    PfirrmannSuggestion,
    suggest_modic,
    suggest_pfirrmann,
)
from imaging.assist.mr_signals import (
    Patch,
    body_marrow,
    csf_at,
    csf_signal,
    disc_signals,
    endplate_band,
    patch_around,
)
from imaging.errors import CalibrationError
from imaging.protocol.scales import Scale, load_scale

_BODY_HALF_MM = 13.0
"""Half a vertebral body's height, used when the neighbouring disc was not clicked."""


@dataclass(frozen=True)
class DiscQuantification:
    """Measures and suggestions for one disc (``None`` where not measurable, see ``notes``).

    ``height_mm`` is the distance between the two dark endplate lines at the disc's centre,
    along the normal of their bisector; ``depth_mm`` the anteroposterior extent of the lines.
    Signals are in the image's stored units; ``nucleus_csf_ratio`` is nucleus over CSF T2 signal,
    ``distinction`` is (nucleus - annulus) / (nucleus + annulus), ``nucleus_cv`` the noise-
    corrected coefficient of variation (0 = homogeneous), ``band_depth`` how much darker the
    mid-plane is than its flanks. ``height_ratio`` compares with the median of the other
    measured discs.
    """

    level: DiscLevel
    clicked: Point
    centre: Point | None = None
    height_mm: float | None = None
    depth_mm: float | None = None
    height_index: float | None = None
    height_ratio: float | None = None
    nucleus_signal: float | None = None
    annulus_signal: float | None = None
    csf_signal: float | None = None
    nucleus_csf_ratio: float | None = None
    distinction: float | None = None
    nucleus_cv: float | None = None
    band_depth: float | None = None
    pfirrmann: PfirrmannSuggestion | None = None
    modic_cranial: ModicSuggestion | None = None
    modic_caudal: ModicSuggestion | None = None
    endplates: tuple[tuple[Point, Point], tuple[Point, Point]] | None = None
    """Cranial and caudal endplate lines as ((row, col), (row, col)) pixels, for display."""
    notes: tuple[str, ...] = field(default=())

    def to_dict(self) -> dict[str, Any]:
        """Flat record for a table: measures, suggested grades and the first answer's text."""
        out: dict[str, Any] = {
            "level": self.level.value,
            "clicked_row": self.clicked[0],
            "clicked_col": self.clicked[1],
        }
        for name in (
            "height_mm", "depth_mm", "height_index", "height_ratio", "nucleus_signal",
            "annulus_signal", "csf_signal", "nucleus_csf_ratio", "distinction", "nucleus_cv",
            "band_depth",
        ):  # fmt: skip
            out[name] = getattr(self, name)
        out["suggested_pfirrmann"] = None if self.pfirrmann is None else self.pfirrmann.grade
        for side in ("cranial", "caudal"):
            modic = getattr(self, f"modic_{side}")
            out[f"suggested_modic_{side}"] = None if modic is None else modic.modic_type
        out["notes"] = "; ".join(self.notes)
        return out


def quantify_mr_discs(
    t2_slice: ArrayLike,
    t1_slice: ArrayLike | None,
    disc_centres: Mapping[DiscLevel, Point] | Mapping[str, Point],
    spacing_mm: tuple[float, float] | None,
    *,
    csf_point: Point | None = None,
    thresholds: GradingThresholds | None = None,
    pfirrmann_scale: Scale | None = None,
    modic_scale: Scale | None = None,
) -> dict[DiscLevel, DiscQuantification]:
    """Measure each clicked disc and suggest its Pfirrmann grade and Modic types.

    Parameters
    ----------
    t2_slice, t1_slice : ndarray, shape (rows, cols)
        The mid-sagittal T2 slice and the matching T1 slice (same grid), or None without T1
        (then no Modic suggestion, and the endplates are found on T2).
    disc_centres : mapping
        Disc level (``"L4-L5"``, ``"L4-5"``, ...) -> one click near its centre, (row, col).
    spacing_mm : (row, col)
        Pixel spacing in mm; required (heights are in mm and regions are sized in mm).
    csf_point : (row, col), optional
        A click in the CSF behind the vertebral bodies; otherwise CSF is found beside each disc.
    """
    if spacing_mm is None:
        raise CalibrationError(
            "MR disc quantification needs the slice's pixel spacing",
            fix="Give (0028,0030) Pixel Spacing of the series.",
        )
    spacing = (float(spacing_mm[0]), float(spacing_mm[1]))
    t2 = np.asarray(t2_slice, dtype=np.float64)
    t1 = None if t1_slice is None else np.asarray(t1_slice, dtype=np.float64)
    if t2.ndim != 2 or (t1 is not None and t1.shape != t2.shape):
        raise ValueError("t2_slice must be 2-D and t1_slice, when given, of the same shape")
    thresholds = thresholds or GradingThresholds()
    pfirrmann = pfirrmann_scale or load_scale("pfirrmann")
    modic = modic_scale or load_scale("modic")
    clicks = {DiscLevel(k): (float(v[0]), float(v[1])) for k, v in disc_centres.items()}
    levels = sorted(clicks, key=lambda lv: list(DiscLevel).index(lv))
    frame = {lv: np.array(clicks[lv]) * np.array(spacing) for lv in levels}

    t2_sampler = ImageSampler(t2, spacing)
    shape_sampler = t2_sampler if t1 is None else ImageSampler(t1, spacing)
    noise = noise_sigma(t2)
    found: dict[DiscLevel, DiscGeometry] = {}
    results: dict[DiscLevel, DiscQuantification] = {}
    for level in levels:
        geometry = find_disc(shape_sampler, frame[level], _axis(level, levels, frame))
        if isinstance(geometry, str):
            results[level] = DiscQuantification(level, clicks[level], notes=(geometry,))
        else:
            found[level] = geometry

    patches = {lv: patch_around(g, t2, t1, spacing, 60.0) for lv, g in found.items()}
    marrow = _normal_marrow(found, patches, spacing)
    csf_clicked = None if csf_point is None else csf_at(np.array(csf_point) * spacing, t2, spacing)
    csf = {lv: csf_signal(g, patches[lv], marrow) for lv, g in found.items()}
    heights = {lv: g.height_mm for lv, g in found.items()}
    for level, geometry in found.items():
        notes: list[str] = []
        others = [heights[lv] for lv in _adjacent(level, list(heights))]
        reference = csf_clicked
        if reference is None:
            own = csf[level]
            if own is not None:
                reference = own[0]
            else:
                values = [c[0] for c in csf.values() if c is not None]
                reference = float(np.median(values)) if values else None
                notes.append("no CSF found beside this disc; the other levels' CSF is used")
        signals = disc_signals(geometry, patches[level], t2_sampler, noise)
        base = _geometry_fields(level, clicks[level], geometry, spacing, others)
        if isinstance(signals, str) or reference is None or not reference > 0:
            reason = signals if isinstance(signals, str) else "no CSF reference found"
            results[level] = DiscQuantification(**base, notes=(*notes, reason))
            continue
        ratio = signals.nucleus / reference
        total = signals.nucleus + signals.annulus
        distinction = (signals.nucleus - signals.annulus) / total if total > 0 else math.nan
        evidence = PfirrmannEvidence(
            ratio, signals.nucleus_cv, signals.band_depth, distinction,
            base["height_ratio"], base["height_index"],
        )  # fmt: skip
        modic_cranial = modic_caudal = None
        if t1 is None or marrow[1] is None:
            notes.append("no T1: Modic types are not suggested")
        else:
            pair = []
            for cranial, vertebra in ((True, level.upper_vertebra), (False, level.lower_vertebra)):
                band = endplate_band(geometry, patches[level], cranial, spacing)
                assert band.t1 is not None
                pair.append(
                    suggest_modic(
                        "cranial" if cranial else "caudal",
                        vertebra,
                        band.t2,
                        band.t1,
                        marrow[0],
                        marrow[1],
                        modic,
                        thresholds,
                    )
                )
            modic_cranial, modic_caudal = pair
        results[level] = DiscQuantification(
            **base,
            nucleus_signal=signals.nucleus,
            annulus_signal=signals.annulus,
            csf_signal=reference,
            nucleus_csf_ratio=ratio,
            distinction=distinction,
            nucleus_cv=signals.nucleus_cv,
            band_depth=signals.band_depth,
            pfirrmann=suggest_pfirrmann(evidence, pfirrmann, thresholds),
            modic_cranial=modic_cranial,
            modic_caudal=modic_caudal,
            notes=tuple(notes),
        )
    return {lv: results[lv] for lv in levels}


def _axis(
    level: DiscLevel, levels: list[DiscLevel], frame: Mapping[DiscLevel, FloatArray]
) -> FloatArray:
    """Caudal unit vector across the disc, from the clicks of the nearest levels."""
    index = levels.index(level)
    before = frame[levels[index - 1]] if index > 0 else frame[level]
    after = frame[levels[index + 1]] if index + 1 < len(levels) else frame[level]
    vector = after - before
    length = float(np.hypot(*vector))
    if length < 1e-6:
        return np.array([1.0, 0.0])  # one click: rows run caudally
    return np.asarray(vector / length, dtype=np.float64)


def _normal_marrow(
    found: Mapping[DiscLevel, DiscGeometry],
    patches: Mapping[DiscLevel, Patch],
    spacing: tuple[float, float],
) -> tuple[float, float | None]:
    """Median T2 and T1 over the mid-heights of the vertebral bodies next to the discs."""
    t2_values: list[float] = []
    t1_values: list[float] = []
    for level, geometry in found.items():
        for sign, neighbour in ((-1.0, _next(level, -1)), (1.0, _next(level, 1))):
            other = found.get(neighbour) if neighbour is not None else None
            if other is not None:
                centre = (geometry.centre + other.centre) / 2
            else:
                centre = (
                    geometry.centre
                    + sign * (geometry.height_mm / 2 + _BODY_HALF_MM) * geometry.axis
                )
            values = body_marrow(centre, geometry, patches[level], spacing)
            if values is not None:
                t2_values.append(values[0])
                if values[1] is not None:
                    t1_values.append(values[1])
    t2 = float(np.median(t2_values)) if t2_values else math.nan
    t1 = float(np.median(t1_values)) if t1_values else None
    return t2, t1


def _adjacent(level: DiscLevel, measured: list[DiscLevel]) -> list[DiscLevel]:
    """The nearest measured level above and the nearest below (one or two levels)."""
    order = list(DiscLevel)
    position = order.index(level)
    above = [lv for lv in measured if order.index(lv) < position]
    below = [lv for lv in measured if order.index(lv) > position]
    out = [max(above, key=order.index)] if above else []
    return out + ([min(below, key=order.index)] if below else [])


def _next(level: DiscLevel, step: int) -> DiscLevel | None:
    order = list(DiscLevel)
    index = order.index(level) + step
    return order[index] if 0 <= index < len(order) else None


def _geometry_fields(
    level: DiscLevel,
    clicked: Point,
    geometry: DiscGeometry,
    spacing: tuple[float, float],
    other_heights: list[float],
) -> dict[str, Any]:
    scale = np.array(spacing)

    def pixel(point: FloatArray) -> Point:
        p = point / scale
        return (float(p[0]), float(p[1]))

    lines = []
    for line in (geometry.cranial, geometry.caudal):
        ends = [
            meet(line, geometry.centre + s * geometry.along, geometry.axis) for s in geometry.extent
        ]
        lines.append((pixel(ends[0]), pixel(ends[1])))
    ratio = geometry.height_mm / float(np.mean(other_heights)) if other_heights else None
    return {
        "level": level,
        "clicked": clicked,
        "centre": pixel(geometry.centre),
        "height_mm": geometry.height_mm,
        "depth_mm": geometry.depth_mm,
        "height_index": geometry.height_mm / geometry.depth_mm if geometry.depth_mm > 0 else None,
        "height_ratio": ratio,
        "endplates": (lines[0], lines[1]),
    }
