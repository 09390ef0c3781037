"""Films that look like real ones (issue 14): right within the targets, or empty with the reason.

Small default phantoms (``PhantomSpec.normal``, 704 x 512 films), one variation each, each film
rendered once per module; the benchmark (``benchmarks/assist_looks.py``) carries the statistics.
"""

from __future__ import annotations

import math
from dataclasses import replace
from functools import cache

import numpy as np
import pytest
from assist_phantoms import distance_mm, jitter

from imaging.anatomy import Corner, Film, Vertebra
from imaging.assist import RefinementResult, refine_corners, rom_from_tracking, track_vertebrae
from imaging.assist.vertebra_guard import off_vertebra
from imaging.calibration import Calibration, CalibrationSource
from imaging.endpoints import (
    PAIR_FILM,
    FilmCorners,
    MeasureRules,
    StudyRead,
    corners_label,
    endpoint_rows,
)
from imaging.endpoints.rom_uncertainty import ROM_ACCURACY_TARGETS
from imaging.geometry import Landmarks
from imaging.phantom import PhantomSpec, RadiographSetup, level_measures, range_of_motion
from imaging.phantom.radiograph import RenderedRadiograph, render_radiograph
from imaging.phantom.variations import FilmLook


@cache
def film(kind: str, look: FilmLook, other_subject: bool = False) -> RenderedRadiograph:
    """One film of the normal spine (or of :func:`another_subject`), rendered once."""
    spec = another_subject() if other_subject else PhantomSpec.normal()
    return render_radiograph(spec, kind, RadiographSetup(), np.random.default_rng(3), look)


def another_subject() -> PhantomSpec:
    """Another subject whose spine looks like the normal one: each body 2-3% taller or deeper
    (not uniformly, as bodies differ between people), everything else the same."""
    spec = PhantomSpec.normal()
    factors = {"L1": (1.03, 0.97), "L2": (0.97, 1.03), "L3": (1.03, 0.98), "L4": (0.98, 1.03),
               "L5": (1.03, 0.97)}  # fmt: skip
    shapes = dict(spec.vertebrae)
    for vertebra, (depth, height) in factors.items():
        shape = shapes[Vertebra(vertebra)]
        shapes[Vertebra(vertebra)] = replace(
            shape,
            depth_mm=shape.depth_mm * depth,
            anterior_height_mm=shape.anterior_height_mm * height,
            posterior_height_mm=shape.posterior_height_mm * height,
        )
    return replace(spec, vertebrae=shapes)


@pytest.mark.parametrize(
    ("look", "note"),
    [
        (FilmLook(corner_radius_mm=5.0), ""),
        (FilmLook(osteophyte_mm=4.0), ""),
        (FilmLook(double_contour_mm=2.0), "double endplate contour"),
        (FilmLook(iliac_crests=True), ""),
    ],
    ids=["rounded", "osteophytes", "double contour", "iliac crests"],
)
def test_refined_corners_are_right_or_keep_the_click_with_the_reason(
    look: FilmLook, note: str
) -> None:
    rendered = film("neutral", look)
    spacing = rendered.pixel_spacing_mm
    clicks = jitter(rendered.corners_px, spacing, 2.0, seed=5)
    result = refine_corners(rendered.pixels, clicks, spacing)
    errors = []
    for r in result:
        truth = rendered.corners_px[r.vertebra][r.corner]
        if r.accepted:
            errors.append(distance_mm(r.used, truth, spacing))
            assert errors[-1] < 1.0, (r.vertebra, r.corner, r.reason)  # never silently wrong
        else:
            assert r.used == r.clicked and r.reason
    assert not errors or float(np.median(errors)) <= 0.5  # none given: all kept with reasons
    if note:
        assert any(note in r.reason for r in result)
    # The endpoint table: each disc height within twice its target, or its row's note names a
    # corner of the level that kept its click, and why.
    calibration = Calibration(spacing, CalibrationSource.MAGNIFICATION_CORRECTED, "phantom")
    read = result.film_corners(Landmarks(clicks, Film.NEUTRAL, calibration, subject="S"))
    expected = level_measures(rendered.corners_px, spacing)
    for row in endpoint_rows(StudyRead("S", "", "R", films=(read,)), MeasureRules()):
        if row.measure != "disc_height_mean" or row.level not in expected:
            continue
        assert row.value is not None
        if abs(row.value - float(expected[row.level]["disc_height_mean_mm"] or 0.0)) > 0.6:
            assert "corners kept the click: " in row.note, row
            kept = row.note.split("kept the click: ", 1)[1]
            assert any(f"{v} " in kept for v in row.level.split("-")), row


