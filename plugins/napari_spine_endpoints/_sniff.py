"""Is this path DICOM? Content sniffing for the reader, fast and never raising.

A file is DICOM when it has the 128-byte preamble followed by ``DICM``, or, for files written
without a preamble (old archives, extension-less exports), when it starts with a little-endian
group 0002 or 0008 tag and pydicom can parse a data set naming a SOP class or a modality from it.
A file is ours when it is DICOM and an image the loaders read (not a plan, segmentation, report or
ultrasound, which other plugins may open). A folder is ours when one of its files (searched
breadth-first, at most ``MAX_FILES_TO_SNIFF``) is DICOM: the reader lists what it leaves out.
"""

from __future__ import annotations

import os
import re
import warnings
from collections import deque
from collections.abc import Iterator
from pathlib import Path

import pydicom
from pydicom.errors import InvalidDicomError

from imaging.dicom.radiograph import is_readable_image

MAX_FILES_TO_SNIFF = 256
"""Files a folder sniff opens before giving up, so a huge non-DICOM folder is answered quickly."""

NOT_DICOM_SUFFIXES = frozenset(
    {".json", ".csv", ".txt", ".md", ".py", ".png", ".jpg", ".jpeg", ".tif", ".tiff", ".zip",
     ".gz", ".npy", ".npz", ".parquet", ".html", ".yaml", ".yml", ".toml", ".xml", ".pdf"}
)  # fmt: skip
"""Suffixes never opened by the folder sniff or loaded from a folder."""

_UID = re.compile(r"[0-9]+(\.[0-9]+)+")
_MODALITY = re.compile(r"[A-Z]{2,4}")


def has_dicm_prefix(path: str | os.PathLike[str]) -> bool:
    """True when bytes 128-131 are ``DICM`` (the DICOM Part 10 file preamble)."""
    try:
        with Path(path).open("rb") as file:
            head = file.read(132)
    except OSError:
        return False
    return len(head) == 132 and head[128:132] == b"DICM"


def _looks_like_raw_dataset(path: str | os.PathLike[str]) -> bool:
    """A preamble-less data set: a group 0002/0008 tag first, then a parseable header."""
    try:
        with Path(path).open("rb") as file:
            head = file.read(4)
    except OSError:
        return False
    if len(head) < 4 or int.from_bytes(head[:2], "little") not in (0x0002, 0x0008):
        return False
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # garbage parsed with force=True warns; judged below
            dataset = pydicom.dcmread(
                path, stop_before_pixels=True, force=True, specific_tags=["SOPClassUID", "Modality"]
            )
            sop_class = str(dataset.get("SOPClassUID", "") or "")
            modality = str(dataset.get("Modality", "") or "")
    except (InvalidDicomError, OSError, ValueError, KeyError, EOFError, TypeError, AttributeError):
        return False
    return bool(_UID.fullmatch(sop_class) or _MODALITY.fullmatch(modality))


def is_dicom_file(path: str | os.PathLike[str]) -> bool:
    """True when ``path`` is a readable file holding DICOM (with or without the preamble)."""
    candidate = Path(path)
    if not candidate.is_file():
        return False
    return has_dicm_prefix(candidate) or _looks_like_raw_dataset(candidate)


def candidate_files(folder: str | os.PathLike[str]) -> Iterator[Path]:
    """Files under ``folder`` worth sniffing, breadth-first, sorted, hidden ones left out."""
    queue: deque[Path] = deque([Path(folder)])
    while queue:
        current = queue.popleft()
        try:
            entries = sorted(os.scandir(current), key=lambda e: e.name)
        except OSError:
            continue
        for entry in entries:
            if entry.name.startswith("."):
                continue
            if entry.is_dir(follow_symlinks=False):
                queue.append(Path(entry.path))
            elif Path(entry.name).suffix.lower() not in NOT_DICOM_SUFFIXES:
                yield Path(entry.path)


def folder_has_dicom(folder: str | os.PathLike[str]) -> bool:
    """True when one of the first ``MAX_FILES_TO_SNIFF`` candidate files is DICOM."""
    for count, path in enumerate(candidate_files(folder)):
        if count >= MAX_FILES_TO_SNIFF:
            return False
        if is_dicom_file(path):
            return True
    return False


def is_image_file(path: str | os.PathLike[str]) -> bool:
    """True for a DICOM file holding an image the loaders read (a radiograph, MR, CT or PT);
    False for other DICOM objects (plans, segmentations, reports, ultrasound, ...)."""
    if not is_dicom_file(path):
        return False
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            dataset = pydicom.dcmread(
                path, stop_before_pixels=True, force=True, specific_tags=["SOPClassUID", "Modality"]
            )
        modality = str(dataset.get("Modality", "") or "")
        sop_class = str(dataset.get("SOPClassUID", "") or "")
    except (InvalidDicomError, OSError, ValueError, KeyError, EOFError, TypeError, AttributeError):
        return True  # a damaged header: the reader names the file and what is wrong
    return not modality.strip() or is_readable_image(modality, sop_class)


def is_ours(path: str | os.PathLike[str]) -> bool:
    """True for a DICOM image file or a folder holding DICOM; never raises."""
    if not os.fspath(path):
        return False  # Path("") would be the current folder
    try:
        candidate = Path(path)
        if candidate.is_dir():
            return folder_has_dicom(candidate)
        return is_image_file(candidate)
    except (OSError, ValueError):
        return False
