"""Read a batch output directory into the tables the report shows.

The report reads only files: ``endpoints.parquet`` (or ``endpoints.csv``), ``failures.csv``,
``eligibility.csv`` and ``provenance.json``, as ``spine-endpoints batch`` writes them. Only the
endpoint table is required. A damaged file (not UTF-8, truncated, not CSV or JSON, a column
missing, a value of the wrong type) is refused with the file, where in it, and what is wrong:
the fix is to rerun the batch, which rewrites every table from its stored results in seconds.
"""

from __future__ import annotations

import csv
import io
import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from imaging.errors import SpineEndpointsError
from imaging.output_folder import (
    ELIGIBILITY_CSV,
    ENDPOINTS_CSV,
    ENDPOINTS_PARQUET,
    FAILURE_COLUMNS,
    FAILURES_CSV,
    PROVENANCE_JSON,
)
from imaging.text_input import MAX_BYTES, open_binary

REQUIRED_COLUMNS = (
    "subject", "visit", "level", "measure", "value", "unit", "film", "change_from_baseline",
)  # fmt: skip


class ReportInputError(SpineEndpointsError):
    """A batch output directory is missing its endpoint table or holds a malformed one."""


@dataclass(frozen=True)
class ReportData:
    """Everything the report shows; ``visits`` in protocol order."""

    endpoints: pd.DataFrame
    failures: pd.DataFrame
    eligibility: pd.DataFrame
    provenance: dict[str, Any] = field(default_factory=dict)
    visits: tuple[str, ...] = ()

    @property
    def subjects(self) -> list[str]:
        return sorted(self.endpoints["subject"].astype(str).unique())

    @property
    def target_level(self) -> str | None:
        level = self.provenance.get("protocol", {}).get("target_level")
        return str(level) if level else None

    def visit_label(self, visit: str) -> str:
        """The protocol's label of a visit ("6 months"), else its id."""
        labels = self.provenance.get("protocol", {}).get("visit_labels", {})
        return str(labels.get(visit) or visit)

    def threshold(self, name: str) -> float | None:
        """The ``[thresholds]`` entry ``name`` of the protocol recorded with the batch; None when
        that protocol sets none (trial thresholds live only in protocol files: no default)."""
        value = self.provenance.get("protocol", {}).get("thresholds", {}).get(name)
        return None if value is None else float(value)


_REWRITE = (
    "Rerun `spine-endpoints batch` with the same --out to rewrite it (finished studies are not "
    "recomputed)."
)
_SHOWN_PROBLEMS = 5

# What the report reads of provenance.json, and the JSON types it must have (absent is fine).
_NUMBER = (int, float)
_PROVENANCE_TYPES: dict[str, tuple[type, ...]] = {
    "": (dict,),
    "started": (str,),
    "finished": (str,),
    "execution": (str,),
    "counts": (dict,),
    "counts.*": _NUMBER,
    "software": (dict,),
    "software.spine-endpoints": (str,),
    "software.python": (str,),
    "software.libraries": (dict,),
    "software.libraries.*": (str, type(None)),
    "protocol": (dict,),
    "protocol.name": (str,),
    "protocol.trial_id": (str,),
    "protocol.visits": (list,),
    "protocol.visits.*": (str,),
    "protocol.visit_labels": (dict,),
    "protocol.visit_labels.*": (str, type(None)),
    "protocol.target_level": (str, type(None)),
    "protocol.thresholds": (dict,),
    "protocol.thresholds.*": (*_NUMBER, type(None)),
    "inputs": (dict,),
    "inputs.archive": (str,),
    "inputs.images": (list,),
    "inputs.images.*": (dict,),
    "inputs.*.path": (str,),
    "inputs.*.sha256": (str,),
}
_DEPTH = max(key.count(".") + 1 for key in _PROVENANCE_TYPES)
_JSON_TYPE = {dict: "an object", list: "a list", str: "text", int: "a number", float: "a number"}


def load(out_dir: str | Path) -> ReportData:
    """Load a batch output directory; raises :class:`ReportInputError` naming what is missing or
    damaged (the file, where in it, and what is wrong): a report that silently left out the
    failures or the provenance would mislead."""
    folder = Path(out_dir)
    if not folder.is_dir():
        raise ReportInputError(
            "not a folder", path=folder, fix="Give the --out folder of `spine-endpoints batch`."
        )
    endpoints = _read_endpoints(folder)
    failures = read_table(folder / FAILURES_CSV, FAILURE_COLUMNS)
    eligibility = read_table(folder / ELIGIBILITY_CSV, ("subject", "rule", "verdict"))
    provenance = _read_provenance(folder / PROVENANCE_JSON)
    visits = _visit_order(endpoints, provenance)
    return ReportData(endpoints, failures, eligibility, provenance, visits)


def _read_endpoints(folder: Path) -> pd.DataFrame:
    parquet, csv_path = folder / ENDPOINTS_PARQUET, folder / ENDPOINTS_CSV
    try:
        if parquet.exists():
            source = parquet
            table = pd.read_parquet(parquet)
        elif csv_path.exists():
            source = csv_path
            table = pd.read_csv(
                csv_path, dtype={"subject": str, "visit": str}, keep_default_na=False
            )
            table["value"] = pd.to_numeric(table["value"], errors="coerce")
        else:
            raise ReportInputError(
                "no endpoints.parquet or endpoints.csv",
                path=folder,
                fix="Run `spine-endpoints batch ARCHIVE --out FOLDER` first, then report on "
                "FOLDER.",
            )
    except (OSError, ValueError) as error:  # pyarrow's and pandas' parse errors are ValueErrors
        raise ReportInputError(
            f"the endpoint table cannot be read ({_first_line(error)})", path=source, fix=_REWRITE
        ) from error
    missing = [c for c in REQUIRED_COLUMNS if c not in table.columns]
    if missing:
        raise ReportInputError(
            f"the endpoint table lacks the column(s) {', '.join(missing)}",
            path=source,
            fix="Rerun the batch with this version of spine-endpoints.",
        )
    for column in ("subject", "visit", "level", "measure", "unit", "film"):
        table[column] = table[column].fillna("").astype(str)
    return table


