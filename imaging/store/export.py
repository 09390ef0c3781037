"""The endpoint export: grades and radiograph measures in one tidy table, with change from baseline.

One row per subject x visit x level x measure (x film x reader), ready for a mixed model
(statsmodels ``mixedlm("value ~ C(visit)", groups="subject")`` or R ``lme4``). Columns:

``subject, visit, visit_day, level, measure, value, unit, grade, baseline_value,
change_from_baseline, baseline_grade, calibration, film, reader, read_version, reference_levels,
source_image, note, protocol, software_version``

Grade rows have ``measure`` = the grading item (``pfirrmann``, ``modic_cranial``), ``grade`` = the
code, ``unit`` = ``grade`` and ``value`` = the grade's score on ordered scales (empty on nominal
scales such as Modic, whose change is read from ``grade`` against ``baseline_grade``).
``change_from_baseline`` = value - the same (level, measure, film, reader) at the protocol's
baseline visit, 0 on baseline rows and empty when there is no baseline value. Only the current
version of each read counts; ``read_version`` says which it is. Visits come from the unblinding
map, so readers never see them while the export does.
"""

from __future__ import annotations

import math

import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from imaging import __version__
from imaging.errors import SpineEndpointsError
from imaging.protocol.model import Protocol
from imaging.store.cases import get_case
from imaging.store.reads import current_reads, read_content
from imaging.store.schema import Case, Measurement, Subject

EXPORT_COLUMNS: tuple[str, ...] = (
    "subject", "visit", "visit_day", "level", "measure", "value", "unit", "grade",
    "baseline_value", "change_from_baseline", "baseline_grade", "calibration", "film", "reader",
    "read_version", "reference_levels", "source_image", "note", "protocol", "software_version",
)  # fmt: skip
NUMERIC_COLUMNS = ("value", "baseline_value", "change_from_baseline")
BASELINE_KEY = ("subject", "level", "measure", "film", "reader")
MEASURE_COLUMNS = (
    "subject", "visit", "level", "measure", "value", "unit", "calibration", "film", "reader",
    "reference_levels", "source_image", "note",
)  # fmt: skip
GRADE_UNIT = "grade"
GRADE_TABLE_COLUMNS = (*MEASURE_COLUMNS, "grade", "read_version")


def grade_table(session: Session, protocol: Protocol) -> pd.DataFrame:
    """The current version of every read's grades, one row per grade."""
    rows = []
    for current in current_reads(session):
        content = read_content(session, current.read)
        for (level, item_name), code in content.grades.items():
            try:
                scale = protocol.item(item_name).scale
                score = scale.grade(code).score
            except (SpineEndpointsError, ValueError):
                score = None  # an item of another protocol version: kept, without a score
            rows.append(
                {
                    "subject": current.subject,
                    "visit": current.visit,
                    "level": level,
                    "measure": item_name,
                    "value": math.nan if score is None else float(score),
                    "unit": GRADE_UNIT,
                    "grade": code,
                    "reader": current.read.reader,
                    "read_version": current.read.version,
                    "note": content.notes.get(level, ""),
                    "source_image": "",
                    "film": "",
                    "calibration": "",
                    "reference_levels": "",
                }
            )
    return pd.DataFrame(rows, columns=list(GRADE_TABLE_COLUMNS))


def long_grade_table(session: Session) -> pd.DataFrame:
    """Current grades as the eligibility module wants them: ``subject, visit, level, item, code,
    reader, role``."""
    rows = [
        {
            "subject": c.subject,
            "visit": c.visit,
            "level": level,
            "item": item,
            "code": code,
            "reader": c.read.reader,
            "role": c.read.role,
        }
        for c in current_reads(session)
        for (level, item), code in read_content(session, c.read).grades.items()
    ]
    return pd.DataFrame(
        rows, columns=["subject", "visit", "level", "item", "code", "reader", "role"]
    )


