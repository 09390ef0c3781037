"""``SHA256SUMS`` of a delivery folder, in the format ``sha256sum -c`` checks.

One line per file at the top of the folder (the endpoint table, corners, eligibility, failures,
provenance, agreement, report, data dictionary) and per subject page (``subjects/*.html``):
``<64 hex>  <path relative to the folder>``, sorted by path. Other sub-folders (the batch's
stored results, ``studies/``) and hidden files (temporary files of an atomic write) are not part
of the delivery. Digests: :class:`imaging.digests.FileDigest`.
"""

from __future__ import annotations

from pathlib import Path

from imaging.atomic import write_text_atomically
from imaging.digests import FileDigest

FILE_NAME = "SHA256SUMS"
DELIVERED_FOLDERS = ("subjects",)
"""Sub-folders whose files are delivered (the subject pages)."""


def delivered_files(folder: Path) -> list[Path]:
    """The files ``SHA256SUMS`` covers, sorted by their path relative to ``folder``."""
    candidates = [*folder.iterdir()]
    for name in DELIVERED_FOLDERS:
        if (folder / name).is_dir():
            candidates.extend((folder / name).iterdir())
    return sorted(
        (
            path
            for path in candidates
            if path.is_file() and not path.name.startswith(".") and path.name != FILE_NAME
        ),
        key=lambda path: path.relative_to(folder).as_posix(),
    )


def write_checksums(folder: str | Path) -> Path:
    """Write ``folder/SHA256SUMS``; returns its path."""
    folder = Path(folder)
    lines = [
        f"{FileDigest.of(path).sha256}  {path.relative_to(folder).as_posix()}\n"
        for path in delivered_files(folder)
    ]
    return write_text_atomically(folder / FILE_NAME, "".join(lines))
