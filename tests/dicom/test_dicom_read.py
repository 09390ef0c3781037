"""Safe reading: every kind of bad input raises its own error naming the file and the fix."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import numpy as np
import pydicom
import pytest
from dicom_helpers import bundled, dx_dataset, write

from imaging.dicom import read_dataset, read_header
from imaging.dicom.limits import MAX_IMAGE_SAMPLES
from imaging.errors import (
    DicomReadError,
    FileAccessError,
    ImageTooLargeError,
    MissingPixelDataError,
    NotDicomError,
    TruncatedFileError,
)


def cut(source: Path, target: Path, keep: int) -> Path:
    """Copy the first ``keep`` bytes of ``source`` (a negative ``keep`` drops bytes at the end)."""
    data = source.read_bytes()
    target.write_bytes(data[:keep])
    return target


def test_header_stops_before_pixels_and_dataset_has_them() -> None:
    path = bundled("CT_small.dcm")
    header = read_header(path)
    assert "PixelData" not in header
    assert header.Rows == 128
    dataset = read_dataset(path)
    np.testing.assert_array_equal(dataset.pixel_array, pydicom.dcmread(path).pixel_array)


def test_text_file_is_not_dicom(tmp_path: Path) -> None:
    path = tmp_path / "notes.txt"
    path.write_text("Subject 007, visit 3: films arrive Monday.\n" * 10)
    with pytest.raises(NotDicomError, match=r"notes.txt: not a DICOM file") as caught:
        read_header(path)
    assert caught.value.fix


def test_random_bytes_and_empty_file_are_not_dicom(tmp_path: Path) -> None:
    noise = tmp_path / "noise.bin"
    noise.write_bytes(np.random.default_rng(1).integers(0, 256, 4000, dtype=np.uint8).tobytes())
    with pytest.raises(NotDicomError, match=r"noise.bin"):
        read_dataset(noise)
    empty = tmp_path / "empty.dcm"
    empty.write_bytes(b"")
    with pytest.raises(NotDicomError, match=r"empty.dcm: the file is empty"):
        read_header(empty)


def test_file_without_preamble_but_with_a_data_set_is_read() -> None:
    dataset = read_dataset(bundled("OT-PAL-8-face.dcm"))  # no 'DICM' prefix, valid data set
    assert (dataset.Rows, dataset.Columns) == (480, 640)


def test_truncated_pixel_data(tmp_path: Path) -> None:
    path = cut(bundled("MR_small.dcm"), tmp_path / "mr_cut.dcm", 4000)
    with pytest.raises(TruncatedFileError, match=r"mr_cut.dcm: the file is truncated.*8,192"):
        read_dataset(path)
    with pytest.raises(TruncatedFileError):  # the header read checks the pixel element too
        read_header(path)


def test_truncated_inside_the_header(tmp_path: Path) -> None:
    path = cut(bundled("MR_small.dcm"), tmp_path / "mr_head.dcm", 1002)
    with pytest.raises(TruncatedFileError, match=r"mr_head.dcm: .*\(0018,5100\)"):
        read_header(path)


def test_truncated_compressed_pixel_data(tmp_path: Path) -> None:
    source = bundled("JPEG2000.dcm")
    path = cut(source, tmp_path / "j2k_cut.dcm", source.stat().st_size - 200)
    with pytest.raises(TruncatedFileError, match=r"j2k_cut.dcm: the file is truncated"):
        read_dataset(path)


def test_bundled_truncated_file() -> None:
    with pytest.raises(TruncatedFileError, match=r"MR_truncated.dcm"):
        read_dataset(bundled("MR_truncated.dcm"))


def test_data_set_without_pixel_data(tmp_path: Path) -> None:
    dataset = dx_dataset()
    del dataset.PixelData
    path = write(dataset, tmp_path / "no_pixels.dcm")
    assert read_header(path).Rows == 20  # a header is a header
    with pytest.raises(MissingPixelDataError, match=r"no_pixels.dcm: no \(7FE0,0010\) Pixel"):
        read_dataset(path)
    with pytest.raises(MissingPixelDataError, match=r"RT Plan Storage object, not an image"):
        read_dataset(bundled("rtplan.dcm"))


def test_absurd_dimensions_are_refused_before_reading_pixels(tmp_path: Path) -> None:
    dataset = dx_dataset()
    dataset.Rows = dataset.Columns = 65535
    dataset.NumberOfFrames = 1000  # 4.3e12 samples claimed, 1,200 bytes present
    path = write(dataset, tmp_path / "huge.dcm")
    with pytest.raises(ImageTooLargeError, match=r"huge.dcm: the header declares 65535 rows") as e:
        read_dataset(path)
    assert f"{MAX_IMAGE_SAMPLES:,}" in str(e.value)


def test_missing_file_and_folder_given_as_file(tmp_path: Path) -> None:
    with pytest.raises(FileAccessError, match=r"absent.dcm: no such file"):
        read_header(tmp_path / "absent.dcm")
    with pytest.raises(FileAccessError, match=r"is a folder, not a file"):
        read_dataset(tmp_path)


@pytest.mark.skipif(
    not hasattr(os, "geteuid") or os.geteuid() == 0,
    reason="root reads any file whatever its permissions; folder-as-file is tested instead",
)
def test_unreadable_permissions(tmp_path: Path) -> None:
    path = tmp_path / "locked.dcm"
    shutil.copy(bundled("CT_small.dcm"), path)
    path.chmod(0)
    try:
        with pytest.raises(FileAccessError, match=r"locked.dcm: permission denied"):
            read_header(path)
    finally:
        path.chmod(0o600)


def test_every_read_error_shares_the_base_class(tmp_path: Path) -> None:
    path = tmp_path / "x.txt"
    path.write_text("not dicom")
    with pytest.raises(DicomReadError):
        read_dataset(path)
