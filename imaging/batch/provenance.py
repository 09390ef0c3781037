"""The provenance record of a batch: what ran, on what, with what, and when.

``provenance.json`` lets a statistician or an auditor say exactly which software and which inputs
produced an endpoint table: software and library versions, the protocol, every input file with its
SHA-256, the options, how the work was executed, counts, and start and end times (UTC, ISO 8601).
"""

from __future__ import annotations

import json
import platform
import sys
from collections.abc import Iterable
from datetime import UTC, datetime
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from imaging import __version__
from imaging.atomic import write_text_atomically
from imaging.batch.model import FileDigest

LIBRARIES: tuple[str, ...] = (
    "numpy",
    "pandas",
    "pyarrow",
    "pydicom",
    "pylibjpeg",
    "pylibjpeg-libjpeg",
    "pylibjpeg-openjpeg",
    "pylibjpeg-rle",
    "pyjpegls",
    "SimpleITK",
    "scikit-image",
    "SQLAlchemy",
    "matplotlib",
    "dask",
    "distributed",
    "rich",
)


def now() -> str:
    """The current time, UTC, ISO 8601 with seconds."""
    return datetime.now(UTC).isoformat(timespec="seconds")


def software() -> dict[str, Any]:
    """spine-endpoints, Python and library versions (``null`` for a library not installed)."""
    versions: dict[str, str | None] = {}
    for name in LIBRARIES:
        try:
            versions[name] = version(name)
        except PackageNotFoundError:
            versions[name] = None
    return {
        "spine-endpoints": __version__,
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "libraries": versions,
    }


def redact_url(url: str) -> str:
    """A database URL without its password (``postgresql://user:***@host/db``)."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
    return urlunsplit(parts._replace(netloc=netloc))


def file_entry(path: str | Path | None) -> dict[str, Any] | None:
    """Path, size and SHA-256 of a single input file (landmarks, grades, protocol)."""
    if path is None:
        return None
    digest = FileDigest.of(path)
    return {"path": str(Path(path).resolve()), "size": digest.size, "sha256": digest.sha256}


def build(
    *,
    started: str,
    finished: str,
    command: Iterable[str],
    options: dict[str, Any],
    execution: str,
    protocol: dict[str, Any],
    inputs: dict[str, Any],
    images: Iterable[FileDigest],
    counts: dict[str, int],
) -> dict[str, Any]:
    """The provenance record as a JSON-ready dict."""
    return {
        "software": software(),
        "started": started,
        "finished": finished,
        "command": list(command),
        "options": options,
        "execution": execution,
        "protocol": protocol,
        "inputs": {
            **inputs,
            "images": [
                {"path": d.path, "size": d.size, "sha256": d.sha256}
                for d in sorted(images, key=lambda d: d.path)
            ],
        },
        "counts": counts,
    }


def write(record: dict[str, Any], path: str | Path) -> Path:
    """Write the record as indented JSON (atomically)."""
    return write_text_atomically(Path(path), json.dumps(record, indent=2) + "\n")
