"""The batch's output tables, written as they stream in: endpoints (CSV and Parquet), failures.

The endpoint table is tidy: one row per subject x visit x level x measure (x film x reader), the
columns of :data:`ENDPOINT_COLUMNS`. Studies are appended in a fixed order (subject, then visit in
protocol order), so the same inputs give byte-identical CSV files however the work was executed.
``grade`` is the code on its scale for grade rows (Pfirrmann ``3``, Modic ``I/II``; ``value`` holds
the number for ordinal scales and is empty for Modic) and empty for measures.
``change_from_baseline`` is ``value`` minus the same measure (level, film, reader) at the subject's
first protocol visit; only one subject's baseline is held in memory at a time.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from pathlib import Path
from types import TracebackType
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from imaging.batch.model import FAILURE_COLUMNS, Failure

ENDPOINT_COLUMNS: tuple[str, ...] = (
    "subject",
    "visit",
    "level",
    "measure",
    "value",
    "unit",
    "grade",
    "change_from_baseline",
    "calibration",
    "film",
    "reader",
    "reference_levels",
    "source_image",
    "note",
)
ENDPOINT_SCHEMA = pa.schema(
    [
        pa.field(name, pa.float64() if name in ("value", "change_from_baseline") else pa.string())
        for name in ENDPOINT_COLUMNS
    ]
)
BASELINE_KEY: tuple[str, ...] = ("level", "measure", "film", "reader")


def normalise(rows: pd.DataFrame) -> pd.DataFrame:
    """Rows in the output column order and types: text as str ('' when missing), value float."""
    frame = pd.DataFrame(index=rows.index)
    for name in ENDPOINT_COLUMNS:
        if name in ("value", "change_from_baseline"):
            source = rows[name] if name in rows.columns else pd.Series(float("nan"), rows.index)
            frame[name] = pd.to_numeric(source, errors="coerce").astype("float64")
        else:
            source = rows[name] if name in rows.columns else pd.Series("", rows.index)
            frame[name] = source.map(_text).astype(object)
    return frame.reset_index(drop=True)


def _text(value: Any) -> str:
    if value is None or (isinstance(value, float) and value != value) or value is pd.NA:
        return ""
    return str(value)


class EndpointWriter:
    """Append studies' rows to ``endpoints.csv`` and ``endpoints.parquet`` as they come.

    Call :meth:`add` with the rows of one study at a time, subjects contiguous and each subject's
    visits in protocol order; baseline values for ``change_from_baseline`` come from the first
    visit named in ``baseline_visit``.
    """

    def __init__(self, folder: Path, baseline_visit: str | None) -> None:
        self.csv_path = folder / "endpoints.csv"
        self.parquet_path = folder / "endpoints.parquet"
        self.baseline_visit = baseline_visit
        self.rows_written = 0
        self._subject: str | None = None
        self._baseline: dict[tuple[str, ...], float] = {}
        self._csv_temp = self.csv_path.with_name(f".{self.csv_path.name}.tmp")
        self._parquet_temp = self.parquet_path.with_name(f".{self.parquet_path.name}.tmp")
        self._csv = self._csv_temp.open("w", encoding="utf-8", newline="")
        self._csv_writer = csv.writer(self._csv, lineterminator="\n")
        self._csv_writer.writerow(ENDPOINT_COLUMNS)
        self._parquet = pq.ParquetWriter(self._parquet_temp, ENDPOINT_SCHEMA)

    def add(self, subject: str, visit: str, rows: pd.DataFrame) -> None:
        if subject != self._subject:
            self._subject, self._baseline = subject, {}
        frame = normalise(rows)
        keys = list(frame[list(BASELINE_KEY)].itertuples(index=False, name=None))
        if visit == self.baseline_visit:
            for key, value in zip(keys, frame["value"], strict=True):
                if value == value:  # not NaN
                    self._baseline[key] = float(value)
        baseline = [self._baseline.get(key, float("nan")) for key in keys]
        frame["change_from_baseline"] = frame["value"] - pd.Series(baseline, dtype="float64")
        if frame.empty:
            return
        self._csv_writer.writerows(
            [_csv_cell(v) for v in row] for row in frame.itertuples(index=False, name=None)
        )
        self._parquet.write_table(
            pa.Table.from_pandas(frame, ENDPOINT_SCHEMA, preserve_index=False)
        )
        self.rows_written += len(frame)

    def close(self) -> None:
        """Finish both files and move them into place."""
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


def _csv_cell(value: Any) -> str:
    if isinstance(value, float):
        return "" if value != value else repr(value)
    return str(value)


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
