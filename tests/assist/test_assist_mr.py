"""MR disc quantification: height, signal ratios, suggested Pfirrmann and Modic with evidence."""

from __future__ import annotations

import pytest
from assist_phantoms import MRStudy

from imaging.anatomy import DiscLevel
from imaging.assist import DiscQuantification, quantify_mr_discs
from imaging.errors import CalibrationError
from imaging.phantom import level_measures
from imaging.protocol.scales import load_scale


@pytest.fixture(scope="module")
def quantified(mr_study: MRStudy) -> dict[DiscLevel, DiscQuantification]:
    t2, t1 = mr_study.slices()
    # Clicks a little off each disc centre, as a reader's would be.
    clicks = {
        level: (row + 1.2, col - 0.8) for level, (row, col) in mr_study.t2.disc_centres_px().items()
    }
    return quantify_mr_discs(t2, t1, clicks, mr_study.spacing)


def test_suggested_pfirrmann_grades_match_the_phantom(
    mr_study: MRStudy, quantified: dict[DiscLevel, DiscQuantification]
) -> None:
    assert list(quantified) == list(DiscLevel)
    for level, result in quantified.items():
        assert result.pfirrmann is not None, (level, result.notes)
        assert result.pfirrmann.grade == str(mr_study.spec.discs[level].pfirrmann), level
        assert "suggestion" in result.pfirrmann.note


def test_the_decision_questions_are_the_scales_and_stop_at_the_first_yes(
    quantified: dict[DiscLevel, DiscQuantification],
) -> None:
    questions = [step.question for step in load_scale("pfirrmann").decision]
    grade_3 = quantified[DiscLevel.L3_L4].pfirrmann
    assert grade_3 is not None
    assert [a.question for a in grade_3.answers] == questions[:3]
    assert [a.answer for a in grade_3.answers] == [False, False, True]
    assert "nucleus/annulus contrast" in grade_3.answers[2].evidence
    grade_4 = quantified[DiscLevel.L4_L5].pfirrmann
    assert grade_4 is not None
    assert [a.answer for a in grade_4.answers] == [False, False, False, False]
    assert "adjacent discs" in grade_4.answers[3].evidence
    grade_1 = quantified[DiscLevel.L1_L2].pfirrmann
    assert grade_1 is not None and [a.answer for a in grade_1.answers] == [True]


def test_signal_ratios_follow_the_degeneration(
    quantified: dict[DiscLevel, DiscQuantification],
) -> None:
    ratio = {level.value: q.nucleus_csf_ratio for level, q in quantified.items()}
    assert ratio["L1-L2"] is not None and ratio["L1-L2"] > 0.8  # grade I: near CSF
    assert ratio["L5-S1"] is not None and ratio["L5-S1"] < 0.2  # grade V: black
    grades = ("L1-L2", "L2-L3", "L3-L4", "L4-L5", "L5-S1")  # grades 1 to 5
    values = [float(ratio[level] or 0.0) for level in grades]
    assert values == sorted(values, reverse=True)
    band = quantified[DiscLevel.L2_L3].band_depth  # grade II has the horizontal cleft
    assert band is not None and band > 0.1
    homogeneous = quantified[DiscLevel.L1_L2].nucleus_cv
    assert homogeneous is not None and homogeneous < 0.09


def test_modic_types_per_endplate_with_evidence(
    mr_study: MRStudy, quantified: dict[DiscLevel, DiscQuantification]
) -> None:
    for level, result in quantified.items():
        disc = mr_study.spec.discs[level]
        assert result.modic_cranial is not None and result.modic_caudal is not None
        assert result.modic_cranial.modic_type == disc.modic_cranial, level
        assert result.modic_caudal.modic_type == disc.modic_caudal, level
        assert result.modic_cranial.vertebra is level.upper_vertebra
        assert result.modic_caudal.vertebra is level.lower_vertebra
    type_one = quantified[DiscLevel.L4_L5].modic_cranial
    assert type_one is not None
    assert type_one.t1_ratio < 0.8 and type_one.t2_ratio > 1.3
    assert "T1" in type_one.evidence and type_one.shares["I"] > 0.5
    assert type_one.label == "Modic type I"


def test_disc_heights_in_millimetres(
    mr_study: MRStudy, quantified: dict[DiscLevel, DiscQuantification]
) -> None:
    truth = level_measures(mr_study.t2.corners_px(), mr_study.spacing)
    # Endplates with normal marrow or Modic II; a dark Modic I/III band next to an endplate
    # makes the dark endplate line look thicker (see imaging.assist.mr_geometry).
    for level in ("T12-L1", "L1-L2", "L3-L4", "L5-S1"):
        result = quantified[DiscLevel(level)]
        assert result.height_mm == pytest.approx(truth[level]["disc_height_mean_mm"], abs=0.5)
        assert result.depth_mm is not None and 25.0 < result.depth_mm < 40.0
    collapsed = quantified[DiscLevel.L5_S1]
    assert collapsed.height_ratio is not None and collapsed.height_ratio < 0.55


def test_without_t1_there_is_no_modic_suggestion_but_a_pfirrmann_one(mr_study: MRStudy) -> None:
    t2, _ = mr_study.slices()
    centres = mr_study.t2.disc_centres_px()
    clicks = {"L4-5": centres[DiscLevel.L4_L5], "L3-4": centres[DiscLevel.L3_L4]}
    result = quantify_mr_discs(t2, None, clicks, mr_study.spacing)
    l4 = result[DiscLevel.L4_L5]
    assert l4.modic_cranial is None and l4.modic_caudal is None
    assert any("no T1" in note for note in l4.notes)
    assert l4.pfirrmann is not None and l4.pfirrmann.grade == "4"


def test_a_clicked_csf_point_is_used_as_the_reference(mr_study: MRStudy) -> None:
    t2, t1 = mr_study.slices()
    centres = mr_study.t2.disc_centres_px()
    row, col = centres[DiscLevel.L3_L4]
    behind = (row, col + 30.0 / mr_study.spacing[1])  # about 8 mm behind the posterior wall
    result = quantify_mr_discs(t2, t1, {"L3-L4": (row, col)}, mr_study.spacing, csf_point=behind)
    disc = result[DiscLevel.L3_L4]
    assert disc.csf_signal is not None and disc.csf_signal > 1200
    assert disc.pfirrmann is not None and disc.pfirrmann.grade == "3"
    record = disc.to_dict()
    assert record["suggested_pfirrmann"] == "3" and record["level"] == "L3-L4"


def test_mr_quantification_needs_the_pixel_spacing(mr_study: MRStudy) -> None:
    t2, t1 = mr_study.slices()
    with pytest.raises(CalibrationError, match="pixel spacing"):
        quantify_mr_discs(t2, t1, {"L4-L5": (100.0, 100.0)}, None)
