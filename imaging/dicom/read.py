"""Reading DICOM files safely: one pass over the file, specific errors, no decoding here.

pydicom reads a truncated file without complaint (a short value, or a data set that simply stops),
so this module checks the structure itself: it parses the data set up to the pixel data with
``stop_before_pixels``, then walks the pixel data element's header (and, when encapsulated, its
item headers) and compares every declared length with the file size. Only then are the pixel
bytes read, once, and put into the data set.

``read_header`` stops there; ``read_dataset`` also reads the pixel bytes after checking that the
image the header declares is within :mod:`imaging.dicom.limits`.
"""

from __future__ import annotations

import os
import struct
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from pydicom import dcmread
from pydicom.dataelem import DataElement, RawDataElement
from pydicom.dataset import Dataset
from pydicom.errors import InvalidDicomError
from pydicom.uid import (
    UID,
    DeflatedExplicitVRLittleEndian,
    ExplicitVRBigEndian,
    ExplicitVRLittleEndian,
    ImplicitVRLittleEndian,
)

from imaging.dicom.limits import check_file_size, check_image_size
from imaging.errors import (
    DicomReadError,
    FileAccessError,
    MalformedDicomError,
    MissingPixelDataError,
    NotDicomError,
    TruncatedFileError,
    UnsupportedImageError,
)

PathLike = str | os.PathLike[str]

PIXEL_DATA = 0x7FE00010
PIXEL_DATA_TAGS = {
    PIXEL_DATA: "(7FE0,0010) Pixel Data",
    0x7FE00008: "(7FE0,0008) Float Pixel Data",
    0x7FE00009: "(7FE0,0009) Double Float Pixel Data",
}
_ITEM = 0xFFFEE000
_SEQUENCE_DELIMITER = 0xFFFEE0DD
_UNDEFINED_LENGTH = 0xFFFFFFFF
# Any one of these in a data set read without the 'DICM' prefix makes it plausibly DICOM.
_IDENTIFYING_TAGS = (0x00080016, 0x00080018, 0x00080060, 0x0020000D, 0x00280010)
_MEDIA_DIRECTORY = "1.2.840.10008.1.3.10"