def test_concave_endplates_give_disc_heights_within_twice_the_target_or_keep_the_clicks() -> None:
    # A line fitted to a hollow endplate leans into it and meets the wall in the disc: disc
    # heights came out ~0.9 mm short, unflagged, before the bend's middle-third check.
    rendered = film("neutral", FilmLook(endplate_concavity_mm=1.5))
    spacing = rendered.pixel_spacing_mm
    clicks = jitter(rendered.corners_px, spacing, 2.0, seed=5)
    result = refine_corners(rendered.pixels, clicks, spacing)
    truth = level_measures(rendered.corners_px, spacing)
    measured = level_measures(result.used(), spacing)
    accepted = {(r.vertebra.value, r.corner) for r in result if r.accepted}
    for level, values in measured.items():
        upper, lower = level.split("-")
        if all((v, c) in accepted for v in (upper, lower) for c in Corner):
            error = values["disc_height_mean_mm"] - truth[level]["disc_height_mean_mm"]
            assert abs(error) <= 0.6, (level, error)
    assert any("curved (concave) endplate" in r.reason and not r.accepted for r in result)


def test_rounded_corners_take_the_outline_point_and_say_so() -> None:
    rendered = film("neutral", FilmLook(corner_radius_mm=5.0))
    spacing = rendered.pixel_spacing_mm
    result = refine_corners(rendered.pixels, rendered.corners_px, spacing)
    accepted = [r for r in result if r.accepted]
    assert accepted and {r.definition for r in accepted} == {"outline"}
    assert {row["definition"] for row in result.rows()} >= {"outline"}


def test_a_refined_corner_across_the_disc_middle_keeps_the_click() -> None:
    l4_ai, l5_as = (Vertebra.L4, Corner.ANTERIOR_INFERIOR), (Vertebra.L5, Corner.ANTERIOR_SUPERIOR)
    clicks = {l4_ai: np.array([100.0, 50.0]), l5_as: np.array([102.4, 50.0])}  # 2.4 mm disc
    on_l5 = np.array([102.2, 50.0])  # the fit landed on L5's endplate
    assert "across the middle of the disc space, on L5's side" in off_vertebra(l4_ai, on_l5, clicks)
    assert off_vertebra(l4_ai, np.array([100.3, 50.0]), clicks) == ""


@pytest.fixture(scope="module")
def flexion() -> RenderedRadiograph:
    return film("flexion", FilmLook())


@pytest.mark.parametrize(
    "look",
    [FilmLook(shift_mm=(10.0, 0.0)), FilmLook(cut_below_s1_mm=-5.0), FilmLook(shift_mm=(60, 0))],
    ids=["shifted 10 mm", "S1 off the film", "shifted 60 mm"],
)
def test_tracked_rom_is_right_or_empty_with_the_reason(
    flexion: RenderedRadiograph, look: FilmLook
) -> None:
    extension = film("extension", look)
    spacing = flexion.pixel_spacing_mm
    tracking = track_vertebrae(flexion.pixels, flexion.corners_px, extension.pixels, spacing)
    truth = range_of_motion(
        level_measures(flexion.corners_px, spacing), level_measures(extension.corners_px, spacing)
    )
    for level, motion in rom_from_tracking(flexion.corners_px, tracking, spacing).items():
        if motion.poor_match:
            assert math.isnan(motion.angular_rom_transform_deg)
            assert motion.reason.startswith("empty: poor match of")
            continue
        true = truth[level.value]
        assert motion.angular_rom_transform_deg == pytest.approx(true["angular_rom_deg"], abs=1.0)
        assert motion.translation_rom_mm == pytest.approx(true["translation_rom_mm"], abs=0.6)


def test_another_subjects_film_is_flagged_by_its_body_shapes(flexion: RenderedRadiograph) -> None:
    # Bodies within 3% of the read film's correlate as well as the same spine's; their shapes
    # (rigid between one subject's films) tell them apart.
    extension = film("extension", FilmLook(), other_subject=True)
    spacing = flexion.pixel_spacing_mm
    tracking = track_vertebrae(flexion.pixels, flexion.corners_px, extension.pixels, spacing)
    assert "does not show this spine (the vertebral bodies differ in shape" in tracking.identity
    assert "another subject's film" in tracking.identity
    assert set(tracking.poor_matches) == set(tracking.vertebrae)
    motion = rom_from_tracking(flexion.corners_px, tracking, spacing)
    assert all(math.isnan(m.translation_rom_mm) for m in motion.values())


