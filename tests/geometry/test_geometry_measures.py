"""Hand-computed values of the vectorised measures, height loss and instability criteria."""

from __future__ import annotations

import math
from dataclasses import fields

import numpy as np
import pytest

from imaging.anatomy import LUMBAR_LEVELS, DiscLevel
from imaging.endpoints import MeasureRules
from imaging.errors import SpineEndpointsError
from imaging.geometry import (
    PRESETS,
    HeightLossRule,
    InstabilityCriteria,
    Threshold,
    disc_heights,
    disc_measures,
    height_loss_vs_adjacent,
    instability_preset,
    range_of_motion,
    segmental_angle,
    translation,
    vertebral_body_heights,
)
from imaging.geometry.discs import BLOCK, DiscHeights, physical
from imaging.geometry.height_loss import reference_names
from imaging.protocol.loader import load_protocol

# One disc, patient facing right (anterior toward +col), head up (cranial toward -row).
# Upper inferior endplate: posterior (0, 0), anterior (-4, 40): it rises 4 rows anteriorly.
# Lower superior endplate: posterior (10, 0), anterior (10, 40), level.
UPPER_AI, UPPER_PI = (-4.0, 40.0), (0.0, 0.0)
LOWER_AS, LOWER_PS = (10.0, 40.0), (10.0, 0.0)
SPACING = (0.5, 0.25)  # mm per pixel (row, col): in mm the corners are
# upper AI (-2, 10), PI (0, 0); lower AS (5, 10), PS (5, 0).


def test_disc_heights_by_hand_with_anisotropic_spacing() -> None:
    heights = disc_heights(UPPER_AI, UPPER_PI, LOWER_AS, LOWER_PS, SPACING)
    assert heights.anterior[0] == pytest.approx(7.0)  # (-2, 10) -> (5, 10)
    assert heights.posterior[0] == pytest.approx(5.0)  # (0, 0) -> (5, 0)
    assert heights.mean[0] == pytest.approx(6.0)
    assert heights.middle[0] == pytest.approx(6.0)  # midpoints (-1, 5) and (5, 5)
    depth = (math.hypot(2.0, 10.0) + 10.0) / 2
    assert heights.index[0] == pytest.approx(6.0 / depth)


def test_disc_with_unequal_endplates_and_a_slip_by_hand() -> None:
    # Upper inferior endplate: posterior (90, 2), anterior (88, 32): depth sqrt(2^2 + 30^2) = 30.07.
    # Lower superior endplate: posterior (100, 0), anterior (100, 40): depth 40, level.
    # The endplates are not parallel and of unequal depth, and the upper vertebra sits 2 px
    # forward, so the middle height differs from the mean and % slip depends on which depth.
    measures = disc_measures((88.0, 32.0), (90.0, 2.0), (100.0, 40.0), (100.0, 0.0), (1.0, 1.0))
    heights = measures.heights
    assert heights.anterior[0] == pytest.approx(math.sqrt(12**2 + 8**2))  # 14.4222
    assert heights.posterior[0] == pytest.approx(math.sqrt(10**2 + 2**2))  # 10.1980
    assert heights.mean[0] == pytest.approx(12.310122, abs=1e-6)
    # Endplate midpoints (89, 17) and (100, 20): sqrt(11^2 + 3^2), not the mean.
    assert heights.middle[0] == pytest.approx(math.sqrt(130.0))  # 11.4018
    assert heights.index[0] == pytest.approx(12.310122 / ((math.sqrt(904.0) + 40.0) / 2), abs=1e-6)
    # Slip: (90, 2) - (100, 0) = (-10, 2) projected on the lower endplate (0, 40) / 40 = 2 px,
    # 5 % of the LOWER endplate's 40 px (6.65 % of the upper's 30.07 px would be wrong).
    assert measures.translation.distance[0] == pytest.approx(2.0)
    assert measures.translation.pct_depth[0] == pytest.approx(5.0)
    alone = translation((90.0, 2.0), (100.0, 40.0), (100.0, 0.0))
    assert (alone.distance[0], alone.pct_depth[0]) == pytest.approx((2.0, 5.0))
    # cross((0, 40), (-2, 30)) = 80, dot = 1200: the disc opens anteriorly by atan(80 / 1200).
    assert measures.segmental_angle[0] == pytest.approx(3.8140748, abs=1e-6)


def test_disc_heights_in_pixels_without_spacing() -> None:
    heights = disc_heights(UPPER_AI, UPPER_PI, LOWER_AS, LOWER_PS)
    assert heights.anterior[0] == pytest.approx(14.0)
    assert heights.posterior[0] == pytest.approx(10.0)
    assert heights.index[0] == pytest.approx(12.0 / ((math.hypot(4.0, 40.0) + 40.0) / 2))


