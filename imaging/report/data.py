"""Read a batch output directory into the tables the report shows.

The report reads only files: ``endpoints.parquet`` (or ``endpoints.csv``), ``failures.csv``,
``eligibility.csv`` and ``provenance.json``, as ``spine-endpoints batch`` writes them. Only the
endpoint table is required.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from imaging.errors import SpineEndpointsError

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


def load(out_dir: str | Path) -> ReportData:
    """Load a batch output directory; raises :class:`ReportInputError` naming what is missing."""
    folder = Path(out_dir)
    if not folder.is_dir():
        raise ReportInputError(
            "not a folder", path=folder, fix="Give the --out folder of `spine-endpoints batch`."
        )
    endpoints = _read_endpoints(folder)
    failures = _read_csv(folder / "failures.csv", ("file", "subject", "visit", "reason"))
    eligibility = _read_csv(folder / "eligibility.csv", ("subject", "rule", "verdict"))
    provenance: dict[str, Any] = {}
    provenance_path = folder / "provenance.json"
    if provenance_path.exists():
        try:
            provenance = json.loads(provenance_path.read_text(encoding="utf-8"))
        except ValueError as error:
            raise ReportInputError(
                f"provenance.json is not valid JSON ({error})",
                path=provenance_path,
                fix="Rerun the batch to rewrite it.",
            ) from error
    visits = _visit_order(endpoints, provenance)
    return ReportData(endpoints, failures, eligibility, provenance, visits)


def _read_endpoints(folder: Path) -> pd.DataFrame:
    parquet, csv = folder / "endpoints.parquet", folder / "endpoints.csv"
    if parquet.exists():
        table = pd.read_parquet(parquet)
        source = parquet
    elif csv.exists():
        table = pd.read_csv(csv, dtype={"subject": str, "visit": str}, keep_default_na=False)
        table["value"] = pd.to_numeric(table["value"], errors="coerce")
        source = csv
    else:
        raise ReportInputError(
            "no endpoints.parquet or endpoints.csv",
            path=folder,
            fix="Run `spine-endpoints batch ARCHIVE --out FOLDER` first, then report on FOLDER.",
        )
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


def _read_csv(path: Path, columns: tuple[str, ...]) -> pd.DataFrame:
    if not path.exists():
        return pd.DataFrame(columns=list(columns))
    table = pd.read_csv(path, dtype=str, keep_default_na=False)
    for column in columns:
        if column not in table.columns:
            table[column] = ""
    return table


def _visit_order(endpoints: pd.DataFrame, provenance: dict[str, Any]) -> tuple[str, ...]:
    present = list(dict.fromkeys(endpoints["visit"].tolist()))
    declared = [str(v) for v in provenance.get("protocol", {}).get("visits", [])]
    ordered = [v for v in declared if v in present]
    return tuple(ordered + [v for v in present if v not in ordered])
