"""Index DICOM files fast, headers only: one record per file, unusable files included.

``scan(path)`` takes a file, a folder (walked recursively in name order) or a .zip / .tar /
.tar.gz / .tgz / .tar.bz2 / .tar.xz archive (members decompressed in memory one at a time;
archives met inside a folder are opened too). Hidden files and folders (names starting with '.')
and ``__MACOSX`` folders are skipped; a DICOMDIR is recorded as ``no-pixel-data`` (it indexes
images, it is not one). Pixel data is never decoded: its presence, length and decoder are
checked from the header.

Statuses: ``ok``; ``uncalibrated`` (a usable image whose calibration is ``none``, reason given);
and, for unusable files, ``not-dicom``, ``truncated``, ``no-pixel-data``, ``too-large``,
``unreadable`` (permissions, a damaged header) and ``unsupported`` (no decoder installed, float
pixel data, a transfer syntax pydicom cannot decode).
"""

from __future__ import annotations

import io
import os
import tarfile
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any, BinaryIO

from pydicom.dataset import Dataset

from imaging.calibration import CROSS_SECTIONAL_MODALITIES, Calibration
from imaging.dicom.film import detect_film
from imaging.dicom.limits import MAX_FILE_BYTES
from imaging.dicom.pixels import check_decoder
from imaging.dicom.radiograph import parse_date
from imaging.dicom.read import DicomFile, open_binary, parse_header, require_image
from imaging.dicom.scan_records import ScanRecord, ScanStatus
from imaging.dicom.slices import orientation_of
from imaging.dicom.trial import text_value
from imaging.errors import (
    FileAccessError,
    ImageTooLargeError,
    MissingDecoderError,
    MissingPixelDataError,
    NotDicomError,
    SpineEndpointsError,
    TruncatedFileError,
    UnsupportedImageError,
)

PathLike = str | os.PathLike[str]
ARCHIVE_SUFFIXES = (".zip", ".tar", ".tar.gz", ".tgz", ".tar.bz2", ".tbz2", ".tar.xz", ".txz")


def scan(path: PathLike) -> Iterator[ScanRecord]:
    """Records for a file, a folder tree or an archive, lazily; see the module docstring.

    Raises :class:`FileAccessError` at once when ``path`` does not exist; every problem with a
    file found becomes its record instead.
    """
    root = Path(path)
    if not root.exists():
        raise FileAccessError(
            "no such file or folder", path=root, fix="Check the path and the working folder."
        )
    return _scan_folder(root) if root.is_dir() else _scan_path(root)


def scan_file(path: PathLike) -> ScanRecord:
    """The record of one file (not expanded if it is an archive)."""
    name = str(path)
    try:
        with open_binary(path) as (fileobj, size):
            return scan_fileobj(fileobj, size, name)
    except SpineEndpointsError as error:
        return _error_record(name, None, error)


def scan_fileobj(fileobj: BinaryIO, size: int, path: str, member: str | None = None) -> ScanRecord:
    """The record of a DICOM file open in ``fileobj`` (``size`` bytes), from its header only."""
    name = path if member is None else f"{path}!/{member}"
    try:
        dicom_file = parse_header(fileobj, size, name, strict=False)
    except SpineEndpointsError as error:
        return _error_record(path, member, error)
    try:
        if dicom_file.defect is not None:
            raise dicom_file.defect
        return _image_record(dicom_file, path, member)
    except SpineEndpointsError as error:
        return _error_record(path, member, error, dicom_file.dataset)
    except Exception as error:  # a value pydicom cannot convert: the file is recorded, not fatal
        return ScanRecord(
            path,
            ScanStatus.UNREADABLE,
            f"a header value cannot be read ({type(error).__name__}: {error})",
            "Check the file with a DICOM validator (dciodvfy, dcmdump).",
            member,
        )


# --- internals ----------------------------------------------------------------------------------
def _scan_folder(folder: Path) -> Iterator[ScanRecord]:
    try:
        entries = sorted(os.scandir(folder), key=lambda e: e.name)
    except OSError as error:
        yield ScanRecord(
            str(folder),
            ScanStatus.UNREADABLE,
            f"the folder cannot be listed ({error.strerror or error})",
            "Make the folder readable for this user.",
        )
        return
    for entry in entries:
        if entry.name.startswith(".") or entry.name == "__MACOSX":
            continue
        if entry.is_dir(follow_symlinks=False):
            yield from _scan_folder(Path(entry.path))
        elif entry.is_file():
            yield from _scan_path(Path(entry.path))


def _scan_path(path: Path) -> Iterator[ScanRecord]:
    name = path.name.lower()
    if name.endswith(".zip"):
        yield from _scan_zip(path)
    elif name.endswith(ARCHIVE_SUFFIXES):
        yield from _scan_tar(path)
    else:
        yield scan_file(path)


def _scan_zip(path: Path) -> Iterator[ScanRecord]:
    try:
        archive = zipfile.ZipFile(path)
    except (OSError, zipfile.BadZipFile) as error:
        yield _bad_archive(path, error)
        return
    with archive:
        for info in sorted(archive.infolist(), key=lambda i: i.filename):
            if info.is_dir() or _hidden(info.filename):
                continue
            if info.file_size > MAX_FILE_BYTES:
                yield _oversized(path, info.filename, info.file_size)
                continue
            try:
                data = archive.read(info)
            except (OSError, zipfile.BadZipFile, RuntimeError, ValueError) as error:
                yield _bad_member(path, info.filename, error)
                continue
            yield scan_fileobj(io.BytesIO(data), len(data), str(path), info.filename)


