"""Phantom DICOM files: valid headers, lossless round trips, calibration the loaders will find."""

from __future__ import annotations

import datetime
import json
from pathlib import Path
from typing import Any

import numpy as np
import pydicom
import pytest
from pydicom.uid import (
    DigitalXRayImageStorageForPresentation,
    ImplicitVRLittleEndian,
    JPEG2000Lossless,
    JPEGLSLossless,
    MRImageStorage,
    RLELossless,
)

from imaging.anatomy import Film
from imaging.calibration import Calibration, CalibrationSource
from imaging.phantom import (
    FilmOptions,
    MRSetup,
    PhantomSpec,
    RadiographSetup,
    SeriesOptions,
    StudySpec,
    TrialContext,
    render_study,
    write_study,
)

SMALL_FILM = RadiographSetup(rows=400, columns=300, imager_pixel_spacing_mm=0.7, bits_stored=14)
SMALL_MR = MRSetup(rows=160, columns=140, pixel_spacing_mm=1.4, slices=5)


def _study(**film_options: Any) -> StudySpec:
    context = TrialContext(
        subject_id="DLBP-901",
        visit="month_6",
        study_date=datetime.date(2025, 7, 14),
        seed=99,
        time_point_id="M06",
        time_point_description="Month 6",
    )
    return StudySpec(
        context=context,
        phantom=PhantomSpec.normal(),
        films=(FilmOptions(Film.NEUTRAL, **film_options), FilmOptions(Film.FLEXION, "rle")),
        series=(SeriesOptions("T2", "jpeg-ls"),),
        radiograph_setup=SMALL_FILM,
        mr_setup=SMALL_MR,
    )


