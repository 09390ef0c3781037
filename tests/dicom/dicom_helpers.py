"""Test helpers: pydicom's bundled files by exact name; small synthetic images written to disk."""

from __future__ import annotations

import copy
import shutil
import struct
import tarfile
import zipfile
import zlib
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from pydicom.data import get_testdata_file
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.filebase import DicomBytesIO
from pydicom.filewriter import correct_ambiguous_vr, write_dataset, write_file_meta_info
from pydicom.uid import (
    UID,
    DeflatedExplicitVRLittleEndian,
    DigitalXRayImageStorageForPresentation,
    ExplicitVRLittleEndian,
    MRImageStorage,
    generate_uid,
)

SAMPLES = Path(__file__).resolve().parents[2] / "sample_dicom"
"""The bundled sample archive (3 subjects x 3 visits; see its README)."""


def bundled(name: str) -> Path:
    """A file bundled with pydicom or pydicom-data, by exact name (never downloads)."""
    found = get_testdata_file(name)
    assert found is not None, f"pydicom test file {name} is missing"
    return Path(str(found))


def dicomdirtests() -> Path:
    """pydicom's dicomdirtests tree (CR, CT and MR folders of 16 x 16 images)."""
    return bundled("CT_small.dcm").parent / "dicomdirtests"


def dx_dataset(
    pixels: np.ndarray | None = None,
    modality: str = "DX",
    sop_class: UID = DigitalXRayImageStorageForPresentation,
    **attributes: Any,
) -> Dataset:
    """A valid DX data set with uint16 ``pixels`` (default 20 x 30 ramp) and extra attributes."""
    if pixels is None:
        pixels = np.arange(20 * 30, dtype=np.uint16).reshape(20, 30)
    dataset = Dataset()
    dataset.file_meta = FileMetaDataset()
    dataset.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
    dataset.file_meta.MediaStorageSOPClassUID = sop_class
    dataset.SOPClassUID = sop_class
    dataset.SOPInstanceUID = generate_uid()
    dataset.file_meta.MediaStorageSOPInstanceUID = dataset.SOPInstanceUID
    dataset.StudyInstanceUID = generate_uid()
    dataset.SeriesInstanceUID = generate_uid()
    dataset.Modality = modality
    dataset.PatientID = "P001"
    dataset.StudyDate = "20240115"
    dataset.Rows, dataset.Columns = pixels.shape
    dataset.SamplesPerPixel = 1
    dataset.PhotometricInterpretation = "MONOCHROME2"
    dataset.BitsAllocated = 16
    dataset.BitsStored = 16
    dataset.HighBit = 15
    dataset.PixelRepresentation = 0
    dataset.PixelData = pixels.astype(np.uint16).tobytes()
    for keyword, value in attributes.items():
        setattr(dataset, keyword, value)
    return dataset


def mr_slice(
    position: Sequence[float],
    orientation: Sequence[float] = (0, 1, 0, 0, 0, -1),
    series_uid: str = "1.2.826.0.1.3680043.8.498.1",
    value: int = 0,
    **attributes: Any,
) -> Dataset:
    """One 8 x 10 MR slice (sagittal by default) at ``position``, pixel (r, c) = value + 10r + c."""
    pixels = (value + np.arange(80).reshape(8, 10)).astype(np.uint16)
    dataset = dx_dataset(pixels, modality="MR", sop_class=MRImageStorage)
    dataset.SeriesInstanceUID = series_uid
    dataset.SeriesNumber = 3
    dataset.SeriesDescription = "T2 SAG"
    dataset.ImagePositionPatient = [float(v) for v in position]
    dataset.ImageOrientationPatient = [float(v) for v in orientation]
    dataset.PixelSpacing = [0.5, 0.6]
    dataset.SliceThickness = 4.0
    for keyword, v in attributes.items():
        setattr(dataset, keyword, v)
    return dataset


