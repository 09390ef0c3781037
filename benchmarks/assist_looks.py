"""Assisted measurement on films that look like real ones (issue 14): every target per variation
and the silent errors.

Each variation renders random phantoms (as :mod:`benchmarks.bench_assist`) with one
:class:`imaging.phantom.FilmLook` on every film, or, for the tracking cases, on the extension film
only (shifted, cut at the sacrum, another subject's). Clicks are the true corners moved by up to
2 mm (those off the film are not clicked). Reported per variation, over the values the tool
gives (refined corners used, unflagged tracked ROM): corner median, disc height RMS, angular and
translation ROM RMS (refined on both films, and tracked flexion -> extension), the share flagged
(click kept, poor match: empty with a reason), and the **silent errors**: values outside twice
their target with no flag (a corner kept as clicked, a poor match) among the corners they come
from, and any value that is not a number (NaN) without a flag. Silent errors must be zero: each
variation is a target of :class:`benchmarks.targets.Verdicts`.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from benchmarks.targets import Verdicts
from imaging.anatomy import Film
from imaging.assist import RefinementResult, refine_corners, rom_from_tracking, track_vertebrae
from imaging.assist.corners import nested_corners as nested
from imaging.calibration import Calibration, CalibrationSource
from imaging.endpoints import EndpointRow, FilmCorners, MeasureRules, StudyRead, endpoint_rows
from imaging.endpoints.rom_uncertainty import ROM_ACCURACY_TARGETS
from imaging.geometry import Landmarks
from imaging.phantom import PhantomSpec, RadiographSetup, level_measures, range_of_motion
from imaging.phantom.radiograph import RenderedRadiograph, render_radiograph
from imaging.phantom.variations import FilmLook

CLICK_MM = 2.0
TARGETS = {
    "corner": 0.5,
    "height": 0.3,
    "rom_deg": ROM_ACCURACY_TARGETS["angular_rom"],
    "rom_mm": ROM_ACCURACY_TARGETS["translation_rom"],
}
"""The accuracy targets (corner median; RMS of the others); a silent error is outside twice."""

FILM_LOOKS: dict[str, FilmLook] = {
    "clean": FilmLook(),
    "rounded corners r=5 mm": FilmLook(corner_radius_mm=5.0),
    "rounded corners r=3 mm": FilmLook(corner_radius_mm=3.0),
    "anterior osteophytes 4 mm": FilmLook(osteophyte_mm=4.0),
    "concave endplates 1.5 mm": FilmLook(endplate_concavity_mm=1.5),
    "double endplate contour 2 mm": FilmLook(double_contour_mm=2.0),
    "iliac crests over L5-S1": FilmLook(iliac_crests=True),
    "bowel gas": FilmLook(bowel_gas=1.5),
    "low dose (1/5)": FilmLook(dose=0.2),
}
TARGET_LOOKS: dict[str, FilmLook] = {
    "extension shifted 10 mm": FilmLook(shift_mm=(10.0, 0.0)),
    "extension shifted 60 mm": FilmLook(shift_mm=(60.0, 0.0)),
    "extension cut, S1 off the film": FilmLook(cut_below_s1_mm=-5.0),
    "another subject's extension": FilmLook(),
}


@dataclass
class Tally:
    values: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    given: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    flagged: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    silent: int = 0
    uncertain: int = 0
    """ROM values the endpoint pipeline left empty as too uncertain."""

    def add(self, kind: str, error: float, flagged: bool, target: str) -> None:
        """One value's error; flagged values are counted, an unflagged NaN is a silent error."""
        if flagged:
            self.flagged[kind] += 1
            return
        self.given[kind] += 1
        if not math.isfinite(error):
            self.silent += 1
            return
        self.values[kind].append(error)
        self.silent += int(abs(error) > 2 * TARGETS[target])

    def stat(self, kind: str) -> float:
        data = np.array(self.values[kind])
        if not data.size:
            return math.nan
        if kind == "corner":
            return float(np.median(data))
        return float(np.sqrt(np.mean(data**2)))


