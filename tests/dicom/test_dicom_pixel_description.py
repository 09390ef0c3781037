"""A pixel description DICOM does not define (Photometric Interpretation 'PURPLE', Pixel
Representation 7, more bits stored than allocated, 13 bits allocated, no samples per pixel) is
refused, naming the file and the tag, by the loaders and ``scan``; in a batch it is one failure
row and the rest is computed."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pydicom
import pytest
from dicom_helpers import SAMPLES, bundled, sample_study_archive

from imaging.cli import main
from imaging.dicom import load_radiograph, load_series_file, read_dataset, scan_file
from imaging.dicom.scan_records import ScanStatus
from imaging.errors import MalformedDicomError

NONSENSE = [
    pytest.param(
        "PhotometricInterpretation", "PURPLE",
        "(0028,0004) Photometric Interpretation 'PURPLE' is not defined in DICOM PS3.3 "
        "C.7.6.3.1.2 (defined: MONOCHROME1, MONOCHROME2, PALETTE COLOR, RGB",
        id="photometric PURPLE",
    ),
    pytest.param(
        "PixelRepresentation", 7,
        "(0028,0103) Pixel Representation 7 is not defined in DICOM PS3.3 C.7.6.3 "
        "(0: unsigned integer, 1: 2's complement)",
        id="pixel representation 7",
    ),
    pytest.param(
        "BitsStored", 17,
        "(0028,0101) Bits Stored 17 is not between 1 and (0028,0100) Bits Allocated 16 "
        "(DICOM PS3.5 8.1.1)",
        id="bits stored above bits allocated",
    ),
    pytest.param(
        "BitsAllocated", 13,
        "(0028,0100) Bits Allocated 13 is neither 1 nor a multiple of 8 (DICOM PS3.5 8.1.1)",
        id="bits allocated 13",
    ),
    pytest.param(
        "SamplesPerPixel", 0,
        "(0028,0002) Samples per Pixel is 0: an image needs a positive whole number",
        id="samples per pixel 0",
    ),
]  # fmt: skip


def _edited(source: Path, target: Path, **values: object) -> Path:
    dataset = pydicom.dcmread(source)
    for keyword, value in values.items():
        setattr(dataset, keyword, value)
    dataset.save_as(target)
    return target


@pytest.mark.parametrize(("keyword", "value", "reason"), NONSENSE)
def test_a_nonsense_pixel_description_is_refused_naming_file_and_tag(
    keyword: str, value: object, reason: str, tmp_path: Path
) -> None:
    path = _edited(bundled("CT_small.dcm"), tmp_path / "CT_small.dcm", **{keyword: value})

    with pytest.raises(MalformedDicomError) as refused:
        load_series_file(path)
    record = scan_file(path)

    assert str(refused.value).startswith(f"{path}: {reason}")
    assert refused.value.fix
    assert record.status is ScanStatus.UNREADABLE
    assert record.reason.startswith(reason)


def test_colour_samples_on_a_monochrome_image_are_refused(tmp_path: Path) -> None:
    path = _edited(bundled("MR_small.dcm"), tmp_path / "MR_small.dcm", SamplesPerPixel=3)

    with pytest.raises(MalformedDicomError) as refused:
        read_dataset(path)

    assert str(refused.value).startswith(
        f"{path}: (0028,0002) Samples per Pixel 3 does not fit (0028,0004) Photometric "
        "Interpretation MONOCHROME2, which has 1 (DICOM PS3.3 C.7.6.3.1.1)"
    )
    assert "correct (0028,0002) Samples per Pixel if you know its true value" in str(refused.value)


def test_an_undefined_planar_configuration_of_a_colour_image_is_refused(tmp_path: Path) -> None:
    path = _edited(bundled("SC_rgb.dcm"), tmp_path / "SC_rgb.dcm", PlanarConfiguration=2)

    with pytest.raises(MalformedDicomError, match=r"\(0028,0006\) Planar Configuration 2 is not"):
        read_dataset(path)


def test_every_defined_description_of_the_test_files_still_loads(tmp_path: Path) -> None:
    retired = _edited(bundled("MR_small.dcm"), tmp_path / "mono1.dcm",
                      PhotometricInterpretation="MONOCHROME1")  # fmt: skip

    assert read_dataset(retired).PhotometricInterpretation == "MONOCHROME1"
    assert read_dataset(bundled("SC_rgb.dcm")).SamplesPerPixel == 3
    assert load_series_file(bundled("CT_small.dcm")).volume.shape == (1, 128, 128)


@pytest.mark.skipif(not SAMPLES.is_dir(), reason="sample_dicom/ is not generated")
def test_batch_lists_a_purple_film_as_one_failure_and_computes_the_rest(tmp_path: Path) -> None:
    archive = sample_study_archive(tmp_path / "archive")
    purple = archive / "DLBP-003" / "baseline" / "DX_lateral_extension.dcm"
    _edited(purple, purple, PhotometricInterpretation="PURPLE")
    with pytest.raises(MalformedDicomError, match="'PURPLE' is not defined"):
        load_radiograph(purple)

    status = main(["batch", str(archive), "--out", str(tmp_path / "out")])

    assert status == 1
    failures = pd.read_csv(tmp_path / "out" / "failures.csv", dtype=str, keep_default_na=False)
    assert failures["file"].tolist() == ["DLBP-003/baseline/DX_lateral_extension.dcm"]
    [reason] = failures["reason"].tolist()  # a landmarked film: its study's task opens it
    assert reason.startswith(f"malformed-dicom: {purple}: (0028,0004) Photometric Interpretation "
                             "'PURPLE' is not defined in DICOM PS3.3 C.7.6.3.1.2")  # fmt: skip
    endpoints = pd.read_csv(tmp_path / "out" / "endpoints.csv", dtype=str, keep_default_na=False)
    films = set(endpoints.loc[endpoints["measure"] == "disc_height_mean", "film"])
    assert films == {"neutral"}