def test_segmental_angle_opens_anteriorly_is_positive_in_mm_space() -> None:
    angle = segmental_angle(UPPER_AI, UPPER_PI, LOWER_AS, LOWER_PS, SPACING)
    assert angle[0] == pytest.approx(math.degrees(math.atan2(2.0, 10.0)))  # 11.3099 deg
    pixel_angle = segmental_angle(UPPER_AI, UPPER_PI, LOWER_AS, LOWER_PS)
    assert pixel_angle[0] == pytest.approx(math.degrees(math.atan2(4.0, 40.0)))  # 5.7106 deg


def test_segmental_angle_same_on_a_film_facing_left() -> None:
    def mirror(point: tuple[float, float]) -> tuple[float, float]:
        return (point[0], -point[1])

    ai, pi, as_, ps = (mirror(p) for p in (UPPER_AI, UPPER_PI, LOWER_AS, LOWER_PS))
    derived = segmental_angle(ai, pi, as_, ps, spacing=SPACING)
    explicit = segmental_angle(ai, pi, as_, ps, spacing=SPACING, facing=-1)
    assert derived[0] == pytest.approx(11.309932474020215)
    assert explicit[0] == pytest.approx(11.309932474020215)
    # Given the wrong facing, the sign flips: facing is what makes lordosis positive.
    assert segmental_angle(ai, pi, as_, ps, spacing=SPACING, facing=1)[0] == pytest.approx(
        -11.3099324
    )


def test_kyphotic_disc_has_negative_angle() -> None:
    # Upper endplate drops 4 rows anteriorly: the disc opens posteriorly.
    angle = segmental_angle((4.0, 40.0), (0.0, 0.0), LOWER_AS, LOWER_PS)
    assert angle[0] == pytest.approx(-math.degrees(math.atan2(4.0, 40.0)))


def test_translation_forward_is_positive_and_in_percent_of_depth() -> None:
    # Upper posterior-inferior corner 4 px (1 mm) anterior of the lower posterior-superior one.
    shift = translation((0.0, 4.0), LOWER_AS, LOWER_PS, SPACING)
    assert shift.distance[0] == pytest.approx(1.0)
    assert shift.pct_depth[0] == pytest.approx(10.0)  # depth 40 px x 0.25 = 10 mm
    backward = translation((0.0, -8.0), LOWER_AS, LOWER_PS, SPACING)
    assert backward.distance[0] == pytest.approx(-2.0)
    assert backward.pct_depth[0] == pytest.approx(-20.0)


def test_translation_over_a_collapsed_or_tiny_endplate() -> None:
    # A lower endplate of zero depth (both corners on one pixel) has no direction: NaN, no warning.
    collapsed = translation((0.0, 4.0), (10.0, 0.0), (10.0, 0.0), SPACING)
    assert np.isnan(collapsed.distance[0]) and np.isnan(collapsed.pct_depth[0])
    # A 0.5 mm endplate (2 px x 0.25 mm) is short but measured: 1 px forward = 0.25 mm = 50 %.
    tiny = translation((0.0, 1.0), (10.0, 2.0), (10.0, 0.0), SPACING)
    assert (tiny.distance[0], tiny.pct_depth[0]) == pytest.approx((0.25, 50.0))


def test_vertebral_body_heights_by_hand() -> None:
    heights = vertebral_body_heights((0, 40), (0, 0), (30, 40), (28, 0), (0.5, 0.25))
    assert heights.anterior[0] == pytest.approx(15.0)
    assert heights.posterior[0] == pytest.approx(14.0)


def test_measures_are_vectorised_and_nan_for_missing_corners() -> None:
    upper_ai = np.array([UPPER_AI, (np.nan, np.nan)])
    upper_pi = np.array([UPPER_PI, UPPER_PI])
    lower_as = np.array([LOWER_AS, LOWER_AS])
    lower_ps = np.array([LOWER_PS, LOWER_PS])
    heights = disc_heights(upper_ai, upper_pi, lower_as, lower_ps, SPACING)
    assert heights.posterior.tolist() == pytest.approx([5.0, 5.0])
    assert heights.anterior[0] == pytest.approx(7.0)
    assert np.isnan(heights.anterior[1]) and np.isnan(heights.mean[1])
    assert np.isnan(segmental_angle(upper_ai, upper_pi, lower_as, lower_ps)[1])


def test_range_of_motion_is_absolute_difference() -> None:
    assert range_of_motion([12.0, -3.0], [2.0, 4.5]).tolist() == [10.0, 7.5]
    assert range_of_motion([12, -3], [2, 4]).dtype == np.float64  # degrees as given in whole
    assert range_of_motion(12, [2.5]).dtype == np.float64


# --- height loss -----------------------------------------------------------------------------
HEIGHTS = [10.0, 11.0, 12.0, 8.0, 13.0]  # L1-L2 .. L5-S1 mean disc heights


