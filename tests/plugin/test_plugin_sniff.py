"""Content sniffing: DICOM with and without preamble and extension; everything else is not ours."""

from __future__ import annotations

import shutil
from pathlib import Path

import pydicom
from napari_spine_endpoints._sniff import MAX_FILES_TO_SNIFF, is_dicom_file, is_ours
from pydicom.data import get_testdata_file


def _testdata(name: str) -> Path:
    path = get_testdata_file(name)
    assert path is not None, name
    return Path(str(path))


def test_preamble_file_without_extension(tmp_path: Path) -> None:
    target = tmp_path / "IM000001"
    shutil.copy(_testdata("CT_small.dcm"), target)
    assert is_dicom_file(target)
    assert is_ours(target)


def test_raw_data_set_without_preamble(tmp_path: Path) -> None:
    dataset = pydicom.dcmread(_testdata("MR_small.dcm"))
    dataset.preamble = None
    del dataset.file_meta
    target = tmp_path / "IMG0001"
    dataset.save_as(target, implicit_vr=True, little_endian=True, enforce_file_format=False)
    assert target.read_bytes()[128:132] != b"DICM"
    assert is_ours(target)
    plan = _testdata("ExplVR_LitEndNoMeta.dcm")  # preamble-less too, but an RT plan, no image
    assert is_dicom_file(plan) and not is_ours(plan)


def test_not_ours(tmp_path: Path) -> None:
    text = tmp_path / "notes"
    text.write_text("radiologist notes\n" * 20)
    zero = tmp_path / "empty.dcm"
    zero.write_bytes(b"")
    fake = tmp_path / "fake.dcm"
    fake.write_bytes(b"\x08\x00\x05\x00" + b"\xff" * 300)  # a group 0008 start, then garbage
    for path in (text, zero, fake, tmp_path / "missing.dcm", tmp_path):
        assert not is_ours(path), path
    assert not is_ours("")


def test_folder_with_dicom_deep_inside(tmp_path: Path) -> None:
    study = tmp_path / "DLBP-009" / "baseline" / "MR_sag_T2"
    study.mkdir(parents=True)
    (tmp_path / "README.md").write_text("not an image")
    shutil.copy(_testdata("MR_small.dcm"), study / "1")
    assert is_ours(tmp_path)


def test_huge_folder_without_dicom_is_answered_quickly(tmp_path: Path) -> None:
    for index in range(MAX_FILES_TO_SNIFF + 5):
        (tmp_path / f"f{index:04d}").write_bytes(b"x")
    shutil.copy(_testdata("CT_small.dcm"), tmp_path / "zzzz")  # sorted last: beyond the limit
    assert not is_ours(tmp_path)
