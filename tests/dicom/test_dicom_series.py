"""load_series: one volume per series, (slice, row, col), geometry from positions."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pydicom
import pytest
from dicom_helpers import bundled, dicomdirtests, mr_slice, write
from pydicom.dataset import Dataset
from pydicom.pixels import apply_modality_lut as pydicom_modality_lut
from pydicom.sequence import Sequence
from pydicom.uid import EnhancedMRImageStorage

from imaging.calibration import CalibrationSource
from imaging.dicom import load_series, load_series_file
from imaging.dicom import series as series_module
from imaging.errors import SeriesError

SAGITTAL = (0, 1, 0, 0, 0, -1)  # along a row: +y (posterior); down a column: -z (feet)


def test_ct_series_sorted_along_the_normal_with_spacing_from_positions() -> None:
    folder = dicomdirtests() / "98892001" / "CT5N"
    (series,) = load_series(folder)
    assert series.shape == (5, 16, 16)
    assert series.orientation == "axial"
    assert series.spacing == pytest.approx((2.5, 0.488281, 0.488281))
    assert series.origin == pytest.approx((-72.199997, -143.0, -1.2375))
    assert series.slice_spacing_detail == "from 5 slice positions along the normal"
    assert series.calibration.source is CalibrationSource.PATIENT
    z = [float(pydicom.dcmread(p).ImagePositionPatient[2]) for p in series.paths]
    assert z == sorted(z)
    for index, path in enumerate(series.paths):
        dataset = pydicom.dcmread(path)
        expected = pydicom_modality_lut(dataset.pixel_array, dataset)
        np.testing.assert_array_equal(series.volume[index], expected)
    np.testing.assert_allclose(series.index_to_patient((4, 0, 0)), (-72.199997, -143.0, 8.7625))


def test_folder_with_two_series_gives_both(tmp_path: Path) -> None:
    for path in (dicomdirtests() / "98892001" / "CT5N").iterdir():
        shutil.copy(path, tmp_path / f"ct_{path.name}")
    shutil.copy(dicomdirtests() / "98892003" / "MR1" / "4919", tmp_path / "mr_4919")
    (tmp_path / "notes.txt").write_text("not an image")  # passed over, as scan lists it
    found = load_series(tmp_path)
    assert sorted((s.modality, s.shape[0]) for s in found) == [("CT", 5), ("MR", 1)]
    assert len({s.series_instance_uid for s in found}) == 2
    (mr,) = [s for s in found if s.modality == "MR"]
    assert mr.orientation == "sagittal"
    assert mr.spacing[0] == 10.0  # one slice: its thickness, and it says so
    assert "Slice Thickness" in mr.slice_spacing_detail
    only = load_series(tmp_path, series_instance_uid=mr.series_instance_uid)
    assert [s.modality for s in only] == ["MR"]
    with pytest.raises(SeriesError, match=r"no series 1.2.3 here"):
        load_series(tmp_path, series_instance_uid="1.2.3")


def test_localizer_with_mixed_orientations_is_rejected() -> None:
    folder = dicomdirtests() / "98892003" / "MR2"
    with pytest.raises(SeriesError) as caught:
        load_series(folder)
    message = str(caught.value)
    assert message.startswith(str(folder))
    assert "mixes 3 slice orientations" in message
    assert "coronal" in message and "axial" in message and "sagittal" in message


def test_uneven_gaps_are_rejected() -> None:
    with pytest.raises(SeriesError, match=r"uneven slice gaps: 202.500 mm .*slices missing"):
        load_series(dicomdirtests() / "77654033" / "CT2")


def test_synthetic_sagittal_series_geometry(tmp_path: Path) -> None:
    # Written out of order; x positions 4 mm apart. With rows along +y (anterior to posterior)
    # and columns along -z (feet-ward), the normal row x column is -x: slices run left to right.
    for number, x in enumerate((8.0, 0.0, 12.0, 4.0)):
        write(mr_slice((x, -50.0, 40.0), value=int(x) * 100), tmp_path / f"slice{number}.dcm")
    (series,) = load_series(tmp_path)
    assert series.orientation == "sagittal"
    assert series.spacing == pytest.approx((4.0, 0.5, 0.6))
    assert series.origin == pytest.approx((12.0, -50.0, 40.0))
    np.testing.assert_allclose(series.direction, [[-1, 0, 0], [0, 0, -1], [0, 1, 0]])
    assert [int(series.volume[k, 0, 0]) for k in range(4)] == [1200, 800, 400, 0]
    assert int(series.volume[1, 2, 3]) == 800 + 23  # (slice, row, col)
    # slice 1 is x = 8; row 2 is 1.0 mm feet-ward (-z), column 3 is 1.8 mm along +y
    np.testing.assert_allclose(series.index_to_patient((1, 2, 3)), (8.0, -48.2, 39.0))
    assert series.series_description == "T2 SAG"
    assert series.series_number == 3


def test_duplicate_positions_are_rejected(tmp_path: Path) -> None:
    write(mr_slice((0, 0, 0), EchoNumbers=1), tmp_path / "echo1.dcm")
    write(mr_slice((0, 0, 0), EchoNumbers=2), tmp_path / "echo2.dcm")
    with pytest.raises(SeriesError, match=r"same position .*echo1.dcm and echo2.dcm"):
        load_series(tmp_path)


def test_different_sizes_are_rejected(tmp_path: Path) -> None:
    write(mr_slice((0, 0, 0)), tmp_path / "a.dcm")
    other = mr_slice((4, 0, 0))
    other.Rows, other.Columns = 10, 8
    write(other, tmp_path / "b.dcm")
    with pytest.raises(SeriesError, match=r"mixes image sizes 8x10, 10x8"):
        load_series(tmp_path)


def test_folder_without_cross_sectional_images(tmp_path: Path) -> None:
    shutil.copy(bundled("RG3_UNCR.dcm"), tmp_path / "film.dcm")
    with pytest.raises(SeriesError, match=r"holds no MR, CT or PT images"):
        load_series(tmp_path)


def _enhanced(positions: list[float]) -> Dataset:
    frames = len(positions)
    dataset = mr_slice((0, 0, 0))
    dataset.SOPClassUID = dataset.file_meta.MediaStorageSOPClassUID = EnhancedMRImageStorage
    for keyword in ("ImagePositionPatient", "ImageOrientationPatient", "PixelSpacing"):
        delattr(dataset, keyword)
    dataset.NumberOfFrames = frames
    dataset.PixelData = np.concatenate(
        [(k * 1000 + np.arange(80)).astype(np.uint16) for k in range(frames)]
    ).tobytes()
    orientation, measures, shared = Dataset(), Dataset(), Dataset()
    orientation.ImageOrientationPatient = list(SAGITTAL)
    measures.PixelSpacing = [0.5, 0.6]
    measures.SliceThickness = 3.0
    shared.PlaneOrientationSequence = Sequence([orientation])
    shared.PixelMeasuresSequence = Sequence([measures])
    dataset.SharedFunctionalGroupsSequence = Sequence([shared])
    per_frame = []
    for x in positions:
        plane, transform, groups = Dataset(), Dataset(), Dataset()
        plane.ImagePositionPatient = [x, 0.0, 0.0]
        transform.RescaleSlope, transform.RescaleIntercept = 2, 1
        groups.PlanePositionSequence = Sequence([plane])
        groups.PixelValueTransformationSequence = Sequence([transform])
        per_frame.append(groups)
    dataset.PerFrameFunctionalGroupsSequence = Sequence(per_frame)
    return dataset


def test_enhanced_multi_frame_file(tmp_path: Path) -> None:
    path = write(_enhanced([6.0, 0.0, 3.0]), tmp_path / "enhanced.dcm")
    series = load_series_file(path)
    assert series.shape == (3, 8, 10)
    assert series.spacing == pytest.approx((3.0, 0.5, 0.6))
    assert series.calibration.pixel_spacing == (0.5, 0.6)
    # sorted along the normal (-x): frame 0 (x=6), frame 2 (x=3), frame 1 (x=0); rescaled 2v+1
    assert [int(series.volume[k, 0, 1]) for k in range(3)] == [3, 4003, 2003]
    assert series.origin == pytest.approx((6.0, 0.0, 0.0))
    (found,) = load_series(tmp_path)
    np.testing.assert_array_equal(found.volume, series.volume)


def test_multi_frame_without_functional_groups_is_explained() -> None:
    with pytest.raises(SeriesError, match=r"emri_small.dcm: .*per-frame functional groups"):
        load_series_file(bundled("emri_small.dcm"))


def test_single_file_series() -> None:
    series = load_series_file(bundled("MR_small.dcm"))
    assert series.shape == (1, 64, 64)
    assert series.spacing[1:] == (0.3125, 0.3125)
    assert series.modality == "MR"


def test_lazy_series_has_the_geometry_now_and_decodes_each_slice_once(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    folder = dicomdirtests() / "98892001" / "CT5N"
    (eager,) = load_series(folder)
    decoded: list[str] = []
    real_decode = series_module.decode_pixels

    def counting_decode(dataset: Dataset, name: str) -> np.ndarray:
        decoded.append(name)
        return real_decode(dataset, name)

    monkeypatch.setattr(series_module, "decode_pixels", counting_decode)
    (lazy,) = load_series(folder, lazy=True)
    assert not isinstance(lazy.volume, np.ndarray) and decoded == []  # headers only
    assert lazy.shape == eager.shape == (5, 16, 16)
    assert lazy.volume.dtype == eager.volume.dtype
    assert lazy.spacing == eager.spacing and lazy.paths == eager.paths
    np.testing.assert_array_equal(np.asarray(lazy.volume[2]), eager.volume[2])
    assert decoded == [str(eager.paths[2])]  # the slice asked for, no other
    np.testing.assert_array_equal(np.asarray(lazy.volume), eager.volume)
    np.testing.assert_array_equal(np.asarray(lazy.volume), eager.volume)
    assert sorted(decoded) == sorted(str(path) for path in eager.paths)  # each once