def _loss(heights: list[float], rule: HeightLossRule | None = None) -> dict[str, tuple[float, str]]:
    result = height_loss_vs_adjacent(heights, LUMBAR_LEVELS, rule)
    return {
        level.value: (
            float(result.loss_pct[0, i]),
            reference_names(result.references[0, i], LUMBAR_LEVELS),
        )
        for i, level in enumerate(LUMBAR_LEVELS)
    }


def test_height_loss_uses_nearest_cranial_and_caudal_discs() -> None:
    loss = _loss(HEIGHTS)
    assert loss["L4-L5"] == pytest.approx((36.0, "L3-L4;L5-S1"))  # 1 - 8 / 12.5
    assert loss["L1-L2"][0] == pytest.approx(100 * (1 - 10 / 11))
    assert loss["L1-L2"][1] == "L2-L3"
    assert loss["L5-S1"] == pytest.approx((100 * (1 - 13 / 8), "L4-L5"))  # cranial only
    assert loss["L2-L3"] == pytest.approx((0.0, "L1-L2;L3-L4"))  # 1 - 11 / ((10 + 12) / 2)
    assert loss["L3-L4"] == pytest.approx((100 * (1 - 12 / 9.5), "L2-L3;L4-L5"))


@pytest.mark.parametrize("zero", [0.0, -0.0])
def test_a_collapsed_reference_disc_gives_the_same_loss_whatever_the_sign_of_its_zero(
    zero: float,
) -> None:
    # L2-L3 at 0 mm (its corners on one spot) is L1-L2's only reference: 10 / 0.
    loss = _loss([10.0, zero, 10.0, 10.0, 10.0])
    assert loss["L1-L2"] == (-math.inf, "L2-L3")
    assert loss["L3-L4"] == pytest.approx((-100.0, "L2-L3;L4-L5"))  # 1 - 10 / ((0 + 10) / 2)


def test_height_loss_skips_excluded_and_unmeasured_levels() -> None:
    excluded = _loss(HEIGHTS, HeightLossRule.build(exclude=["L3-4"]))
    assert excluded["L4-L5"] == pytest.approx((100 * (1 - 8 / 12), "L2-L3;L5-S1"))  # (11 + 13) / 2
    unmeasured = _loss([10.0, 11.0, math.nan, 8.0, 13.0])
    assert unmeasured["L4-L5"][1] == "L2-L3;L5-S1"
    assert math.isnan(unmeasured["L3-L4"][0])
    lumbosacral_excluded = _loss(HEIGHTS, HeightLossRule.build(exclude=["L5-S1"]))
    assert lumbosacral_excluded["L4-L5"] == pytest.approx((100 * (1 - 8 / 12), "L3-L4"))


def test_height_loss_with_explicit_reference_levels() -> None:
    rule = HeightLossRule.build(reference_levels={"L4-5": ["L2-3"]})
    loss = _loss(HEIGHTS, rule)
    assert loss["L4-L5"] == pytest.approx((100 * (1 - 8 / 11), "L2-L3"))
    assert loss["L3-L4"][1] == "L2-L3;L4-L5"  # other levels keep the nearest-neighbour rule


def test_explicit_references_use_only_those_measured_and_not_excluded() -> None:
    # HEIGHTS = 10, 11, 12, 8, 13 (L1-L2 ... L5-S1); L4-L5 named against L3-L4 and L5-S1.
    rule = {"L4-5": ["L3-4", "L5-S1"]}
    both = _loss(HEIGHTS, HeightLossRule.build(reference_levels=rule))
    assert both["L4-L5"] == pytest.approx((100 * (1 - 8 / 12.5), "L3-L4;L5-S1"))
    # L5-S1 unmeasured: compared with L3-L4 alone (never with an unmeasured disc counted as 0 mm,
    # which would give 100 * (1 - 8 / 6) = -33 %).
    unmeasured = _loss(
        [10.0, 11.0, 12.0, 8.0, math.nan], HeightLossRule.build(reference_levels=rule)
    )
    assert unmeasured["L4-L5"] == pytest.approx((100 * (1 - 8 / 12), "L3-L4"))
    # L5-S1 excluded (e.g. graded Pfirrmann 4): a named reference that is excluded is not used.
    excluded = _loss(HEIGHTS, HeightLossRule.build(reference_levels=rule, exclude=["L5-S1"]))
    assert excluded["L4-L5"] == pytest.approx((100 * (1 - 8 / 12), "L3-L4"))
    # Both named references unusable: no loss at all, never a loss against nothing.
    neither = _loss(
        [10.0, 11.0, math.nan, 8.0, 13.0],
        HeightLossRule.build(reference_levels=rule, exclude=["L5-S1"]),
    )
    assert math.isnan(neither["L4-L5"][0]) and neither["L4-L5"][1] == ""