@pytest.fixture(scope="module")
def written(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    root = tmp_path_factory.mktemp("phantom")
    truth = write_study(_study(transfer_syntax="jpeg2000"), root)
    return root, truth


def test_dx_header_has_spacing_magnification_view_and_trial_attributes(
    written: tuple[Path, dict[str, Any]],
) -> None:
    root, truth = written
    ds = pydicom.dcmread(root / "DLBP-901/month_6/DX_lateral_neutral.dcm")
    assert ds.SOPClassUID == DigitalXRayImageStorageForPresentation
    assert ds.file_meta.TransferSyntaxUID == JPEG2000Lossless
    assert ds.Modality == "DX" and ds.PresentationIntentType == "FOR PRESENTATION"
    assert [float(v) for v in ds.ImagerPixelSpacing] == [0.7, 0.7]
    assert float(ds.EstimatedRadiographicMagnificationFactor) == pytest.approx(1.15)
    assert "PixelSpacing" not in ds
    assert ds.BitsStored == 14 and ds.HighBit == 13
    assert ds.ViewPosition == "LL" and ds.BodyPartExamined == "LSPINE"
    assert ds.SeriesDescription == "LSPINE LAT NEUTRAL" and ds.ImageComments == "film: neutral"
    assert ds.ClinicalTrialProtocolID == "ChiCTR2200058291"
    assert ds.ClinicalTrialSubjectID == "DLBP-901" and ds.PatientID == "DLBP-901"
    assert ds.ClinicalTrialTimePointID == "M06"
    assert ds.ClinicalTrialTimePointDescription == "Month 6"
    assert ds.StudyDate == "20250714"
    assert ds.StudyInstanceUID == truth["study_instance_uid"]
    # The calibration the project's own reader derives is the one the ground truth states.
    calibration = Calibration.from_dataset(ds)
    image = truth["images"][0]
    assert calibration.source is CalibrationSource.MAGNIFICATION_CORRECTED
    assert image["calibration"]["source"] == "magnification-corrected"
    assert list(calibration.pixel_spacing or ()) == pytest.approx(
        image["calibration"]["pixel_spacing_mm"], rel=1e-9
    )


def test_every_syntax_round_trips_the_rendered_pixels(
    written: tuple[Path, dict[str, Any]], tmp_path: Path
) -> None:
    films, series = render_study(_study())
    root, _ = written
    neutral = pydicom.dcmread(root / "DLBP-901/month_6/DX_lateral_neutral.dcm")
    flexion = pydicom.dcmread(root / "DLBP-901/month_6/DX_lateral_flexion.dcm")
    assert flexion.file_meta.TransferSyntaxUID == RLELossless
    assert np.array_equal(neutral.pixel_array, films[Film.NEUTRAL].pixels)
    assert np.array_equal(flexion.pixel_array, films[Film.FLEXION].pixels)
    slices = sorted((root / "DLBP-901/month_6/MR_sag_T2").glob("IM*.dcm"))
    assert len(slices) == SMALL_MR.slices
    volume = np.stack([pydicom.dcmread(p).pixel_array for p in slices])
    assert pydicom.dcmread(slices[0]).file_meta.TransferSyntaxUID == JPEGLSLossless
    assert np.array_equal(volume, series["T2"].volume)
    for syntax, uid in (("implicit", ImplicitVRLittleEndian), ("jpeg-ls", JPEGLSLossless)):
        write_study(_study(transfer_syntax=syntax), tmp_path / syntax)
        ds = pydicom.dcmread(tmp_path / syntax / "DLBP-901/month_6/DX_lateral_neutral.dcm")
        assert ds.file_meta.TransferSyntaxUID == uid
        assert np.array_equal(ds.pixel_array, films[Film.NEUTRAL].pixels)


def test_monochrome1_stores_inverted_values_and_window(tmp_path: Path) -> None:
    films, _ = render_study(_study())
    write_study(_study(photometric="MONOCHROME1"), tmp_path)
    ds = pydicom.dcmread(tmp_path / "DLBP-901/month_6/DX_lateral_neutral.dcm")
    top = 2**14 - 1
    assert ds.PhotometricInterpretation == "MONOCHROME1"
    assert ds.PresentationLUTShape == "INVERSE"
    assert np.array_equal(ds.pixel_array, top - films[Film.NEUTRAL].pixels.astype(np.int32))
    assert float(ds.WindowCenter) == top - films[Film.NEUTRAL].window_center


def test_film_without_spacing_is_uncalibrated_and_its_truth_has_no_millimetres(
    tmp_path: Path,
) -> None:
    study = _study(spacing="none")
    films = (*study.films, FilmOptions(Film.EXTENSION, "jpeg-ls"))
    truth = write_study(StudySpec(study.context, study.phantom, films, (), SMALL_FILM), tmp_path)
    ds = pydicom.dcmread(tmp_path / "DLBP-901/month_6/DX_lateral_neutral.dcm")
    for keyword in (
        "PixelSpacing",
        "ImagerPixelSpacing",
        "EstimatedRadiographicMagnificationFactor",
    ):
        assert keyword not in ds
    assert Calibration.from_dataset(ds).source is CalibrationSource.NONE
    image = truth["images"][0]
    assert image["calibration"] == {"source": "none", "pixel_spacing_mm": None}
    level = image["levels"]["L4-L5"]
    assert level["disc_height_mean_mm"] is None and level["translation_mm"] is None
    assert level["segmental_angle_deg"] == pytest.approx(11.0)
    assert image["corners"]["L4"]["anterior_superior"]["row_mm"] is None
    # The neutral film's heights are unknown in mm, but the dynamic films are calibrated.
    assert truth["rom"]["L4-L5"]["translation_rom_mm"] == pytest.approx(1.4)
    assert truth["expected"]["height_loss_pct"] == pytest.approx(-4.7619047619)


def test_mr_series_geometry_is_sagittal_and_consistent(
    written: tuple[Path, dict[str, Any]],
) -> None:
    root, truth = written
    slices = [pydicom.dcmread(p) for p in sorted((root / "DLBP-901/month_6/MR_sag_T2").glob("*"))]
    first = slices[0]
    assert first.SOPClassUID == MRImageStorage and first.Modality == "MR"
    assert [float(v) for v in first.ImageOrientationPatient] == [0, 1, 0, 0, 0, -1]
    assert [float(v) for v in first.PixelSpacing] == [1.4, 1.4]
    assert float(first.SliceThickness) == 3.5 and float(first.SpacingBetweenSlices) == 4.0
    assert float(first.EchoTime) > 80 and float(first.RepetitionTime) > 2000  # T2-weighted
    positions = np.array([[float(v) for v in ds.ImagePositionPatient] for ds in slices])
    assert (
        np.allclose(np.diff(positions[:, 0]), 4.0) and np.ptp(positions[:, 1:], axis=0).max() == 0
    )
    assert len({ds.SeriesInstanceUID for ds in slices}) == 1
    assert len({ds.SOPInstanceUID for ds in slices}) == len(slices)
    assert [ds.InstanceNumber for ds in slices] == list(range(1, len(slices) + 1))
    mr = next(i for i in truth["images"] if i["modality"] == "MR")
    assert mr["slices"] == 5 and mr["mid_sagittal_slice_index"] == 2
    assert mr["series_instance_uid"] == first.SeriesInstanceUID
    assert float(slices[2].ImagePositionPatient[0]) == 0.0


def test_uids_and_truth_are_deterministic(
    written: tuple[Path, dict[str, Any]], tmp_path: Path
) -> None:
    root, truth = written
    again = write_study(_study(transfer_syntax="jpeg2000"), tmp_path)
    assert again == truth
    on_disk = json.loads((root / "DLBP-901/month_6/ground_truth.json").read_text())
    assert on_disk == truth
    uids = [i.get("sop_instance_uid") for i in truth["images"] if i["modality"] == "DX"]
    assert len(set(uids)) == len(uids)


def test_no_time_point_leaves_the_clinical_trial_study_attributes_out(tmp_path: Path) -> None:
    study = _study()
    context = TrialContext(
        subject_id="DLBP-901",
        visit="month_6",
        study_date=datetime.date(2025, 7, 21),
        seed=99,
        time_point_id=None,
        time_point_description=None,
    )
    truth = write_study(
        StudySpec(context, study.phantom, study.films[:1], (), SMALL_FILM), tmp_path
    )
    ds = pydicom.dcmread(tmp_path / "DLBP-901/month_6/DX_lateral_neutral.dcm")
    assert "ClinicalTrialTimePointID" not in ds and "ClinicalTrialTimePointDescription" not in ds
    assert ds.ClinicalTrialSubjectID == "DLBP-901" and ds.StudyDate == "20250721"
    assert truth["time_point_id"] is None and truth["visit"] == "month_6"
    with pytest.raises(ValueError, match="subject_id must be 1-64 printable"):
        TrialContext("x" * 65, "baseline", datetime.date(2025, 1, 13), 1)
