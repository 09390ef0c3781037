"""Every radiograph measure for 100,000 disc levels: vectorised numpy vs a per-level Python loop.

Both compute, on the same random corners of a flexion and an extension film per level: disc
heights (anterior, posterior, mean, middle, and across the disc's bisector), disc height index,
segmental angle, translation (mm and % depth), vertebral body heights, height loss against
adjacent discs (levels grouped five per film, L1-L2 to L5-S1), angular and translation ROM and
the instability and height-loss flags.
The loop's results are checked against the vectorised ones before the ratio is printed; times are
the least CPU time of the process over repeated runs. Target: vectorised at least 100x faster.
"""

from __future__ import annotations

import math
import sys
import time
from collections.abc import Callable

import numpy as np
from numpy.typing import NDArray

from benchmarks.targets import Verdicts
from imaging.anatomy import LUMBAR_LEVELS
from imaging.endpoints import MeasureRules
from imaging.geometry import (
    InstabilityCriteria,
    disc_measures,
    height_loss_vs_adjacent,
    range_of_motion,
    vertebral_body_heights,
)
from imaging.protocol.loader import load_protocol

LEVELS = 100_000
RULES = MeasureRules.from_protocol(load_protocol())
"""The DLBP trial's thresholds, from its protocol file (the loop below uses the same numbers)."""
_CRITERIA = RULES.instability_criteria()
assert _CRITERIA is not None and RULES.height_loss_pct is not None
CRITERIA: InstabilityCriteria = _CRITERIA
LOSS_PCT = RULES.height_loss_pct
SLIP_MM = RULES.instability_translation_mm or 0.0
ANGLE_DEG = RULES.instability_angle_deg or 0.0
SPACING = (0.16, 0.16)
Film = dict[str, NDArray[np.float64]]


def random_films(levels: int, seed: int = 7) -> tuple[Film, Film]:
    """Corners (row, col) of ``levels`` discs on a flexion and an extension film, facing right."""
    rng = np.random.default_rng(seed)

    def film(tilt_spread: float) -> Film:
        lower_ps = rng.uniform(200, 1800, (levels, 2))
        depth = rng.uniform(200, 300, levels)
        tilt = np.radians(rng.normal(0, tilt_spread, levels))
        lower_dir = np.stack([-np.sin(tilt), np.cos(tilt)], axis=1)
        lower_as = lower_ps + depth[:, None] * lower_dir
        angle = np.radians(rng.normal(8, 6, levels))
        upper_dir = np.stack([-np.sin(tilt + angle), np.cos(tilt + angle)], axis=1)
        normal = np.stack([-np.cos(tilt), -np.sin(tilt)], axis=1)  # cranial
        upper_pi = (
            lower_ps
            + rng.uniform(40, 80, levels)[:, None] * normal
            + rng.normal(0, 8, levels)[:, None] * lower_dir
        )
        upper_ai = upper_pi + depth[:, None] * upper_dir
        height = rng.uniform(150, 200, levels)[:, None] * normal
        return {
            "upper_as": upper_ai + height,
            "upper_ps": upper_pi + height,
            "upper_ai": upper_ai,
            "upper_pi": upper_pi,
            "lower_as": lower_as,
            "lower_ps": lower_ps,
        }

    return film(10.0), film(10.0)


def vectorised(flexion: Film, extension: Film) -> dict[str, NDArray[np.float64]]:
    out: dict[str, NDArray[np.float64]] = {}
    for name, film in (("flexion", flexion), ("extension", extension)):
        corners = (film["upper_ai"], film["upper_pi"], film["lower_as"], film["lower_ps"])
        discs = disc_measures(*corners, SPACING, facing=1)
        heights, shift = discs.heights, discs.translation
        body = vertebral_body_heights(
            film["upper_as"], film["upper_ps"], film["upper_ai"], film["upper_pi"], SPACING
        )
        out[f"{name}_mean"] = heights.mean
        out[f"{name}_middle"] = heights.middle
        out[f"{name}_index"] = heights.index
        out[f"{name}_bisector"] = heights.mean_bisector
        out[f"{name}_angle"] = discs.segmental_angle
        out[f"{name}_translation"] = shift.distance
        out[f"{name}_pct"] = shift.pct_depth
        out[f"{name}_body"] = body.anterior + body.posterior
        loss = height_loss_vs_adjacent(heights.mean.reshape(-1, 5), LUMBAR_LEVELS).loss_pct
        out[f"{name}_loss"] = loss.reshape(-1)
        out[f"{name}_loss_flag"] = RULES.height_loss_rule().flag(out[f"{name}_loss"])
    out["angular_rom"] = range_of_motion(out["flexion_angle"], out["extension_angle"])
    out["translation_rom"] = range_of_motion(
        out["flexion_translation"], out["extension_translation"]
    )
    out["pct_rom"] = range_of_motion(out["flexion_pct"], out["extension_pct"])
    by_film = [out[key].reshape(-1, 5) for key in ("angular_rom", "translation_rom", "pct_rom")]
    out["unstable"] = CRITERIA.flags(LUMBAR_LEVELS, *by_film).reshape(-1)
    return out