def write(dataset: Dataset, path: Path, malformed: dict[str, str] | None = None) -> Path:
    """Save ``dataset``; ``malformed`` maps keywords to text stored as is (e.g. a non-numeric
    Pixel Spacing), the way a broken file holds it, which pydicom would not write itself."""
    replacements: dict[bytes, bytes] = {}
    for number, (keyword, text) in enumerate((malformed or {}).items(), start=1):
        placeholder = str(number) * len(text)  # a valid number of the same length
        setattr(dataset, keyword, placeholder)
        element = dataset[keyword]
        # matched with its explicit-VR little-endian header: digits elsewhere (UIDs) never match
        tag = struct.pack("<HH", element.tag.group, element.tag.element)
        header = tag + str(element.VR).encode() + struct.pack("<H", len(text) + len(text) % 2)
        replacements[header + placeholder.encode()] = header + text.encode()
    path.parent.mkdir(parents=True, exist_ok=True)
    dataset.save_as(path, enforce_file_format=True)
    if replacements:
        data = path.read_bytes()
        for old, new in replacements.items():
            assert data.count(old) == 1
            data = data.replace(old, new)
        path.write_bytes(data)
    return path


def archives_of(folder: Path, target: Path) -> tuple[Path, Path]:
    """``folder`` as ``target/<name>.zip`` (members relative to it, files only) and as
    ``target/<name>.tar.gz`` (members under ``<name>/``)."""
    zipped = target / f"{folder.name}.zip"
    with zipfile.ZipFile(zipped, "w") as archive:
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                archive.write(path, path.relative_to(folder).as_posix())
    tarred = target / f"{folder.name}.tar.gz"
    with tarfile.open(tarred, "w:gz") as archive:
        archive.add(folder, arcname=folder.name)
    return zipped, tarred


BOMB_ELEMENT = 0x00291000
"""The private (0029,1000) OB element a deflate bomb fills with zeros (creator 'SPINE BOMB')."""


def write_deflate_bomb(dataset: Dataset, path: Path, zeros: int) -> Path:
    """``dataset`` saved in Deflated Explicit VR Little Endian with ``zeros`` bytes of zeros (at
    least 2 MiB) in the private :data:`BOMB_ELEMENT`: a file of about ``zeros / 1000`` bytes.

    The zeros are deflated 1 MiB at a time; after a full flush the compressor starts afresh, so
    every chunk deflates to the same bytes, written again: the inflated data set is never held.
    """
    dataset = correct_ambiguous_vr(copy.deepcopy(dataset), True)  # e.g. OW pixels: split below
    dataset.private_block(BOMB_ELEMENT >> 16, "SPINE BOMB", create=True)
    before, after = DicomBytesIO(), DicomBytesIO()
    for part, elements in ((before, dataset[:BOMB_ELEMENT]), (after, dataset[BOMB_ELEMENT:])):
        part.is_little_endian, part.is_implicit_VR = True, False
        write_dataset(part, elements)
    group, element = divmod(BOMB_ELEMENT, 0x10000)
    bomb_header = struct.pack("<HH2sHL", group, element, b"OB", 0, zeros)
    meta = DicomBytesIO()
    file_meta = copy.deepcopy(dataset.file_meta)
    file_meta.TransferSyntaxUID = DeflatedExplicitVRLittleEndian
    write_file_meta_info(meta, file_meta)
    deflater = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS)
    chunk = bytes(1 << 20)
    whole, part_bytes = divmod(zeros, len(chunk))
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as out:
        out.write(b"\0" * 128 + b"DICM" + meta.getvalue())
        out.write(deflater.compress(before.getvalue() + bomb_header))
        out.write(deflater.flush(zlib.Z_FULL_FLUSH))
        block, again = (deflater.compress(chunk) + deflater.flush(zlib.Z_FULL_FLUSH) for _ in "12")
        assert block == again and whole >= 2
        out.write(block * whole)
        out.write(deflater.compress(bytes(part_bytes) + after.getvalue()) + deflater.flush())
    return path


def sample_study_archive(target: Path, subject: str = "DLBP-003", visit: str = "baseline") -> Path:
    """A batch archive at ``target`` holding one sample study and its landmark and grade rows."""
    shutil.copytree(SAMPLES / subject / visit, target / subject / visit)
    for name in ("landmarks.csv", "grades.csv"):
        table = pd.read_csv(SAMPLES / name, dtype=str, keep_default_na=False)
        table[(table["subject"] == subject) & (table["visit"] == visit)].to_csv(
            target / name, index=False
        )
    return target