def test_height_loss_without_any_reference_is_nan() -> None:
    loss = _loss([math.nan, math.nan, math.nan, 8.0, math.nan])
    assert math.isnan(loss["L4-L5"][0]) and loss["L4-L5"][1] == ""


def test_height_loss_is_vectorised_over_films() -> None:
    result = height_loss_vs_adjacent([HEIGHTS, [10.0, 10.0, 10.0, 10.0, 10.0]], LUMBAR_LEVELS)
    assert result.loss_pct.shape == (2, 5)
    assert result.loss_pct[0, 3] == pytest.approx(36.0)
    assert result.loss_pct[1].tolist() == pytest.approx([0.0] * 5)


def test_height_loss_flag_threshold_and_strictness() -> None:
    trial = HeightLossRule(threshold_pct=20.0)
    assert trial.flag([19.99, 20.0, 36.0]).tolist() == [0.0, 1.0, 1.0]
    assert HeightLossRule(threshold_pct=20.0, inclusive=False).flag([20.0])[0] == 0.0
    assert np.isnan(trial.flag([math.nan])[0])
    assert np.array_equal(trial.flag([36.0, None]), [1.0, np.nan], equal_nan=True)  # type: ignore[arg-type]
    assert trial.describe() == "height loss >= 20%"
    assert HeightLossRule(threshold_pct=20.0, inclusive=False).describe() == "height loss > 20%"
    # No threshold (the protocol sets none): the flag is unknown, never a default number.
    assert np.isnan(HeightLossRule().flag([36.0])).all()


def test_film_geometry_uses_the_films_facing_and_names_a_bad_height() -> None:
    from geometry_spines import spine_corners

    from imaging.geometry import Landmarks
    from imaging.geometry.film import film_geometry

    # L4-L5 collapsed to nothing: its own corners cannot tell which way it faces, the film can.
    film = film_geometry(Landmarks(spine_corners(posterior_height=[9, 9, 9, 0, 9])))
    assert film.value(DiscLevel.L4_L5, "segmental_angle") == 0.0
    assert film.value(DiscLevel.L4_L5, "disc_height_mean") == 0.0
    assert math.isnan(film.value(DiscLevel.T12_L1, "disc_height_mean"))  # T12 not read
    with pytest.raises(ValueError) as info:
        film_geometry(Landmarks(spine_corners()), HeightLossRule(height="disc_height_typo"))
    assert str(info.value) == "height loss cannot compare 'disc_height_typo': not a disc height"


def test_reference_names_need_one_flag_per_level() -> None:
    assert reference_names([True, False, True, False, False], LUMBAR_LEVELS) == "L1-L2;L3-L4"
    with pytest.raises(ValueError):  # a row of another film's levels is never silently cut
        reference_names([True, False], LUMBAR_LEVELS)


def test_height_loss_refuses_heights_and_levels_that_do_not_match() -> None:
    with pytest.raises(ValueError) as count:
        height_loss_vs_adjacent([10.0, 11.0, 12.0, 8.0], LUMBAR_LEVELS)
    assert str(count.value) == "mean_heights has 4 levels, expected 5"
    order = "levels must be in anatomical order, cranial to caudal, each once"
    for levels in ([L45, DiscLevel.L3_L4], [DiscLevel.L3_L4, DiscLevel.L3_L4]):
        with pytest.raises(ValueError) as info:
            height_loss_vs_adjacent([10.0, 11.0], levels)
        assert str(info.value) == order
    # an empty cell (None) is an unmeasured disc, as NaN is
    unmeasured = height_loss_vs_adjacent([10.0, 11.0, None, 8.0, 13.0], LUMBAR_LEVELS)  # type: ignore[arg-type]
    assert unmeasured.loss_pct[0, 3] == pytest.approx(100 * (1 - 8 / 12))


def test_explicit_references_per_film_and_levels_outside_the_film() -> None:
    # Two films; a rule that also names T12-L1 (not a level of these films): L4-L5 still uses
    # its own explicit reference, film by film.
    rule = HeightLossRule.build(reference_levels={"T12-L1": ["L1-L2"], "L4-5": ["L2-3"]})
    result = height_loss_vs_adjacent([HEIGHTS, [10.0, 16.0, 12.0, 8.0, 13.0]], LUMBAR_LEVELS, rule)
    assert result.loss_pct[:, 3].tolist() == pytest.approx([100 * (1 - 8 / 11), 50.0])
    assert result.cranial[0, 0] == -1 and result.caudal[0, 4] == 5  # "none", as documented


def test_height_loss_compares_mean_disc_heights_unless_told() -> None:
    assert HeightLossRule.build().height == "disc_height_mean"
    assert HeightLossRule.build(height="disc_height_middle").height == "disc_height_middle"


