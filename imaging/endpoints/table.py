"""Endpoint rows out: a DataFrame, CSV (rounded to each measure's precision) and Parquet.

One writer for every path: ``heights``, ``rom``, ``export`` and the batch's ``endpoints.csv`` /
``endpoints.parquet`` all write through :class:`EndpointTableWriter`. CSV values are rounded to
the measure's decimals in the registry (:data:`imaging.measures.MEASURES`; ``-2.49e-14`` is
written ``0.00``); grades' scores are written as the shortest exact number. Parquet keeps full
precision. Files are written under temporary names and moved into place when complete.
"""

from __future__ import annotations

import csv
import math
import shutil
import sys
import tempfile
from collections.abc import Callable, Iterable
from itertools import islice
from pathlib import Path
from types import TracebackType
from typing import IO, Any, Self

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from imaging.endpoints.rows import COLUMNS, INTEGER_COLUMNS, NUMBER_COLUMNS, EndpointRow
from imaging.errors import SpineEndpointsError
from imaging.measures import MEASURES
from imaging.spreadsheet import neutralised, write_frame_csv

SCHEMA = pa.schema(
    [
        pa.field(
            name,
            pa.float64()
            if name in NUMBER_COLUMNS
            else pa.int64()
            if name in INTEGER_COLUMNS
            else pa.string(),
        )
        for name in COLUMNS
    ]
)
"""The Parquet schema of the endpoint table."""
ROW_GROUP_ROWS = 8_192
"""Rows buffered before a Parquet row group is written (bounds memory, keeps files readable)."""


def endpoint_table(rows: Iterable[EndpointRow]) -> pd.DataFrame:
    """Rows -> DataFrame with :data:`COLUMNS` in the given order (numbers nullable)."""
    records = [row.cells() for row in rows]
    table = pd.DataFrame.from_records(records, columns=list(COLUMNS))
    for column in COLUMNS:
        if column in NUMBER_COLUMNS:
            table[column] = pd.array(table[column].tolist(), dtype="Float64")
        elif column in INTEGER_COLUMNS:
            table[column] = pd.array(table[column].tolist(), dtype="Int64")
        else:
            table[column] = table[column].astype(str)
    return table


def csv_cells(row: EndpointRow) -> list[str]:
    """The row as CSV text: numbers rounded to the measure's decimals, None as '', text that a
    spreadsheet would evaluate neutralised (:mod:`imaging.spreadsheet`)."""
    decimals = MEASURES[row.measure].decimals if row.measure in MEASURES else None
    cells = []
    for name, value in zip(COLUMNS, row.cells(), strict=True):
        if value is None:
            cells.append("")
        elif name in NUMBER_COLUMNS:
            cells.append(_number(float(value), decimals))
        else:
            cells.append(neutralised(str(value)))
    return cells


def _number(value: float, decimals: int | None) -> str:
    if not math.isfinite(value):
        return ""
    if decimals is None:
        return repr(value) if value != int(value) else str(int(value))
    text = f"{value:.{decimals}f}"
    return text[1:] if text.startswith("-") and float(text) == 0 else text


