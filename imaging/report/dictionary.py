"""``data-dictionary.csv``: every column and every measure of the endpoint table, for the sponsor's
data management (CDISC-style define: name, definition, unit, source, allowed values).

Columns come from :data:`imaging.endpoints.rows.COLUMNS` (their definitions below, the long form in
docs/endpoint-table.md); measures from the registry (:data:`imaging.measures.MEASURES`); grading
items from the protocol recorded in provenance.json (its scales' codes are the allowed values).
A column or measure of the table that none of these describes is still listed, its definition
saying so, never left out.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

import pandas as pd

from imaging.atomic import write_text_atomically
from imaging.digests import FileDigest
from imaging.endpoints.rows import COLUMNS, GRADE_UNIT, ORIGINS
from imaging.errors import SpineEndpointsError
from imaging.measures import MEASURES, MeasureKind
from imaging.protocol.loader import load_protocol
from imaging.protocol.model import Protocol
from imaging.report.data import ReportData

FILE_NAME = "data-dictionary.csv"
HEADER = ("kind", "name", "definition", "unit", "source", "allowed_values")
TABLE = "spine-endpoints endpoint table (docs/endpoint-table.md)"
UNDESCRIBED = "not described by this version of spine-endpoints"
NO_PROTOCOL = "a grading item of the batch's protocol, not described here"
TEXT, NUMBER, INTEGER = "text", "number", "integer"

COLUMN_DEFINITIONS: dict[str, tuple[str, str, str]] = {
    "subject": ("Clinical Trial Subject ID (0012,0040), or the landmark file's subject", "", TEXT),
    "visit": ("The protocol's visit id", "", "the protocol's visit ids"),
    "visit_day": ("The protocol's nominal day of the visit", "day", INTEGER),
    "study_day": ("Study Date (0008,0020) minus day 0 (treatment date, else baseline)", "day",
                  INTEGER),
    "level": ("Disc level (L4-L5) or, for body heights, vertebra (L4)", "", "T12-L1 ... L5-S1; "
              "T12 ... S1"),
    "measure": ("Registry measure or grading item (kind measure / grading item below)", "",
                "the names of the measure and grading item rows"),
    "value": ("The number; for grades the score on an ordered scale; empty when it cannot be "
              "given (reason in note)", "see unit", NUMBER),
    "unit": ("Unit of value", "", "mm; deg; %; 1; grade"),
    "grade": ("Grade rows: the code on the item's scale", "", "the item's codes"),
    "baseline_value": ("value of the same level, measure, film and reader at baseline",
                       "see unit", NUMBER),
    "change_from_baseline": ("value - baseline_value (0 at baseline)", "see unit", NUMBER),
    "baseline_grade": ("Grade rows: grade at baseline", "", "the item's codes"),
    "calibration": ("Where the film's pixel spacing came from", "",
                    "calibrated; magnification-corrected; detector; patient; unknown; none"),
    "film": ("Film the value was measured on", "",
             "neutral; flexion; extension; flexion-extension; empty for grades"),
    "corners": ("How the corners were obtained (counts when they differ)", "",
                "click; refined; tracked; mixed counts"),
    "reader": ("Reader id (two joined by ; for agreeing double reads)", "", TEXT),
    "read_version": ("Version of the stored read", "", INTEGER),
    "origin": ("Where the value comes from", "", "; ".join(ORIGINS) + "; empty"),
    "reference_levels": ("Height loss: the discs compared with", "", "levels joined by ;"),
    "source_image": ("Image the corners were placed on (path or SOP Instance UID)", "", TEXT),
    "note": ("Why a value is empty, what a flag was decided against, the reader's comment", "",
             TEXT),
    "protocol": ("Protocol id whose thresholds were used", "", TEXT),
    "software_version": ("spine-endpoints version that computed the row", "", TEXT),
}  # fmt: skip
"""Column -> (definition, unit, allowed values)."""


def dictionary(data: ReportData) -> pd.DataFrame:
    """One row per column of the table, per registry measure and per grading item present."""
    protocol, why = _protocol(data)
    rows: list[tuple[str, ...]] = []
    for column in dict.fromkeys([*COLUMNS, *data.endpoints.columns]):
        definition, unit, allowed = COLUMN_DEFINITIONS.get(column, (UNDESCRIBED, "", ""))
        rows.append(("column", column, definition, unit, TABLE, allowed))
    for measure in MEASURES.values():
        rows.append(
            ("measure", measure.name, f"{measure.title}: {measure.method}", measure.unit,
             measure.source, _allowed(measure.flag, measure.kind, measure.name))
        )  # fmt: skip
    items = {item.name: item for item in protocol.items} if protocol else {}
    present = data.endpoints.loc[data.endpoints["unit"] == GRADE_UNIT, "measure"]
    for name in dict.fromkeys([*items, *present]):
        item = items.get(name)
        if item is None:
            rows.append(("grading item", name, f"{NO_PROTOCOL}: {why}", GRADE_UNIT, "", ""))
            continue
        scale = item.scale
        rows.append(
            ("grading item", name, f"{scale.name}: {item.description or scale.description}",
             GRADE_UNIT, scale.reference or f"protocol {protocol.id if protocol else ''}",
             "; ".join(grade.code for grade in scale.grades))
        )  # fmt: skip
    known = {row[1] for row in rows if row[0] != "column"}
    for name in dict.fromkeys(data.endpoints["measure"]):
        if name not in known:
            rows.append(("measure", name, UNDESCRIBED, "", "", ""))
    return pd.DataFrame(rows, columns=list(HEADER))


def write_dictionary(data: ReportData, folder: str | Path) -> Path:
    """Write ``folder/data-dictionary.csv``; returns its path."""
    buffer = io.StringIO()
    dictionary(data).to_csv(buffer, index=False, quoting=csv.QUOTE_MINIMAL, lineterminator="\n")
    return write_text_atomically(Path(folder) / FILE_NAME, buffer.getvalue())


def _allowed(flag: bool, kind: MeasureKind, name: str) -> str:
    if flag:
        return "1; 0; empty"
    if name == "meyerding_grade":
        return "1; 2; 3; 4; 5; empty"
    return f"{NUMBER} ({kind.value} measure); empty"


def _protocol(data: ReportData) -> tuple[Protocol | None, str]:
    """The protocol file recorded in provenance.json, when it is still there unchanged."""
    record: Any = data.provenance.get("protocol", {}).get("file")
    path = record.get("path") if isinstance(record, dict) else record
    if not path:
        return None, "no protocol file recorded in provenance.json"
    if not Path(path).is_file():
        return None, f"the protocol file {path} is no longer there"
    expected = record.get("sha256") if isinstance(record, dict) else None
    if expected and FileDigest.of(path).sha256 != expected:
        return None, f"the protocol file {path} changed since the batch"
    try:
        return load_protocol(path), ""
    except SpineEndpointsError as error:
        return None, f"the protocol file {path} cannot be read: {error}"
