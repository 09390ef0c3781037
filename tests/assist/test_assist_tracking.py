"""Vertebra tracking between films: transforms, mapped corners, ROM, and honest poor matches."""

from __future__ import annotations

import math
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
from assist_phantoms import Films, distance_mm, jitter

from imaging.anatomy import Film, Vertebra
from imaging.assist import (
    ReferenceFilm,
    TrackingResult,
    body_shape,
    mapped_landmarks,
    refine_corners,
    rom_from_tracking,
    track_vertebrae,
)
from imaging.calibration import Calibration, CalibrationSource
from imaging.endpoints import measure_pair
from imaging.errors import CalibrationError
from imaging.geometry import Landmarks
from imaging.phantom import level_measures, range_of_motion


@pytest.fixture(scope="module")
def tracked(seed1: Films):  # type: ignore[no-untyped-def]
    """Flexion corners refined from rough clicks, then tracked onto the extension film."""
    spacing = seed1.spacing
    clicks = jitter(seed1.flexion.corners_px, spacing, 3.0, seed=21)
    source = refine_corners(seed1.flexion.pixels, clicks, spacing).used()
    result = track_vertebrae(
        seed1.flexion.pixels, source, seed1.extension.pixels, spacing,
        source_film="flexion", target_film="extension",
    )  # fmt: skip
    return source, result


def test_every_vertebra_is_found_and_its_corners_land_on_the_truth(seed1: Films, tracked) -> None:  # type: ignore[no-untyped-def]
    _, result = tracked
    assert result.poor_matches == ()
    assert list(result.vertebrae) == [Vertebra.L1, Vertebra.L2, Vertebra.L3, Vertebra.L4,
                                      Vertebra.L5, Vertebra.S1]  # fmt: skip
    assert "S1" in result.anchor
    for track in result:
        assert track.correlation > 0.7
        for corner, point in track.corners.items():
            truth = seed1.extension.corners_px[track.vertebra][corner]
            assert distance_mm(point, truth, seed1.spacing) < 0.5, (track.vertebra, corner)


def test_each_rotation_matches_the_phantom_pose(seed1: Films, tracked) -> None:  # type: ignore[no-untyped-def]
    _, result = tracked
    for track in result:
        assert track.transform is not None
        turn = (
            seed1.extension.pose.vertebrae[track.vertebra].tilt_deg
            - seed1.flexion.pose.vertebrae[track.vertebra].tilt_deg
        )
        assert track.transform.angle_deg == pytest.approx(turn, abs=0.3), track.vertebra


def test_tracking_the_same_films_again_gives_the_same_corners(seed1: Films, tracked) -> None:  # type: ignore[no-untyped-def]
    """The fine stage samples a quarter of each body's pixels with a fixed seed: a reader who
    tracks again gets the very same corners, not a new draw."""
    source, result = tracked
    again = track_vertebrae(
        seed1.flexion.pixels, source, seed1.extension.pixels, seed1.spacing,
        source_film="flexion", target_film="extension",
    )  # fmt: skip
    for track in result:
        assert dict(again.vertebrae[track.vertebra].corners) == dict(track.corners)
        assert again.vertebrae[track.vertebra].correlation == track.correlation


def test_rom_from_tracking_matches_the_true_range_of_motion(seed1: Films, tracked) -> None:  # type: ignore[no-untyped-def]
    source, result = tracked
    spacing = seed1.spacing
    truth = range_of_motion(
        level_measures(seed1.flexion.corners_px, spacing),
        level_measures(seed1.extension.corners_px, spacing),
    )
    motion = rom_from_tracking(source, result, spacing)
    assert [level.value for level in motion] == ["L1-L2", "L2-L3", "L3-L4", "L4-L5", "L5-S1"]
    for level, m in motion.items():
        true = truth[level.value]
        assert m.angular_rom_transform_deg == pytest.approx(true["angular_rom_deg"], abs=0.5)
        assert m.angular_rom_corners_deg == pytest.approx(m.angular_rom_transform_deg, abs=1e-6)
        assert m.translation_rom_mm == pytest.approx(true["translation_rom_mm"], abs=0.3)
        assert not m.poor_match and m.reason == ""


def test_mapped_landmarks_measure_like_reader_landmarks(seed1: Films, tracked) -> None:  # type: ignore[no-untyped-def]
    source, result = tracked
    calibration = Calibration(seed1.spacing, CalibrationSource.MAGNIFICATION_CORRECTED, "phantom")
    flexion = Landmarks(source, Film.FLEXION, calibration, subject="S1", visit="baseline")
    extension = mapped_landmarks(flexion, result, "extension", image="extension.dcm")
    assert extension.film is Film.EXTENSION and extension.image == "extension.dcm"
    assert extension.corners[Vertebra.L4] == result[Vertebra.L4].corners
    rows = {(r.level, r.measure): r.value for r in measure_pair(flexion, extension, None)}
    truth = range_of_motion(
        level_measures(seed1.flexion.corners_px, seed1.spacing),
        level_measures(seed1.extension.corners_px, seed1.spacing),
    )
    assert rows[("L4-L5", "angular_rom")] == pytest.approx(
        truth["L4-L5"]["angular_rom_deg"], abs=0.5
    )


