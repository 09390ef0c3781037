"""Segmental instability from flexion/extension ROM against published thresholds.

A segment is flagged when any criterion is exceeded (translation ROM in mm or in % of the lower
endplate depth, angular ROM in degrees). Each threshold states its strictness: ``>`` or ``>=``.
Evaluation is three-valued: 1 when a known value exceeds its threshold, 0 when every criterion's
value is known and none does, NaN (unknown) otherwise, e.g. translation in mm on an uncalibrated
film whose angle stays below its threshold.

Named presets of published criteria (shared/reference/spine-imaging.md section 4), the one
place they are written; a trial's own limits live in its protocol file
(:class:`imaging.endpoints.MeasureRules`):

========================== ===========================================================
``us-device-ide``          US device trials: > 3 mm or >= 5 deg
``white-panjabi``          White & Panjabi (Clinical Biomechanics of the Spine, 2nd ed.,
                           1990, lumbar checklist): sagittal translation > 4.5 mm or > 15%
                           of depth; sagittal rotation > 15 deg at L1-L2, L2-L3 and L3-L4,
                           > 20 deg at L4-L5, > 25 deg at L5-S1 (no angle at T12-L1: the
                           lumbar checklist gives none)
========================== ===========================================================

Limits replaced on a preset (:meth:`InstabilityCriteria.with_limits`) are reported under the
name of whoever set them (the protocol's id, say), or else with the limits spelled out, never as
anonymous "custom limits".
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from types import MappingProxyType

import numpy as np
from numpy.typing import ArrayLike, NDArray

from imaging.anatomy import DiscLevel
from imaging.errors import SpineEndpointsError

FloatArray = NDArray[np.float64]


@dataclass(frozen=True)
class Threshold:
    """A limit and whether reaching it counts: ``strict`` means ``value > limit``."""

    limit: float
    strict: bool = True

    def __post_init__(self) -> None:
        if not math.isfinite(self.limit) or self.limit < 0:
            raise ValueError(f"a threshold must be a finite number >= 0, got {self.limit!r}")

    def exceeded(self, values: ArrayLike) -> NDArray[np.bool_]:
        """True where a finite value passes the threshold."""
        array = np.asarray(values, dtype=np.float64)
        with np.errstate(invalid="ignore"):
            hit = array > self.limit if self.strict else array >= self.limit
        return hit & np.isfinite(array)

    def describe(self, unit: str) -> str:
        """E.g. '> 3 mm'."""
        return f"{'>' if self.strict else '>='} {self.limit:g} {unit}".rstrip()


@dataclass(frozen=True)
class InstabilityCriteria:
    """Thresholds on translation ROM (mm, % depth) and angular ROM (deg); any one flags."""

    name: str
    description: str
    translation_mm: Threshold | None = None
    translation_pct_depth: Threshold | None = None
    angle_deg: Threshold | None = None
    angle_deg_by_level: Mapping[DiscLevel, Threshold] = field(
        default_factory=lambda: MappingProxyType({})
    )

    def __post_init__(self) -> None:
        by_level = {DiscLevel(k): v for k, v in self.angle_deg_by_level.items()}
        object.__setattr__(self, "angle_deg_by_level", MappingProxyType(by_level))
        if not (self.translation_mm or self.translation_pct_depth or self.angle_deg or by_level):
            raise ValueError(f"instability criteria {self.name!r} have no threshold at all")

    def angle_threshold(self, level: DiscLevel) -> Threshold | None:
        """The angular ROM threshold of one level (level-specific, else the general one)."""
        return self.angle_deg_by_level.get(level, self.angle_deg)

    def with_limits(
        self,
        *,
        max_translation_mm: float | None = None,
        max_angle_deg: float | None = None,
        name: str | None = None,
    ) -> InstabilityCriteria:
        """A copy with the mm or angle limit replaced (keeping each threshold's strictness).

        A new angle limit applies to every level, replacing level-specific ones. The copy is
        named ``name`` (whoever set the limits, e.g. the protocol's id) when given, else this
        preset's name with the replaced limits spelled out; its description says which limits
        are whose.
        """
        criteria = self
        replaced: list[str] = []
        if max_translation_mm is not None:
            strict = self.translation_mm.strict if self.translation_mm else True
            threshold = Threshold(float(max_translation_mm), strict)
            criteria = replace(criteria, translation_mm=threshold)
            replaced.append(f"translation ROM {threshold.describe('mm')}")
        if max_angle_deg is not None:
            strict = self.angle_deg.strict if self.angle_deg else True
            threshold = Threshold(float(max_angle_deg), strict)
            criteria = replace(
                criteria, angle_deg=threshold, angle_deg_by_level=MappingProxyType({})
            )
            replaced.append(f"angular ROM {threshold.describe('deg')} at every level")
        if not replaced:
            return self
        limits = "; ".join(replaced)
        return replace(
            criteria,
            name=name or f"{self.name} with {limits}",
            description=f"{name or 'these limits'}: {limits}; otherwise {self.description}",
        )

    def evaluate(
        self,
        levels: Sequence[DiscLevel],
        angular_rom: ArrayLike,
        translation_rom_mm: ArrayLike,
        translation_rom_pct_depth: ArrayLike,
    ) -> tuple[FloatArray, list[str]]:
        """Flags (as :meth:`flags`) and a sentence per level saying why."""
        count = len(levels)
        angle = _values(angular_rom, count)
        translation_mm = _values(translation_rom_mm, count)
        translation_pct = _values(translation_rom_pct_depth, count)
        flags = self.flags(levels, angle, translation_mm, translation_pct)
        reasons = [
            self.explain(level, float(a), float(t), float(p))
            for level, a, t, p in zip(levels, angle, translation_mm, translation_pct, strict=True)
        ]
        return flags, reasons

    def explain(
        self,
        level: DiscLevel,
        angular_rom: float,
        translation_rom_mm: float,
        translation_rom_pct_depth: float,
    ) -> str:
        """One level's verdict in words, e.g. 'dlbp-...: angular ROM 17.20 deg > 15'."""
        checks = (
            ("translation ROM", "mm", translation_rom_mm, self.translation_mm),
            ("translation ROM", "% depth", translation_rom_pct_depth, self.translation_pct_depth),
            ("angular ROM", "deg", angular_rom, self.angle_threshold(level)),
        )
        hits: list[str] = []
        unknown: list[str] = []
        within: list[str] = []
        for label, unit, value, threshold in checks:
            if threshold is None:
                continue
            if not math.isfinite(value):
                unknown.append(f"{label} in {unit} unknown")
            elif threshold.exceeded(value):
                hits.append(f"{label} {value:.2f} {unit} {threshold.describe('')}")
            else:
                within.append(f"{label} {threshold.describe(unit)}")
        if hits:
            return f"{self.name}: " + "; ".join(hits)
        if unknown:
            return f"{self.name}: not decidable, " + "; ".join(unknown)
        return f"{self.name}: within limits (flagged at " + " or ".join(within) + ")"

    def flags(
        self,
        levels: Sequence[DiscLevel],
        angular_rom: ArrayLike,
        translation_rom_mm: ArrayLike,
        translation_rom_pct_depth: ArrayLike,
    ) -> FloatArray:
        """Flags 1 / 0 / NaN, vectorised: the values' last axis runs over ``levels``.

        Values have shape ``(..., len(levels))`` (or broadcast to it), e.g. ``(films, levels)``.
        """
        count = len(levels)
        arrays = [
            np.asarray(v, dtype=np.float64)
            for v in (angular_rom, translation_rom_mm, translation_rom_pct_depth)
        ]
        shape = np.broadcast_shapes(*(a.shape for a in arrays), (count,))
        angle, translation_mm, translation_pct = (np.broadcast_to(a, shape) for a in arrays)
        hit = np.zeros(shape, dtype=bool)
        known = np.ones(shape, dtype=bool)
        for threshold, values in (
            (self.translation_mm, translation_mm),
            (self.translation_pct_depth, translation_pct),
        ):
            if threshold is not None:
                hit |= threshold.exceeded(values)
                known &= np.isfinite(values)
        thresholds = [self.angle_threshold(level) for level in levels]
        # One comparison with a scalar per distinct threshold (usually one for every level): a
        # comparison with a per-level array is numpy's slowest broadcast (an inner loop of 5).
        with np.errstate(invalid="ignore"):
            for threshold in {t for t in thresholds if t is not None}:
                applies = np.array([t == threshold for t in thresholds])
                passes = angle > threshold.limit if threshold.strict else angle >= threshold.limit
                hit |= passes if applies.all() else passes & applies
        used = np.array([t is not None for t in thresholds])
        known &= np.isfinite(angle) if used.all() else np.isfinite(angle) | ~used
        flags = hit.astype(np.float64)
        flags[~(hit | known)] = np.nan
        return flags


def _values(values: ArrayLike, count: int) -> FloatArray:
    return np.broadcast_to(np.asarray(values, dtype=np.float64), (count,))


PRESETS: Mapping[str, InstabilityCriteria] = MappingProxyType(
    {
        "us-device-ide": InstabilityCriteria(
            "us-device-ide",
            "US device (IDE) trials: translation > 3 mm or angulation >= 5 degrees",
            translation_mm=Threshold(3.0),
            angle_deg=Threshold(5.0, strict=False),
        ),
        "white-panjabi": InstabilityCriteria(
            "white-panjabi",
            "White & Panjabi (Clinical Biomechanics of the Spine, 2nd ed., 1990, lumbar "
            "checklist): sagittal translation > 4.5 mm or > 15% of depth; sagittal rotation "
            "> 15 degrees at L1-L2, L2-L3 and L3-L4, > 20 degrees at L4-L5, > 25 degrees at L5-S1",
            translation_mm=Threshold(4.5),
            translation_pct_depth=Threshold(15.0),
            angle_deg_by_level=MappingProxyType(
                {
                    DiscLevel.L1_L2: Threshold(15.0),
                    DiscLevel.L2_L3: Threshold(15.0),
                    DiscLevel.L3_L4: Threshold(15.0),
                    DiscLevel.L4_L5: Threshold(20.0),
                    DiscLevel.L5_S1: Threshold(25.0),
                }
            ),
        ),
    }
)


def instability_preset(name: str) -> InstabilityCriteria:
    """The named criteria; raises :class:`SpineEndpointsError` listing the names for a typo."""
    try:
        return PRESETS[name.strip().lower()]
    except KeyError:
        raise SpineEndpointsError(
            f"unknown instability preset {name!r}",
            fix=f"Use one of: {', '.join(PRESETS)}.",
        ) from None