@dataclass(frozen=True)
class PixelDataElement:
    """Where the pixel data element lies in the file (byte offsets from the file start)."""

    tag: int
    vr: str
    value_offset: int
    length: int | None
    """Value length in bytes; None when encapsulated (undefined length)."""
    end: int
    """Offset just after the element (after the sequence delimiter when encapsulated)."""

    @property
    def is_encapsulated(self) -> bool:
        return self.length is None

    @property
    def value_length(self) -> int:
        """Bytes to read for the value (items included, sequence delimiter excluded)."""
        return self.length if self.length is not None else self.end - 8 - self.value_offset


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
        return str(meta_class) == _MEDIA_DIRECTORY


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
    if location is None:  # no pixel data, or a deflated file pydicom read whole
        return
    fileobj.seek(location.value_offset)
    value = fileobj.read(location.value_length)
    if len(value) < location.value_length:  # the file shrank since its header was read
        raise _truncated(dicom_file.name, "the pixel data ends early")
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

    Errors name the file and the fix: :class:`FileAccessError` for a missing file, a folder or
    denied permission; :class:`ImageTooLargeError` above ``limits.MAX_FILE_BYTES``.
    """
    path = Path(path)
    if path.is_dir():
        raise FileAccessError(
            "is a folder, not a file",
            path=path,
            fix="Give one DICOM file; use load_series() or `spine-endpoints scan` for folders.",
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
    try:
        dataset = dcmread(fileobj, stop_before_pixels=True)
    except InvalidDicomError:
        fileobj.seek(0)
        dataset = _read_without_prefix(fileobj, name)
    except (EOFError, struct.error) as error:
        raise TruncatedFileError(
            f"the file ends inside its DICOM header ({error})",
            path=name,
            fix="Copy the file again from its source; the copy is incomplete.",
        ) from error
    except Exception as error:  # pydicom raises many types on corrupt headers
        raise MalformedDicomError(
            f"the DICOM header cannot be parsed ({type(error).__name__}: {error})",
            path=name,
            fix="Check the file with a DICOM validator (dciodvfy, dcmdump); export it again.",
        ) from error

    if not getattr(dataset.file_meta, "TransferSyntaxUID", None):
        # No file meta (or no syntax in it): record how the data set was read, for decoding.
        dataset.file_meta.TransferSyntaxUID = transfer_syntax_of(dataset)
    if transfer_syntax_of(dataset) == DeflatedExplicitVRLittleEndian:
        # The data set was inflated into memory, so file offsets mean nothing: read it whole.
        fileobj.seek(0)
        dataset = dcmread(fileobj)
        return DicomFile(dataset, None, size, name)
    try:
        return DicomFile(dataset, _check_structure(fileobj, dataset, size, name), size, name)
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
    implicit, little = _encoding(dataset)
    if implicit:
        return ImplicitVRLittleEndian
    return ExplicitVRLittleEndian if little in (True, None) else ExplicitVRBigEndian


def image_shape(dataset: Dataset, name: str) -> tuple[int, int, int, int]:
    """(rows, cols, frames, samples per pixel) from the header; MalformedDicomError if absurd."""
    values: list[int] = []
    for keyword, default in (
        ("Rows", None),
        ("Columns", None),
        ("NumberOfFrames", 1),
        ("SamplesPerPixel", 1),
    ):
        raw = dataset.get(keyword, default)
        try:
            number = int(raw) if raw not in (None, "") else default
        except (TypeError, ValueError):
            number = None
        if number is None or number < 1:
            raise MalformedDicomError(
                f"(0028) {keyword} is {raw!r}: an image needs a positive whole number",
                path=name,
                fix="The header is damaged or the file is not an image; export it again.",
            )
        values.append(number)
    return values[0], values[1], values[2], values[3]


def require_image(dicom_file: DicomFile) -> tuple[int, int, int, int]:
    """Check that the file holds an image of sane size; returns (rows, cols, frames, samples).

    Raises :class:`MissingPixelDataError`, :class:`UnsupportedImageError` (float pixel data),
    :class:`MalformedDicomError`, :class:`ImageTooLargeError` or :class:`TruncatedFileError`
    (native pixel data shorter than the header's image needs).
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
    check_image_size(rows, cols, frames, samples, name)
    if location is not None and not location.is_encapsulated:
        bits = int(dataset.get("BitsAllocated", 0) or 0)
        needed = -(-rows * cols * frames * samples * bits // 8)
        if str(dataset.get("PhotometricInterpretation", "")).strip() == "YBR_FULL_422":
            needed = needed * 2 // 3  # chroma subsampled: two samples per pixel stored
        if location.value_length < needed:
            raise _truncated(
                name,
                f"the pixel data holds {location.value_length:,} bytes but {rows} x {cols} x "
                f"{frames} frame(s) x {samples} sample(s) at {bits} bits need {needed:,}",
            )
    return rows, cols, frames, samples


# --- internals ----------------------------------------------------------------------------------
def _check_structure(
    fileobj: BinaryIO, dataset: Dataset, size: int, name: str
) -> PixelDataElement | None:
    """Where the pixel data is, after checking that nothing runs past the end of the file."""
    position = fileobj.tell()
    if position > size:
        raise _truncated(name, "an element of the header runs past the end of the file")
    if position == size:
        _check_last_element(dataset, size, name)
        return None
    return _locate_pixel_data(fileobj, dataset, position, size, name)


def _read_without_prefix(fileobj: BinaryIO, name: str) -> Dataset:
    """Read a file without the 'DICM' prefix, accepting it only if it holds a DICOM data set."""
    not_dicom = NotDicomError(
        "not a DICOM file: no 'DICM' marker at byte 128 and no DICOM data set at the start",
        path=name,
        fix="Check that this is an image export (not a report, viewer or archive file).",
    )
    # A forced read of arbitrary bytes warns about nonsense values; the verdict is ours.
    with warnings.catch_warnings(record=True):
        try:
            dataset = dcmread(fileobj, force=True, stop_before_pixels=True)
        except Exception as error:  # arbitrary bytes fail in arbitrary ways
            raise not_dicom from error
        if not any(tag in dataset for tag in _IDENTIFYING_TAGS):
            raise not_dicom
    return dataset


def _truncated(name: str, what: str) -> TruncatedFileError:
    return TruncatedFileError(
        f"the file is truncated: {what}",
        path=name,
        fix="Copy the file again from its source; the copy is incomplete.",
    )


def _locate_pixel_data(
    fileobj: BinaryIO, dataset: Dataset, position: int, size: int, name: str
) -> PixelDataElement | None:
    """Parse the element header at ``position`` (where pydicom stopped) if it is pixel data."""
    implicit, little = _encoding(dataset)
    order = "<" if little in (True, None) else ">"
    fileobj.seek(position)
    head = fileobj.read(8)
    if len(head) < 8:
        raise _truncated(name, "the file ends inside an element header")
    group, element = struct.unpack(order + "HH", head[:4])
    tag = group << 16 | element
    if tag not in PIXEL_DATA_TAGS:
        return None  # pydicom stopped on something else (trailing bytes): no pixel data
    if implicit:
        (length,) = struct.unpack(order + "I", head[4:8])
        bits = int(dataset.get("BitsAllocated", 16) or 16)
        vr = "OB" if bits <= 8 else "OW"
        value_offset = position + 8
    else:
        vr = head[4:6].decode("ascii", "replace")
        more = fileobj.read(4)
        if len(more) < 4:
            raise _truncated(name, "the file ends inside the pixel data element header")
        (length,) = struct.unpack(order + "I", more)
        value_offset = position + 12
    if length != _UNDEFINED_LENGTH:
        end = value_offset + length
        if end > size:
            raise _truncated(
                name,
                f"{PIXEL_DATA_TAGS[tag]} declares {length:,} bytes but only "
                f"{size - value_offset:,} remain",
            )
        return PixelDataElement(tag, vr, value_offset, length, end)
    end = _walk_encapsulated(fileobj, value_offset, size, name)
    return PixelDataElement(tag, "OB", value_offset, None, end)


def _encoding(dataset: Dataset) -> tuple[bool | None, bool | None]:
    """(implicit VR, little endian) as actually read: pydicom switches when a file's data set
    does not match its transfer syntax, and records it on each raw element."""
    if len(dataset):
        last = dataset.get_item(_last_tag(dataset))
        if isinstance(last, RawDataElement):
            return last.is_implicit_VR, last.is_little_endian
    implicit, little = dataset.original_encoding
    return implicit, little


def _last_tag(dataset: Dataset) -> int:
    """The tag read last (pydicom keeps elements in the order read)."""
    return int(list(dataset.keys())[-1])


def _walk_encapsulated(fileobj: BinaryIO, offset: int, size: int, name: str) -> int:
    """Follow the item headers of encapsulated pixel data; return the offset after the delimiter."""
    fragments = 0
    while True:
        fileobj.seek(offset)
        head = fileobj.read(8)
        if len(head) < 8:
            raise _truncated(
                name,
                f"the compressed pixel data stops after {fragments} fragment(s), before its "
                "sequence delimiter",
            )
        group, element, length = struct.unpack("<HHI", head)
        tag = group << 16 | element
        if tag == _SEQUENCE_DELIMITER:
            return offset + 8
        if tag != _ITEM or length == _UNDEFINED_LENGTH:
            raise MalformedDicomError(
                f"the compressed pixel data holds an unexpected element "
                f"({group:04X},{element:04X}) at byte {offset}",
                path=name,
                fix="The pixel data is damaged; export the image again.",
            )
        offset += 8 + length
        if offset > size:
            raise _truncated(
                name, f"compressed pixel data fragment {fragments} runs past the end of the file"
            )
        fragments += 1


def _check_last_element(dataset: Dataset, size: int, name: str) -> None:
    """Detect a file cut inside the header, which pydicom reads silently as a shorter data set.

    Called when pydicom consumed the whole file without meeting pixel data: then the last
    element must end exactly at the end of the file.
    """
    if not len(dataset):
        raise _truncated(name, "the file ends before its data set (only the file meta is there)")
    last = dataset.get_item(_last_tag(dataset))
    if not isinstance(last, RawDataElement) or last.length == _UNDEFINED_LENGTH:
        return
    tag = f"({last.tag >> 16:04X},{last.tag & 0xFFFF:04X})"
    if last.value is not None and len(last.value) < last.length:
        raise _truncated(
            name,
            f"element {tag} declares {last.length} bytes but the file ends after {len(last.value)}",
        )
    if last.value_tell + last.length < size:
        raise _truncated(name, f"the file ends inside the element header after {tag}")


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
