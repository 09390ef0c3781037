"""The modalities and SOP classes read, and orientation from plain header values."""

from __future__ import annotations

from pathlib import Path

import pydicom
import pytest
from dicom_helpers import bundled
from pydicom.uid import UID

from imaging.dicom.orientation import anterior_direction, plane_of_normal, slice_plane
from imaging.dicom.vocabulary import (
    CROSS_SECTIONAL_MODALITIES,
    CROSS_SECTIONAL_SOP_CLASSES,
    IMAGE_MODALITIES,
    IMAGE_SOP_CLASSES,
    PROJECTION_MODALITIES,
    PROJECTION_SOP_CLASSES,
    SECONDARY_CAPTURE_SOP_CLASSES,
    is_cross_sectional,
    is_readable_image,
)

SAMPLES = Path(__file__).resolve().parents[2] / "sample_dicom"


def test_sop_classes_are_the_standard_image_storage_classes() -> None:
    assert IMAGE_MODALITIES == PROJECTION_MODALITIES | CROSS_SECTIONAL_MODALITIES
    assert not PROJECTION_MODALITIES & CROSS_SECTIONAL_MODALITIES
    for uid in IMAGE_SOP_CLASSES:
        assert UID(uid).name.endswith(("Image Storage", "For Presentation", "For Processing")), (
            uid
        )  # a name pydicom knows: no typing mistakes in the UIDs
    assert all("Secondary Capture" in UID(uid).name for uid in SECONDARY_CAPTURE_SOP_CLASSES)
    assert not PROJECTION_SOP_CLASSES & CROSS_SECTIONAL_SOP_CLASSES


@pytest.mark.parametrize(
    ("name", "sop_classes", "modalities"),
    [
        ("CT_small.dcm", CROSS_SECTIONAL_SOP_CLASSES, CROSS_SECTIONAL_MODALITIES),
        ("MR_small.dcm", CROSS_SECTIONAL_SOP_CLASSES, CROSS_SECTIONAL_MODALITIES),
        ("RG1_UNCR.dcm", PROJECTION_SOP_CLASSES, PROJECTION_MODALITIES),
    ],
)
def test_real_files_are_in_the_lists(name: str, sop_classes: frozenset[str],
                                     modalities: frozenset[str]) -> None:  # fmt: skip
    dataset = pydicom.dcmread(bundled(name), stop_before_pixels=True)
    assert dataset.SOPClassUID in sop_classes
    assert dataset.Modality in modalities
    assert is_readable_image(dataset.Modality, dataset.SOPClassUID)


@pytest.mark.skipif(not SAMPLES.is_dir(), reason="sample_dicom/ has not been generated")
def test_sample_studies_are_in_the_lists() -> None:
    study = SAMPLES / "DLBP-001" / "baseline"
    film = pydicom.dcmread(study / "DX_lateral_neutral.dcm", stop_before_pixels=True)
    assert film.SOPClassUID in PROJECTION_SOP_CLASSES and film.Modality in PROJECTION_MODALITIES
    mr = pydicom.dcmread(next((study / "MR_sag_T2").glob("*.dcm")), stop_before_pixels=True)
    assert mr.SOPClassUID in CROSS_SECTIONAL_SOP_CLASSES and is_cross_sectional(mr.Modality)
    assert slice_plane(mr.ImageOrientationPatient) == "sagittal"


def test_what_is_not_read() -> None:
    for name in ("rtplan.dcm", "rtstruct.dcm"):
        dataset = pydicom.dcmread(bundled(name), stop_before_pixels=True, force=True)
        assert not is_readable_image(dataset.Modality, dataset.SOPClassUID), name
    assert not is_readable_image("US")
    assert is_readable_image("US", "1.2.840.10008.5.1.4.1.1.7")  # a secondary capture
    # VL endoscopic: its UID starts like a secondary capture's, it is not one
    assert not is_readable_image("ES", "1.2.840.10008.5.1.4.1.1.77.1.1")
    assert is_readable_image(" dx ") and is_cross_sectional("mr") and not is_cross_sectional(None)


@pytest.mark.parametrize(
    ("value", "direction"),
    [
        (("A", "F"), (0.0, 1.0)), (["P", "F"], (0.0, -1.0)), (("F", "A"), (1.0, 0.0)),
        (("AF", "PH"), (-1.0, 1.0)), (("L", "F"), None), (("A",), None), ("A", None),
        ((), None), (None, None), (("AP", "F"), None),
    ],
)  # fmt: skip
def test_anterior_direction_from_patient_orientation(
    value: object, direction: tuple[float, float] | None
) -> None:
    assert anterior_direction(value) == direction  # type: ignore[arg-type]


def test_anterior_direction_of_a_header_value() -> None:
    dataset = pydicom.Dataset()
    dataset.PatientOrientation = ["A", "F"]  # a MultiValue, as read from a file
    assert anterior_direction(dataset.PatientOrientation) == (0.0, 1.0)


@pytest.mark.parametrize(
    ("cosines", "plane"),
    [
        ((0, 1, 0, 0, 0, -1), "sagittal"), ((1, 0, 0, 0, 0, -1), "coronal"),
        ((1, 0, 0, 0, 1, 0), "axial"), ((1, 0, 0, 0, 0.7071, 0.7071), "oblique"),
        ((1, 0, 0, 1, 0, 0), None), ((1, 0, 0), None), (None, None), ("1\\0\\0\\0\\1\\0", None),
        (("1", "0", "0", "0", "1", "x"), None), ((1, 0, 0, 0, float("nan"), 0), None),
    ],
)  # fmt: skip
def test_slice_plane_from_image_orientation(cosines: object, plane: str | None) -> None:
    assert slice_plane(cosines) == plane  # type: ignore[arg-type]


def test_slice_plane_of_a_real_file() -> None:
    dataset = pydicom.dcmread(bundled("MR_small.dcm"), stop_before_pixels=True)
    assert slice_plane(dataset.ImageOrientationPatient) == "axial"
    assert plane_of_normal([0.0, 0.0, -1.0]) == "axial"  # type: ignore[arg-type]
