"""The one DICOM sniffer: is a file DICOM at all, is it an image this tool reads, does a folder
hold DICOM, and can a length in a header be believed? Never raises.

A file is DICOM when it is a regular file with the 128-byte preamble followed by ``DICM``, or,
without them, when its first bytes are a plausible element header and its header names a
(0008,0016) *SOP Class UID* or a (0008,0060) *Modality*. It is an image this tool reads when
:func:`imaging.dicom.vocabulary.is_readable_image` says so (not a plan, segmentation, report or
ultrasound, which other napari plugins may open). A folder holds DICOM when one of the first
:data:`MAX_FILES_TO_SNIFF` files :func:`imaging.dicom.walk.walk` finds in it is DICOM.

A file without the 'DICM' marker at byte 128 may still be a DICOM data set written without
preamble and file meta (old ACR-NEMA style exports). pydicom's ``force=True`` reads anything as
one, taking whatever four bytes it meets for an element length: on a CSV or random bytes that is
a read of hundreds of megabytes. :func:`looks_like_data_set` accepts only files whose first bytes
are a plausible element header; headers are read with :func:`imaging.dicom.bounded.dcmread_bounded`,
so a damaged length in a real header cannot allocate more than the file's size, nor a deflated data
set more than :data:`imaging.dicom.limits.MAX_INFLATED_BYTES`.
"""

from __future__ import annotations

import os
import re
import stat
import struct
import warnings
from pathlib import Path

from imaging.dicom.bounded import dcmread_bounded
from imaging.dicom.vocabulary import is_readable_image
from imaging.dicom.walk import candidate_files

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
PREAMBLE_BYTES = 132
"""The 128-byte preamble and the ``DICM`` prefix of a DICOM Part 10 file."""
MAX_FILES_TO_SNIFF = 256
"""Files a folder sniff opens before giving up, so a huge non-DICOM folder is answered quickly."""
PathLike = str | os.PathLike[str]
_IDENTIFYING = ("SOPClassUID", "Modality")
_UID = re.compile(r"[0-9]+(\.[0-9]+)+")
_MODALITY = re.compile(r"[A-Z]{2,4}")


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


def is_dicom_file(path: PathLike) -> bool:
    """True when ``path`` is a regular file holding DICOM (with or without the preamble)."""
    head = _head(path)
    if head is None:
        return False
    return has_dicm_prefix(head[0]) or dicom_tags(path) is not None


def has_dicm_prefix(head: bytes) -> bool:
    """True when bytes 128-131 of a file's ``head`` are ``DICM`` (the Part 10 preamble)."""
    return len(head) >= PREAMBLE_BYTES and head[128:PREAMBLE_BYTES] == b"DICM"


def dicom_tags(path: PathLike, keywords: tuple[str, ...] = ()) -> dict[str, str] | None:
    """The text of (0008,0016) *SOP Class UID*, (0008,0060) *Modality* and ``keywords`` in a DICOM
    file ('' when absent), read from the header only; None when ``path`` is not DICOM.

    A file with the ``DICM`` prefix whose header cannot be parsed gives ``{}``: it is DICOM, a
    damaged one, and the loaders name what is wrong with it.
    """
    head = _head(path)
    if head is None:
        return None
    data, size = head
    prefixed = has_dicm_prefix(data)
    if not prefixed and not looks_like_data_set(data[:SNIFF_BYTES], size):
        return None
    wanted = list(dict.fromkeys((*_IDENTIFYING, *keywords)))
    try:
        with Path(path).open("rb") as file, warnings.catch_warnings():
            warnings.simplefilter("ignore")  # garbage parsed with force=True warns; judged below
            dataset = dcmread_bounded(
                file,
                size,
                str(path),
                stop_before_pixels=True,
                force=not prefixed,
                specific_tags=wanted,
            )
            tags = {keyword: str(dataset.get(keyword, "") or "").strip() for keyword in wanted}
    except Exception:  # arbitrary bytes fail in arbitrary ways: the verdict is below
        return {} if prefixed else None
    if prefixed or _UID.fullmatch(tags["SOPClassUID"]) or _MODALITY.fullmatch(tags["Modality"]):
        return tags
    return None


def is_image_file(path: PathLike) -> bool:
    """True for a DICOM file holding an image the loaders read (a radiograph, MR, CT, PT or a
    secondary capture), or a damaged DICOM file (the loader then says what is wrong); False for
    other DICOM objects (plans, segmentations, reports, ultrasound, ...) and non-DICOM files."""
    tags = dicom_tags(path)
    if tags is None:
        return False
    modality = tags.get("Modality", "")
    return not modality or is_readable_image(modality, tags.get("SOPClassUID", ""))


def folder_has_dicom(folder: PathLike) -> bool:
    """True when one of the first :data:`MAX_FILES_TO_SNIFF` files the walk finds is DICOM."""
    for count, path in enumerate(candidate_files(folder)):
        if count >= MAX_FILES_TO_SNIFF:
            return False
        if is_dicom_file(path):
            return True
    return False


def opens_as_dicom(path: PathLike) -> bool:
    """True for a DICOM image file or a folder holding DICOM (what the napari reader takes)."""
    if not os.fspath(path):
        return False  # Path("") would be the current folder
    try:
        candidate = Path(path)
        return folder_has_dicom(candidate) if candidate.is_dir() else is_image_file(candidate)
    except (OSError, ValueError):
        return False


def _head(path: PathLike) -> tuple[bytes, int] | None:
    """The first bytes and the size of a regular file; None for anything else (a FIFO or a
    device is never opened) or when it cannot be read."""
    try:
        candidate = Path(path)
        info = candidate.stat()
        if not stat.S_ISREG(info.st_mode):
            return None
        with candidate.open("rb") as file:
            return file.read(PREAMBLE_BYTES), info.st_size
    except (OSError, ValueError):
        return None


__all__ = [
    "MAX_FILES_TO_SNIFF",
    "SNIFF_BYTES",
    "dicom_tags",
    "folder_has_dicom",
    "has_dicm_prefix",
    "is_dicom_file",
    "is_image_file",
    "looks_like_data_set",
    "opens_as_dicom",
]