def test_a_film_without_the_spine_is_reported_as_poor_matches(seed1: Films) -> None:
    noise = np.random.default_rng(4).normal(1000.0, 50.0, seed1.extension.pixels.shape)
    result = track_vertebrae(seed1.flexion.pixels, seed1.flexion.corners_px, noise, seed1.spacing)
    assert set(result.poor_matches) == set(result.vertebrae)
    for track in result:
        assert track.poor_match and "correlation" in track.reason
    assert result.mapped_corners() == {}
    assert len(result.mapped_corners(include_poor=True)) == 6
    motion = rom_from_tracking(seed1.flexion.corners_px, result, seed1.spacing)
    assert all(m.poor_match and m.reason.startswith("empty: poor match") for m in motion.values())
    assert all(math.isnan(m.angular_rom_transform_deg) for m in motion.values())


def test_vertebrae_without_enough_corners_are_listed_not_tracked(seed1: Films) -> None:
    corners = {v: dict(c) for v, c in seed1.flexion.corners_px.items() if v is not Vertebra.S1}
    corners[Vertebra.L2].popitem()
    result = track_vertebrae(seed1.flexion.pixels, corners, seed1.extension.pixels, seed1.spacing)
    assert result[Vertebra.L2].transform is None and result[Vertebra.L2].poor_match
    assert "needs all four corners" in result[Vertebra.L2].reason
    assert "no S1 to anchor on" in result.anchor
    for vertebra in (Vertebra.L1, Vertebra.L3, Vertebra.L4, Vertebra.L5):
        track = result[vertebra]
        assert not track.poor_match, (vertebra, track.reason)
        for corner, point in track.corners.items():
            truth = seed1.extension.corners_px[vertebra][corner]
            assert distance_mm(point, truth, seed1.spacing) < 0.5


def test_tracking_needs_millimetres(seed1: Films) -> None:
    with pytest.raises(CalibrationError, match="pixel spacing"):
        track_vertebrae(
            seed1.flexion.pixels, seed1.flexion.corners_px, seed1.extension.pixels, None
        )


def _same_tracking(first: TrackingResult, second: TrackingResult) -> None:
    assert list(first.vertebrae) == list(second.vertebrae)
    for track in first:
        other = second.vertebrae[track.vertebra]
        assert dict(other.corners) == dict(track.corners), track.vertebra
        assert other.transform == track.transform, track.vertebra
        assert (other.correlation, other.poor_match, other.reason) == (
            track.correlation, track.poor_match, track.reason,
        )  # fmt: skip
    assert (second.anchor, second.identity, second.shapes) == (
        first.anchor, first.identity, first.shapes,
    )  # fmt: skip


def test_the_neutral_film_prepared_once_tracks_flexion_and_extension_exactly_as_before(
    seed1: Films, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Shift-D tracks the neutral corners onto both dynamic films on two threads with one
    ReferenceFilm: the same corners, transforms and verdicts to the last bit as two separate
    trackings, with the neutral bodies measured once instead of once per film."""
    spacing, corners = seed1.spacing, seed1.neutral.corners_px
    targets = {"flexion": seed1.flexion.pixels, "extension": seed1.extension.pixels}
    alone = {
        film: track_vertebrae(seed1.neutral.pixels, corners, pixels, spacing)
        for film, pixels in targets.items()
    }
    refined: list[int] = []
    counting = body_shape.refine_corners

    def refine(image, *args, **kwargs):
        refined.append(id(image))
        return counting(image, *args, **kwargs)

    monkeypatch.setattr(body_shape, "refine_corners", refine)
    reference = ReferenceFilm(seed1.neutral.pixels, spacing)
    with ThreadPoolExecutor(2) as pool:
        jobs = {
            film: pool.submit(track_vertebrae, reference, corners, pixels, spacing)
            for film, pixels in targets.items()
        }
        shared = {film: job.result() for film, job in jobs.items()}
    for film in targets:
        assert alone[film].poor_matches == (), film
        _same_tracking(alone[film], shared[film])
    assert refined.count(id(reference.image)) == 1  # the neutral bodies, once for both films
    assert len(refined) == 3  # and each dynamic film's


def test_a_prepared_film_of_another_spacing_is_refused(seed1: Films) -> None:
    reference = ReferenceFilm(seed1.neutral.pixels, (0.2, 0.2))
    with pytest.raises(CalibrationError, match=r"prepared source film has pixel spacing \(0.2"):
        track_vertebrae(reference, seed1.neutral.corners_px, seed1.flexion.pixels, seed1.spacing)
