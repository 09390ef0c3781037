"""Where a pulled instance is kept: ``OUT/<person>/<StudyInstanceUID>/<SeriesInstanceUID>/
<SOPInstanceUID>.dcm``. UIDs are checked to be digits and dots (PS3.5 section 9.1) and the person
folder is percent-encoded, so nothing a server sends can name a path outside ``OUT``."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import quote

from imaging.errors import DicomwebError

_UID = re.compile(r"[0-9]+(?:\.[0-9]+)*")
UID_MAX_CHARACTERS = 64
"""PS3.5 section 9.1: a UID is at most 64 characters."""


def checked_uid(value: object, what: str) -> str:
    """``value`` when it is a UID (digits separated by dots, at most 64 characters), else a
    :class:`DicomwebError` naming ``what`` (e.g. ``"the SOP Instance UID of study 1.2.3"``)."""
    text = str(value).strip().rstrip("\0") if value is not None else ""
    if len(text) > UID_MAX_CHARACTERS or not _UID.fullmatch(text):
        raise DicomwebError(
            f"{what} is {text[:80]!r}, not a DICOM UID (digits and dots, at most "
            f"{UID_MAX_CHARACTERS} characters, PS3.5 9.1); nothing written for it"
        )
    return text


def person_folder(identifier: str) -> str:
    """A folder name for a subject or patient id: characters other than letters, digits and
    ``_.-~`` percent-encoded (``/`` becomes ``%2F``), a leading dot too, so the name is one
    path component that is neither ``.``, ``..`` nor hidden."""
    name = quote(identifier.strip(), safe="")
    if not name:
        raise DicomwebError("an empty subject or patient id cannot name a folder")
    return "%2E" + name[1:] if name.startswith(".") else name


def instance_path(out: Path, person: str, study: str, series: str, instance: str) -> Path:
    """The file of one instance under ``out`` (UIDs as returned by :func:`checked_uid`)."""
    return out / person_folder(person) / study / series / f"{instance}.dcm"
