"""imaging.calibration: every source of the table, bad spacings, user calibrations, mm refusal."""

from __future__ import annotations

import itertools
import json
import math
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pydicom
import pytest
from pydicom.dataset import Dataset

from imaging.calibration import Calibration, CalibrationSource
from imaging.errors import CalibrationError, InvalidSpacingError


def dataset(**attributes: Any) -> Dataset:
    ds = Dataset()
    ds.Modality = "DX"
    for keyword, value in attributes.items():
        setattr(ds, keyword, value)
    return ds


@pytest.mark.parametrize(
    ("attributes", "source", "spacing", "detail"),
    [
        (
            {"PixelSpacing": [0.1, 0.1], "ImagerPixelSpacing": [0.143, 0.143]},
            CalibrationSource.CALIBRATED,
            (0.1, 0.1),
            "calibration type not stated",
        ),
        (
            {
                "PixelSpacing": [0.1, 0.1],
                "ImagerPixelSpacing": [0.143, 0.143],
                "PixelSpacingCalibrationType": "FIDUCIAL",
            },
            CalibrationSource.CALIBRATED,
            (0.1, 0.1),
            "type FIDUCIAL",
        ),
        (
            {"PixelSpacing": [0.1, 0.1], "PixelSpacingCalibrationType": "GEOMETRY"},
            CalibrationSource.CALIBRATED,
            (0.1, 0.1),
            "GEOMETRY",
        ),
        (
            {"ImagerPixelSpacing": [0.143, 0.143], "EstimatedRadiographicMagnificationFactor": 1.1},
            CalibrationSource.MAGNIFICATION_CORRECTED,
            (0.13, 0.13),
            "Magnification Factor 1.1",
        ),
        (
            {"ImagerPixelSpacing": [0.143, 0.15]},
            CalibrationSource.DETECTOR,
            (0.143, 0.15),
            "not corrected for magnification",
        ),
        (
            {"PixelSpacing": [0.143, 0.143], "ImagerPixelSpacing": [0.143, 0.143]},
            CalibrationSource.DETECTOR,
            (0.143, 0.143),
            "equals Imager Pixel Spacing",
        ),
        (
            {"ImagerPixelSpacing": [0.143, 0.143], "EstimatedRadiographicMagnificationFactor": 0.9},
            CalibrationSource.DETECTOR,
            (0.143, 0.143),
            "0.9 ignored (must be >= 1)",
        ),
        (
            {"PixelSpacing": [0.2, 0.2]},
            CalibrationSource.UNKNOWN,
            (0.2, 0.2),
            "alone on a projection image",
        ),
        ({}, CalibrationSource.NONE, None, "no Pixel Spacing or Imager Pixel Spacing"),
        ({"PixelSpacing": [0, 0]}, CalibrationSource.NONE, None, "zero, negative"),
        ({"PixelSpacing": [-0.1, 0.1]}, CalibrationSource.NONE, None, "zero, negative"),
        ({"ImagerPixelSpacing": [0.1]}, CalibrationSource.NONE, None, "should have 2 values"),
    ],
)
def test_sources_of_projection_images(
    attributes: dict[str, Any],
    source: CalibrationSource,
    spacing: tuple[float, float] | None,
    detail: str,
) -> None:
    calibration = Calibration.from_dataset(dataset(**attributes))
    assert calibration.source is source
    assert detail in calibration.detail
    if spacing is None:
        assert calibration.pixel_spacing is None
        assert not calibration.has_millimetres
    else:
        assert calibration.pixel_spacing == pytest.approx(spacing)
        assert calibration.has_millimetres


def test_cross_sectional_images_are_patient() -> None:
    for modality in ("CT", "MR", "PT"):
        calibration = Calibration.from_dataset(dataset(Modality=modality, PixelSpacing=[0.5, 0.6]))
        assert (calibration.source, calibration.pixel_spacing) == (
            CalibrationSource.PATIENT,
            (0.5, 0.6),
        )
    missing = Calibration.from_dataset(dataset(Modality="MR"))
    assert missing.source is CalibrationSource.NONE
    assert "(MR)" in missing.detail


def bundled_header(name: str) -> Dataset:
    path = pydicom.data.get_testdata_file(name)  # exact name: never downloads
    assert isinstance(path, str)
    return pydicom.dcmread(path, stop_before_pixels=True)


