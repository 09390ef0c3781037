"""The batch's output tables, written as they stream in: endpoints (CSV and Parquet), failures.

The endpoint table is tidy: one row per subject x visit x level x measure (x film x reader), the
columns of :data:`ENDPOINT_COLUMNS`. Studies are appended in a fixed order (subject, then visit in
protocol order), so the same inputs give byte-identical CSV files however the work was executed.
``grade`` is the code on its scale for grade rows (Pfirrmann ``3``, Modic ``I/II``; ``value`` holds
the number for ordinal scales and is empty for Modic) and empty for measures.
``change_from_baseline`` is ``value`` minus the same measure (level, film, reader) at the protocol's
baseline visit; only one subject's baseline is held in memory at a time.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Sequence
from pathlib import Path
from types import TracebackType
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from imaging.batch.model import ENDPOINT_COLUMNS, FAILURE_COLUMNS, Failure

NUMBER_COLUMNS = ("value", "change_from_baseline")

ENDPOINT_SCHEMA = pa.schema(
    [
        pa.field(name, pa.float64() if name in NUMBER_COLUMNS else pa.string())
        for name in ENDPOINT_COLUMNS
    ]
)
BASELINE_KEY: tuple[str, ...] = ("level", "measure", "film", "reader")
ROW_GROUP_ROWS = 8_192
"""Rows buffered before a Parquet row group is written (bounds memory, keeps files readable)."""


class EndpointWriter:
    """Append studies' rows to ``endpoints.csv`` and ``endpoints.parquet`` as they come.

    Call :meth:`add` with the rows of one study at a time (lists or tuples in
    :data:`ENDPOINT_COLUMNS` order), subjects contiguous and each subject's visits in protocol
    order; ``change_from_baseline`` is filled from the rows of ``baseline_visit``. Both files are
    written under temporary names and moved into place by :meth:`close`.
    """

    def __init__(self, folder: Path, baseline_visit: str | None) -> None:
        self.csv_path = folder / "endpoints.csv"
        self.parquet_path = folder / "endpoints.parquet"
        self.baseline_visit = baseline_visit
        self.rows_written = 0
        self._subject: str | None = None
        self._baseline: dict[tuple[Any, ...], float] = {}
        self._buffer: list[list[Any]] = [[] for _ in ENDPOINT_COLUMNS]
        self._csv_temp = self.csv_path.with_name(f".{self.csv_path.name}.tmp")
        self._parquet_temp = self.parquet_path.with_name(f".{self.parquet_path.name}.tmp")
        self._csv = self._csv_temp.open("w", encoding="utf-8", newline="")
        self._csv_writer = csv.writer(self._csv, lineterminator="\n")
        self._csv_writer.writerow(ENDPOINT_COLUMNS)
        self._parquet = pq.ParquetWriter(self._parquet_temp, ENDPOINT_SCHEMA)

    def add(self, subject: str, visit: str, rows: Iterable[Sequence[Any]]) -> None:
        if subject != self._subject:
            self._subject, self._baseline = subject, {}
        cells = [list(row) for row in rows]
        if visit == self.baseline_visit:
            for row in cells:
                if row[_VALUE] is not None:
                    self._baseline[tuple(row[i] for i in _KEY)] = row[_VALUE]
        for row in cells:
            base = self._baseline.get(tuple(row[i] for i in _KEY))
            value = row[_VALUE]
            row[_CHANGE] = None if value is None or base is None else value - base
        self._csv_writer.writerows([_csv_cell(v) for v in row] for row in cells)
        for row in cells:
            for column, cell in zip(self._buffer, row, strict=True):
                column.append(cell)
        self.rows_written += len(cells)
        if len(self._buffer[0]) >= ROW_GROUP_ROWS:
            self._flush()

    def _flush(self) -> None:
        if self._buffer[0]:
            self._parquet.write_table(
                pa.table(
                    [pa.array(column, field.type) for column, field in zip(
                        self._buffer, ENDPOINT_SCHEMA, strict=True)],
                    schema=ENDPOINT_SCHEMA,
                )
            )  # fmt: skip
            self._buffer = [[] for _ in ENDPOINT_COLUMNS]

    def close(self) -> None:
        """Finish both files and move them into place."""
        self._flush()
        self._csv.close()
        self._parquet.close()
        self._csv_temp.replace(self.csv_path)
        self._parquet_temp.replace(self.parquet_path)

    def abort(self) -> None:
        self._csv.close()
        self._parquet.close()
        self._csv_temp.unlink(missing_ok=True)
        self._parquet_temp.unlink(missing_ok=True)

    def __enter__(self) -> EndpointWriter:
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


_VALUE = ENDPOINT_COLUMNS.index("value")
_CHANGE = ENDPOINT_COLUMNS.index("change_from_baseline")
_KEY = tuple(ENDPOINT_COLUMNS.index(name) for name in BASELINE_KEY)


def _csv_cell(value: Any) -> str:
    if value is None:
        return ""
    return repr(value) if isinstance(value, float) else str(value)


def write_failures(failures: Iterable[Failure], path: Path) -> int:
    """Write the failures table (sorted by subject, visit, file, reason); returns the count."""
    ordered = sorted(set(failures), key=lambda f: (f.subject, f.visit, f.file, f.reason))
    temporary = path.with_name(f".{path.name}.tmp")
    with temporary.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(FAILURE_COLUMNS)
        writer.writerows([f.file, f.subject, f.visit, f.reason] for f in ordered)
    temporary.replace(path)
    return len(ordered)
