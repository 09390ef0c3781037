"""Reading DICOM files safely: one pass over the file, specific errors, no decoding here.

The data set is parsed up to the pixel data with ``stop_before_pixels``; then
:mod:`imaging.dicom.structure` checks every declared length against the file size (pydicom reads a
truncated file silently) and locates the pixel data. Only then are the pixel bytes read, once,
and put into the data set.

``read_header`` stops there; ``read_dataset`` also reads the pixel bytes after checking that the
image the header declares is within :mod:`imaging.dicom.limits`. A deflated data set (PS3.5 A.5)
is inflated within ``limits.MAX_INFLATED_BYTES`` by :mod:`imaging.dicom.bounded` and read whole.
"""

from __future__ import annotations

import io
import os
import stat
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from pydicom import dcmread
from pydicom.dataelem import DataElement
from pydicom.dataset import Dataset, FileDataset
from pydicom.errors import InvalidDicomError
from pydicom.uid import (
    UID,
    ExplicitVRBigEndian,
    ExplicitVRLittleEndian,
    ImplicitVRLittleEndian,
)

from imaging.dicom.bounded import BoundedReader, DeflatedDataSet, parse_error, read_deflated
from imaging.dicom.limits import check_file_size, check_image_size
from imaging.dicom.pixel_description import check_pixel_description
from imaging.dicom.sniff import SNIFF_BYTES, looks_like_data_set
from imaging.dicom.structure import (
    PIXEL_DATA,
    PIXEL_DATA_TAGS,
    PixelDataElement,
    check_structure,
    encoding,
    truncated_error,
)
from imaging.dicom.vocabulary import MEDIA_STORAGE_DIRECTORY
from imaging.dicom.walk import special_kind
from imaging.errors import (
    DicomReadError,
    FileAccessError,
    MalformedDicomError,
    MissingPixelDataError,
    NotDicomError,
    UnsupportedImageError,
)

PathLike = str | os.PathLike[str]

# Any one of these in a data set read without the 'DICM' prefix makes it plausibly DICOM.
_IDENTIFYING_TAGS = (0x00080016, 0x00080018, 0x00080060, 0x0020000D, 0x00280010)


@dataclass(frozen=True)
class DicomFile:
    """A parsed header, where its pixel data lies, and the file it came from."""

    dataset: Dataset
    pixel_data: PixelDataElement | None
    size: int
    name: str
    """The path (or archive member) used in messages."""
    defect: DicomReadError | None = None
    """A truncation found after the data set was read (only with ``strict=False``)."""

    @property
    def transfer_syntax(self) -> UID:
        return transfer_syntax_of(self.dataset)

    @property
    def is_media_directory(self) -> bool:
        meta_class = getattr(self.dataset.file_meta, "MediaStorageSOPClassUID", "")
        return str(meta_class) == MEDIA_STORAGE_DIRECTORY


def read_header(path: PathLike) -> Dataset:
    """Read a DICOM file's data set up to (not including) the pixel data.

    Raises :class:`FileAccessError`, :class:`NotDicomError`, :class:`TruncatedFileError` (the
    header or the declared pixel data runs past the end of the file) or
    :class:`MalformedDicomError`. A file without pixel data is not an error here.
    """
    return read_dicom_file(path).dataset


def read_dataset(path: PathLike) -> Dataset:
    """Read a DICOM image file completely: header and pixel bytes, checked, not yet decoded.

    Raises what :func:`read_header` raises, plus :class:`MissingPixelDataError` and
    :class:`ImageTooLargeError` (checked from the header before the pixel bytes are read).
    """
    with open_binary(path) as (fileobj, size):
        dicom_file = parse_header(fileobj, size, str(path))
        require_image(dicom_file)
        read_pixel_bytes(fileobj, dicom_file)
    return dicom_file.dataset


def read_pixel_bytes(fileobj: BinaryIO, dicom_file: DicomFile) -> None:
    """Read the located pixel data value from ``fileobj`` into ``dicom_file.dataset``, once."""
    location = dicom_file.pixel_data
    if location is None:  # no pixel data, or a deflated file read whole
        return
    fileobj.seek(location.value_offset)
    value = fileobj.read(location.value_length)
    if len(value) < location.value_length:  # the file shrank since its header was read
        raise truncated_error(dicom_file.name, "the pixel data ends early")
    dicom_file.dataset[location.tag] = DataElement(
        location.tag, location.vr, value, is_undefined_length=location.is_encapsulated
    )


def read_dicom_file(path: PathLike) -> DicomFile:
    """Open ``path`` and parse its header (see :func:`parse_header`)."""
    with open_binary(path) as (fileobj, size):
        return parse_header(fileobj, size, str(path))