def python_loop(flexion: Film, extension: Film) -> dict[str, NDArray[np.float64]]:
    sr, sc = SPACING

    def dist(a: list[float], b: list[float]) -> float:
        return math.hypot((a[0] - b[0]) * sr, (a[1] - b[1]) * sc)

    out: dict[str, list[float]] = {}
    for name, film in (("flexion", flexion), ("extension", extension)):
        lists = {key: value.tolist() for key, value in film.items()}
        columns: dict[str, list[float]] = {
            key: []
            for key in (
                "mean",
                "middle",
                "index",
                "bisector",
                "angle",
                "translation",
                "pct",
                "body",
            )
        }
        for uas, ups, uai, upi, las, lps in zip(
            lists["upper_as"],
            lists["upper_ps"],
            lists["upper_ai"],
            lists["upper_pi"],
            lists["lower_as"],
            lists["lower_ps"],
            strict=True,
        ):
            mean = (dist(uai, las) + dist(upi, lps)) / 2
            middle = math.hypot(
                ((uai[0] + upi[0]) / 2 - (las[0] + lps[0]) / 2) * sr,
                ((uai[1] + upi[1]) / 2 - (las[1] + lps[1]) / 2) * sc,
            )
            lower_depth = dist(las, lps)
            upper = ((uai[0] - upi[0]) * sr, (uai[1] - upi[1]) * sc)
            lower = ((las[0] - lps[0]) * sr, (las[1] - lps[1]) * sc)
            cross = lower[0] * upper[1] - lower[1] * upper[0]
            dot = lower[0] * upper[0] + lower[1] * upper[1]
            shift = (upi[0] - lps[0]) * sr * lower[0] + (upi[1] - lps[1]) * sc * lower[1]
            shift /= lower_depth
            columns["mean"].append(mean)
            columns["middle"].append(middle)
            upper_depth = dist(uai, upi)
            columns["index"].append(mean / ((upper_depth + lower_depth) / 2))
            bisector = (
                upper[0] / upper_depth + lower[0] / lower_depth,
                upper[1] / upper_depth + lower[1] / lower_depth,
            )
            front = ((uai[0] - las[0]) * sr, (uai[1] - las[1]) * sc)
            back = ((upi[0] - lps[0]) * sr, (upi[1] - lps[1]) * sc)
            heights_across = sum(
                abs(v[0] * bisector[1] - v[1] * bisector[0]) for v in (front, back)
            ) / (2 * math.hypot(*bisector))
            columns["bisector"].append(heights_across)
            columns["angle"].append(math.degrees(math.atan2(cross, dot)))
            columns["translation"].append(shift)
            columns["pct"].append(100 * shift / lower_depth)
            columns["body"].append(dist(uas, uai) + dist(ups, upi))
        loss: list[float] = []
        for start in range(0, len(columns["mean"]), 5):
            film_means = columns["mean"][start : start + 5]
            for i, value in enumerate(film_means):
                references = [film_means[j] for j in (i - 1, i + 1) if 0 <= j < 5]
                loss.append(100 * (1 - value / (sum(references) / len(references))))
        for key, values in columns.items():
            out[f"{name}_{key}"] = values
        out[f"{name}_loss"] = loss
        out[f"{name}_loss_flag"] = [1.0 if v >= LOSS_PCT else 0.0 for v in loss]
    for rom, key in (
        ("angular_rom", "angle"),
        ("translation_rom", "translation"),
        ("pct_rom", "pct"),
    ):
        out[rom] = [
            abs(f - e) for f, e in zip(out[f"flexion_{key}"], out[f"extension_{key}"], strict=True)
        ]
    out["unstable"] = [
        1.0 if t > SLIP_MM or a > ANGLE_DEG else 0.0
        for a, t in zip(out["angular_rom"], out["translation_rom"], strict=True)
    ]
    return {key: np.asarray(values) for key, values in out.items()}


def best_time(function: Callable[[], object], repeats: int) -> float:
    """Least CPU time of the process over ``repeats`` calls (s): waiting for a core on a shared
    machine counts for neither side (as in bench_loader)."""
    times = []
    for _ in range(repeats):
        start = time.process_time()
        function()
        times.append(time.process_time() - start)
    return min(times)


def main() -> int:
    verdicts = Verdicts()
    flexion, extension = random_films(LEVELS)
    fast = vectorised(flexion, extension)
    slow = python_loop(flexion, extension)
    # NaN on either side is a disagreement: every random level is measurable.
    worst = max(float(np.max(np.abs(fast[key] - slow[key]), initial=0.0)) for key in fast)
    agree = verdicts.at_most("vectorised and per-level results agree within 1e-6", worst, 1e-6)
    if agree != "meets":
        print(f"geometry: vectorised and loop results differ by {worst:g} (NaN: not measured)")
        return verdicts.exit_status()
    vector_seconds = best_time(lambda: vectorised(flexion, extension), repeats=20)
    loop_seconds = best_time(lambda: python_loop(flexion, extension), repeats=3)
    print(f"geometry: all measures of {LEVELS:,} disc levels (flexion + extension films)")
    print(
        f"  vectorised numpy    {LEVELS / vector_seconds:14,.0f} levels/s  "
        f"({vector_seconds:.3f} s CPU)"
    )
    print(
        f"  per-level Python    {LEVELS / loop_seconds:14,.0f} levels/s  ({loop_seconds:.3f} s CPU)"
    )
    ratio = loop_seconds / vector_seconds
    verdict = verdicts.at_least("vectorised speed-up >= 100x", ratio, 100)
    print(
        f"  speed-up            {ratio:14.0f}x  ({verdict} the 100x target; results agree "
        f"within {worst:.1e})"
    )
    return verdicts.exit_status()


if __name__ == "__main__":
    sys.exit(main())