def test_a_level_cannot_be_its_own_reference() -> None:
    with pytest.raises(ValueError, match="own reference"):
        HeightLossRule.build(reference_levels={"L4-L5": ["L4-L5"]})


# --- instability -----------------------------------------------------------------------------
L45, L5S1 = DiscLevel.L4_L5, DiscLevel.L5_S1


def _trial() -> InstabilityCriteria:
    """The DLBP trial's criteria, from its protocol file."""
    criteria = MeasureRules.from_protocol(load_protocol()).instability_criteria()
    assert criteria is not None
    return criteria


def test_trial_criteria_come_from_the_protocol_and_are_strict() -> None:
    criteria = _trial()
    assert criteria.name == "DLBP-ChiCTR2200058291"
    assert "dlbp-chictr2200058291" not in PRESETS  # trial limits live in the protocol file
    flags = criteria.flags([L45] * 4, [15.0, 15.01, 2.0, 2.0], [1.0, 1.0, 3.0, 3.01], np.nan)
    assert flags.tolist() == [0.0, 1.0, 0.0, 1.0]


def test_us_device_preset_flags_five_degrees_inclusive() -> None:
    flags = instability_preset("us-device-ide").flags([L45, L45], [5.0, 4.99], [0.0, 0.0], np.nan)
    assert flags.tolist() == [1.0, 0.0]


def test_white_panjabi_angles_are_the_lumbar_checklist_by_level() -> None:
    """White & Panjabi 1990: rotation > 15 deg at L1-L2 to L3-L4, > 20 at L4-L5, > 25 at L5-S1."""
    criteria = instability_preset("white-panjabi")
    levels = [DiscLevel(v) for v in ("L1-L2", "L2-L3", "L3-L4", "L4-L5", "L5-S1")]
    limits = [criteria.angle_threshold(level) for level in levels]
    assert limits == [Threshold(15.0)] * 3 + [Threshold(20.0), Threshold(25.0)]
    l34 = DiscLevel.L3_L4
    flags, reasons = criteria.evaluate(
        [l34, L45, L5S1, L5S1, L45, L45],
        [18.0, 18.0, 22.0, 26.0, 1.0, 1.0],
        [1.0, 1.0, 1.0, 1.0, 4.6, 1.0],
        [5.0, 5.0, 5.0, 5.0, 5.0, 15.5],
    )
    # 18 deg: unstable at L3-L4, not at L4-L5; 22 deg at L5-S1 stable, 26 unstable
    assert flags.tolist() == [1.0, 0.0, 0.0, 1.0, 1.0, 1.0]
    assert reasons[0] == "white-panjabi: angular ROM 18.00 deg > 15"
    assert "angular ROM > 20 deg" in reasons[1] and "angular ROM > 25 deg" in reasons[2]
    assert reasons[4] == "white-panjabi: translation ROM 4.60 mm > 4.5"
    assert reasons[5] == "white-panjabi: translation ROM 15.50 % depth > 15"


def test_unknown_values_make_the_flag_undecidable_unless_another_criterion_fires() -> None:
    criteria = _trial()
    flags, reasons = criteria.evaluate([L45, L45], [10.0, 16.0], [np.nan, np.nan], [1.0, 1.0])
    assert np.isnan(flags[0]) and flags[1] == 1.0
    assert "not decidable" in reasons[0] and "translation ROM in mm unknown" in reasons[0]
    assert "angular ROM 16.00 deg > 15" in reasons[1]


def test_limits_can_be_overridden_keeping_strictness() -> None:
    criteria = instability_preset("us-device-ide").with_limits(
        max_translation_mm=2, max_angle_deg=8
    )
    assert criteria.translation_mm == Threshold(2.0, strict=True)
    assert criteria.angle_deg == Threshold(8.0, strict=False)
    assert criteria.flags([L45], [8.0], [0.0], np.nan).tolist() == [1.0]
    assert criteria.name == (
        "us-device-ide with translation ROM > 2 mm; angular ROM >= 8 deg at every level"
    )
    white = instability_preset("white-panjabi").with_limits(max_angle_deg=10)
    assert white.angle_threshold(L5S1) == Threshold(10.0)
    assert white.angle_threshold(L45) == Threshold(10.0)
    assert "custom limits" not in white.name + white.description


def test_limits_set_by_a_protocol_are_reported_under_its_name() -> None:
    criteria = instability_preset("white-panjabi").with_limits(
        max_translation_mm=3, name="DLBP-ChiCTR2200058291"
    )
    assert criteria.name == "DLBP-ChiCTR2200058291"
    assert criteria.description.startswith("DLBP-ChiCTR2200058291: translation ROM > 3 mm")
    _, reasons = criteria.evaluate([L45], [1.0], [3.5], [5.0])
    assert reasons == ["DLBP-ChiCTR2200058291: translation ROM 3.50 mm > 3"]
    assert instability_preset("white-panjabi").with_limits() is PRESETS["white-panjabi"]


