"""Parse landmark files (CSV or JSON) into checked records, one per placed corner.

Tolerant of what spreadsheets do (a byte-order mark, ``;`` or tab separators, capitalised or
spaced headers, extra columns, corner names written ``anterior-superior``, ``Anterior Superior``
or ``AS``); strict about content: every problem is a :class:`~imaging.errors.LandmarkError`
naming the file, the line (CSV) or entry (JSON), the subject/visit/film and the fix.
"""

from __future__ import annotations

import csv
import io
import json
import math
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from imaging.anatomy import Corner, Film, Vertebra
from imaging.errors import FileAccessError, LandmarkError

REQUIRED_COLUMNS = ("subject", "visit", "film", "image", "vertebra", "corner", "row", "col")
OPTIONAL_COLUMNS = ("reader",)
_CORNER_ABBREVIATIONS = {
    "as": Corner.ANTERIOR_SUPERIOR,
    "ps": Corner.POSTERIOR_SUPERIOR,
    "ai": Corner.ANTERIOR_INFERIOR,
    "pi": Corner.POSTERIOR_INFERIOR,
}


@dataclass(frozen=True)
class LandmarkRecord:
    """One placed corner as read from a landmark file; ``where`` is e.g. ``"line 12"``."""

    subject: str
    visit: str
    film: Film
    image: str
    vertebra: Vertebra
    corner: Corner
    row: float
    col: float
    reader: str
    where: str

    @property
    def film_key(self) -> tuple[str, str, Film, str]:
        """(subject, visit, film, reader): the corners of one read film share it."""
        return (self.subject, self.visit, self.film, self.reader)


def read_landmark_records(path: str | Path) -> list[LandmarkRecord]:
    """Every placed corner of a landmark file (``.json`` is JSON, anything else CSV).

    Rows whose ``row`` and ``col`` are both empty are corners not placed and are skipped.
    """
    source = Path(path)
    try:
        text = source.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise LandmarkError(
            "landmark file not found", path=source, fix="Check the path and the current folder."
        ) from None
    except (IsADirectoryError, PermissionError) as error:
        raise FileAccessError(
            f"cannot read the landmark file ({error.strerror})",
            path=source,
            fix="Give a readable CSV or JSON file.",
        ) from None
    except UnicodeDecodeError:
        raise LandmarkError(
            "the landmark file is not UTF-8 text",
            path=source,
            fix="Save it as CSV (UTF-8) or JSON.",
        ) from None
    entries = (
        _json_entries(text, source) if source.suffix.lower() == ".json" else _csv_rows(text, source)
    )
    records = [r for r in (_record(entry, where, source) for where, entry in entries) if r]
    if not records:
        raise LandmarkError(
            "the landmark file has no placed corners",
            path=source,
            fix=f"Give one row per corner with columns {', '.join(REQUIRED_COLUMNS)}.",
        )
    return records


def _csv_rows(text: str, source: Path) -> Iterator[tuple[str, Mapping[str, str]]]:
    first = text.split("\n", 1)[0]
    delimiter = next((d for d in (",", ";", "\t") if d in first), ",")
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    header = next(reader, None)
    if not header:
        raise LandmarkError(
            "the landmark file is empty",
            path=source,
            fix=f"The first line names the columns: {', '.join(REQUIRED_COLUMNS)}.",
        )
    names = [_column(name) for name in header]
    missing = [c for c in REQUIRED_COLUMNS if c not in names]
    if missing:
        raise LandmarkError(
            f"line 1: missing column{'s' if len(missing) > 1 else ''} {', '.join(missing)} "
            f"(found: {', '.join(n for n in names if n) or 'none'})",
            path=source,
            fix=f"The header needs {', '.join(REQUIRED_COLUMNS)}; reader is optional.",
        )
    for cells in reader:
        if not any(cell.strip() for cell in cells):
            continue
        line = reader.line_num
        if len(cells) > len(names):
            raise LandmarkError(
                f"line {line}: {len(cells)} cells for {len(names)} columns",
                path=source,
                fix="Quote values that contain the separator.",
            )
        yield f"line {line}", dict(zip(names, cells, strict=False))