class EndpointTableWriter:
    """Append rows to a CSV and/or a Parquet file as they come; :meth:`close` moves them into
    place, :meth:`abort` (or leaving a ``with`` block by an exception) removes them."""

    def __init__(self, csv_path: Path | None = None, parquet_path: Path | None = None) -> None:
        self.csv_path, self.parquet_path = csv_path, parquet_path
        self.rows_written = 0
        self._buffer: list[tuple[Any, ...]] = []
        self._csv: IO[str] | None = None
        self._parquet: pq.ParquetWriter | None = None
        try:
            if csv_path is not None:
                self._csv = _temporary(csv_path).open("w", encoding="utf-8", newline="")
                self._csv_writer = csv.writer(self._csv, lineterminator="\n")
                self._csv_writer.writerow(COLUMNS)
            if parquet_path is not None:
                self._parquet = pq.ParquetWriter(_temporary(parquet_path), SCHEMA)
        except OSError as error:
            self.abort()
            raise SpineEndpointsError(
                f"cannot write the table ({error.strerror or error})",
                path=csv_path or parquet_path,
                fix="Choose a writable folder.",
            ) from error

    def add(self, rows: Iterable[EndpointRow]) -> None:
        rows = list(rows)
        if self._csv is not None:
            self._csv_writer.writerows(csv_cells(row) for row in rows)
        if self._parquet is not None:
            self._buffer.extend(row.cells() for row in rows)
            if len(self._buffer) >= ROW_GROUP_ROWS:
                self._flush()
        self.rows_written += len(rows)

    def _flush(self) -> None:
        if self._parquet is not None and self._buffer:
            columns = list(zip(*self._buffer, strict=True))
            arrays = [pa.array(c, f.type) for c, f in zip(columns, SCHEMA, strict=True)]
            self._parquet.write_table(pa.table(arrays, schema=SCHEMA))
            self._buffer = []

    def close(self) -> None:
        """Finish the files and move them into place."""
        self._flush()
        for handle, path in ((self._csv, self.csv_path), (self._parquet, self.parquet_path)):
            if handle is not None and path is not None:
                handle.close()
                _temporary(path).replace(path)

    def abort(self) -> None:
        for handle, path in ((self._csv, self.csv_path), (self._parquet, self.parquet_path)):
            if handle is not None and path is not None:
                handle.close()
                _temporary(path).unlink(missing_ok=True)

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if kind is None:
            self.close()
        else:
            self.abort()


def write_endpoint_rows(rows: Iterable[EndpointRow], path: str | Path | None) -> int:
    """Write rows to ``FILE.csv`` or ``FILE.parquet`` (by suffix), or as CSV to standard output
    when ``path`` is None; returns how many. The rows may be a stream (held a chunk at a time);
    nothing is written when it raises (standard output gets the table once it is complete)."""
    if path is None:
        with tempfile.TemporaryDirectory() as folder:
            spool = Path(folder) / "rows.csv"
            count = write_endpoint_rows(rows, spool)
            with spool.open(encoding="utf-8", newline="") as table:
                _print(lambda out: shutil.copyfileobj(table, out))
        return count
    target = _output(path)
    csv_path = target if target.suffix.lower() == ".csv" else None
    stream = iter(rows)
    with EndpointTableWriter(csv_path, None if csv_path else target) as writer:
        while chunk := list(islice(stream, ROW_GROUP_ROWS)):
            writer.add(chunk)
    return writer.rows_written


def _print(write: Callable[[IO[str]], object]) -> None:
    """Write to standard output (a reader that stops early, ``| head``, is handled once for every
    command in :func:`imaging.cli.main`)."""
    write(sys.stdout)


def _temporary(path: Path) -> Path:
    return path.with_name(f".{path.name}.tmp")


def write_frame(frame: pd.DataFrame, path: str | Path | None) -> None:
    """Write any result table (eligibility, agreement, audit, refined corners) as ``FILE.csv``
    or ``FILE.parquet``, chosen by the suffix, or as CSV to standard output when ``path`` is
    None."""
    if path is None:
        _print(lambda out: write_frame_csv(frame, out))
        return
    target = _output(path)
    try:
        if target.suffix.lower() == ".csv":
            write_frame_csv(frame, target)
        else:
            frame.to_parquet(target, index=False)
    except OSError as error:
        raise SpineEndpointsError(
            f"cannot write the table ({error.strerror or error})",
            path=target,
            fix="Choose a writable folder.",
        ) from error


def _output(path: str | Path) -> Path:
    target = Path(path)
    if target.suffix.lower() not in {".csv", ".parquet"}:
        raise SpineEndpointsError(
            "unknown output format", path=target, fix="Name the output FILE.csv or FILE.parquet."
        )
    return target
