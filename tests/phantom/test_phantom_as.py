"""The AS phantom: corners and joints drawn as scored, calibrated DX files, the committed AS sample
archive as the generator makes it, and the truth's mSASSS rules."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pydicom
import pytest

from imaging.dicom.radiograph import load_radiograph
from imaging.phantom.as_pelvis import render_pelvis_film
from imaging.phantom.as_samples import AS_SUBJECT, write_as_samples
from imaging.phantom.as_spine import SpineScores, render_spine_film
from imaging.phantom.as_study import SPINE_SETUPS
from imaging.phantom.as_truth import complete_rigidity, msasss_totals, new_syndesmophytes

AS_SAMPLES = Path(__file__).resolve().parents[2] / "sample_dicom_as"


def _along(pixels: np.ndarray, a: np.ndarray, b: np.ndarray) -> float:
    """Mean stored value on the middle third of the segment from ``a`` to ``b`` (pixels)."""
    t = np.linspace(1 / 3, 2 / 3, 9)
    rows = np.rint(a[0] + t * (b[0] - a[0])).astype(int)
    cols = np.rint(a[1] + t * (b[1] - a[1])).astype(int)
    return float(pixels[rows, cols].mean())


def test_a_bridged_disc_is_bone_across_and_a_normal_one_is_a_gap() -> None:
    scores = SpineScores({"L3-lower": 3, "L4-upper": 3, "L1-lower": 2})
    film = render_spine_film(
        "lumbar", scores, SPINE_SETUPS["lateral_lumbar"], np.random.default_rng(3)
    )
    sites, pixels = film.sites_px, film.pixels.astype(float)
    # just anterior (image left) of the line between the disc's two corners
    shift = np.array([0.0, -1.5])
    bridged = _along(pixels, sites["L3-lower"] + shift, sites["L4-upper"] + shift)
    normal = _along(pixels, sites["L4-lower"] + shift, sites["L5-upper"] + shift)
    spur_only = _along(pixels, sites["L2-lower"] + shift, sites["L3-upper"] + shift)
    assert bridged > normal + 0.1 * film.window_width
    assert abs(spur_only - normal) < 0.1 * film.window_width


def test_a_half_bridge_is_refused_naming_both_corners() -> None:
    with pytest.raises(ValueError, match="a bridge joins C5-lower and C6-upper: score both 3"):
        SpineScores({"C5-lower": 3})
    with pytest.raises(ValueError, match=r"'L6-upper'.* not mSASSS sites"):
        SpineScores({"L6-upper": 1})


def test_an_ankylosed_joint_has_no_gap_and_a_normal_one_has() -> None:
    film = render_pelvis_film(
        {"SIJ-left": 4, "SIJ-right": 0}, SPINE_SETUPS["ap_pelvis"], np.random.default_rng(5)
    )
    pixels = film.pixels.astype(float)
    at = {
        joint: pixels[tuple(np.rint(j["centre"]).astype(int))]
        for joint, j in film.joints_px.items()
    }
    # the joint space is dark on the open joint, bone on the fused one
    assert at["SIJ-left"] - at["SIJ-right"] > 0.15 * film.window_width
    # SIJ-left is the patient's left: the image's right ((0020,0020) L\F)
    assert film.joints_px["SIJ-left"]["centre"][1] > film.joints_px["SIJ-right"]["centre"][1]


def test_missing_corners_take_their_segment_mean_up_to_three() -> None:
    scores: dict[str, int | None] = dict.fromkeys(SpineScores.rigid().scores, 3)
    scores.update({"C2-lower": None, "C3-upper": None, "C3-lower": 0})
    result = msasss_totals(scores)
    cervical_mean = (9 * 3 + 0) / 10
    assert result["cervical_total"] == pytest.approx(27 + 2 * cervical_mean)
    assert result["total"] == pytest.approx(27 + 2 * cervical_mean + 36)
    scores.update({"C4-upper": None, "C4-lower": None})  # four missing in one segment
    assert msasss_totals(scores)["total"] is None
    assert not complete_rigidity(scores)  # a segment that cannot be scored decides nothing


def test_new_syndesmophytes_count_corners_going_from_below_2_to_2_or_3() -> None:
    first = {"C3-upper": 1, "C4-lower": 2, "L1-lower": 0, "L2-upper": None}
    later = {"C3-upper": 2, "C4-lower": 3, "L1-lower": 3, "L2-upper": 2}
    result = new_syndesmophytes(first, later)
    assert result["count"] == 2 and result["sites"] == ["C3-upper", "L1-lower"]
    assert "L2-upper" in result["not_comparable"]


@pytest.fixture(scope="module")
def as_index() -> dict[str, Any]:
    if not (AS_SAMPLES / "ground_truth.json").is_file():
        pytest.skip("sample_dicom_as/ is not in this checkout")
    return dict(json.loads((AS_SAMPLES / "ground_truth.json").read_text()))


def test_the_committed_as_samples_are_what_the_generator_writes(
    as_index: dict[str, Any], tmp_path: Path
) -> None:
    write_as_samples(tmp_path)
    assert json.loads((tmp_path / "ground_truth.json").read_text()) == as_index
    assert (tmp_path / "grades.csv").read_text() == (AS_SAMPLES / "grades.csv").read_text()
    for study in as_index["studies"]:
        for image in study["images"]:
            fresh = pydicom.dcmread(tmp_path / image["file"]).pixel_array
            assert np.array_equal(fresh, pydicom.dcmread(AS_SAMPLES / image["file"]).pixel_array)


def test_as_films_load_calibrated_under_their_own_trial(as_index: dict[str, Any]) -> None:
    for study in as_index["studies"]:
        for image in study["images"]:
            path = AS_SAMPLES / image["file"]
            ds = pydicom.dcmread(path, stop_before_pixels=True)
            assert ds.ClinicalTrialProtocolID == "AS-UCMSC"
            assert ds.ClinicalTrialSubjectID == AS_SUBJECT
            radiograph = load_radiograph(path)
            assert radiograph.calibration.source.value == "magnification-corrected"
            assert radiograph.calibration.pixel_spacing == pytest.approx(
                image["calibration"]["pixel_spacing_mm"]
            )
    subject = as_index["subjects"][AS_SUBJECT]
    assert subject["msasss_total"] == {"baseline": 25.0, "month_24": 34.0}
    assert subject["new_syndesmophytes"]["count"] == 4
    assert subject["modified_new_york"] is True
