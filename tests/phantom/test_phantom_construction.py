"""The phantom's geometry reproduces its spec exactly, and the truth formulas are sound."""

from __future__ import annotations

import math

import numpy as np
import pytest

from imaging.anatomy import Corner, DiscLevel, Film, Vertebra
from imaging.phantom import PhantomSpec, SegmentMotion, VertebraShape, build_pose
from imaging.phantom.presets import degenerated, height_for_loss, unstable
from imaging.phantom.spec import DiscSpec
from imaging.phantom.truth import level_measures, lordosis_deg, range_of_motion


def _measures(spec: PhantomSpec, film: Film) -> dict[str, dict[str, object]]:
    corners = build_pose(spec, film).corners_mm()
    landmarked = {v: corners[v] for v in spec.landmarked_vertebrae}
    return level_measures(landmarked, (1.0, 1.0))  # patient mm as "pixels" of 1 mm


@pytest.mark.parametrize("seed", [None, 1, 2, 3])
@pytest.mark.parametrize("film", list(Film))
def test_every_disc_has_the_angle_translation_and_height_of_its_spec(
    seed: int | None, film: Film
) -> None:
    spec = PhantomSpec.normal() if seed is None else PhantomSpec.random(np.random.default_rng(seed))
    measures = _measures(spec, film)
    for level in spec.landmarked_levels:
        disc = spec.discs[level]
        m = measures[level.value]
        assert m["segmental_angle_deg"] == pytest.approx(
            disc.angle_deg + disc.motion.angle_change(film), abs=1e-9
        )
        assert m["translation_mm"] == pytest.approx(
            disc.translation_mm + disc.motion.translation_change(film), abs=1e-9
        )
        assert m["disc_height_mean_mm"] == pytest.approx(disc.height_mm, abs=1e-9)


def test_normal_spine_has_a_realistic_lordosis_and_sacral_slope() -> None:
    spec = PhantomSpec.normal()
    corners = build_pose(spec, Film.NEUTRAL).corners_mm()
    assert 40.0 <= lordosis_deg(corners) <= 60.0
    s1 = corners[Vertebra.S1]
    d_row, d_col = np.subtract(s1[Corner.ANTERIOR_SUPERIOR], s1[Corner.POSTERIOR_SUPERIOR])
    # Anterior is to the left (-col) and lower (+row) by the sacral slope.
    assert math.degrees(math.atan2(d_row, -d_col)) == pytest.approx(spec.sacral_slope_deg)
    # Flexion straightens the lumbar spine, extension deepens the lordosis.
    flexion = lordosis_deg(build_pose(spec, Film.FLEXION).corners_mm())
    extension = lordosis_deg(build_pose(spec, Film.EXTENSION).corners_mm())
    assert flexion < lordosis_deg(corners) < extension


def test_vertebral_body_corners_have_the_spec_heights_and_depth() -> None:
    spec = PhantomSpec.normal()
    corners = build_pose(spec, Film.FLEXION).corners_mm()
    for vertebra in (Vertebra.L1, Vertebra.L3, Vertebra.L5):
        shape, c = spec.vertebrae[vertebra], corners[vertebra]
        anterior = math.dist(c[Corner.ANTERIOR_SUPERIOR], c[Corner.ANTERIOR_INFERIOR])
        posterior = math.dist(c[Corner.POSTERIOR_SUPERIOR], c[Corner.POSTERIOR_INFERIOR])
        assert anterior == pytest.approx(shape.anterior_height_mm)
        assert posterior == pytest.approx(shape.posterior_height_mm)
        # Posterior corners lie to the right of (behind) the anterior ones.
        assert c[Corner.POSTERIOR_SUPERIOR][1] > c[Corner.ANTERIOR_SUPERIOR][1]
        assert c[Corner.POSTERIOR_INFERIOR][0] > c[Corner.POSTERIOR_SUPERIOR][0]