def _clicks(film: RenderedRadiograph, rng: np.random.Generator) -> dict[Any, Any]:
    spacing = film.pixel_spacing_mm
    rows, cols = film.pixels.shape
    out: dict[Any, Any] = {}
    for vertebra, corners in film.corners_px.items():
        if not all(4 <= r <= rows - 5 and 4 <= c <= cols - 5 for r, c in corners.values()):
            continue  # a vertebra off the film is not clicked
        out[vertebra] = {}
        for corner, (row, col) in corners.items():
            distance, angle = CLICK_MM * math.sqrt(rng.uniform()), rng.uniform(0, 2 * math.pi)
            out[vertebra][corner] = (
                row + distance * math.cos(angle) / spacing[0],
                col + distance * math.sin(angle) / spacing[1],
            )
    return out


def run_one(seed: int, name: str, tally: Tally) -> None:
    """One phantom under one variation."""
    rng = np.random.default_rng(seed)
    spec = PhantomSpec.random(rng)
    setup = RadiographSetup.random(rng)
    look = FILM_LOOKS.get(name, FilmLook())
    films = {film: render_radiograph(spec, film, setup, rng, look) for film in Film}
    if name in TARGET_LOOKS:
        target_spec = spec
        if name.startswith("another subject"):
            target_spec = PhantomSpec.random(np.random.default_rng(seed + 10_000))
        films[Film.EXTENSION] = render_radiograph(
            target_spec, Film.EXTENSION, setup, rng, TARGET_LOOKS[name]
        )
    spacing = films[Film.FLEXION].pixel_spacing_mm
    truth = {f: level_measures(films[f].corners_px, spacing) for f in Film}
    used, accepted, measured = {}, {}, {}
    for film in (Film.FLEXION, Film.EXTENSION):
        rendered = films[film]
        result = refine_corners(rendered.pixels, _clicks(rendered, rng), spacing)
        used[film] = result.used()
        accepted[film] = {(r.vertebra, r.corner): r.accepted for r in result}
        measured[film] = film_corners(result, film, spacing)
        for r in result:
            true = np.array(rendered.corners_px[r.vertebra][r.corner])
            error = float(np.hypot(*((np.array(r.used) - true) * spacing)))
            tally.add("corner", error, not r.accepted, "corner")
    for level in truth[Film.FLEXION]:
        upper, lower = level.split("-")
        for film in (Film.FLEXION, Film.EXTENSION):
            if level not in truth[film]:
                continue
            keys = [k for k in accepted[film] if k[0].value in (upper, lower)]
            heights = level_measures(used[film], spacing).get(level)
            if heights is None or len(keys) < 6:
                continue
            error = heights["disc_height_mean_mm"] - truth[film][level]["disc_height_mean_mm"]
            tally.add("height", error, not all(accepted[film][k] for k in keys), "height")
    if not name.startswith("another subject"):
        true_rom = range_of_motion(truth[Film.FLEXION], truth[Film.EXTENSION])
        rom = pipeline_rom(measured[Film.FLEXION], measured[Film.EXTENSION])
        for level, expected in true_rom.items():
            upper, lower = level.split("-")
            flags = [
                not ok
                for film in (Film.FLEXION, Film.EXTENSION)
                for k, ok in accepted[film].items()
                if k[0].value in (upper, lower)
            ]
            kept = any(flags) or len(flags) < 12
            for measure, kind, true_key in (
                ("angular_rom", "rom_deg", "angular_rom_deg"),
                ("translation_rom", "rom_mm", "translation_rom_mm"),
            ):
                row = rom.get((level, measure))
                if row is None:
                    continue
                flagged = kept or (row.value is None and bool(row.note))  # empty, with why
                tally.uncertain += int(row.value is None and row.note.startswith("too uncertain"))
                error = _number(row.value) - float(expected[true_key] or 0.0)
                tally.add(kind, error, flagged, kind)
    _tracked(films, used[Film.FLEXION], accepted[Film.FLEXION], spacing, name, tally)


def film_corners(result: RefinementResult, film: Film, spacing: tuple[float, float]) -> FilmCorners:
    """A refined phantom film as the endpoint pipeline takes it (what the batch does)."""
    calibration = Calibration(spacing, CalibrationSource.MAGNIFICATION_CORRECTED, "phantom")
    clicks = {(r.vertebra, r.corner): r.clicked for r in result}
    landmarks = Landmarks(nested(clicks), film, calibration, subject="s", visit="v")
    return result.film_corners(landmarks)


