"""Parse landmark files (CSV or JSON) into checked records, one per placed corner.

Tolerant of what spreadsheets do (a byte-order mark, ``;`` or tab separators, capitalised or
spaced headers, extra columns, corner names written ``anterior-superior``, ``Anterior Superior``
or ``AS``); strict about content: every problem is a :class:`~imaging.errors.LandmarkError`
naming the file, the line (CSV) or entry (JSON), the subject/visit/film and the fix.

Two ways to read: :func:`read_landmark_records` refuses the whole file at its first bad row (the
``heights`` and ``rom`` commands: a reader fixes the file); :func:`iter_landmark_records` streams
the records and yields a :class:`RowProblem` for each bad row instead (the batch: one bad row
fails its film, every other film is measured). Problems with the file itself raise in both: a
:class:`~imaging.errors.TextInputError` when it cannot be read within the limits of
:mod:`imaging.text_input` (missing, not a regular file, too large, a cell over 128 KiB, JSON
invalid or nested too deep, not UTF-8), a :class:`LandmarkError` when it has no header, misses
columns or places no corner.
"""

from __future__ import annotations

import csv
import math
import sys
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

from imaging.anatomy import Corner, Film, Vertebra
from imaging.errors import LandmarkError
from imaging.text_input import csv_rows, load_json, open_text, read_text

REQUIRED_COLUMNS = ("subject", "visit", "film", "image", "vertebra", "corner", "row", "col")
OPTIONAL_COLUMNS = ("reader",)
WHAT = "landmark file"
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


@dataclass(frozen=True)
class RowProblem:
    """A row (CSV) or entry (JSON) of a landmark file that cannot be used, and why.

    ``subject``, ``visit``, ``film``, ``reader`` and ``image`` are the row's cells as written
    (empty when absent), so the problem can be given to its film; ``reason`` names the line and
    what is wrong, ``fix`` how to correct it (the :class:`LandmarkError` the strict reader raises
    has the same text).
    """

    where: str
    subject: str
    visit: str
    film: str
    reader: str
    image: str
    reason: str
    fix: str
    path: str

    @property
    def film_key(self) -> tuple[str, str, str, str]:
        """(subject, visit, film, reader) as written: the film the row belongs to."""
        return (self.subject, self.visit, self.film, self.reader)

    def error(self) -> LandmarkError:
        return LandmarkError(self.reason, path=self.path, fix=self.fix)


def read_landmark_records(path: str | Path) -> list[LandmarkRecord]:
    """Every placed corner of a landmark file (``.json`` is JSON, anything else CSV).

    Rows whose ``row`` and ``col`` are both empty are corners not placed and are skipped. The
    first bad row raises its :class:`LandmarkError`.
    """
    records: list[LandmarkRecord] = []
    for item in iter_landmark_records(path):
        if isinstance(item, RowProblem):
            raise item.error()
        records.append(item)
    return records


def iter_landmark_records(path: str | Path) -> Iterator[LandmarkRecord | RowProblem]:
    """Each placed corner of a landmark file, or a :class:`RowProblem` for a row that is bad.

    Streams the rows of a CSV file in file order (records are not kept), so memory does not
    grow with the file; a JSON file is parsed whole. Raises only for the file as a whole (see
    the module docstring). Repeated text (subject, visit, image, reader) is interned.
    """
    source = Path(path)
    placed = False
    if source.suffix.lower() == ".json":
        text = read_text(source, WHAT, "json")
        for item in _items(_json_entries(load_json(text, source, WHAT), source), source):
            placed = True
            yield item
    else:
        with open_text(source, WHAT) as stream:
            for item in _items(_csv_rows(stream, source), source):
                placed = True
                yield item
    if not placed:
        raise LandmarkError(
            "the landmark file has no placed corners",
            path=source,
            fix=f"Give one row per corner with columns {', '.join(REQUIRED_COLUMNS)}.",
        )


def _items(entries: Iterator[Entry], source: Path) -> Iterator[LandmarkRecord | RowProblem]:
    """Each entry's record (entries of corners not placed are skipped), or its problem."""
    for where, entry, problem in entries:
        if problem is None:
            try:
                record = _record(entry, where, source)
            except LandmarkError as error:
                problem = error
            else:
                if record is not None:
                    yield record
                continue
        yield _problem(where, entry, problem, source)


def _problem(
    where: str, entry: Mapping[str, Any], error: LandmarkError, source: Path
) -> RowProblem:
    return RowProblem(
        where=where,
        subject=_text(entry.get("subject")),
        visit=_text(entry.get("visit")),
        film=_text(entry.get("film")),
        reader=_text(entry.get("reader")),
        image=_text(entry.get("image")),
        reason=error.reason,
        fix=error.fix,
        path=str(source),
    )


Entry = tuple[str, Mapping[str, Any], LandmarkError | None]
"""(where, cells by column, the row's problem when it cannot even be split into cells)."""


def _csv_rows(stream: TextIO, source: Path) -> Iterator[Entry]:
    first = stream.readline(csv.field_size_limit())
    stream.seek(0)
    delimiter = next((d for d in (",", ";", "\t") if d in first), ",")
    reader = csv.reader(stream, delimiter=delimiter)
    rows = csv_rows(reader, source, WHAT)
    header = next(rows, None)
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
    for cells in rows:
        if not any(cell.strip() for cell in cells):
            continue
        line = reader.line_num
        entry = dict(zip(names, cells, strict=False))
        problem = None
        if len(cells) > len(names):
            problem = LandmarkError(
                f"line {line}: {len(cells)} cells for {len(names)} columns",
                path=source,
                fix="Quote values that contain the separator.",
            )
        yield f"line {line}", entry, problem


def _json_entries(data: Any, source: Path) -> Iterator[Entry]:
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
            yield (
                where,
                {},
                LandmarkError(
                    f"{where}: expected an object, got {type(entry).__name__}",
                    path=source,
                    fix="Each entry is an object with the landmark columns as keys.",
                ),
            )
            continue
        cells = {_column(str(k)): v for k, v in entry.items()}
        missing = [c for c in REQUIRED_COLUMNS if c not in cells]
        problem = None
        if missing:
            problem = LandmarkError(
                f"{where}: missing key{'s' if len(missing) > 1 else ''} {', '.join(missing)}",
                path=source,
                fix=f"Each entry needs {', '.join(REQUIRED_COLUMNS)}; reader is optional.",
            )
        yield where, cells, problem


def _column(name: str) -> str:
    return name.strip().lower().replace(" ", "_").replace("-", "_")


def _text(value: Any) -> str:
    return "" if value is None else str(value).strip()


def _record(entry: Mapping[str, Any], where: str, source: Path) -> LandmarkRecord | None:
    subject, visit = _text(entry.get("subject")), _text(entry.get("visit"))
    film_text, reader = _text(entry.get("film")), _text(entry.get("reader"))

    def fail(message: str, fix: str = "") -> LandmarkError:
        context = ", ".join(
            f"{name} {value}"
            for name, value in (("subject", subject), ("visit", visit), ("film", film_text))
            if value
        )
        prefix = f"{where} ({context})" if context else where
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
        sys.intern(subject),
        sys.intern(visit),
        film,
        sys.intern(_text(entry.get("image"))),
        vertebra,
        corner,
        coordinates[0],
        coordinates[1],
        sys.intern(reader),
        where,
    )