def save_measurements(
    session: Session, table: pd.DataFrame, *, actor: str, software_version: str = __version__
) -> int:
    """Store computed measures (endpoint table rows) not tied to a read (e.g. from a batch);
    replaces earlier such rows of the same case and reader. Returns the number of rows stored."""
    count = 0
    for (subject, visit, reader), rows in table.groupby(["subject", "visit", "reader"], sort=True):
        case = get_case(session, str(subject), str(visit), actor=actor)
        for old in session.scalars(
            select(Measurement).where(
                Measurement.case_pk == case.id,
                Measurement.reader == reader,
                Measurement.read_pk.is_(None),
            )
        ):
            session.delete(old)
        for row in rows.itertuples(index=False):
            value = _number(row.value)
            session.add(
                Measurement(
                    case_pk=case.id,
                    level=str(row.level),
                    measure=str(row.measure),
                    value=value,
                    unit=_text(getattr(row, "unit", "")),
                    calibration=_text(getattr(row, "calibration", "")),
                    film=_text(getattr(row, "film", "")),
                    reader=str(reader),
                    reference_levels=_text(getattr(row, "reference_levels", "")),
                    source_image=_text(getattr(row, "source_image", "")),
                    note=_text(getattr(row, "note", "")),
                    software_version=software_version,
                )
            )
            count += 1
    session.flush()
    return count


def measurement_table(session: Session) -> pd.DataFrame:
    """Stored measures as the endpoint table (columns of :data:`imaging.endpoints.COLUMNS`):
    those stored with the current version of a read, and those stored without a read."""
    current = [c.read.id for c in current_reads(session)]
    query = (
        select(Measurement, Subject.subject_id, Case.visit_id)
        .join(Case, Measurement.case_pk == Case.id)
        .join(Subject, Case.subject_pk == Subject.id)
        .where(Measurement.read_pk.is_(None) | Measurement.read_pk.in_(current))
        .order_by(Measurement.id)
    )
    rows = [
        {
            "subject": subject,
            "visit": visit,
            "level": m.level,
            "measure": m.measure,
            "value": math.nan if m.value is None else m.value,
            "unit": m.unit,
            "calibration": m.calibration,
            "film": m.film,
            "reader": m.reader,
            "reference_levels": m.reference_levels,
            "source_image": m.source_image,
            "note": m.note,
        }
        for m, subject, visit in session.execute(query).all()
    ]
    return pd.DataFrame(rows, columns=list(MEASURE_COLUMNS))


def _number(value: object) -> float | None:
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def _text(value: object) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA:
        return ""
    return str(value)


def endpoint_export(
    protocol: Protocol, grades: pd.DataFrame, measures: pd.DataFrame | None = None
) -> pd.DataFrame:
    """Grades (from :func:`grade_table`) and measures (the endpoint table) -> the export table."""
    parts = [frame for frame in (grades, measures) if frame is not None and not frame.empty]
    if not parts:
        return pd.DataFrame(columns=list(EXPORT_COLUMNS))
    table = pd.concat(parts, ignore_index=True)
    for column in EXPORT_COLUMNS:
        if column not in table.columns:
            table[column] = math.nan if column in NUMERIC_COLUMNS else ""
    for column in EXPORT_COLUMNS:
        if column in NUMERIC_COLUMNS:
            table[column] = pd.to_numeric(table[column], errors="coerce").astype("float64")
        elif column not in ("read_version", "visit_day"):
            table[column] = table[column].map(_text).astype(object)
    days = {v.id: v.day for v in protocol.visits}
    table["visit_day"] = table["visit"].map(days).astype("Int64")
    table["read_version"] = pd.to_numeric(table["read_version"], errors="coerce").astype("Int64")
    table["protocol"] = protocol.id
    table["software_version"] = __version__

    baseline = table[table["visit"] == protocol.baseline_visit]
    duplicated = baseline.duplicated(list(BASELINE_KEY), keep=False)
    if duplicated.any():
        first = baseline[duplicated].iloc[0]
        raise SpineEndpointsError(
            f"two baseline values for {', '.join(str(first[k]) for k in BASELINE_KEY)}",
            fix="Each subject, level, measure, film and reader has one baseline value.",
        )
    reference = baseline.set_index(list(BASELINE_KEY))
    keys = pd.MultiIndex.from_frame(table[list(BASELINE_KEY)])
    table["baseline_value"] = reference["value"].reindex(keys).to_numpy(dtype="float64")
    table["baseline_grade"] = reference["grade"].reindex(keys).fillna("").to_numpy(dtype=object)
    table["change_from_baseline"] = table["value"] - table["baseline_value"]

    visit_order = {v.id: i for i, v in enumerate(protocol.visits)}
    table["_visit"] = table["visit"].map(visit_order).fillna(len(visit_order))
    table["_level"] = table["level"].map(protocol.level_index)
    table = table.sort_values(
        ["subject", "_visit", "_level", "level", "measure", "film", "reader"], kind="stable"
    )
    return table[list(EXPORT_COLUMNS)].reset_index(drop=True)