@contextmanager
def open_binary(path: PathLike) -> Iterator[tuple[BinaryIO, int]]:
    """Open a file for reading; yields ``(fileobj, size_in_bytes)``.

    Errors name the file and the fix: :class:`FileAccessError` for a missing file, a folder, a
    FIFO or device (never opened: opening a FIFO waits for a writer) or denied permission;
    :class:`ImageTooLargeError` above ``limits.MAX_FILE_BYTES``.
    """
    path = Path(path)
    if path.is_dir():
        raise FileAccessError(
            "is a folder, not a file",
            path=path,
            fix="Give one DICOM file; use load_series() or `spine-endpoints scan` for folders.",
        )
    try:
        mode = path.stat().st_mode
    except OSError:
        mode = stat.S_IFREG  # missing or a bad link: open() below says which
    if not stat.S_ISREG(mode):
        raise FileAccessError(
            f"not a regular file but {special_kind(mode)}: never opened",
            path=path,
            fix="Give the image file itself.",
        )
    try:
        fileobj = path.open("rb")
    except FileNotFoundError as error:
        raise FileAccessError(
            "no such file", path=path, fix="Check the path and the working folder."
        ) from error
    except PermissionError as error:
        raise FileAccessError(
            "permission denied",
            path=path,
            fix="Make the file readable for this user (chmod/chown) or run as a user who can "
            "read it.",
        ) from error
    except OSError as error:
        raise FileAccessError(
            f"cannot be opened ({error.strerror or error})",
            path=path,
            fix="Check the file system and the path.",
        ) from error
    with fileobj:
        size = os.fstat(fileobj.fileno()).st_size
        check_file_size(size, path)
        yield fileobj, size


def parse_header(fileobj: BinaryIO, size: int, name: str, strict: bool = True) -> DicomFile:
    """Parse the data set in ``fileobj`` (``size`` bytes) up to the pixel data and check it.

    ``fileobj`` is any seekable binary file positioned at the start of the DICOM file (a file, a
    ``BytesIO`` of an archive member); ``name`` is used in error messages. Values are converted
    lazily by pydicom, so parsing a header costs little more than walking its elements. With
    ``strict=False``, a structural defect found once the data set is parsed (a truncation) is
    returned in ``DicomFile.defect`` with what was read, instead of raised.
    """
    if size == 0:
        raise NotDicomError("the file is empty", path=name, fix="Check that the copy is complete.")
    dataset: Dataset
    bounded = BoundedReader(fileobj, size)  # a bogus length never allocates past the file's end
    try:
        dataset = _read_data_set(bounded, fileobj, size, name)
    except DeflatedDataSet as deflated:
        # Inflated into memory (within limits), so file offsets mean nothing: read it whole.
        dataset = read_deflated(fileobj, deflated.offset, size, name)
        return DicomFile(dataset, None, size, name)
    except DicomReadError:  # not DICOM at all (read without the 'DICM' prefix)
        raise
    except Exception as error:  # pydicom raises many types on corrupt headers
        raise parse_error(error, "the DICOM header", name) from error

    if not getattr(dataset.file_meta, "TransferSyntaxUID", None):
        # No file meta (or no syntax in it): record how the data set was read, for decoding.
        dataset.file_meta.TransferSyntaxUID = transfer_syntax_of(dataset)
    try:
        return DicomFile(dataset, check_structure(fileobj, dataset, size, name), size, name)
    except DicomReadError as error:
        if strict:
            raise
        return DicomFile(dataset, None, size, name, defect=error)


def transfer_syntax_of(dataset: Dataset) -> UID:
    """The data set's transfer syntax: from the file meta, else from how it was encoded."""
    meta = getattr(dataset, "file_meta", None)
    uid = getattr(meta, "TransferSyntaxUID", None) if meta is not None else None
    if uid:
        return UID(str(uid))
    implicit, little = encoding(dataset)
    if implicit:
        return ImplicitVRLittleEndian
    return ExplicitVRLittleEndian if little in (True, None) else ExplicitVRBigEndian


def image_shape(dataset: Dataset, name: str) -> tuple[int, int, int, int]:
    """(rows, cols, frames, samples per pixel) from the header; MalformedDicomError if absurd."""
    values: list[int] = []
    for keyword, tag, default in (
        ("Rows", "(0028,0010) Rows", None),
        ("Columns", "(0028,0011) Columns", None),
        ("NumberOfFrames", "(0028,0008) Number of Frames", 1),
        ("SamplesPerPixel", "(0028,0002) Samples per Pixel", 1),
    ):
        raw = dataset.get(keyword, default)
        try:
            number = int(raw) if raw not in (None, "") else default
        except (TypeError, ValueError):
            number = None
        if number is None or number < 1:
            raise MalformedDicomError(
                f"{tag} is {raw!r}: an image needs a positive whole number",
                path=name,
                fix="The header is damaged or the file is not an image; export it again.",
            )
        values.append(number)
    return values[0], values[1], values[2], values[3]