def test_range_of_motion_is_the_motion_of_the_spec() -> None:
    spec = unstable(PhantomSpec.normal(), "L4-L5", translation_rom_mm=4.5)
    rom = range_of_motion(_measures(spec, Film.FLEXION), _measures(spec, Film.EXTENSION))
    assert rom["L4-L5"]["translation_rom_mm"] == pytest.approx(4.5, abs=1e-9)
    assert rom["L4-L5"]["angular_rom_deg"] == pytest.approx(11.5, abs=1e-9)
    motion = spec.discs[DiscLevel.L3_L4].motion
    assert rom["L3-L4"]["angular_rom_deg"] == pytest.approx(
        abs(motion.flexion_angle_deg - motion.extension_angle_deg), abs=1e-9
    )


def test_height_for_loss_gives_exactly_that_loss_on_the_film() -> None:
    spec = degenerated(PhantomSpec.normal(), "L4-L5", loss_pct=30.0)
    neutral = _measures(spec, Film.NEUTRAL)
    assert neutral["L4-L5"]["height_loss_vs_adjacent_pct"] == pytest.approx(30.0, abs=1e-9)
    assert neutral["L4-L5"]["reference_levels"] == ["L3-L4", "L5-S1"]
    assert neutral["L5-S1"]["reference_levels"] == ["L4-L5"]
    assert neutral["L1-L2"]["reference_levels"] == ["L2-L3"]
    assert height_for_loss(spec, "L2-L3", 0.0) == pytest.approx(
        (spec.discs[DiscLevel.L1_L2].height_mm + spec.discs[DiscLevel.L3_L4].height_mm) / 2
    )


def test_truth_angles_survive_rotation_translation_and_mirroring() -> None:
    corners = build_pose(PhantomSpec.normal(), Film.NEUTRAL).corners_mm()
    landmarked = {v: corners[v] for v in PhantomSpec.normal().landmarked_vertebrae}
    reference = level_measures(landmarked, (1.0, 1.0))
    angle = math.radians(25.0)
    rotation = np.array([[math.cos(angle), -math.sin(angle)], [math.sin(angle), math.cos(angle)]])
    for transform in (
        lambda p: rotation @ np.asarray(p) + np.array([40.0, -12.0]),
        lambda p: np.array([p[0], -p[1]]),  # mirrored: anterior to the right
    ):
        moved: dict[Vertebra, dict[Corner, tuple[float, float]]] = {}
        for v, cs in landmarked.items():
            moved[v] = {}
            for c, p in cs.items():
                row, col = transform(p)
                moved[v][c] = (float(row), float(col))
        measures = level_measures(moved, (1.0, 1.0))
        for level, m in reference.items():
            for key in ("segmental_angle_deg", "translation_mm", "disc_height_mean_mm"):
                assert measures[level][key] == pytest.approx(m[key], abs=1e-9)


def test_uncalibrated_truth_has_ratios_and_angles_but_no_millimetres() -> None:
    corners = build_pose(PhantomSpec.normal(), Film.NEUTRAL).corners_mm()
    landmarked = {v: corners[v] for v in PhantomSpec.normal().landmarked_vertebrae}
    calibrated = level_measures(landmarked, (0.5, 0.5))
    uncalibrated = level_measures(landmarked, None)
    for level, m in uncalibrated.items():
        assert m["disc_height_mean_mm"] is None and m["translation_mm"] is None
        for key in ("disc_height_index", "segmental_angle_deg", "height_loss_vs_adjacent_pct"):
            assert m[key] == pytest.approx(calibrated[level][key], abs=1e-9)


def test_invalid_specs_are_refused_with_the_reason() -> None:
    with pytest.raises(ValueError, match="pfirrmann must be one of 1-5"):
        DiscSpec(10.0, 5.0, pfirrmann=6)
    with pytest.raises(ValueError, match="modic_cranial must be one of"):
        DiscSpec(10.0, 5.0, modic_cranial="IV")
    with pytest.raises(ValueError, match="anterior/posterior height ratio"):
        VertebraShape(35.0, 10.0, 30.0)
    with pytest.raises(ValueError, match="missing"):
        PhantomSpec({}, {})
    with pytest.raises(ValueError, match="flexion_translation_mm"):
        SegmentMotion(flexion_translation_mm=float("nan"))
    too_low = PhantomSpec.normal().with_disc("L4-L5", height_mm=2.0, angle_deg=14.0)
    with pytest.raises(ValueError, match=r"L4-L5: .* leaves no posterior disc space"):
        build_pose(too_low, Film.EXTENSION)