def _json_entries(text: str, source: Path) -> Iterator[tuple[str, Mapping[str, Any]]]:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise LandmarkError(
            f"line {error.lineno}: not valid JSON ({error.msg})",
            path=source,
            fix="Fix the JSON syntax at that line.",
        ) from None
    if isinstance(data, dict):
        data = data.get("landmarks")
    if not isinstance(data, list):
        raise LandmarkError(
            "JSON landmarks must be a list of objects, or an object with a 'landmarks' list",
            path=source,
            fix='Write [{"subject": ..., "visit": ..., "film": ..., "image": ..., "vertebra": '
            '..., "corner": ..., "row": ..., "col": ...}, ...].',
        )
    for number, entry in enumerate(data, start=1):
        where = f"entry {number}"
        if not isinstance(entry, dict):
            raise LandmarkError(
                f"{where}: expected an object, got {type(entry).__name__}", path=source
            )
        missing = [c for c in REQUIRED_COLUMNS if c not in {_column(k) for k in entry}]
        if missing:
            raise LandmarkError(
                f"{where}: missing key{'s' if len(missing) > 1 else ''} {', '.join(missing)}",
                path=source,
                fix=f"Each entry needs {', '.join(REQUIRED_COLUMNS)}; reader is optional.",
            )
        yield where, {_column(k): v for k, v in entry.items()}


def _column(name: str) -> str:
    return name.strip().lower().replace(" ", "_").replace("-", "_")


def _text(value: Any) -> str:
    return "" if value is None else str(value).strip()


def _record(entry: Mapping[str, Any], where: str, source: Path) -> LandmarkRecord | None:
    subject, visit = _text(entry.get("subject")), _text(entry.get("visit"))
    film_text, reader = _text(entry.get("film")), _text(entry.get("reader"))
    context = ", ".join(
        f"{name} {value}"
        for name, value in (("subject", subject), ("visit", visit), ("film", film_text))
        if value
    )
    prefix = f"{where} ({context})" if context else where

    def fail(message: str, fix: str = "") -> LandmarkError:
        return LandmarkError(f"{prefix}: {message}", path=source, fix=fix)

    for column in ("subject", "visit", "film", "image", "vertebra", "corner"):
        if not _text(entry.get(column)):
            raise fail(f"empty {column}", f"Every row needs a {column}.")
    try:
        film = Film(film_text)
    except ValueError:
        raise fail(
            f"unknown film {film_text!r}", f"Use one of: {', '.join(f.value for f in Film)}."
        ) from None
    vertebra_text = _text(entry.get("vertebra"))
    try:
        vertebra = Vertebra(vertebra_text.upper())
    except ValueError:
        raise fail(
            f"unknown vertebra {vertebra_text!r}",
            f"Use one of: {', '.join(v.value for v in Vertebra)}.",
        ) from None
    corner_text = _text(entry.get("corner"))
    corner = _CORNER_ABBREVIATIONS.get(corner_text.lower())
    if corner is None:
        try:
            corner = Corner(corner_text.replace("-", "_"))
        except ValueError:
            raise fail(
                f"unknown corner {corner_text!r} of {vertebra}",
                f"Use one of: {', '.join(c.value for c in Corner)}.",
            ) from None
    if corner not in vertebra.corners:
        raise fail(
            f"{vertebra} has no {corner.value} corner",
            f"Only {' and '.join(c.value for c in vertebra.corners)} are read on {vertebra}.",
        )
    raw_row, raw_col = entry.get("row"), entry.get("col")
    if _text(raw_row) == "" and _text(raw_col) == "":
        return None
    coordinates = []
    for name, raw in (("row", raw_row), ("col", raw_col)):
        try:
            value = float(_text(raw)) if not isinstance(raw, int | float) else float(raw)
        except ValueError:
            raise fail(
                f"{vertebra} {corner.value}: {name} {_text(raw)!r} is not a number",
                "Give pixel coordinates as numbers (a dot for decimals), or leave both row "
                "and col empty for a corner not placed.",
            ) from None
        if not math.isfinite(value):
            raise fail(
                f"{vertebra} {corner.value}: {name} is {value}", "Give a finite pixel coordinate."
            )
        coordinates.append(value)
    return LandmarkRecord(
        subject,
        visit,
        film,
        _text(entry.get("image")),
        vertebra,
        corner,
        coordinates[0],
        coordinates[1],
        reader,
        where,
    )
