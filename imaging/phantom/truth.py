"""Ground-truth measures of a phantom film, by the plain formulas of issue 3.

Written independently of ``imaging.geometry`` on purpose: the measurement code is tested against
these numbers. Input corners are (row, col) pixels of one image; with a pixel spacing (row, col)
in mm the lengths are in mm, without one they are None and only angles and ratios are given
(pixels are square on every phantom film, so ratios need no spacing).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Collection, Mapping, Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray

from imaging.anatomy import Corner, DiscLevel, Vertebra

Corners = Mapping[Vertebra, Mapping[Corner, tuple[float, float]]]

HEIGHT_LOSS_THRESHOLD_PCT = 20.0
TRANSLATION_ROM_THRESHOLD_MM = 3.0
ANGULAR_ROM_THRESHOLD_DEG = 15.0
NORMAL_PFIRRMANN = (1, 2)
"""Pfirrmann grades of a normal reference disc for height loss (the DLBP protocol's reading)."""


def _cross(a: NDArray[np.float64], b: NDArray[np.float64]) -> float:
    return float(a[0] * b[1] - a[1] * b[0])


def _length(v: NDArray[np.float64]) -> float:
    return float(math.hypot(float(v[0]), float(v[1])))


def vertebra_heights(
    corners: Corners, spacing: tuple[float, float] | None
) -> dict[str, dict[str, float | None]]:
    """Anterior and posterior wall heights (mm) of every four-cornered vertebra."""
    scale = np.array(spacing if spacing is not None else (1.0, 1.0))
    out: dict[str, dict[str, float | None]] = {}
    for vertebra, points in corners.items():
        if Corner.ANTERIOR_INFERIOR not in points:
            continue
        p = {c: np.array(points[c]) * scale for c in points}
        anterior = _length(p[Corner.ANTERIOR_SUPERIOR] - p[Corner.ANTERIOR_INFERIOR])
        posterior = _length(p[Corner.POSTERIOR_SUPERIOR] - p[Corner.POSTERIOR_INFERIOR])
        out[vertebra.value] = {
            "anterior_height_mm": anterior if spacing is not None else None,
            "posterior_height_mm": posterior if spacing is not None else None,
            "anterior_posterior_ratio": anterior / posterior,
        }
    return out


def level_measures(
    corners: Corners,
    spacing: tuple[float, float] | None,
    normal: Collection[DiscLevel] | None = None,
) -> dict[str, dict[str, Any]]:
    """Every measure of issue 3 for every disc level whose two vertebrae have corners.

    ``normal``: the discs that may serve as height-loss references (None: every measured one).
    """
    scale = np.array(spacing if spacing is not None else (1.0, 1.0))
    present = [v for v in Vertebra if v in corners]
    levels: dict[str, dict[str, Any]] = {}
    means: dict[DiscLevel, float] = {}
    for upper, lower in itertools.pairwise(present):
        level = DiscLevel.between(upper, lower)
        u = {c: np.array(corners[upper][c]) * scale for c in corners[upper]}
        w = {c: np.array(corners[lower][c]) * scale for c in corners[lower]}
        anterior = _length(u[Corner.ANTERIOR_INFERIOR] - w[Corner.ANTERIOR_SUPERIOR])
        posterior = _length(u[Corner.POSTERIOR_INFERIOR] - w[Corner.POSTERIOR_SUPERIOR])
        mean = (anterior + posterior) / 2
        upper_mid = (u[Corner.ANTERIOR_INFERIOR] + u[Corner.POSTERIOR_INFERIOR]) / 2
        lower_mid = (w[Corner.ANTERIOR_SUPERIOR] + w[Corner.POSTERIOR_SUPERIOR]) / 2
        middle = _length(upper_mid - lower_mid)
        upper_line = u[Corner.ANTERIOR_INFERIOR] - u[Corner.POSTERIOR_INFERIOR]
        lower_line = w[Corner.ANTERIOR_SUPERIOR] - w[Corner.POSTERIOR_SUPERIOR]
        upper_depth, lower_depth = _length(upper_line), _length(lower_line)
        d_upper, d_lower = upper_line / upper_depth, lower_line / lower_depth
        # +1 when the image shows anterior-left/caudal-down or any rotation of it, -1 if mirrored.
        orientation = math.copysign(1.0, _cross(d_lower, lower_mid - upper_mid))
        angle = orientation * math.degrees(
            math.atan2(_cross(d_upper, d_lower), float(d_upper @ d_lower))
        )
        translation = float((u[Corner.POSTERIOR_INFERIOR] - w[Corner.POSTERIOR_SUPERIOR]) @ d_lower)
        mm = spacing is not None
        levels[level.value] = {
            "disc_height_anterior_mm": anterior if mm else None,
            "disc_height_posterior_mm": posterior if mm else None,
            "disc_height_mean_mm": mean if mm else None,
            "disc_height_middle_mm": middle if mm else None,
            "disc_height_index": mean / ((upper_depth + lower_depth) / 2),
            "segmental_angle_deg": angle,
            "translation_mm": translation if mm else None,
            "translation_pct_depth": 100.0 * translation / lower_depth,
        }
        means[level] = mean
    for level, mean in means.items():
        usable = [lv for lv in means if normal is None or lv in normal]
        references = reference_levels(level, usable)
        loss = None
        if references:
            reference_mean = sum(means[r] for r in references) / len(references)
            loss = 100.0 * (1 - mean / reference_mean)
        levels[level.value]["height_loss_vs_adjacent_pct"] = loss
        levels[level.value]["reference_levels"] = [r.value for r in references]
    return levels


def reference_levels(level: DiscLevel, usable: Sequence[DiscLevel]) -> list[DiscLevel]:
    """The nearest usable level cranial of ``level`` and the nearest caudal one, or the one
    side that has one (L5-S1 has no caudal disc), or none."""
    order = list(DiscLevel)
    above = [lv for lv in usable if order.index(lv) < order.index(level)]
    below = [lv for lv in usable if order.index(lv) > order.index(level)]
    references = [max(above, key=order.index)] if above else []
    return references + ([min(below, key=order.index)] if below else [])


def lordosis_deg(corners: Corners, upper: Vertebra = Vertebra.L1) -> float:
    """Angle between ``upper``'s superior endplate and S1's superior endplate (lordosis +)."""
    u, s = corners[upper], corners[Vertebra.S1]
    d_upper = np.subtract(u[Corner.ANTERIOR_SUPERIOR], u[Corner.POSTERIOR_SUPERIOR])
    d_lower = np.subtract(s[Corner.ANTERIOR_SUPERIOR], s[Corner.POSTERIOR_SUPERIOR])
    caudal = np.subtract(s[Corner.POSTERIOR_SUPERIOR], u[Corner.POSTERIOR_SUPERIOR])
    orientation = math.copysign(1.0, _cross(d_lower / _length(d_lower), caudal))
    return orientation * math.degrees(
        math.atan2(_cross(d_upper, d_lower), float(d_upper @ d_lower))
    )


def range_of_motion(
    flexion: Mapping[str, Mapping[str, Any]], extension: Mapping[str, Mapping[str, Any]]
) -> dict[str, dict[str, float | None]]:
    """|flexion - extension| per level for angle, translation (mm) and translation (% depth)."""
    out: dict[str, dict[str, float | None]] = {}
    for level in flexion:
        if level not in extension:
            continue
        f, e = flexion[level], extension[level]
        t_f, t_e = f["translation_mm"], e["translation_mm"]
        out[level] = {
            "angular_rom_deg": abs(f["segmental_angle_deg"] - e["segmental_angle_deg"]),
            "translation_rom_mm": None if t_f is None or t_e is None else abs(t_f - t_e),
            "translation_rom_pct_depth": abs(
                f["translation_pct_depth"] - e["translation_pct_depth"]
            ),
        }
    return out


def expected_criteria(
    neutral_levels: Mapping[str, Mapping[str, Any]],
    rom: Mapping[str, Mapping[str, float | None]],
    grades: Mapping[str, Mapping[str, Any]],
    target_level: str = "L4-L5",
) -> dict[str, Any]:
    """The DLBP trial's imaging criteria (spine-imaging.md section 1) evaluated on the truth."""
    target = grades[target_level]
    modic_ok = any(str(target[k]) in {"I", "II", "I/II"} for k in ("modic_cranial", "modic_caudal"))
    loss = neutral_levels[target_level]["height_loss_vs_adjacent_pct"]
    unstable, not_evaluable = [], []
    for level, values in rom.items():
        translation = values["translation_rom_mm"]
        angular = values["angular_rom_deg"]
        if (translation is not None and translation > TRANSLATION_ROM_THRESHOLD_MM) or (
            angular is not None and angular > ANGULAR_ROM_THRESHOLD_DEG
        ):
            unstable.append(level)
        elif translation is None:
            not_evaluable.append(level)
    meets = {
        "meets_modic_criterion": modic_ok,
        "meets_pfirrmann_criterion": int(target["pfirrmann"]) in (3, 4, 5),
        "meets_height_loss_criterion": loss is not None and loss >= HEIGHT_LOSS_THRESHOLD_PCT,
    }
    excluded = bool(unstable)
    return {
        "target_level": target_level,
        "height_loss_pct": loss,
        **meets,
        "unstable_levels": unstable,
        "instability_not_evaluable_levels": not_evaluable,
        "excluded_for_instability": excluded,
        "meets_imaging_entry_criteria": all(meets.values()) and not excluded and not not_evaluable,
        "thresholds": {
            "height_loss_pct": HEIGHT_LOSS_THRESHOLD_PCT,
            "translation_rom_mm": TRANSLATION_ROM_THRESHOLD_MM,
            "angular_rom_deg": ANGULAR_ROM_THRESHOLD_DEG,
        },
    }