def test_unknown_preset_lists_the_names() -> None:
    with pytest.raises(SpineEndpointsError, match="unknown instability preset 'aaos'") as info:
        instability_preset("aaos")
    assert all(name in str(info.value) for name in PRESETS)


def test_replaced_limits_keep_each_thresholds_strictness_or_default_to_strict() -> None:
    inclusive = InstabilityCriteria(
        "site", "the site's limits", translation_mm=Threshold(3.0, strict=False)
    )
    moved = inclusive.with_limits(max_translation_mm=4)
    assert moved.translation_mm == Threshold(4.0, strict=False)
    assert moved.name == "site with translation ROM >= 4 mm"
    assert moved.description == "these limits: translation ROM >= 4 mm; otherwise the site's limits"
    # No translation limit before: a new one is strict (> limit), as published limits are.
    angle_only = InstabilityCriteria("angles", "angles only", angle_deg=Threshold(5.0, False))
    added = angle_only.with_limits(max_translation_mm=3)
    assert added.translation_mm == Threshold(3.0, strict=True)
    assert added.angle_deg == Threshold(5.0, strict=False)
    mm_only = InstabilityCriteria("mm", "mm only", translation_mm=Threshold(3.0))
    assert mm_only.with_limits(max_angle_deg=8).angle_deg == Threshold(8.0, strict=True)


def test_thresholds_and_criteria_refuse_nonsense_naming_it() -> None:
    assert Threshold(0.0).exceeded([0.0, 0.1]).tolist() == [False, True]  # 0 is a limit
    assert Threshold(0.5, strict=False).exceeded([0.5]).tolist() == [True]
    assert Threshold(3.0).exceeded([None, 4.0]).tolist() == [False, True]  # type: ignore[arg-type]
    for limit in (-1.0, math.inf, math.nan):
        with pytest.raises(ValueError) as info:
            Threshold(limit)
        assert str(info.value) == f"a threshold must be a finite number >= 0, got {limit!r}"
    with pytest.raises(ValueError) as empty:
        InstabilityCriteria("site", "no limits")
    assert str(empty.value) == "instability criteria 'site' have no threshold at all"


def test_level_angles_given_by_alias_are_read_only_and_found() -> None:
    by_alias = {"L4-5": Threshold(9)}  # as a protocol file may spell it
    criteria = InstabilityCriteria("site", "L4-5 only", angle_deg_by_level=by_alias)  # type: ignore[arg-type]
    assert criteria.angle_threshold(L45) == Threshold(9.0)
    assert criteria.angle_threshold(L5S1) is None
    with pytest.raises(TypeError):
        criteria.angle_deg_by_level[L5S1] = Threshold(1.0)  # type: ignore[index]


def test_white_panjabi_reasons_list_every_criterion_in_full() -> None:
    criteria = instability_preset("white-panjabi")
    _, reasons = criteria.evaluate(
        [L45, L45, L45], [25.0, 5.0, 5.0], [5.0, np.nan, 1.0], [20.0, np.nan, 5.0]
    )
    assert reasons == [
        "white-panjabi: translation ROM 5.00 mm > 4.5; translation ROM 20.00 % depth > 15; "
        "angular ROM 25.00 deg > 20",
        "white-panjabi: not decidable, translation ROM in mm unknown; translation ROM in % depth "
        "unknown",
        "white-panjabi: within limits (flagged at translation ROM > 4.5 mm or translation ROM > "
        "15 % depth or angular ROM > 20 deg)",
    ]


def test_instability_flags_shapes_and_unknowns() -> None:
    white = instability_preset("white-panjabi")
    t12 = DiscLevel.T12_L1  # the lumbar checklist gives no angle here
    # mm unknown while % depth and angle are within limits: undecidable, not stable
    flags = white.flags([L45, t12, t12], [5.0, np.nan, np.nan], [np.nan, 1.0, 5.0], [5.0, 5.0, 5.0])
    assert np.array_equal(flags, [np.nan, 0.0, 1.0], equal_nan=True)
    # one value for every level (scalars), and (films, levels) arrays
    assert white.flags([L45, L5S1], 22.0, 1.0, 5.0).tolist() == [1.0, 0.0]
    films = white.flags([L45, L5S1], [[22.0, 22.0], [1.0, 30.0]], 1.0, 5.0)
    assert films.tolist() == [[1.0, 0.0], [0.0, 1.0]]
    # None, as an empty cell gives it, is unknown
    unknown = white.flags([L45], [None], [1.0], [5.0])  # type: ignore[arg-type]
    assert np.isnan(unknown[0])


def test_unknown_preset_message_in_full() -> None:
    with pytest.raises(SpineEndpointsError) as info:
        instability_preset("aaos")
    assert str(info.value) == (
        "unknown instability preset 'aaos'. Use one of: us-device-ide, white-panjabi."
    )