def _scan_tar(path: Path) -> Iterator[ScanRecord]:
    try:
        archive = tarfile.open(path, "r:*")  # noqa: SIM115 - closed by the `with` below
    except (OSError, tarfile.TarError) as error:
        yield _bad_archive(path, error)
        return
    with archive:
        while True:  # in archive order: a compressed tar is read as a stream
            try:
                member = archive.next()
            except (OSError, tarfile.TarError, EOFError) as error:
                yield _bad_archive(path, error)
                return
            if member is None:
                return
            if not member.isfile() or _hidden(member.name):
                continue
            if member.size > MAX_FILE_BYTES:
                yield _oversized(path, member.name, member.size)
                continue
            try:
                extracted = archive.extractfile(member)
                data = extracted.read() if extracted is not None else b""
            except (OSError, tarfile.TarError, EOFError) as error:
                yield _bad_member(path, member.name, error)
                continue
            yield scan_fileobj(io.BytesIO(data), len(data), str(path), member.name)


def _image_record(dicom_file: DicomFile, path: str, member: str | None) -> ScanRecord:
    dataset = dicom_file.dataset
    if dicom_file.is_media_directory:
        raise MissingPixelDataError(
            "a DICOMDIR: an index of the images on a medium, not an image",
            path=dicom_file.name,
            fix="Scan the folder it sits in; the images are listed there.",
        )
    rows, cols, frames, _ = require_image(dicom_file)
    check_decoder(dicom_file.transfer_syntax, dicom_file.name)
    calibration = Calibration.from_dataset(dataset)
    status, reason = ScanStatus.OK, ""
    if not calibration.has_millimetres:
        status, reason = ScanStatus.UNCALIBRATED, calibration.detail
    identity = _identity(dataset)
    film = orientation = None
    if identity["modality"] in CROSS_SECTIONAL_MODALITIES:
        orientation = orientation_of(dataset)  # enhanced files keep it in functional groups
    else:
        detected, _ = detect_film(dataset)
        film = detected.value if detected is not None else None
    return ScanRecord(
        **identity,
        path=path,
        member=member,
        status=status,
        reason=reason,
        film=film,
        orientation=orientation,
        rows=rows,
        cols=cols,
        frames=frames,
        pixel_spacing_mm=calibration.pixel_spacing,
        calibration_source=calibration.source.value,
        transfer_syntax=dicom_file.transfer_syntax.name,
    )


def _identity(dataset: Dataset) -> dict[str, Any]:
    study_date = parse_date(dataset.get("StudyDate"))
    return {
        "modality": _modality(dataset) or None,
        "subject": text_value(dataset, "ClinicalTrialSubjectID")
        or text_value(dataset, "PatientID"),
        "visit": text_value(dataset, "ClinicalTrialTimePointID"),
        "study_date": study_date.isoformat() if study_date else None,
        "study_instance_uid": text_value(dataset, "StudyInstanceUID"),
        "series_instance_uid": text_value(dataset, "SeriesInstanceUID"),
        "series_description": text_value(dataset, "SeriesDescription"),
        "sop_instance_uid": text_value(dataset, "SOPInstanceUID"),
    }


def _modality(dataset: Dataset) -> str:
    return str(dataset.get("Modality", "") or "").strip().upper()


_STATUS_OF_ERROR: tuple[tuple[type[SpineEndpointsError], ScanStatus], ...] = (
    (NotDicomError, ScanStatus.NOT_DICOM),
    (TruncatedFileError, ScanStatus.TRUNCATED),
    (MissingPixelDataError, ScanStatus.NO_PIXEL_DATA),
    (ImageTooLargeError, ScanStatus.TOO_LARGE),
    (MissingDecoderError, ScanStatus.UNSUPPORTED),
    (UnsupportedImageError, ScanStatus.UNSUPPORTED),
)


def _error_record(
    path: str, member: str | None, error: SpineEndpointsError, dataset: Dataset | None = None
) -> ScanRecord:
    status = next(
        (status for kind, status in _STATUS_OF_ERROR if isinstance(error, kind)),
        ScanStatus.UNREADABLE,
    )
    identity = _identity(dataset) if dataset is not None else {}
    return ScanRecord(path, status, error.reason, error.fix, member, **identity)


def _hidden(member_name: str) -> bool:
    parts = member_name.replace("\\", "/").split("/")
    return any(part.startswith(".") or part == "__MACOSX" for part in parts if part)


def _bad_archive(path: Path, error: BaseException) -> ScanRecord:
    return ScanRecord(
        str(path),
        ScanStatus.UNREADABLE,
        f"the archive cannot be read ({type(error).__name__}: {error})",
        "Check that the archive is complete; download or copy it again.",
    )


def _bad_member(path: Path, member: str, error: BaseException) -> ScanRecord:
    return ScanRecord(
        str(path),
        ScanStatus.UNREADABLE,
        f"the member cannot be extracted ({type(error).__name__}: {error})",
        "Check that the archive is complete; download or copy it again.",
        member,
    )


def _oversized(path: Path, member: str, size: int) -> ScanRecord:
    return ScanRecord(
        str(path),
        ScanStatus.TOO_LARGE,
        f"the member is {size / 1024**3:.1f} GiB, above imaging.dicom.limits.MAX_FILE_BYTES",
        "Extract it and check what it is.",
        member,
    )