def test_real_files() -> None:
    ct = Calibration.from_dataset(bundled_header("CT_small.dcm"))
    assert (ct.source, ct.pixel_spacing) == (CalibrationSource.PATIENT, (0.661468, 0.661468))
    zero = Calibration.from_dataset(bundled_header("RG1_UNCR.dcm"))
    assert zero.source is CalibrationSource.NONE
    assert "0\\0" in zero.detail


def save_malformed(ds: Dataset, path: Path, replacements: dict[bytes, bytes]) -> Dataset:
    """Write ``ds`` as a file, swap placeholder values for malformed text, read it back."""
    ds.SOPClassUID = pydicom.uid.DigitalXRayImageStorageForPresentation
    ds.SOPInstanceUID = pydicom.uid.generate_uid()
    ds.file_meta = pydicom.dataset.FileMetaDataset()
    ds.file_meta.TransferSyntaxUID = pydicom.uid.ExplicitVRLittleEndian
    ds.save_as(path, enforce_file_format=True)
    data = path.read_bytes()
    for placeholder, text in replacements.items():
        data = data.replace(placeholder, text)
    path.write_bytes(data)
    return pydicom.dcmread(path)  # values stay raw until converted


def test_malformed_values_read_from_a_file_give_none_with_the_reason(tmp_path: Path) -> None:
    both = dataset(PixelSpacing="7777777", ImagerPixelSpacing=[0.15, 0.15])
    both.EstimatedRadiographicMagnificationFactor = "888"
    read = save_malformed(both, tmp_path / "a.dcm", {b"7777777": b"abc\\0.1", b"888": b"1,2"})
    calibration = Calibration.from_dataset(read)
    # Pixel Spacing is unusable, Imager Pixel Spacing is fine, the factor is malformed
    assert calibration.source is CalibrationSource.DETECTOR
    assert "Magnification Factor is malformed" in calibration.detail
    only_bad = save_malformed(
        dataset(PixelSpacing="7777777"), tmp_path / "b.dcm", {b"7777777": b"abc\\0.1"}
    )
    none = Calibration.from_dataset(only_bad)
    assert none.source is CalibrationSource.NONE
    assert "(0028,0030) Pixel Spacing is malformed" in none.detail


def test_any_object_with_attributes() -> None:
    header = SimpleNamespace(Modality="CR", ImagerPixelSpacing=[0.1, 0.1])
    assert Calibration.from_dataset(header).source is CalibrationSource.DETECTOR


def test_user_supplied_spacing() -> None:
    square = Calibration.user_supplied_spacing(0.2)
    assert square.pixel_spacing == (0.2, 0.2)
    assert (square.source, square.user_supplied) == (CalibrationSource.CALIBRATED, True)
    assert "user-supplied" in square.detail
    assert Calibration.user_supplied_spacing((0.2, 0.25)).pixel_spacing == (0.2, 0.25)
    with pytest.raises(InvalidSpacingError):
        Calibration.user_supplied_spacing(0)
    with pytest.raises(CalibrationError, match=r"one number or a \(row, col\) pair"):
        Calibration.user_supplied_spacing((0.1, 0.1, 0.1))


def test_marker_calibration() -> None:
    # A 30 mm ball's diameter spans 3 rows and 4 columns: 5 pixels.
    marker = Calibration.from_marker((10, 10), (13, 14), known_distance_mm=30.0)
    assert marker.pixel_spacing == pytest.approx((6.0, 6.0))
    assert marker.user_supplied
    assert "30 mm over 5.00 pixels" in marker.detail
    # Non-square detector pixels (row 0.1, col 0.2): the ratio is kept.
    aspect = Calibration.from_marker((0, 0), (0, 100), 40.0, pixel_aspect=(0.1, 0.2))
    assert aspect.pixel_spacing == pytest.approx((0.2, 0.4))
    with pytest.raises(CalibrationError, match="same pixel"):
        Calibration.from_marker((5, 5), (5, 5), 10.0)
    with pytest.raises(CalibrationError, match="positive number of mm"):
        Calibration.from_marker((0, 0), (0, 10), -1.0)


def test_millimetres_refused_without_spacing() -> None:
    none = Calibration.none("no Pixel Spacing or Imager Pixel Spacing")
    with pytest.raises(CalibrationError) as caught:
        none.require_millimetres("disc height", image="S007_M6_flexion.dcm")
    message = str(caught.value)
    assert "disc height need a pixel spacing" in message
    assert "S007_M6_flexion.dcm is uncalibrated" in message
    assert "1 pixel is never taken as 1 mm" in message
    assert "Angles and ratios are still available" in message
    assert Calibration.user_supplied_spacing(0.1).require_millimetres() == (0.1, 0.1)