def test_many_levels_are_measured_in_blocks_with_the_same_values() -> None:
    rng = np.random.default_rng(3)
    count = BLOCK * 2 + 5
    ua, up, la, lp = (rng.uniform(0, 500, (count, 2)) for _ in range(4))
    spacing = rng.uniform(0.1, 0.3, (count, 2))
    facing = rng.choice([-1.0, 1.0], count)
    whole = disc_measures(ua, up, la, lp, spacing, facing)
    own_facing = disc_measures(ua, up, la, lp, spacing)  # each disc's facing from its corners
    assert whole.segmental_angle.shape == (count,)
    for i in (0, BLOCK - 1, BLOCK, count - 1):
        one = disc_measures(ua[i], up[i], la[i], lp[i], spacing[i], facing[i])
        for name in [f.name for f in fields(DiscHeights)]:  # every height, bisector ones too
            assert getattr(whole.heights, name)[i] == pytest.approx(getattr(one.heights, name)[0])
        assert whole.segmental_angle[i] == pytest.approx(one.segmental_angle[0])
        assert whole.translation.distance[i] == pytest.approx(one.translation.distance[0])
        assert whole.translation.pct_depth[i] == pytest.approx(one.translation.pct_depth[0])
        alone = disc_measures(ua[i], up[i], la[i], lp[i], spacing[i])
        assert own_facing.segmental_angle[i] == pytest.approx(alone.segmental_angle[0])


def test_many_levels_in_blocks_with_shared_corner_spacing_and_facing() -> None:
    # One lower endplate, one (row, col) spacing and one facing for every level: broadcast in
    # every block, not cut into blocks as per-level arrays are.
    count = BLOCK + 3
    up = np.column_stack([np.full(count, 90.0), np.arange(count) % 7])
    ua = up + np.array([-2.0, 40.0])
    whole = disc_measures(ua, up, LOWER_AS, LOWER_PS, SPACING, 1.0)
    assert whole.translation.distance.shape == (count,)
    for i in (0, BLOCK, count - 1):
        one = disc_measures(ua[i], up[i], LOWER_AS, LOWER_PS, SPACING, 1.0)
        assert whole.translation.distance[i] == pytest.approx(one.translation.distance[0])
        assert whole.heights.mean[i] == pytest.approx(one.heights.mean[0])
        assert whole.segmental_angle[i] == pytest.approx(one.segmental_angle[0])


# --- slip-independent disc height and static slip (Frobin 1997; Meyerding 1932) ---------------
def _slipped_disc(slip: float, wedge_deg: float) -> DiscHeights:
    """Heights at 0.2 mm per pixel of a disc 10 px high at the back, facing right (anterior =
    +col), the upper vertebra tilted by ``wedge_deg`` and slid ``slip`` px along the bisector."""
    la, lp = np.array([100.0, 40.0]), np.array([100.0, 0.0])
    tilt = math.radians(wedge_deg)
    up = np.array([90.0, 0.0])
    ua = up + 40.0 * np.array([-math.sin(tilt), math.cos(tilt)])  # opens anteriorly
    half = tilt / 2
    along = np.array([-math.sin(half), math.cos(half)])  # the bisector, posterior -> anterior
    return disc_measures(
        ua + slip * along, up + slip * along, la, lp, spacing=(0.2, 0.2), facing=1.0
    ).heights


@pytest.mark.parametrize("wedge", [0.0, 8.0])
def test_bisector_heights_do_not_grow_with_a_slip_along_the_disc(wedge: float) -> None:
    still, slid = _slipped_disc(0.0, wedge), _slipped_disc(8.0, wedge)
    assert slid.anterior[0] > still.anterior[0] + 0.1  # corner to corner: grows with the slip
    for name in ("anterior_bisector", "posterior_bisector", "mean_bisector", "index_bisector"):
        assert getattr(slid, name)[0] == pytest.approx(getattr(still, name)[0], rel=1e-12)
    if wedge == 0.0:  # parallel endplates: the bisector height is the plain distance, 10 px
        assert still.mean_bisector[0] == pytest.approx(10 * 0.2)
        assert still.index_bisector[0] == pytest.approx(10 / 40)


def test_a_wedged_disc_has_its_own_anterior_and_posterior_bisector_heights() -> None:
    # Lower endplate flat, upper one rising 4 px over 40 (5.71 deg): heights 14 px at the front,
    # 10 px at the back; across the bisector (tilted half the wedge, 2.86 deg) each is its
    # vertical height x cos(2.86 deg), at 0.2 mm per pixel.
    wedge = math.atan2(4.0, 40.0)
    heights = disc_heights((86.0, 40.0), (90.0, 0.0), (100.0, 40.0), (100.0, 0.0), (0.2, 0.2))
    across = math.cos(wedge / 2) * 0.2
    assert heights.anterior_bisector[0] == pytest.approx(14.0 * across, rel=1e-12)
    assert heights.posterior_bisector[0] == pytest.approx(10.0 * across, rel=1e-12)
    assert heights.mean_bisector[0] == pytest.approx(12.0 * across, rel=1e-12)


