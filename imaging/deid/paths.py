"""Where a de-identified file goes: IN's layout under OUT, with identifying names replaced.

A folder or file name holding the patient's id, a part of their name (two characters or more,
any case) or one of the file's original UIDs gets the subject id or the new UID in its place, so
``IN/Smith_John/1.2.3.dcm`` becomes ``OUT/SUBJ-01_SUBJ-01/2.25....dcm``. A file inside an archive
goes to a folder named after the archive (its suffix dropped) holding the member's path. Nothing
is ever written outside OUT: ``..``, absolute and empty parts of member names are dropped, and
the resolved target is checked to lie under OUT.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from pathlib import Path, PurePosixPath

from imaging.dicom.walk import ARCHIVE_SUFFIXES
from imaging.errors import SpineEndpointsError


def relative_parts(root: Path, path: Path, member: str | None) -> list[str]:
    """The parts of ``path`` (and ``member`` inside it) below ``root``, safe to join under OUT."""
    parts = list(path.relative_to(root).parts) if path != root else [path.name]
    if member is not None:
        parts[-1] = _archive_stem(parts[-1])
        clean = [
            p for p in PurePosixPath(member.replace("\\", "/")).parts if p not in ("/", ".", "..")
        ]
        parts += clean
    return [p for p in parts if p and p not in (".", "..")]


def renamed(parts: Sequence[str], identifiers: Sequence[str], subject_id: str,
            uids: Mapping[str, str]) -> list[str]:  # fmt: skip
    """``parts`` with the original UIDs replaced by new ones and the patient's ``identifiers``
    (longest first) by ``subject_id``."""
    result = []
    for part in parts:
        for old, new in sorted(uids.items(), key=lambda item: len(item[0]), reverse=True):
            part = part.replace(old, new)
        if identifiers:
            pattern = re.compile("|".join(re.escape(v) for v in identifiers), re.IGNORECASE)
            part = pattern.sub(subject_id, part)
        result.append(part.replace("/", "_").replace("\\", "_"))
    return result


def target_in(out: Path, parts: Sequence[str]) -> Path:
    """``out`` joined with ``parts``; :class:`SpineEndpointsError` if it would lie outside."""
    target = out.joinpath(*parts)
    root = out.resolve()
    resolved = target.parent.resolve() / target.name
    if not parts or root not in resolved.parents:
        raise SpineEndpointsError(
            "the output would lie outside the output folder (a link or a member path leads out)",
            path=target,
            fix="Remove the link in the output folder, or extract the archive and check it.",
        )
    return target


def _archive_stem(name: str) -> str:
    lowered = name.lower()
    for suffix in sorted(ARCHIVE_SUFFIXES, key=len, reverse=True):
        if lowered.endswith(suffix):
            return name[: -len(suffix)] or name
    return name