def test_construction_is_validated() -> None:
    with pytest.raises(CalibrationError, match="cannot have a pixel spacing"):
        Calibration((0.1, 0.1), CalibrationSource.NONE)
    with pytest.raises(CalibrationError, match="needs a pixel spacing"):
        Calibration(None, CalibrationSource.DETECTOR)
    with pytest.raises(InvalidSpacingError):
        Calibration((0.1, float("nan")), CalibrationSource.DETECTOR)
    from_text = Calibration((0.1, 0.2), "detector")  # type: ignore[arg-type]
    assert from_text.source is CalibrationSource.DETECTOR
    with pytest.raises(ValueError, match="is not a valid CalibrationSource"):
        Calibration((0.1, 0.2), "ruler")  # type: ignore[arg-type]


def test_to_dict_is_json_ready() -> None:
    record = Calibration.from_dataset(
        dataset(ImagerPixelSpacing=[0.15, 0.15], EstimatedRadiographicMagnificationFactor=1.5)
    ).to_dict()
    assert json.loads(json.dumps(record)) == {
        "pixel_spacing_mm": pytest.approx([0.1, 0.1]),
        "source": "magnification-corrected",
        "detail": record["detail"],
        "user_supplied": False,
    }
    assert str(CalibrationSource.MAGNIFICATION_CORRECTED) == "magnification-corrected"


@pytest.mark.parametrize(
    ("modality", "keyword", "value", "kind"),
    [
        ("DX", "ImagerPixelSpacing", [1e30, 1e30], "projection"),  # disc heights of 1e31 mm
        ("DX", "PixelSpacing", [1e-9, 1e-9], "projection"),
        ("CR", "ImagerPixelSpacing", [0.143, 25.0], "projection"),
        ("MR", "PixelSpacing", [40.0, 40.0], "cross-sectional"),
    ],
)
def test_implausible_spacing_leaves_the_image_uncalibrated_with_the_reason(
    modality: str, keyword: str, value: list[float], kind: str
) -> None:
    calibration = Calibration.from_dataset(dataset(Modality=modality, **{keyword: value}))
    assert calibration.source is CalibrationSource.NONE and calibration.pixel_spacing is None
    assert f"mm per pixel a {kind} image can have" in calibration.detail
    assert "PLAUSIBLE_SPACING_MM" in calibration.detail


def test_plausible_edges_are_kept() -> None:
    for spacing in ([0.02, 0.02], [2.0, 2.0], [0.05, 1.5]):
        calibration = Calibration.from_dataset(dataset(ImagerPixelSpacing=spacing))
        assert calibration.source is CalibrationSource.DETECTOR


# --- the precedence table: every combination of the four attributes -------------------------
IPS = (0.15, 0.15)
PS_CALIBRATED = (0.12, 0.12)


def expected_calibration(
    pixel: str, imager: bool, magnification: float | None, calibration_type: bool
) -> tuple[CalibrationSource, tuple[float, float] | None]:
    """The domain reference, section 5, spelled out: a Pixel Spacing that differs from the Imager
    Pixel Spacing (or stands alone with a calibration type) is calibrated and wins over any
    magnification factor; equal to it means not corrected; a magnification factor (>= 1, 1.0
    included) corrects the Imager Pixel Spacing; Pixel Spacing alone is of unknown origin."""
    factor_usable = magnification is not None and magnification >= 1.0
    if pixel == "differs" and imager:
        return CalibrationSource.CALIBRATED, PS_CALIBRATED
    if pixel == "differs" and calibration_type:
        return CalibrationSource.CALIBRATED, PS_CALIBRATED
    if imager and factor_usable:
        assert magnification is not None
        return CalibrationSource.MAGNIFICATION_CORRECTED, (
            IPS[0] / magnification,
            IPS[1] / magnification,
        )
    if imager:
        return CalibrationSource.DETECTOR, IPS
    if pixel == "differs":
        return CalibrationSource.UNKNOWN, PS_CALIBRATED
    return CalibrationSource.NONE, None


