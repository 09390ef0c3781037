"""Index DICOM files fast, headers only: one record per file, unusable files included.

``scan(path)`` takes a file, a folder or a zip/tar archive and goes through
:func:`imaging.dicom.walk.walk`: the same files, skip list (hidden, system and document files)
and problems (unlistable folders, link loops, dangling links, FIFOs and devices, bad archives) as
every other reader of folders. A DICOMDIR is recorded as ``no-pixel-data`` (it indexes images, it
is not one). Pixel data is never decoded: its presence, length and decoder are checked from the
header; the slice plane of an MR/CT comes from (0020,0037) *Image Orientation (Patient)*.

Statuses: ``ok``; ``uncalibrated`` (a usable image whose calibration is ``none``, reason given);
and, for unusable files, ``not-dicom``, ``truncated``, ``no-pixel-data``, ``too-large``,
``unreadable`` (permissions, a damaged header) and ``unsupported`` (no decoder installed, float
pixel data, a transfer syntax pydicom cannot decode).
"""

from __future__ import annotations

import io
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any, BinaryIO

from pydicom.dataset import Dataset

from imaging.calibration import Calibration
from imaging.dicom.film import detect_film
from imaging.dicom.orientation import slice_plane
from imaging.dicom.pixels import check_decoder
from imaging.dicom.radiograph import parse_date
from imaging.dicom.read import DicomFile, open_binary, parse_header, require_image
from imaging.dicom.scan_records import ScanRecord, ScanStatus
from imaging.dicom.trial import identifying_attributes, subject_id, text_value
from imaging.dicom.vocabulary import is_cross_sectional, normalized_modality
from imaging.dicom.walk import Found, Problem, walk
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


def scan(path: PathLike) -> Iterator[ScanRecord]:
    """Records for a file, a folder tree or an archive, lazily; see the module docstring.

    Raises :class:`FileAccessError` at once when ``path`` does not exist; every problem with a
    file found becomes its record instead.
    """
    root = Path(path)
    if not root.exists() and not root.is_symlink():  # a bad link is the walk's problem record
        raise FileAccessError(
            "no such file or folder", path=root, fix="Check the path and the working folder."
        )
    return (scan_found(item) for item in walk(root))


def scan_found(item: Found | Problem) -> ScanRecord:
    """The record of one item of :func:`imaging.dicom.walk.walk`."""
    if isinstance(item, Problem):
        return item.record()
    if item.data is None:
        return scan_file(item.path)
    return scan_fileobj(io.BytesIO(item.data), len(item.data), str(item.path), item.member)


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
    if is_cross_sectional(identity["modality"]):
        orientation = slice_plane(dataset.get("ImageOrientationPatient"))
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
        "subject": subject_id(dataset),
        "visit": text_value(dataset, "ClinicalTrialTimePointID"),
        "study_date": study_date.isoformat() if study_date else None,
        "study_instance_uid": text_value(dataset, "StudyInstanceUID"),
        "series_instance_uid": text_value(dataset, "SeriesInstanceUID"),
        "series_description": text_value(dataset, "SeriesDescription"),
        "sop_instance_uid": text_value(dataset, "SOPInstanceUID"),
        "identifying": identifying_attributes(dataset),
        "trial_protocol_id": text_value(dataset, "ClinicalTrialProtocolID"),
    }


def _modality(dataset: Dataset) -> str:
    return normalized_modality(dataset.get("Modality"))


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
