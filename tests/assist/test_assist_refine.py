"""Corner refinement: accurate on phantoms, never beyond its radius, honest when unsure."""

from __future__ import annotations

import numpy as np
import pytest
from assist_phantoms import Films, distance_mm, jitter
from hypothesis import given, settings
from hypothesis import strategies as st

from imaging.anatomy import Corner, Film, Vertebra
from imaging.assist import RefinementStatus, refine_corners
from imaging.calibration import Calibration, CalibrationSource
from imaging.errors import CalibrationError
from imaging.geometry import Landmarks
from imaging.geometry.film import film_geometry
from imaging.phantom import level_measures

AS, PS, AI, PI = (
    Corner.ANTERIOR_SUPERIOR,
    Corner.POSTERIOR_SUPERIOR,
    Corner.ANTERIOR_INFERIOR,
    Corner.POSTERIOR_INFERIOR,
)


@pytest.mark.parametrize("fixture", ["seed1", "seed5"])
def test_clicks_within_3_mm_are_refined_to_within_half_a_millimetre(
    fixture: str, request: pytest.FixtureRequest
) -> None:
    films: Films = request.getfixturevalue(fixture)
    film, spacing = films.neutral, films.spacing
    clicks = jitter(film.corners_px, spacing, 3.0, seed=11)
    result = refine_corners(film.pixels, clicks, spacing)
    assert len(result) == 22  # L1-L5 four corners each, S1 two
    for r in result:
        truth = film.corners_px[r.vertebra][r.corner]
        assert r.status is RefinementStatus.REFINED, (r.vertebra, r.corner, r.reason)
        assert r.used == r.refined
        assert r.confidence >= 0.8
        assert distance_mm(r.used, truth, spacing) < 0.5, (r.vertebra, r.corner)
        assert r.moved_mm is not None and r.moved_mm <= 4.0
        assert r.clicked == clicks[r.vertebra][r.corner]
    errors = [distance_mm(r.used, film.corners_px[r.vertebra][r.corner], spacing) for r in result]
    assert float(np.median(errors)) < 0.15


def test_disc_heights_and_angles_from_refined_corners_match_the_truth(seed1: Films) -> None:
    film, spacing = seed1.flexion, seed1.spacing
    clicks = jitter(film.corners_px, spacing, 3.0, seed=12)
    used = refine_corners(film.pixels, clicks, spacing).used()
    calibration = Calibration(spacing, CalibrationSource.MAGNIFICATION_CORRECTED, "phantom")
    measured = film_geometry(Landmarks(used, Film.FLEXION, calibration))
    clicked = film_geometry(Landmarks(clicks, Film.FLEXION, calibration))
    truth = level_measures(film.corners_px, spacing)
    worst_click = 0.0
    for level in measured.levels:
        true = truth[level.value]
        height = measured.value(level, "disc_height_mean")
        assert height == pytest.approx(true["disc_height_mean_mm"], abs=0.3), level
        angle = measured.value(level, "segmental_angle")
        assert angle == pytest.approx(true["segmental_angle_deg"], abs=0.6), level
        error = abs(clicked.value(level, "disc_height_mean") - true["disc_height_mean_mm"])
        worst_click = max(worst_click, error)
    assert worst_click > 0.5  # the clicks alone were clearly worse


def test_a_click_far_from_the_corner_keeps_the_click_with_zero_confidence(seed1: Films) -> None:
    film, spacing = seed1.neutral, seed1.spacing
    clicks = {v: dict(c) for v, c in film.corners_px.items()}
    row, col = clicks[Vertebra.L3][AS]
    far = (row - 8.0 / spacing[0], col)  # 8 mm cranial, into the disc above
    clicks[Vertebra.L3][AS] = far
    r = refine_corners(film.pixels, clicks, spacing)[(Vertebra.L3, AS)]
    assert r.status in {RefinementStatus.BEYOND_RADIUS, RefinementStatus.NO_EDGES}
    assert r.used == far
    assert r.refined is None
    assert r.confidence == 0.0
    assert "click kept" in r.reason or "no " in r.reason


@pytest.mark.parametrize("distance", [8.0, 12.0])
def test_far_off_clicks_everywhere_are_never_confidently_wrong(
    seed1: Films, distance: float
) -> None:
    film, spacing = seed1.neutral, seed1.spacing
    rng = np.random.default_rng(3)
    clicks: dict[Vertebra, dict[Corner, tuple[float, float]]] = {}
    for vertebra, points in film.corners_px.items():
        clicks[vertebra] = {}
        for corner, (row, col) in points.items():
            angle = rng.uniform(0, 2 * np.pi)
            clicks[vertebra][corner] = (
                row + distance * np.cos(angle) / spacing[0],
                col + distance * np.sin(angle) / spacing[1],
            )
    for r in refine_corners(film.pixels, clicks, spacing):
        if r.accepted:  # a confident answer must then be the right corner nearby
            truth = film.corners_px[r.vertebra][r.corner]
            assert distance_mm(r.used, truth, spacing) < 0.5
        else:
            assert r.used == r.clicked
        assert r.moved_mm is None or r.moved_mm <= 4.0