@pytest.mark.parametrize(
    ("pixel", "imager", "magnification", "calibration_type"),
    [
        combination
        for combination in itertools.product(
            ["absent", "equals imager", "differs"],
            [False, True],
            [None, 0.99, 1.0, 1.25],
            [False, True],
        )
        if combination[0] != "equals imager"
        or combination[1]  # equal needs an Imager Pixel Spacing
    ],
)
def test_calibration_precedence_table(
    pixel: str, imager: bool, magnification: float | None, calibration_type: bool
) -> None:
    attributes: dict[str, Any] = {}
    if pixel == "differs":
        attributes["PixelSpacing"] = list(PS_CALIBRATED)
    elif pixel == "equals imager":
        attributes["PixelSpacing"] = list(IPS)
    if imager:
        attributes["ImagerPixelSpacing"] = list(IPS)
    if magnification is not None:
        attributes["EstimatedRadiographicMagnificationFactor"] = magnification
    if calibration_type:
        attributes["PixelSpacingCalibrationType"] = "GEOMETRY"
    calibration = Calibration.from_dataset(dataset(**attributes))
    source, spacing = expected_calibration(pixel, imager, magnification, calibration_type)
    assert calibration.source is source, calibration.detail
    if spacing is None:
        assert calibration.pixel_spacing is None
    else:
        assert calibration.pixel_spacing == pytest.approx(spacing, rel=1e-12)


# --- the numbers and messages a user reads, pinned (mutation testing, docs/mutation-testing.md) --
def test_pixel_spacing_equal_to_imager_within_text_rounding_is_not_a_calibration() -> None:
    # "0.1430001" written for an Imager Pixel Spacing of 0.143: the same spacing rounded apart by
    # 7e-7, within _close's 1e-6, so not a calibration (a 1e-9 tolerance would call it calibrated).
    rounded = Calibration.from_dataset(
        dataset(PixelSpacing=[0.1430001, 0.143], ImagerPixelSpacing=[0.143, 0.143])
    )
    assert rounded.source is CalibrationSource.DETECTOR
    assert rounded.pixel_spacing == (0.143, 0.143)
    apart = Calibration.from_dataset(
        dataset(PixelSpacing=[0.14301, 0.143], ImagerPixelSpacing=[0.143, 0.143])
    )
    assert (apart.source, apart.pixel_spacing) == (CalibrationSource.CALIBRATED, (0.14301, 0.143))


def test_user_supplied_detail_names_row_and_column() -> None:
    calibration = Calibration.user_supplied_spacing((0.2, 0.25))
    assert calibration.detail == "user-supplied: 0.2 x 0.25 mm per pixel (row x col)"


def test_marker_on_non_square_pixels_hand_computed() -> None:
    # 8 rows x 3 columns between the points; pixels of 0.1 x 0.2 (any unit): 0.8 and 0.6 across,
    # a length of 1.0 unit for 10 mm, so 1.0 x 2.0 mm per pixel; hypot(8, 3) = 8.544 pixels.
    marker = Calibration.from_marker((2, 5), (10, 8), 10.0, pixel_aspect=(0.1, 0.2))
    assert marker.pixel_spacing == pytest.approx((1.0, 2.0))
    assert marker.detail == "user-supplied: marker of 10 mm over 8.54 pixels"
    bead = Calibration.from_marker((0, 0), (0, 4), 1.0)  # a 1 mm bead over 4 pixels
    assert bead.pixel_spacing == pytest.approx((0.25, 0.25))


def test_marker_refusals_name_the_problem() -> None:
    with pytest.raises(CalibrationError) as same:
        Calibration.from_marker((5, 5), (5, 5), 10.0)
    assert str(same.value) == (
        "the two marker points are the same pixel. Place the points at the two ends of the marker."
    )
    with pytest.raises(CalibrationError, match=r"positive number of mm, got 0\.0"):
        Calibration.from_marker((0, 0), (0, 10), 0.0)
    for aspect in ((0.0, 0.1), (-0.1, 0.1), (float("inf"), 0.1)):
        with pytest.raises(InvalidSpacingError) as bad:
            Calibration.from_marker((0, 0), (3, 4), 10.0, pixel_aspect=aspect)
        assert str(bad.value) == f"spacing must be positive and finite, got {aspect!r}"


def test_refusal_without_spacing_in_full() -> None:
    none = Calibration.none()
    with pytest.raises(CalibrationError) as caught:
        none.require_millimetres()
    assert str(caught.value) == (
        "millimetre measures need a pixel spacing, but this image is uncalibrated (no pixel "
        "spacing in the file); 1 pixel is never taken as 1 mm. Supply a calibration: mm per "
        "pixel, or two points on a marker of known size. Angles and ratios are still available."
    )
    assert none.to_dict() == {
        "pixel_spacing_mm": None,
        "source": "none",
        "detail": "no pixel spacing in the file",
        "user_supplied": False,
    }