def pipeline_rom(
    flexion: FilmCorners, extension: FilmCorners
) -> dict[tuple[str, str], EndpointRow]:
    """The pair's ROM rows by (level, measure), from the one endpoint pipeline (empty values
    with their reason: too uncertain, missing corners)."""
    rows = endpoint_rows(StudyRead("s", "v", "", films=(flexion, extension)), MeasureRules())
    return {(r.level, r.measure): r for r in rows if r.film == "flexion-extension"}


def _number(value: object) -> float:
    """A measured value as a float: None (not measured) is NaN, never 0."""
    return math.nan if value is None else float(value)  # type: ignore[arg-type]


def _tracked(films, source, accepted, spacing, name, tally) -> None:  # type: ignore[no-untyped-def]
    tracking = track_vertebrae(
        films[Film.FLEXION].pixels, source, films[Film.EXTENSION].pixels, spacing
    )
    if name.startswith("another subject"):
        # Any value given for another subject's film is wrong: count what was not flagged.
        motion = rom_from_tracking(source, tracking, spacing)
        for m in motion.values():
            given = not m.poor_match
            tally.flagged["tracked"] += int(not given)
            tally.given["tracked"] += int(given)
            tally.silent += int(given)
        return
    true_rom = range_of_motion(
        level_measures(films[Film.FLEXION].corners_px, spacing),
        level_measures(films[Film.EXTENSION].corners_px, spacing),
    )
    for level, m in rom_from_tracking(source, tracking, spacing).items():
        true = true_rom.get(level.value)
        if true is None:
            continue
        corners_ok = all(
            ok for k, ok in accepted.items() if k[0] in (level.upper_vertebra, level.lower_vertebra)
        )
        flagged = m.poor_match or not corners_ok
        tally.add("tracked_deg", m.angular_rom_transform_deg
                  - float(true["angular_rom_deg"] or 0.0), flagged, "rom_deg")  # fmt: skip
        tally.add("tracked_mm", m.translation_rom_mm - float(true["translation_rom_mm"] or 0.0),
                  flagged, "rom_mm")  # fmt: skip


def run_variations(seeds: int, first_seed: int, verdicts: Verdicts) -> int:
    """Print the table per variation (each variation's silent errors a target of ``verdicts``);
    return the number of silent errors."""
    columns = [("corner", "corner med mm"), ("height", "height RMS mm"), ("rom_deg", "ROM RMS deg"),
               ("rom_mm", "transl RMS mm"), ("tracked_deg", "tracked deg"),
               ("tracked_mm", "tracked mm")]  # fmt: skip
    print(
        f"\nFilm variations: {seeds} phantoms each; targets corner median <= 0.5 mm, height "
        "RMS <= 0.3 mm, ROM RMS <= 0.5 deg / 0.3 mm (values given, not flagged)"
    )
    header = " | ".join(title for _, title in columns)
    print(f"| variation | {header} | flagged | ROM too uncertain | silent errors |")
    print("|---" * (len(columns) + 4) + "|")
    total = 0
    for name in [*FILM_LOOKS, *TARGET_LOOKS]:
        tally = Tally()
        for seed in range(first_seed, first_seed + seeds):
            run_one(seed, name, tally)
        cells = [_cell(tally.stat(kind)) for kind, _ in columns]
        given = sum(tally.given.values())
        flagged = sum(tally.flagged.values())
        share = 100.0 * flagged / max(given + flagged, 1)
        verdicts.require(f"no silent error: {name}", tally.silent == 0)
        print(
            f"| {name} | {' | '.join(cells)} | {share:.0f}% | {tally.uncertain} | {tally.silent} |",
            flush=True,
        )
        total += tally.silent
        if name == "clean":
            for kind, target in (("corner", "corner"), ("height", "height"),
                                 ("rom_deg", "rom_deg"), ("rom_mm", "rom_mm"),
                                 ("tracked_deg", "rom_deg"), ("tracked_mm", "rom_mm")):  # fmt: skip
                verdicts.at_most(f"clean variation {kind}", tally.stat(kind), TARGETS[target])
    print(f"silent errors in all: {total} (must be 0)")
    return total


def _cell(value: float) -> str:
    """A table cell: '-' when no value was given (every one flagged)."""
    return f"{value:.2f}" if math.isfinite(value) else "-"
