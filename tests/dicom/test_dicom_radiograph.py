"""load_radiograph: values, MONOCHROME1 kept, calibration sources, films, trial attributes."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import pydicom
import pytest
from dicom_helpers import bundled, dicomdirtests, dx_dataset, write
from pydicom.dataset import Dataset
from pydicom.pixels import apply_modality_lut as pydicom_modality_lut
from pydicom.sequence import Sequence
from pydicom.uid import SecondaryCaptureImageStorage

from imaging.anatomy import Film
from imaging.calibration import Calibration, CalibrationSource
from imaging.dicom import load_radiograph
from imaging.errors import CalibrationError, UnsupportedImageError


def test_monochrome1_cr_is_kept_not_inverted() -> None:
    path = bundled("RG1_UNCR.dcm")
    radiograph = load_radiograph(path)
    stored = pydicom.dcmread(path).pixel_array
    np.testing.assert_array_equal(radiograph.pixels, stored)
    assert radiograph.photometric_interpretation == "MONOCHROME1"
    assert radiograph.inverted_for_display
    assert (radiograph.rows, radiograph.cols) == (1955, 1841)
    assert radiograph.window_presets[0][:2] == (15000.0, 30000.0)
    assert radiograph.view_position == "PA"
    assert radiograph.patient_orientation == ("L", "F")
    assert radiograph.study_date == date(2004, 8, 26)
    assert not radiograph.pixels.flags.writeable


def test_zero_spacing_in_a_real_file_is_uncalibrated_with_the_reason() -> None:
    radiograph = load_radiograph(bundled("RG1_UNCR.dcm"))  # (0028,0030) is 0\0
    assert radiograph.calibration.source is CalibrationSource.NONE
    assert "0\\0" in radiograph.calibration.detail
    with pytest.raises(CalibrationError, match=r"RG1_UNCR.dcm is uncalibrated"):
        radiograph.pixel_spacing_mm("disc heights in mm")
    assert load_radiograph(bundled("RG3_UNCR.dcm")).calibration.source is CalibrationSource.NONE


def test_cr_with_only_imager_pixel_spacing_is_detector() -> None:
    path = dicomdirtests() / "77654033" / "CR1" / "6154"
    radiograph = load_radiograph(path)
    assert radiograph.calibration.source is CalibrationSource.DETECTOR
    assert radiograph.pixel_spacing_mm() == (0.1, 0.1)
    dataset = pydicom.dcmread(path)
    reference = pydicom_modality_lut(dataset.pixel_array, dataset)
    np.testing.assert_allclose(radiograph.pixels, reference, rtol=1e-6)
    assert radiograph.rescale == (0.684, 200.0)
    assert radiograph.series_description == "Cervical LAT"


def test_compressed_monochrome1_equals_uncompressed() -> None:
    lossless = load_radiograph(bundled("RG1_J2KR.dcm"))
    plain = load_radiograph(bundled("RG1_UNCR.dcm"))
    np.testing.assert_array_equal(lossless.pixels, plain.pixels)


@pytest.mark.parametrize(
    ("attributes", "source", "spacing"),
    [
        (
            {"PixelSpacing": [0.12, 0.12], "ImagerPixelSpacing": [0.15, 0.15]},
            CalibrationSource.CALIBRATED,
            (0.12, 0.12),
        ),
        (
            {"PixelSpacing": [0.1, 0.11], "PixelSpacingCalibrationType": "GEOMETRY"},
            CalibrationSource.CALIBRATED,
            (0.1, 0.11),
        ),
        (
            {"ImagerPixelSpacing": [0.15, 0.15], "EstimatedRadiographicMagnificationFactor": 1.2},
            CalibrationSource.MAGNIFICATION_CORRECTED,
            (0.125, 0.125),
        ),
        ({"ImagerPixelSpacing": [0.15, 0.16]}, CalibrationSource.DETECTOR, (0.15, 0.16)),
        (
            {"PixelSpacing": [0.15, 0.15], "ImagerPixelSpacing": [0.15, 0.15]},
            CalibrationSource.DETECTOR,
            (0.15, 0.15),
        ),
        ({"PixelSpacing": [0.2, 0.2]}, CalibrationSource.UNKNOWN, (0.2, 0.2)),
        ({}, CalibrationSource.NONE, None),
        ({"PixelSpacing": [0, 0]}, CalibrationSource.NONE, None),
        ({"ImagerPixelSpacing": [-0.1, 0.1]}, CalibrationSource.NONE, None),
        ({"malformed": {"PixelSpacing": "abc\\0.1"}}, CalibrationSource.NONE, None),
        (
            {
                "ImagerPixelSpacing": [0.15, 0.15],
                "malformed": {"EstimatedRadiographicMagnificationFactor": "1,2"},
            },
            CalibrationSource.DETECTOR,
            (0.15, 0.15),
        ),
        ({"PixelSpacing": [0.1, 0.1, 0.1]}, CalibrationSource.NONE, None),
    ],
)
def test_calibration_source_of_synthetic_radiographs(
    tmp_path: Path,
    attributes: dict[str, Any],
    source: CalibrationSource,
    spacing: tuple[float, float] | None,
) -> None:
    attributes = dict(attributes)
    malformed: dict[str, str] = attributes.pop("malformed", {})
    path = write(dx_dataset(**attributes), tmp_path / "film.dcm", malformed)
    calibration = load_radiograph(path).calibration
    assert calibration.source is source, calibration.detail
    if spacing is None:
        assert calibration.pixel_spacing is None
        assert calibration.detail
    else:
        assert calibration.pixel_spacing == pytest.approx(spacing)


def test_caller_calibration_overrides_the_header(tmp_path: Path) -> None:
    path = write(dx_dataset(ImagerPixelSpacing=[0.15, 0.15]), tmp_path / "film.dcm")
    user = Calibration.user_supplied_spacing(0.1)
    radiograph = load_radiograph(path, calibration=user)
    assert radiograph.calibration.user_supplied
    assert radiograph.pixel_spacing_mm() == (0.1, 0.1)
    marker = Calibration.from_marker((10, 10), (10, 260), known_distance_mm=25.0)
    assert load_radiograph(path, calibration=marker).pixel_spacing_mm() == (0.1, 0.1)
    uncalibrated = load_radiograph(write(dx_dataset(), tmp_path / "bare.dcm"))
    assert uncalibrated.with_calibration(user).calibration.source is CalibrationSource.CALIBRATED


def _code(meaning: str) -> Dataset:
    item = Dataset()
    item.CodeValue, item.CodingSchemeDesignator, item.CodeMeaning = "X", "99TEST", meaning
    return item


@pytest.mark.parametrize(
    ("attributes", "film"),
    [
        ({"SeriesDescription": "L-SPINE LAT FLEX"}, Film.FLEXION),
        ({"SeriesDescription": "Lumbar_lateral_extension"}, Film.EXTENSION),
        ({"ImageComments": "neutral standing"}, Film.NEUTRAL),
        ({"ProtocolName": "LSP LAT HYPEREXT"}, Film.EXTENSION),
        ({"AcquisitionDeviceProcessingDescription": "LSPINE LAT FLEXED"}, Film.FLEXION),
        (
            {"StudyDescription": "LSPINE FLEX/EXT", "SeriesDescription": "LAT EXT"},
            Film.EXTENSION,
        ),
        ({"StudyDescription": "LSPINE FLEX/EXT"}, None),
        ({"SeriesDescription": "REFLEX TEXT NEXT"}, None),
        ({"SeriesDescription": "LAT"}, None),
    ],
)
def test_film_from_header_text(
    tmp_path: Path, attributes: dict[str, Any], film: Film | None
) -> None:
    radiograph = load_radiograph(write(dx_dataset(**attributes), tmp_path / "film.dcm"))
    assert radiograph.film is film, radiograph.film_detail


def test_film_from_view_modifier_code_and_caller_wins(tmp_path: Path) -> None:
    view = _code("lateral")
    view.ViewModifierCodeSequence = Sequence([_code("flexion")])
    dataset = dx_dataset(ViewCodeSequence=Sequence([view]), SeriesDescription="LAT EXTENSION")
    path = write(dataset, tmp_path / "film.dcm")
    radiograph = load_radiograph(path)
    assert radiograph.film is Film.FLEXION
    assert radiograph.film_detail == "View Modifier Code Sequence 'flexion'"
    overridden = load_radiograph(path, film="neutral")
    assert (overridden.film, overridden.film_detail) == (Film.NEUTRAL, "caller")


def test_clinical_trial_attributes(tmp_path: Path) -> None:
    dataset = dx_dataset(
        ClinicalTrialSponsorName="Dalian",
        ClinicalTrialProtocolID="ChiCTR2200058291",
        ClinicalTrialProtocolName="ADMSC DLBP",
        ClinicalTrialSiteID="01",
        ClinicalTrialSiteName="",
        ClinicalTrialSubjectID="S-007",
        ClinicalTrialTimePointID="M6",
        ClinicalTrialTimePointDescription="6 months after transplantation",
        PatientPosition="",
        ViewPosition="LL",
    )
    radiograph = load_radiograph(write(dataset, tmp_path / "film.dcm"))
    trial = radiograph.trial
    assert (trial.protocol_id, trial.subject_id, trial.time_point_id) == (
        "ChiCTR2200058291",
        "S-007",
        "M6",
    )
    assert trial.site_name is None  # present but empty
    assert trial.time_point_description == "6 months after transplantation"
    assert (radiograph.subject, radiograph.visit) == ("S-007", "M6")
    assert radiograph.patient_position is None
    assert radiograph.view_position == "LL"


def test_window_presets_multi_valued(tmp_path: Path) -> None:
    dataset = dx_dataset(
        WindowCenter=[2000, 1500],
        WindowWidth=[4000, 0],  # a zero width is invalid and dropped
        WindowCenterWidthExplanation=["FULL", "BONE"],
    )
    radiograph = load_radiograph(write(dataset, tmp_path / "film.dcm"))
    assert radiograph.window_presets == ((2000.0, 4000.0, "FULL"),)


def test_pixels_keep_integer_dtype_without_rescale(tmp_path: Path) -> None:
    pixels = np.arange(600, dtype=np.uint16).reshape(20, 30)
    radiograph = load_radiograph(write(dx_dataset(pixels), tmp_path / "film.dcm"))
    assert radiograph.pixels.dtype == np.uint16
    np.testing.assert_array_equal(radiograph.pixels, pixels)


def test_secondary_capture_of_a_film_is_accepted(tmp_path: Path) -> None:
    dataset = dx_dataset(modality="OT", sop_class=SecondaryCaptureImageStorage)
    assert load_radiograph(write(dataset, tmp_path / "sc.dcm")).modality == "OT"


def test_mr_and_ct_point_to_load_series() -> None:
    for name in ("MR_small.dcm", "CT_small.dcm"):
        with pytest.raises(UnsupportedImageError, match=f"{name}: .*load_series"):
            load_radiograph(bundled(name))


def test_multi_frame_needs_a_frame(tmp_path: Path) -> None:
    frames = np.arange(3 * 4 * 5, dtype=np.uint16).reshape(3, 4, 5)
    dataset = dx_dataset(frames[0], modality="XA", NumberOfFrames=3)
    dataset.PixelData = frames.tobytes()
    path = write(dataset, tmp_path / "cine.dcm")
    with pytest.raises(UnsupportedImageError, match=r"cine.dcm: the file holds 3 frames"):
        load_radiograph(path)
    radiograph = load_radiograph(path, frame=2)
    np.testing.assert_array_equal(radiograph.pixels, frames[2])
    assert radiograph.frame == 2
    with pytest.raises(UnsupportedImageError, match=r"frames 0 to 2"):
        load_radiograph(path, frame=3)