@pytest.mark.parametrize("source", [CalibrationSource.DETECTOR, CalibrationSource.UNKNOWN])
def test_magnification_correction_by_a_protocol(source: CalibrationSource) -> None:
    film = Calibration((0.15, 0.2), source, "(0018,1164) Imager Pixel Spacing")
    corrected = film.corrected_for_magnification(1.25, "protocol LUMBAR-01")
    assert corrected.source is CalibrationSource.MAGNIFICATION_CORRECTED
    assert corrected.pixel_spacing == pytest.approx((0.12, 0.16))
    assert corrected.detail == (
        "(0018,1164) Imager Pixel Spacing; divided by the magnification factor 1.25 accepted by "
        "protocol LUMBAR-01"
    )
    assert corrected.user_supplied is False
    # a factor of exactly 1 is accepted (no magnification), not refused
    assert film.corrected_for_magnification(1.0, "protocol P").pixel_spacing == (0.15, 0.2)
    typed = Calibration((0.15, 0.15), source, "typed in", user_supplied=True)
    assert typed.corrected_for_magnification(1.5, "protocol P").user_supplied is True
    for factor in (0.5, float("inf"), float("nan")):
        with pytest.raises(CalibrationError) as bad:
            film.corrected_for_magnification(factor, "protocol P")
        assert str(bad.value) == f"a magnification factor must be >= 1, got {factor!r}"


def test_magnification_correction_leaves_patient_millimetres_alone() -> None:
    for calibration in (
        Calibration.user_supplied_spacing(0.1),
        Calibration((0.5, 0.5), CalibrationSource.PATIENT),
        Calibration((0.1, 0.1), CalibrationSource.MAGNIFICATION_CORRECTED),
        Calibration.none(),
    ):
        assert calibration.corrected_for_magnification(1.25, "protocol P") is calibration


DETECTOR_DETAIL = "(0018,1164) Imager Pixel Spacing, not corrected for magnification"


@pytest.mark.parametrize(
    ("attributes", "spacing", "detail"),
    [
        (
            {"PixelSpacing": [0.1, 0.1], "ImagerPixelSpacing": [0.143, 0.143]},
            (0.1, 0.1),
            "(0028,0030) Pixel Spacing differs from Imager Pixel Spacing (calibration type not "
            "stated)",
        ),
        (
            {"ImagerPixelSpacing": [0.15, 0.2], "EstimatedRadiographicMagnificationFactor": 1.25},
            (0.12, 0.16),
            "(0018,1164) Imager Pixel Spacing / (0018,1114) Estimated Radiographic "
            "Magnification Factor 1.25",
        ),
        ({"ImagerPixelSpacing": [0.15, 0.2]}, (0.15, 0.2), DETECTOR_DETAIL),
        (
            {"PixelSpacing": [0.15, 0.2], "ImagerPixelSpacing": [0.15, 0.2]},
            (0.15, 0.2),
            "(0028,0030) Pixel Spacing equals Imager Pixel Spacing: " + DETECTOR_DETAIL,
        ),
        (
            {"ImagerPixelSpacing": [0.15, 0.2], "EstimatedRadiographicMagnificationFactor": 0.9},
            (0.15, 0.2),
            DETECTOR_DETAIL + " (Estimated Radiographic Magnification Factor 0.9 ignored (must "
            "be >= 1))",
        ),
        # an empty factor is an absent one, not a malformed one
        (
            {"ImagerPixelSpacing": [0.15, 0.2], "EstimatedRadiographicMagnificationFactor": ""},
            (0.15, 0.2),
            DETECTOR_DETAIL,
        ),
        (
            {"PixelSpacing": [0.2, 0.25]},
            (0.2, 0.25),
            "(0028,0030) Pixel Spacing alone on a projection image: whether it is at the "
            "detector or in the patient is not stated",
        ),
        ({}, None, "no Pixel Spacing or Imager Pixel Spacing"),
        ({"PixelSpacing": ""}, None, "no Pixel Spacing or Imager Pixel Spacing"),
        (
            {"PixelSpacing": [0, 0.1], "ImagerPixelSpacing": [0.01, 0.1]},
            None,
            "(0028,0030) Pixel Spacing is 0\\0.1: zero, negative or not finite; (0018,1164) "
            "Imager Pixel Spacing is 0.01\\0.1 mm: outside the 0.02-2 mm per pixel a projection "
            "image can have (calibration.PLAUSIBLE_SPACING_MM)",
        ),
        (
            {"Modality": "CT", "PixelSpacing": [0.5, 0.6]},
            (0.5, 0.6),
            "(0028,0030) Pixel Spacing (CT)",
        ),
        ({"Modality": "MR"}, None, "no (0028,0030) Pixel Spacing (MR)"),
        (
            {"Modality": "MR", "PixelSpacing": [40, 0.5], "ImagerPixelSpacing": [0.1]},
            None,
            "(0028,0030) Pixel Spacing is 40\\0.5 mm: outside the 0.05-10 mm per pixel a "
            "cross-sectional image can have (calibration.PLAUSIBLE_SPACING_MM); (0018,1164) "
            "Imager Pixel Spacing should have 2 values (row, col), has 1 ('0.1')",
        ),
    ],
)
def test_every_detail_in_full(
    attributes: dict[str, Any], spacing: tuple[float, float] | None, detail: str
) -> None:
    """The detail is what the endpoint table and every refusal show: pinned word for word."""
    calibration = Calibration.from_dataset(dataset(**attributes))
    assert calibration.detail == detail
    if spacing is None:
        assert calibration.pixel_spacing is None
    else:
        assert calibration.pixel_spacing == pytest.approx(spacing)