def require_image(dicom_file: DicomFile) -> tuple[int, int, int, int]:
    """Check that the file holds an image of sane size; returns (rows, cols, frames, samples).

    Raises :class:`MissingPixelDataError`, :class:`UnsupportedImageError` (float pixel data),
    :class:`MalformedDicomError` (an absurd size, a pixel description DICOM does not define:
    :mod:`imaging.dicom.pixel_description`), :class:`ImageTooLargeError` or
    :class:`TruncatedFileError` (native pixel data shorter than the header's image needs).
    """
    dataset, name, location = dicom_file.dataset, dicom_file.name, dicom_file.pixel_data
    if location is None and "PixelData" not in dataset:
        what = _sop_class_name(dicom_file)
        if "Image Storage" in what:
            raise MissingPixelDataError(
                f"no (7FE0,0010) Pixel Data although this is {what}: the file is damaged or "
                "was cut short",
                path=name,
                fix="Copy or export the image again from its source.",
            )
        raise MissingPixelDataError(
            f"no (7FE0,0010) Pixel Data: this is {what}, not an image",
            path=name,
            fix="Pass an image file; `spine-endpoints scan` lists which files are images.",
        )
    if location is not None and location.tag != PIXEL_DATA:
        raise UnsupportedImageError(
            f"the image is stored as {PIXEL_DATA_TAGS[location.tag]} (a parametric map), not "
            "as radiograph or MR/CT pixels",
            path=name,
            fix="Use an image with (7FE0,0010) Pixel Data.",
        )
    rows, cols, frames, samples = image_shape(dataset, name)
    check_pixel_description(dataset, name)
    check_image_size(rows, cols, frames, samples, name)
    if location is not None and not location.is_encapsulated:
        bits = int(dataset.get("BitsAllocated", 0) or 0)
        needed = -(-rows * cols * frames * samples * bits // 8)
        if str(dataset.get("PhotometricInterpretation", "")).strip() == "YBR_FULL_422":
            needed = needed * 2 // 3  # chroma subsampled: two samples per pixel stored
        if location.value_length < needed:
            raise truncated_error(
                name,
                f"the pixel data holds {location.value_length:,} bytes but {rows} x {cols} x "
                f"{frames} frame(s) x {samples} sample(s) at {bits} bits need {needed:,}",
            )
    return rows, cols, frames, samples


# --- internals ----------------------------------------------------------------------------------
def _dcmread(bounded: BoundedReader, fileobj: BinaryIO, **options: Any) -> Dataset:
    """``dcmread`` through ``bounded``; the data set records ``fileobj`` as its source.

    pydicom keeps the object it read from; a wrapper of a file cannot be deep-copied (pydicom
    would warn on every ``copy.deepcopy``), so the source is set as if ``fileobj`` was read.
    """
    dataset = dcmread(bounded, **options)
    if isinstance(dataset, FileDataset) and dataset.buffer is bounded:
        dataset.buffer = None if isinstance(fileobj, io.BufferedReader) else fileobj
        dataset.fileobj_type = open if dataset.buffer is None else type(fileobj)
    return dataset


def _read_data_set(bounded: BoundedReader, fileobj: BinaryIO, size: int, name: str) -> Dataset:
    """The data set up to the pixel data, with or without the 'DICM' prefix; raises
    :class:`DeflatedDataSet` (from pydicom's read) for a deflated one."""
    try:
        return _dcmread(bounded, fileobj, stop_before_pixels=True)
    except InvalidDicomError:
        fileobj.seek(0)
        return _read_without_prefix(bounded, fileobj, size, name)


def _read_without_prefix(fileobj: BoundedReader, source: BinaryIO, size: int, name: str) -> Dataset:
    """Read a file without the 'DICM' prefix, accepting it only if it holds a DICOM data set.

    Only a file whose first bytes are a plausible DICOM element header is parsed at all
    (:func:`imaging.dicom.sniff.looks_like_data_set`); anything else is not DICOM at once.
    """
    not_dicom = NotDicomError(
        "not a DICOM file: no 'DICM' marker at byte 128 and no DICOM data set at the start",
        path=name,
        fix="Check that this is an image export (not a report, viewer or archive file).",
    )
    head = fileobj.read(SNIFF_BYTES)
    fileobj.seek(0)
    if not looks_like_data_set(head, size):
        raise not_dicom
    # A forced read of arbitrary bytes warns about nonsense values; the verdict is ours.
    with warnings.catch_warnings(record=True):
        try:
            dataset = _dcmread(fileobj, source, force=True, stop_before_pixels=True)
        except DeflatedDataSet:  # a file meta without preamble, declaring a deflated data set
            raise
        except Exception as error:  # arbitrary bytes fail in arbitrary ways
            raise not_dicom from error
        if not any(tag in dataset for tag in _IDENTIFYING_TAGS):
            raise not_dicom
    return dataset


def _sop_class_name(dicom_file: DicomFile) -> str:
    if dicom_file.is_media_directory:
        return "a DICOMDIR (a media directory index)"
    uid = dicom_file.dataset.get("SOPClassUID") or getattr(
        dicom_file.dataset.file_meta, "MediaStorageSOPClassUID", None
    )
    if not uid:
        return "a data set without a SOP class"
    name = UID(str(uid)).name
    return f"a {name} object" if name != str(uid) else f"SOP class {uid}"