@pytest.mark.parametrize("kind", ["white noise", "smooth noise", "constant"])
def test_images_without_bone_edges_give_low_confidence(seed1: Films, kind: str) -> None:
    film, spacing = seed1.neutral, seed1.spacing
    rng = np.random.default_rng(8)
    shape = film.pixels.shape
    image = {
        "white noise": rng.normal(1000.0, 40.0, shape),
        "smooth noise": np.cumsum(rng.normal(0.0, 5.0, shape), axis=1),
        "constant": np.full(shape, 700.0),
    }[kind]
    result = refine_corners(image, film.corners_px, spacing)
    for r in result:
        assert r.confidence < 0.3, (r.vertebra, r.corner, r.confidence, r.reason)
        assert not r.accepted
        assert r.used == r.clicked
        assert r.reason


@settings(max_examples=12, deadline=None)
@given(
    offset_mm=st.tuples(st.floats(-9.0, 9.0), st.floats(-9.0, 9.0)),
    radius=st.floats(0.5, 5.0),
)
def test_no_point_ever_moves_further_than_the_search_radius(
    seed1: Films, offset_mm: tuple[float, float], radius: float
) -> None:
    film, spacing = seed1.neutral, seed1.spacing
    clicks = {Vertebra.L2: dict(film.corners_px[Vertebra.L2])}
    row, col = clicks[Vertebra.L2][PI]
    clicks[Vertebra.L2][PI] = (row + offset_mm[0] / spacing[0], col + offset_mm[1] / spacing[1])
    for r in refine_corners(film.pixels, clicks, spacing, search_radius_mm=radius):
        moved = distance_mm(r.used, r.clicked, spacing)
        assert moved <= radius + 1e-9
        if r.refined is not None:
            assert distance_mm(r.refined, r.clicked, spacing) <= radius + 1e-9


def test_a_small_radius_clamps_instead_of_moving_further(seed1: Films) -> None:
    film, spacing = seed1.neutral, seed1.spacing
    clicks = jitter(film.corners_px, spacing, 3.0, seed=13)
    result = refine_corners(film.pixels, clicks, spacing, search_radius_mm=1.0)
    statuses = {r.status for r in result}
    assert RefinementStatus.BEYOND_RADIUS in statuses
    for r in result:
        if r.status is RefinementStatus.BEYOND_RADIUS:
            assert r.used == r.clicked and r.fit_distance_mm is not None
            assert r.fit_distance_mm > 1.0
        else:
            assert distance_mm(r.used, r.clicked, spacing) <= 1.0


def test_inverted_film_with_bone_dark_gives_the_same_corners(seed1: Films) -> None:
    film, spacing = seed1.neutral, seed1.spacing
    clicks = jitter(film.corners_px, spacing, 2.0, seed=14)
    bright = refine_corners(film.pixels, clicks, spacing)
    inverted = 4095.0 - film.pixels.astype(np.float64)  # MONOCHROME1-like stored values
    dark = refine_corners(inverted, clicks, spacing, bone_bright=False)
    for key, r in bright.corners.items():
        assert distance_mm(r.used, dark.corners[key].used, spacing) < 0.02


def test_uncalibrated_film_needs_a_radius_in_pixels(seed1: Films) -> None:
    film = seed1.neutral
    clicks = {Vertebra.L4: film.corners_px[Vertebra.L4]}
    with pytest.raises(CalibrationError, match="search radius in pixels"):
        refine_corners(film.pixels, clicks, None)
    radius_px = 4.0 / seed1.spacing[0]
    result = refine_corners(film.pixels, clicks, None, search_radius_px=radius_px)
    for r in result:
        assert r.accepted and r.moved_mm is None
        assert r.moved_px is not None
        truth = film.corners_px[r.vertebra][r.corner]
        assert distance_mm(r.used, truth, seed1.spacing) < 0.3


def test_a_lone_corner_cannot_be_refined_and_says_why(seed1: Films) -> None:
    film, spacing = seed1.neutral, seed1.spacing
    clicks = {(Vertebra.L3, AI): film.corners_px[Vertebra.L3][AI]}
    r = refine_corners(film.pixels, clicks, spacing)[(Vertebra.L3, AI)]
    assert r.status is RefinementStatus.NO_EDGES
    assert "second corner" in r.reason


def test_result_table_and_landmarks_record_click_refined_and_used(seed1: Films) -> None:
    film, spacing = seed1.neutral, seed1.spacing
    clicks = jitter({Vertebra.L4: film.corners_px[Vertebra.L4]}, spacing, 2.0, seed=15)
    calibration = Calibration(spacing, CalibrationSource.MAGNIFICATION_CORRECTED, "phantom")
    landmarks = Landmarks(clicks, Film.NEUTRAL, calibration, subject="S1", visit="baseline")
    result = refine_corners(film.pixels, landmarks.corners, spacing)
    rows = result.rows()
    assert [row["corner"] for row in rows] == [c.value for c in (AS, PS, AI, PI)]
    for row in rows:
        assert row["used"] == "refined"
        assert (row["row"], row["col"]) == (row["refined_row"], row["refined_col"])
        assert (row["clicked_row"], row["clicked_col"]) != (row["row"], row["col"])
    refined = result.apply_to(landmarks)
    assert refined.subject == "S1" and refined.calibration == calibration
    assert refined.point(Vertebra.L4, AS) == result[(Vertebra.L4, AS)].used