def test_meyerding_grade_of_the_slip_on_the_neutral_film() -> None:
    from imaging.geometry.film import meyerding_grade

    slips = [0.0, 12.0, 24.99, 25.0, -30.0, 50.0, 74.9, 75.0, 100.0, 100.5, math.nan]
    assert np.array_equal(
        meyerding_grade(slips), [1, 1, 1, 2, 2, 3, 3, 4, 4, 5, math.nan], equal_nan=True
    )
    assert np.array_equal(meyerding_grade([None, -30]), [math.nan, 2], equal_nan=True)  # type: ignore[arg-type]


def test_a_height_loss_rule_keeps_its_own_copy_of_the_levels_it_was_given() -> None:
    exclude = ["L2-L3"]
    references = {"L4-L5": ["L3-L4"]}
    rule = HeightLossRule(exclude=exclude, reference_levels=references)  # type: ignore[arg-type]
    exclude.append("L3-L4")
    references["L4-L5"].append("L5-S1")
    references["L3-L4"] = ["L2-L3"]
    assert rule.exclude == frozenset({DiscLevel.L2_L3})
    assert dict(rule.reference_levels) == {DiscLevel.L4_L5: (DiscLevel.L3_L4,)}
    with pytest.raises(ValueError) as info:
        HeightLossRule(threshold_pct=math.inf)
    assert str(info.value) == "threshold_pct must be a finite number, got inf"


def test_a_collapsed_disc_has_no_index_and_raises_no_warning() -> None:
    # Both endplates of zero depth (each pair of corners on one pixel): heights, but no depth.
    heights = disc_heights((0.0, 0.0), (0.0, 0.0), (10.0, 0.0), (10.0, 0.0), SPACING)
    assert heights.mean[0] == pytest.approx(5.0)
    assert np.isnan(heights.index[0]) and np.isnan(heights.index_bisector[0])  # not inf


def test_the_disc_height_index_is_a_ratio_whatever_the_scale() -> None:
    # Endplates under 1 mm deep (a spacing 100 times finer) give the same index.
    fine = disc_heights(UPPER_AI, UPPER_PI, LOWER_AS, LOWER_PS, (0.005, 0.0025))
    assert fine.index[0] == pytest.approx(6.0 / ((math.hypot(2.0, 10.0) + 10.0) / 2))


def test_bisector_heights_of_a_tilted_film_are_those_of_the_upright_one() -> None:
    corners = [UPPER_AI, UPPER_PI, LOWER_AS, LOWER_PS]
    upright = disc_heights(*corners)
    turn = math.radians(30.0)

    def tilted(point: tuple[float, float]) -> tuple[float, float]:
        row, col = point
        return (
            row * math.cos(turn) - col * math.sin(turn),
            row * math.sin(turn) + col * math.cos(turn),
        )

    heights = disc_heights(*(tilted(p) for p in corners))
    for name in ("anterior_bisector", "posterior_bisector", "mean_bisector", "index_bisector"):
        assert getattr(heights, name)[0] == pytest.approx(getattr(upright, name)[0])


def test_corners_spacing_and_facing_given_as_text_are_measured_as_numbers() -> None:
    # Array-likes of text (cells of a landmark or calibration file) are numbers, not strings.
    ua, up, la, ls = (("-4", "40"), ("0", "0"), ("10", "40"), ("10", "0"))
    heights = disc_heights(ua, up, la, ls, ("0.5", "0.25"))
    assert (heights.anterior[0], heights.posterior[0]) == pytest.approx((7.0, 5.0))
    angle = segmental_angle(UPPER_AI, UPPER_PI, LOWER_AS, LOWER_PS, facing="1")
    assert angle[0] == pytest.approx(segmental_angle(UPPER_AI, UPPER_PI, LOWER_AS, LOWER_PS)[0])
    point = physical(("-4", "40"), ("0.5", "0.25"))
    assert (point.row.tolist(), point.col.tolist()) == ([-2.0], [10.0])


def test_points_and_spacing_need_row_col_pairs() -> None:
    with pytest.raises(ValueError) as info:
        physical([1.0, 2.0, 3.0], (0.5, 0.25))
    assert str(info.value) == (
        "points and spacing need (row, col) pairs in their last axis, got shapes (3,) and (2,)"
    )
    with pytest.raises(ValueError, match=r"got shapes \(2,\) and \(3,\)"):
        physical((1.0, 2.0), (0.5, 0.25, 1.0))