def test_strict_pydicom_settings_still_give_the_reason(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A site that makes pydicom raise on invalid values: the malformed spacing is still a reason
    # on an uncalibrated image, never a ValueError out of pydicom.
    monkeypatch.setattr(pydicom.config.settings, "reading_validation_mode", pydicom.config.RAISE)
    read = save_malformed(
        dataset(PixelSpacing="7777777"), tmp_path / "a.dcm", {b"7777777": b"abc\\0.1"}
    )
    calibration = Calibration.from_dataset(read)
    assert calibration.detail == "(0028,0030) Pixel Spacing is malformed (['abc', '0.1'])"


def test_padding_of_a_value_read_from_a_file(tmp_path: Path) -> None:
    # "0.2\0.2" padded with a NUL (some writers do) is read; a trailing letter is malformed.
    padded = save_malformed(
        dataset(ImagerPixelSpacing="7777777"), tmp_path / "a.dcm", {b"7777777 ": b"0.2\\0.2\x00"}
    )
    assert Calibration.from_dataset(padded).pixel_spacing == (0.2, 0.2)
    lettered = save_malformed(
        dataset(ImagerPixelSpacing="7777777"), tmp_path / "b.dcm", {b"7777777 ": b"0.2\\0.2X"}
    )
    assert Calibration.from_dataset(lettered).detail == (
        "(0018,1164) Imager Pixel Spacing is malformed (['0.2', '0.2X'])"
    )


def test_none_with_a_spacing_message_in_full() -> None:
    with pytest.raises(CalibrationError) as info:
        Calibration((0.1, 0.1), CalibrationSource.NONE)
    assert str(info.value) == (
        "a calibration of source 'none' cannot have a pixel spacing. Pass pixel_spacing=None, or "
        "choose the source the spacing came from."
    )


def test_constructed_spacing_is_checked_and_normalised() -> None:
    with pytest.raises(CalibrationError) as missing:
        Calibration(None, CalibrationSource.DETECTOR)
    assert str(missing.value) == (
        "a calibration of source 'detector' needs a pixel spacing. Give pixel_spacing=(row_mm, "
        "col_mm), or use source 'none'."
    )
    for spacing in ((0.1, 0.0), (0.0, 0.1), (-0.1, 0.1), (0.1, -0.1), (0.1, math.inf)):
        with pytest.raises(InvalidSpacingError) as bad:
            Calibration(spacing, CalibrationSource.DETECTOR)
        assert str(bad.value) == (
            f"pixel spacing must be two positive finite numbers (row, col) in mm, got {spacing!r}"
        )
    given = Calibration([1, 0.2], CalibrationSource.DETECTOR)  # type: ignore[arg-type]
    assert given.pixel_spacing == (1.0, 0.2)  # a (row, col) tuple of floats, whatever was given
    assert given.pixel_spacing is not None and type(given.pixel_spacing[0]) is float
