"""Deflated Explicit VR Little Endian files: read as before, and a deflate bomb (a small file
inflating to hundreds of MiB) refused while inflating by every path that opens DICOM: ``scan``,
``register``, ``batch``, the loaders and the napari reader. The run goes on with the other files.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pydicom
import pytest
from dicom_helpers import (
    BOMB_ELEMENT,
    SAMPLES,
    bundled,
    dx_dataset,
    sample_study_archive,
    write,
    write_deflate_bomb,
)
from napari_spine_endpoints._reader import collect, load_films
from pydicom.uid import DeflatedExplicitVRLittleEndian, generate_uid

from imaging.cli import main
from imaging.dicom import limits, load_radiograph, read_header, scan_file
from imaging.dicom.scan_records import ScanStatus
from imaging.dicom.sniff import is_image_file
from imaging.errors import ImageTooLargeError, MalformedDicomError, TruncatedFileError

STUDY = SAMPLES / "DLBP-003" / "baseline"
BOMB_ZEROS = 300 * 1024**2  # above limits.MAX_INFLATED_BYTES (256 MiB); ~0.3 MB on disk
REFUSAL = (
    "inflates to more than 268,435,456 bytes (256 MiB, imaging.dicom.limits.MAX_INFLATED_BYTES)"
)
needs_samples = pytest.mark.skipif(not STUDY.is_dir(), reason="sample_dicom/ is not generated")


def _sample_bomb(target: Path) -> Path:
    """The DLBP-003 baseline neutral film, another instance, deflated with 300 MiB of zeros."""
    dataset = pydicom.dcmread(STUDY / "DX_lateral_neutral.dcm")
    dataset.SOPInstanceUID = dataset.file_meta.MediaStorageSOPInstanceUID = generate_uid()
    return write_deflate_bomb(dataset, target, BOMB_ZEROS)


def _files_outside(root: Path, out: Path) -> dict[str, tuple[int, int]]:
    """Every file under ``root`` but not under ``out``: (size, mtime in ns) by relative path."""
    return {
        str(path.relative_to(root)): (path.stat().st_size, path.stat().st_mtime_ns)
        for path in root.rglob("*")
        if path.is_file() and out not in path.parents
    }


def test_a_deflated_file_reads_as_pydicom_reads_it() -> None:
    path = bundled("image_dfl.dcm")  # pydicom's deflated 512 x 512 8-bit image

    record = scan_file(path)
    film = load_radiograph(path)

    assert record.transfer_syntax == "Deflated Explicit VR Little Endian"
    assert (record.rows, record.cols) == (512, 512)
    np.testing.assert_array_equal(film.pixels, pydicom.dcmread(path).pixel_array)
    assert read_header(path).file_meta.TransferSyntaxUID == DeflatedExplicitVRLittleEndian


def test_a_deflated_file_within_the_limit_is_read_whole(tmp_path: Path) -> None:
    pixels = np.arange(20 * 30, dtype=np.uint16).reshape(20, 30)
    path = write_deflate_bomb(dx_dataset(pixels), tmp_path / "small.dcm", 3 * 1024**2)

    film = load_radiograph(path)

    np.testing.assert_array_equal(film.pixels, pixels)
    assert len(read_header(path)[BOMB_ELEMENT].value) == 3 * 1024**2


def test_the_limit_is_read_when_checked(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = write_deflate_bomb(dx_dataset(), tmp_path / "three_mib.dcm", 3 * 1024**2)
    monkeypatch.setattr(limits, "MAX_INFLATED_BYTES", 2 * 1024**2)

    with pytest.raises(ImageTooLargeError, match="more than 2,097,152 bytes") as refused:
        load_radiograph(path)

    assert str(refused.value).startswith(f"{path}: the deflated data set inflates")
    assert "raise imaging.dicom.limits.MAX_INFLATED_BYTES" in str(refused.value)


def test_a_deflate_stream_cut_short_is_truncated(tmp_path: Path) -> None:
    dataset = dx_dataset()
    dataset.file_meta.TransferSyntaxUID = DeflatedExplicitVRLittleEndian
    data = write(dataset, tmp_path / "deflated.dcm").read_bytes()
    cut = tmp_path / "cut.dcm"
    cut.write_bytes(data[: len(data) - 200])

    with pytest.raises(TruncatedFileError, match="the deflated data set ends early") as refused:
        read_header(cut)

    assert str(refused.value).startswith(str(cut))
    assert scan_file(cut).status is ScanStatus.TRUNCATED


def test_bytes_that_are_not_deflate_data_are_malformed(tmp_path: Path) -> None:
    dataset = dx_dataset()
    dataset.file_meta.TransferSyntaxUID = DeflatedExplicitVRLittleEndian
    path = write(dataset, tmp_path / "deflated.dcm")
    data = bytearray(path.read_bytes())
    body = 132 + 12 + pydicom.dcmread(path).file_meta.FileMetaInformationGroupLength
    data[body] = 0xFF  # a final block of the reserved type 3 (RFC 1951 3.2.3)
    path.write_bytes(bytes(data))

    with pytest.raises(MalformedDicomError, match="cannot be inflated") as refused:
        read_header(path)

    assert str(refused.value).startswith(str(path))
    assert "not deflated as its (0002,0010) Transfer Syntax UID says" in str(refused.value)


def test_scan_lists_the_bomb_as_too_large_and_goes_on(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "study"
    bomb = write_deflate_bomb(dx_dataset(), folder / "bomb.dcm", BOMB_ZEROS)
    good = write(dx_dataset(ImagerPixelSpacing=[0.14, 0.14]), folder / "good.dcm")

    assert bomb.stat().st_size < 400_000
    assert main(["scan", str(folder), "--json"]) == 0  # an index: unusable files are listed
    records = {Path(r["path"]).name: r for r in json.loads(capsys.readouterr().out)}

    assert records["bomb.dcm"]["status"] == "too-large"
    assert REFUSAL in records["bomb.dcm"]["reason"]
    assert "raise imaging.dicom.limits.MAX_INFLATED_BYTES" in records["bomb.dcm"]["fix"]
    assert records[good.name]["status"] == "ok"


def test_the_sniffer_and_the_napari_reader_refuse_the_bomb(tmp_path: Path) -> None:
    bomb = write_deflate_bomb(dx_dataset(), tmp_path / "bomb.dcm", BOMB_ZEROS)
    good = write(dx_dataset(ImagerPixelSpacing=[0.14, 0.14]), tmp_path / "good.dcm")

    assert is_image_file(bomb)  # DICOM, damaged (no tags read): the loader says what is wrong
    contents = collect([good, bomb])
    films = load_films(contents)

    [problem] = contents.problems
    assert isinstance(problem, ImageTooLargeError)
    assert str(problem).startswith(f"{bomb}: the deflated data set {REFUSAL}")
    assert len(films) == 1


@needs_samples
def test_register_leaves_the_bomb_out_and_registers_the_rest(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    archive = sample_study_archive(tmp_path / "archive")
    bomb = _sample_bomb(archive / "DLBP-003" / "baseline" / "DX_lateral_bomb.dcm")

    status = main(["register", str(archive), "--store", f"sqlite:///{tmp_path / 'reads.db'}"])
    out = capsys.readouterr().out

    assert status == 1
    assert f"left out: {bomb}: too-large: the deflated data set {REFUSAL}" in out
    assert "25 image(s) registered" in out and "1 DICOM file(s) left out" in out


@needs_samples
def test_batch_fails_the_bomb_only_and_writes_only_in_its_out_folder(tmp_path: Path) -> None:
    archive = sample_study_archive(tmp_path / "archive")
    _sample_bomb(archive / "DLBP-003" / "baseline" / "DX_lateral_bomb.dcm")
    out = tmp_path / "out"
    before = _files_outside(tmp_path, out)

    status = main(["batch", str(archive), "--out", str(out)])

    assert status == 1
    failures = pd.read_csv(out / "failures.csv", dtype=str, keep_default_na=False)
    assert failures["file"].tolist() == ["DLBP-003/baseline/DX_lateral_bomb.dcm"]
    [reason] = failures["reason"].tolist()
    assert reason.startswith(f"too-large: the deflated data set {REFUSAL} from ")
    endpoints = pd.read_csv(out / "endpoints.csv", dtype=str, keep_default_na=False)
    assert set(endpoints["film"]) >= {"neutral", "flexion-extension"}
    assert _files_outside(tmp_path, out) == before
