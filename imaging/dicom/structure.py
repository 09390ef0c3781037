"""The structure of a DICOM file around its pixel data, checked against the file size.

pydicom reads a truncated file without complaint: a value cut short is kept short, and a data set
that stops mid-element simply ends. These checks find both, and locate the pixel data element
(walking the item headers of encapsulated data) without reading its value.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from typing import BinaryIO

from pydicom.dataelem import RawDataElement
from pydicom.dataset import Dataset

from imaging.errors import MalformedDicomError, TruncatedFileError

PIXEL_DATA = 0x7FE00010
PIXEL_DATA_TAGS = {
    PIXEL_DATA: "(7FE0,0010) Pixel Data",
    0x7FE00008: "(7FE0,0008) Float Pixel Data",
    0x7FE00009: "(7FE0,0009) Double Float Pixel Data",
}
_ITEM = 0xFFFEE000
_SEQUENCE_DELIMITER = 0xFFFEE0DD
_UNDEFINED_LENGTH = 0xFFFFFFFF


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


def check_structure(
    fileobj: BinaryIO, dataset: Dataset, size: int, name: str
) -> PixelDataElement | None:
    """Where the pixel data is, after checking that nothing runs past the end of the file.

    Call it right after pydicom stopped reading (before the pixel data, or at the end), with
    ``fileobj`` still where pydicom left it.
    """
    position = fileobj.tell()
    if position > size:
        raise truncated_error(name, "an element of the header runs past the end of the file")
    if position == size:
        _check_last_element(dataset, size, name)
        return None
    return _locate_pixel_data(fileobj, dataset, position, size, name)


def truncated_error(name: str, what: str) -> TruncatedFileError:
    """The error for a file that ends early: ``what`` says where."""
    return TruncatedFileError(
        f"the file is truncated: {what}",
        path=name,
        fix="Copy the file again from its source; the copy is incomplete.",
    )


def _locate_pixel_data(
    fileobj: BinaryIO, dataset: Dataset, position: int, size: int, name: str
) -> PixelDataElement | None:
    """Parse the element header at ``position`` (where pydicom stopped) if it is pixel data."""
    implicit, little = encoding(dataset)
    order = "<" if little in (True, None) else ">"
    fileobj.seek(position)
    head = fileobj.read(8)
    if len(head) < 8:
        raise truncated_error(name, "the file ends inside an element header")
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
            raise truncated_error(name, "the file ends inside the pixel data element header")
        (length,) = struct.unpack(order + "I", more)
        value_offset = position + 12
    if length != _UNDEFINED_LENGTH:
        end = value_offset + length
        if end > size:
            raise truncated_error(
                name,
                f"{PIXEL_DATA_TAGS[tag]} declares {length:,} bytes but only "
                f"{size - value_offset:,} remain",
            )
        return PixelDataElement(tag, vr, value_offset, length, end)
    end = _walk_encapsulated(fileobj, value_offset, size, name)
    return PixelDataElement(tag, "OB", value_offset, None, end)


def encoding(dataset: Dataset) -> tuple[bool | None, bool | None]:
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
            raise truncated_error(
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
            raise truncated_error(
                name, f"compressed pixel data fragment {fragments} runs past the end of the file"
            )
        fragments += 1


def _check_last_element(dataset: Dataset, size: int, name: str) -> None:
    """Detect a file cut inside the header, which pydicom reads silently as a shorter data set.

    Called when pydicom consumed the whole file without meeting pixel data: then the last
    element must end exactly at the end of the file.
    """
    if not len(dataset):
        raise truncated_error(
            name, "the file ends before its data set (only the file meta is there)"
        )
    last = dataset.get_item(_last_tag(dataset))
    if not isinstance(last, RawDataElement) or last.length == _UNDEFINED_LENGTH:
        return
    tag = f"({last.tag >> 16:04X},{last.tag & 0xFFFF:04X})"
    if last.value is not None and len(last.value) < last.length:
        raise truncated_error(
            name,
            f"element {tag} declares {last.length} bytes but the file ends after {len(last.value)}",
        )
    if last.value_tell + last.length < size:
        raise truncated_error(name, f"the file ends inside the element header after {tag}")