def _refined(kind: str, look: FilmLook) -> tuple[RenderedRadiograph, RefinementResult, FilmCorners]:
    """One film refined from clicks within 2 mm, as the endpoint pipeline takes it."""
    rendered = film(kind, look)
    spacing = rendered.pixel_spacing_mm
    clicks = jitter(rendered.corners_px, spacing, 2.0, seed=5)
    result = refine_corners(rendered.pixels, clicks, spacing)
    calibration = Calibration(spacing, CalibrationSource.MAGNIFICATION_CORRECTED, "phantom")
    landmarks = Landmarks(clicks, Film(kind), calibration, subject="S", visit="v")
    return rendered, result, result.film_corners(landmarks)


def test_low_dose_rom_is_within_twice_the_target_or_empty_as_too_uncertain() -> None:
    # At 1/5 dose a translation ROM came out 0.64 mm off while each of its corners was within
    # 0.2 mm (benchmark seed 7005): the corners' noise adds up through flexion - extension.
    look = FilmLook(dose=0.1)
    (flexion, _, flexion_read), (extension, _, extension_read) = (
        _refined("flexion", look), _refined("extension", look)
    )  # fmt: skip
    spacing = flexion.pixel_spacing_mm
    truth = range_of_motion(
        level_measures(flexion.corners_px, spacing), level_measures(extension.corners_px, spacing)
    )
    read = StudyRead("S", "v", "R", films=(flexion_read, extension_read))
    rows = [r for r in endpoint_rows(read, MeasureRules()) if r.film == PAIR_FILM]
    uncertain = 0
    truth_keys = {"angular_rom": "angular_rom_deg", "translation_rom": "translation_rom_mm"}
    for row in (r for r in rows if r.measure in truth_keys):
        if row.value is None:
            assert row.note.startswith("too uncertain: +-"), row
            uncertain += 1
        else:
            error = row.value - float(truth[row.level][truth_keys[row.measure]] or 0.0)
            assert abs(error) <= 2 * ROM_ACCURACY_TARGETS[row.measure], row
    assert uncertain >= 3  # the pipeline says so on its rows; it did not before


def test_a_refined_corners_uncertainty_follows_the_films_noise(flexion: RenderedRadiograph) -> None:
    def median_sd_mm(look: FilmLook) -> float:
        _, result, read = _refined("flexion", look)
        assert set(read.covariances) == {(r.vertebra, r.corner) for r in result if r.accepted}
        return (
            float(np.median([r.sd_px for r in result if r.accepted])) * flexion.pixel_spacing_mm[0]
        )

    clean, low_dose = median_sd_mm(FilmLook()), median_sd_mm(FilmLook(dose=0.1))
    assert 0.01 < clean < 0.1  # mm: the clean phantom's corners are within about 0.1 mm
    assert low_dose > 2 * clean  # a tenth of the dose: about 3 times the noise


def test_the_corners_label_counts_a_mixed_film_and_never_says_refined_for_clicks() -> None:
    assert corners_label(["refined"] * 18 + ["click"] * 4) == "refined 18/22, click 4"
    assert corners_label(["click"] * 22) == "click"
    assert corners_label(["refined"] * 22) == "refined"
    assert corners_label(["tracked"] * 20 + ["moved"] * 2) == "tracked 20/22, click 2"


def test_default_look_keeps_the_sample_films_and_a_look_keeps_exact_truth() -> None:
    plain = film(Film.NEUTRAL, FilmLook())
    again = render_radiograph(
        PhantomSpec.normal(), Film.NEUTRAL, RadiographSetup(), np.random.default_rng(3)
    )
    assert np.array_equal(plain.pixels, again.pixels)
    rounded = film(Film.NEUTRAL, FilmLook(corner_radius_mm=5.0))
    # r = 5 mm at about 90 degrees: the outline point lies r (sqrt 2 - 1) = 2.1 mm inside.
    moved = distance_mm(
        rounded.corners_px[Vertebra.L3][Corner.ANTERIOR_SUPERIOR],
        plain.corners_px[Vertebra.L3][Corner.ANTERIOR_SUPERIOR],
        plain.pixel_spacing_mm,
    )
    assert moved == pytest.approx(5.0 * (math.sqrt(2) - 1), abs=0.15)
