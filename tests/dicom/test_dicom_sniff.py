"""Non-DICOM files are refused from their first bytes, and no header length allocates past EOF.

pydicom's ``force=True`` takes any four bytes for an element length: on a CSV that was a read of
~700 MB (tracemalloc), on random bytes several GB. These tests hold the readers to a small peak.
"""

from __future__ import annotations

import copy
import struct
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from dicom_helpers import bundled

from imaging.dicom import ScanStatus, read_dataset, read_header, scan_file
from imaging.dicom.sniff import looks_like_data_set
from imaging.errors import NotDicomError, TruncatedFileError

PEAK_LIMIT = 20 * 1024**2
"""Bytes Python may allocate while rejecting a file (the files below are 5-6 MB)."""


def peak_bytes(call: Callable[[], Any]) -> tuple[Any, int]:
    """``call()``'s result (or the exception it raised) and the peak of traced allocations."""
    tracemalloc.start()
    try:
        outcome: Any = call()
    except Exception as error:
        outcome = error
    finally:
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    return outcome, peak


@pytest.fixture(scope="module")
def csv_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("sniff") / "landmarks.csv"
    row = (
        "DLBP-001,baseline,neutral,DLBP-001/baseline/neutral.dcm,L1,anterior_superior,81.5,140.1\n"
    )
    path.write_text("subject,visit,film,image,vertebra,corner,row,col\n" + row * 60_000)
    return path


@pytest.fixture(scope="module")
def noise_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("sniff") / "noise.bin"
    noise = np.random.default_rng(0).integers(0, 256, 5_000_000, dtype=np.uint8)
    path.write_bytes(noise.tobytes())
    return path


@pytest.mark.parametrize("reader", [read_header, read_dataset])
@pytest.mark.parametrize("name", ["csv_file", "noise_file"])
def test_large_non_dicom_files_are_refused_with_bounded_memory(
    name: str, reader: Callable[[Path], Any], request: pytest.FixtureRequest
) -> None:
    path: Path = request.getfixturevalue(name)
    assert path.stat().st_size > 4_000_000

    outcome, peak = peak_bytes(lambda: reader(path))

    assert isinstance(outcome, NotDicomError)
    assert str(outcome).startswith(f"{path}: not a DICOM file")
    assert peak < PEAK_LIMIT


@pytest.mark.parametrize("name", ["csv_file", "noise_file"])
def test_scan_records_large_non_dicom_files_with_bounded_memory(
    name: str, request: pytest.FixtureRequest
) -> None:
    path: Path = request.getfixturevalue(name)

    record, peak = peak_bytes(lambda: scan_file(path))

    assert record.status is ScanStatus.NOT_DICOM
    assert peak < PEAK_LIMIT


def test_a_damaged_length_in_a_real_header_is_a_truncation_not_a_4_gib_read(
    tmp_path: Path,
) -> None:
    data = bytearray(bundled("CT_small.dcm").read_bytes())
    sequence = data.find(b"SQ\0\0", 400)  # the first sequence after the file meta
    assert sequence > 0
    data[sequence + 4 : sequence + 8] = struct.pack("<L", 0xFFFFFFF0)
    path = tmp_path / "damaged.dcm"
    path.write_bytes(bytes(data))

    outcome, peak = peak_bytes(lambda: read_header(path))
    record, scan_peak = peak_bytes(lambda: scan_file(path))

    assert isinstance(outcome, TruncatedFileError)
    assert "declares 4294967280 bytes" in str(outcome)
    assert record.status is ScanStatus.TRUNCATED
    assert max(peak, scan_peak) < PEAK_LIMIT


@pytest.mark.parametrize(
    ("name", "rows", "modality"),
    [
        ("OT-PAL-8-face.dcm", 480, "OT"),  # implicit VR little endian, starts (0008,0000)
        ("ExplVR_LitEndNoMeta.dcm", None, "RTPLAN"),  # explicit VR little endian, no meta
        ("ExplVR_BigEndNoMeta.dcm", None, "RTPLAN"),  # explicit VR big endian, no meta
    ],
)
def test_preamble_less_data_sets_still_read(name: str, rows: int | None, modality: str) -> None:
    header = read_header(bundled(name))

    assert header.get("Rows") == rows
    assert header.Modality == modality


def test_what_counts_as_the_start_of_a_data_set() -> None:
    size = 10_000
    # (0008,0005) CS, length 10: explicit VR little endian, then big endian.
    assert looks_like_data_set(b"\x08\x00\x05\x00CS\x0a\x00", size)
    assert looks_like_data_set(b"\x00\x08\x00\x05CS\x00\x0a", size)
    # (0008,0000) implicit VR little endian, length 4.
    assert looks_like_data_set(b"\x08\x00\x00\x00\x04\x00\x00\x00", size)
    # (0008,1140) SQ of undefined length.
    assert looks_like_data_set(b"\x08\x00\x40\x11SQ\0\0\xff\xff\xff\xff", size)
    # Text, an implicit length beyond the file, a long VR without its reserved bytes, a group
    # no data set starts with, and too few bytes.
    assert not looks_like_data_set(b"subject,visit,film", size)
    assert not looks_like_data_set(b"\x08\x00\x00\x00\x00\x00\x01\x00", size)
    assert not looks_like_data_set(b"\x08\x00\x10\x00OB\x01\x00\x00\x00\x00\x00", size)
    assert not looks_like_data_set(b"\x30\x00\x00\x00\x04\x00\x00\x00", size)
    assert not looks_like_data_set(b"\x08\x00\x05\x00", size)


def test_data_sets_read_through_the_bounded_reader_deep_copy_cleanly() -> None:
    dataset = read_dataset(bundled("CT_small.dcm"))  # warnings are errors in this suite

    copied = copy.deepcopy(dataset)

    assert copied.Rows == dataset.Rows == 128
    assert dataset.filename == str(bundled("CT_small.dcm"))
