"""Cheap checks before pydicom parses a file: is it DICOM at all, and can a length be believed?

A file without the 'DICM' marker at byte 128 may still be a DICOM data set written without
preamble and file meta (old ACR-NEMA style exports). pydicom's ``force=True`` reads anything as
one, taking whatever four bytes it meets for an element length: on a CSV or random bytes that is
a read of hundreds of megabytes. :func:`looks_like_data_set` accepts only files whose first bytes
are a plausible element header; :class:`BoundedReader` caps every read at the bytes the file
still holds, so a damaged length in a real header cannot allocate more than the file's size.
"""

from __future__ import annotations

import struct
from typing import BinaryIO

# Groups a data set may start with: file meta, directory, identification, patient, clinical
# trial, acquisition, relationship, image. A text file's first two bytes are never one of them.
_FIRST_GROUPS = frozenset({0x0002, 0x0004, 0x0008, 0x0010, 0x0012, 0x0018, 0x0020, 0x0028})
# Explicit VRs whose length is 32-bit after two reserved bytes (PS3.5 7.1.2); others are 16-bit.
_LONG_VRS = frozenset(
    {b"OB", b"OD", b"OF", b"OL", b"OV", b"OW", b"SQ", b"SV", b"UC", b"UN", b"UR", b"UT", b"UV"}
)
_SHORT_VRS = frozenset(
    {
        b"AE", b"AS", b"AT", b"CS", b"DA", b"DS", b"DT", b"FD", b"FL", b"IS", b"LO", b"LT",
        b"PN", b"SH", b"SL", b"SS", b"ST", b"TM", b"UI", b"UL", b"US",
    }
)  # fmt: skip
_UNDEFINED_LENGTH = 0xFFFFFFFF
SNIFF_BYTES = 12
"""How many leading bytes :func:`looks_like_data_set` needs."""


def looks_like_data_set(head: bytes, size: int) -> bool:
    """True when ``head`` (the first bytes of a file of ``size`` bytes) starts like a data set.

    The first element must have a tag of a group data sets start with (0002, 0004, 0008, 0010,
    0012, 0018, 0020 or 0028; little or big endian) and either a valid explicit VR with a length
    the file can hold, or (implicit VR little endian) a 32-bit length the file can hold.
    Undefined length (FFFFFFFFH) is allowed where the standard allows it.
    """
    if len(head) < 8:
        return False
    for order in ("<", ">"):
        group, _ = struct.unpack(f"{order}HH", head[:4])
        if group not in _FIRST_GROUPS:
            continue
        vr = head[4:6]
        if vr in _SHORT_VRS:
            (length,) = struct.unpack(f"{order}H", head[6:8])
            return length <= size - 8
        if vr in _LONG_VRS:
            if len(head) < 12 or head[6:8] != b"\0\0":
                return False
            (length,) = struct.unpack(f"{order}L", head[8:12])
            return length == _UNDEFINED_LENGTH or length <= size - 12
        if order == "<":  # implicit VR is little endian only
            (length,) = struct.unpack("<L", head[4:8])
            return length == _UNDEFINED_LENGTH or length <= size - 8
    return False


class BoundedReader:
    """A binary file whose reads never ask for more than the ``size`` bytes it holds.

    pydicom reads an element's value with one ``read(length)``; Python allocates ``length`` bytes
    before reading, so a damaged length of 0xFFFFFFF0 would allocate 4 GiB. Here such a read
    returns what is left (pydicom, or :mod:`imaging.dicom.structure`, then reports the
    truncation). Seeking and telling go to the wrapped file.
    """

    _SMALL = 1 << 16
    """Reads up to this many bytes are passed through unchecked (cheap whatever they claim)."""

    def __init__(self, fileobj: BinaryIO, size: int) -> None:
        self._fileobj = fileobj
        self._size = size

    @property
    def name(self) -> str | None:
        return getattr(self._fileobj, "name", None)

    def read(self, length: int | None = -1) -> bytes:
        if length is not None and 0 <= length <= self._SMALL:
            return self._fileobj.read(length)
        remaining = max(self._size - self._fileobj.tell(), 0)
        if length is None or length < 0 or length > remaining:
            length = remaining
        return self._fileobj.read(length)

    def seek(self, offset: int, whence: int = 0) -> int:
        return self._fileobj.seek(offset, whence)

    def tell(self) -> int:
        return self._fileobj.tell()


__all__ = ["SNIFF_BYTES", "BoundedReader", "looks_like_data_set"]
