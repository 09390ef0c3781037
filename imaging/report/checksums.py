"""``SHA256SUMS`` of a delivery folder, in the format ``sha256sum -c`` checks.

One line per file at the top of the folder (the endpoint table, eligibility, failures,
provenance, agreement, report, data dictionary): ``<64 hex>  <name>``, sorted by name.
Sub-folders (the batch's stored results, ``studies/``) and hidden files (temporary files of an
atomic write) are not part of the delivery. Digests: :class:`imaging.digests.FileDigest`.
"""

from __future__ import annotations

from pathlib import Path

from imaging.atomic import write_text_atomically
from imaging.digests import FileDigest

FILE_NAME = "SHA256SUMS"


def delivered_files(folder: Path) -> list[Path]:
    """The files ``SHA256SUMS`` covers, sorted by name."""
    return sorted(
        path
        for path in folder.iterdir()
        if path.is_file() and not path.name.startswith(".") and path.name != FILE_NAME
    )


def write_checksums(folder: str | Path) -> Path:
    """Write ``folder/SHA256SUMS``; returns its path."""
    folder = Path(folder)
    lines = [f"{FileDigest.of(path).sha256}  {path.name}\n" for path in delivered_files(folder)]
    return write_text_atomically(folder / FILE_NAME, "".join(lines))