def number_cell(value: object) -> float:
    """A number cell of a table read as text; anything else (damaged, empty, infinite) is NaN,
    shown as '-'."""
    try:
        number = float(str(value))
    except ValueError:
        return math.nan
    return number if math.isfinite(number) else math.nan


def read_table(path: Path, columns: tuple[str, ...]) -> pd.DataFrame:
    """A table the batch wrote (all text), refused whole when it is damaged: not UTF-8, not CSV,
    a required column missing, or rows whose cell count is not the header's."""
    if not path.exists():
        return pd.DataFrame(columns=list(columns))
    problems: list[str] = []
    rows: list[list[str]] = []
    try:
        with (
            open_binary(path, "batch table", MAX_BYTES["csv"]) as binary,
            io.TextIOWrapper(binary, encoding="utf-8", newline="") as stream,
        ):
            reader = csv.reader(stream, strict=True)
            header = next(reader, None)
            if header is None:
                raise ReportInputError("empty: no header row", path=path, fix=_REWRITE)
            missing = [c for c in columns if c not in header]
            if missing:
                raise ReportInputError(
                    f"lacks the column(s) {', '.join(missing)} (its header: "
                    f"{', '.join(header)[:200]})",
                    path=path,
                    fix=_REWRITE,
                )
            for row in reader:
                if len(row) != len(header):
                    problems.append(
                        f"line {reader.line_num}: {len(row)} cell(s), the header has {len(header)}"
                    )
                rows.append(row)
    except UnicodeDecodeError as error:
        raise _not_utf8(path, error) from error
    except csv.Error as error:
        raise ReportInputError(
            f"line {reader.line_num}: not CSV ({error})", path=path, fix=_REWRITE
        ) from error
    if problems:
        shown = problems[:_SHOWN_PROBLEMS]
        more = len(problems) - len(shown)
        raise ReportInputError(
            "damaged rows: " + "; ".join(shown) + (f"; and {more} more" if more else ""),
            path=path,
            fix=_REWRITE,
        )
    return pd.DataFrame(rows, columns=header, dtype=str)


def _read_provenance(path: Path) -> dict[str, Any]:
    if not path.exists():
        return {}
    try:
        with open_binary(path, "provenance record", MAX_BYTES["json"]) as stream:
            record = json.loads(stream.read().decode("utf-8"))
    except UnicodeDecodeError as error:
        raise _not_utf8(path, error) from error
    except json.JSONDecodeError as error:
        raise ReportInputError(
            f"line {error.lineno}, column {error.colno}: not valid JSON "
            f"({error.msg.removesuffix(' at')})",
            path=path,
            fix=_REWRITE,
        ) from error
    except (ValueError, RecursionError) as error:
        raise ReportInputError(
            f"not valid JSON ({_first_line(error)})", path=path, fix=_REWRITE
        ) from error
    problem = _type_problem(record, "")
    if problem:
        raise ReportInputError(problem, path=path, fix=_REWRITE)
    result: dict[str, Any] = record
    return result


def _type_problem(value: Any, key: str) -> str | None:
    """The first value under ``key`` whose JSON type is not the one the report reads."""
    pattern = _pattern(key)
    wanted = None if pattern is None else _PROVENANCE_TYPES[pattern]
    if wanted is not None and (isinstance(value, bool) or not isinstance(value, wanted)):
        names = " or ".join(dict.fromkeys(_JSON_TYPE.get(t, "null") for t in wanted))
        return f"{key or 'the file'} is {json.dumps(value)[:60]}, not {names}"
    children: list[tuple[str, Any]] = []
    if key.count(".") < _DEPTH - 1 and isinstance(value, dict):
        children = [(str(name), item) for name, item in value.items()]
    elif key.count(".") < _DEPTH - 1 and isinstance(value, list):
        children = [(str(index), item) for index, item in enumerate(value)]
    for name, item in children:
        problem = _type_problem(item, f"{key}.{name}" if key else name)
        if problem:
            return problem
    return None


def _pattern(key: str) -> str | None:
    """The entry of :data:`_PROVENANCE_TYPES` that governs ``key`` (None when none does)."""
    if key in _PROVENANCE_TYPES:
        return key
    parts = key.split(".")
    for index in range(len(parts) - 1, -1, -1):
        candidate = ".".join([*parts[:index], "*", *parts[index + 1 :]])
        if candidate in _PROVENANCE_TYPES:
            return candidate
    return None


def _not_utf8(path: Path, error: UnicodeDecodeError) -> ReportInputError:
    return ReportInputError(
        f"not UTF-8 text (byte 0x{error.object[error.start]:02x} at offset {error.start})",
        path=path,
        fix=_REWRITE,
    )


def _first_line(error: BaseException) -> str:
    return (str(error).strip().splitlines() or [type(error).__name__])[0]


def _visit_order(endpoints: pd.DataFrame, provenance: dict[str, Any]) -> tuple[str, ...]:
    present = list(dict.fromkeys(endpoints["visit"].tolist()))
    declared = [str(v) for v in provenance.get("protocol", {}).get("visits", [])]
    ordered = [v for v in declared if v in present]
    return tuple(ordered + [v for v in present if v not in ordered])
