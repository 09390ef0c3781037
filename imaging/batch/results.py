"""Per-study results on disk: one JSON file per study in ``OUT/studies/``, written atomically.

Each file holds the study's endpoint rows, the corners they were measured from, its failures,
the digests of its input files and the hash of everything else that went into it (the *recipe*:
landmarks, grades, protocol, software version). A rerun compares the current inputs with the
stored ones and skips the study when both are unchanged, so an interrupted batch resumes where it
stopped and a finished one reruns in seconds. A file is replaced with ``os.replace`` after it is
fully written: a kill leaves either the old result or the new one, never half of one.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from imaging.atomic import write_text_atomically
from imaging.batch.model import ENDPOINT_COLUMNS, Failure, FileDigest, StudyResult
from imaging.errors import SpineEndpointsError
from imaging.text_input import load_json, read_text

FORMAT_VERSION = 4
"""4: the corners measured (``corners``) are kept; an older record is recomputed."""


def study_id(subject: str, visit: str) -> str:
    """A file-name-safe, stable identifier of subject x visit (``S001__baseline``)."""
    return f"{_safe(subject)}__{_safe(visit)}"


def _safe(text: str) -> str:
    cleaned = re.sub(r"[^A-Za-z0-9._-]+", "-", text.strip()).strip("-.")
    if cleaned == text and cleaned:
        return cleaned
    # Different names can clean to the same text: keep them apart with a short hash.
    return f"{cleaned or 'x'}-{hashlib.sha256(text.encode()).hexdigest()[:8]}"


class ResultStore:
    """The ``studies/`` folder of a batch output directory."""

    def __init__(self, out_dir: str | os.PathLike[str]) -> None:
        self.folder = Path(out_dir) / "studies"
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise SpineEndpointsError(
                f"cannot create the result folder ({error.strerror})",
                path=self.folder,
                fix="Choose an --out directory you can write to.",
            ) from error

    def path(self, study: str) -> Path:
        return self.folder / f"{study}.json"

    # --- reading -------------------------------------------------------------------------------
    def load(self, study: str) -> dict[str, Any] | None:
        """The stored record of a study, or None when there is none or it is unreadable."""
        path = self.path(study)
        if not path.exists():
            return None
        try:
            record = load_json(read_text(path, "study record", "json"), path, "study record")
        except SpineEndpointsError:
            return None  # a damaged, special or too deeply nested record is recomputed
        if not isinstance(record, dict):
            return None
        if record.get("format") != FORMAT_VERSION or record.get("columns") != list(
            ENDPOINT_COLUMNS
        ):
            return None
        return record

    def is_current(self, study: str, recipe_hash: str, files: Iterable[str]) -> bool:
        """True when the stored result was computed from this recipe and these unchanged files.

        Files whose size and modification time match the stored digest are not read again; the
        others are hashed and compared by content.
        """
        record = self.load(study)
        if record is None or record.get("recipe_hash") != recipe_hash:
            return False
        stored = {d["path"]: FileDigest.from_dict(d) for d in record.get("files", [])}
        wanted = sorted(set(files))
        if sorted(stored) != wanted:
            return False
        for path in wanted:
            digest = stored[path]
            if digest.still_matches():
                continue
            try:
                if FileDigest.of(path).sha256 != digest.sha256:
                    return False
            except OSError:
                return False
        return True

    @staticmethod
    def rows(record: Mapping[str, Any]) -> list[list[Any]]:
        """The endpoint rows of a stored record (columns :data:`ENDPOINT_COLUMNS`)."""
        rows: list[list[Any]] = record.get("rows", [])
        return rows

    @staticmethod
    def failures(record: Mapping[str, Any]) -> list[Failure]:
        return [Failure.from_dict(f) for f in record.get("failures", [])]

    @staticmethod
    def corners(record: Mapping[str, Any]) -> list[list[Any]]:
        """The measured corners of a stored record (:data:`~imaging.batch.model.CornerRow`)."""
        corners: list[list[Any]] = record.get("corners", [])
        return corners

    @staticmethod
    def digests(record: Mapping[str, Any]) -> list[FileDigest]:
        return [FileDigest.from_dict(d) for d in record.get("files", [])]

    # --- writing -------------------------------------------------------------------------------
    def save(self, result: StudyResult, recipe_hash: str) -> Path:
        """Write a study's result atomically; returns its path."""
        record = {
            "format": FORMAT_VERSION,
            "study_id": result.study_id,
            "subject": result.subject,
            "visit": result.visit,
            "status": result.status,
            "recipe_hash": recipe_hash,
            "files": [d.to_dict() for d in sorted(result.files, key=lambda d: d.path)],
            "summary": result.summary,
            "failures": [f.to_dict() for f in result.failures],
            "columns": list(ENDPOINT_COLUMNS),
            "rows": result.rows,
            "corners": result.corners,
        }
        # json.dumps, not json.dump: only the former uses the C encoder. The cells are mostly
        # text, None and Python floats, which it writes as they are (a numpy float64 as the
        # Python float it is); a cell it refuses (a NaN, another numpy number) has the cells
        # made plain first, one by one.
        try:
            text = json.dumps(record, allow_nan=False, separators=(",", ":"))
        except (TypeError, ValueError):
            record["rows"] = [[_plain(v) for v in row] for row in result.rows]
            record["corners"] = [[_plain(v) for v in row] for row in result.corners]
            text = json.dumps(record, allow_nan=False, separators=(",", ":"))
        return write_text_atomically(self.path(result.study_id), text)

    def stored_ids(self) -> list[str]:
        return sorted(p.stem for p in self.folder.glob("*.json"))

    def remove(self, study: str) -> None:
        self.path(study).unlink(missing_ok=True)


def _plain(value: Any) -> Any:
    """A JSON-ready scalar: numpy numbers to Python, NaN to None."""
    if value is None or type(value) is str:  # most cells: nothing to convert
        return value
    if hasattr(value, "item"):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value
