"""The endpoint export: grades and measures together, with change from baseline."""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd
import pytest

from imaging import __version__
from imaging.endpoints import write_endpoint_table
from imaging.errors import SpineEndpointsError
from imaging.protocol import Protocol
from imaging.protocol.grade_forms import GradeRow
from imaging.store.export import (
    EXPORT_COLUMNS,
    endpoint_export,
    grade_table,
    measurement_table,
    save_measurements,
)
from imaging.store.grades import import_grade_rows
from imaging.store.store import ReadStore


def row(visit: str, pfirrmann: str, cranial: str) -> GradeRow:
    grades = (("pfirrmann", pfirrmann), ("modic_cranial", cranial))
    return GradeRow("DLBP-001", visit, "L4-L5", "R1", grades)


def measure(visit: str, name: str, value: float, unit: str, film: str = "neutral") -> dict:
    return {
        "subject": "DLBP-001", "visit": visit, "level": "L4-L5", "measure": name,
        "value": value, "unit": unit, "calibration": "magnification-corrected", "film": film,
        "reader": "R1", "reference_levels": "L3-L4;L5-S1", "source_image": f"{visit}.dcm",
        "note": "",
    }  # fmt: skip


@pytest.fixture
def measures() -> pd.DataFrame:
    return pd.DataFrame(
        [
            measure("baseline", "disc_height_mean", 7.25, "mm"),
            measure("month_6", "disc_height_mean", 7.75, "mm"),
            measure("month_12", "disc_height_mean", 8.5, "mm"),
            measure("baseline", "angular_rom", 9.0, "deg", "flexion-extension"),
            measure("month_12", "angular_rom", 7.5, "deg", "flexion-extension"),
            measure("month_6", "height_loss_vs_adjacent_pct", math.nan, "%"),
        ]
    )


def test_change_from_baseline_for_measures_and_grades(
    store: ReadStore, protocol: Protocol, measures: pd.DataFrame, tmp_path: Path
) -> None:
    rows = [row("baseline", "4", "I"), row("month_6", "4", "II"), row("month_12", "3", "0")]
    import_grade_rows(store, protocol, rows, actor="t")
    with store.reading() as session:
        table = endpoint_export(protocol, grade_table(session, protocol), measures)
    assert tuple(table.columns) == EXPORT_COLUMNS

    def pick(visit: str, name: str) -> pd.Series:
        (index,) = table.index[(table["visit"] == visit) & (table["measure"] == name)]
        return table.loc[index]

    assert pick("month_6", "disc_height_mean")["change_from_baseline"] == pytest.approx(0.5)
    assert pick("month_12", "disc_height_mean")["change_from_baseline"] == pytest.approx(1.25)
    assert pick("baseline", "disc_height_mean")["change_from_baseline"] == 0.0
    assert pick("month_12", "angular_rom")["change_from_baseline"] == pytest.approx(-1.5)
    assert pd.isna(pick("month_6", "height_loss_vs_adjacent_pct")["change_from_baseline"])
    assert pick("month_12", "pfirrmann")["change_from_baseline"] == -1.0
    modic = pick("month_6", "modic_cranial")
    assert (modic["grade"], modic["baseline_grade"], modic["unit"]) == ("II", "I", "grade")
    assert pd.isna(modic["value"]) and pd.isna(modic["change_from_baseline"])
    assert pick("month_12", "disc_height_mean")["visit_day"] == 365
    assert pick("month_12", "pfirrmann")["read_version"] == 1
    assert set(table["software_version"]) == {__version__}
    assert set(table["protocol"]) == {protocol.id}
    assert list(table["visit"]) == sorted(table["visit"], key=protocol.visit_index)

    write_endpoint_table(table, tmp_path / "e.parquet")
    write_endpoint_table(table, tmp_path / "e.csv")
    back = pd.read_parquet(tmp_path / "e.parquet")
    assert back["change_from_baseline"].dtype == "float64"
    assert len(pd.read_csv(tmp_path / "e.csv")) == len(table)
    with pytest.raises(SpineEndpointsError, match=r"FILE\.csv or FILE\.parquet"):
        write_endpoint_table(table, tmp_path / "e.xlsx")


def test_measures_can_be_kept_in_the_store(
    store: ReadStore, protocol: Protocol, measures: pd.DataFrame
) -> None:
    with store.writing() as session:
        assert save_measurements(session, measures, actor="t") == len(measures)
        assert save_measurements(session, measures, actor="t") == len(measures)  # replaces
    with store.reading() as session:
        stored = measurement_table(session)
    assert len(stored) == len(measures)
    merged = stored.merge(measures, on=["visit", "measure"], suffixes=("", "_given"))
    assert (merged["value"].fillna(-1) == merged["value_given"].fillna(-1)).all()
    assert set(stored["calibration"]) == {"magnification-corrected"}


def test_two_baseline_values_for_one_key_are_refused(
    protocol: Protocol, measures: pd.DataFrame
) -> None:
    doubled = pd.concat([measures, measures.iloc[[0]]], ignore_index=True)
    with pytest.raises(SpineEndpointsError, match="two baseline values"):
        endpoint_export(protocol, pd.DataFrame(), doubled)


def test_measures_stored_with_a_read_follow_its_current_version(
    store: ReadStore, protocol: Protocol, measures: pd.DataFrame
) -> None:
    from imaging.store.cases import get_case
    from imaging.store.reads import ReadContent, save_draft, start_read, submit
    from imaging.store.schema import Measurement

    with store.writing() as session:
        case = get_case(session, "DLBP-001", "baseline", actor="t")
        read = start_read(session, case, "R1", actor="t")
        save_draft(session, read, ReadContent({("L4-L5", "pfirrmann"): "3"}), protocol)
        session.add(Measurement(case_pk=case.id, read_pk=read.id, level="L4-L5",
                                measure="disc_height_mean", value=7.25, unit="mm",
                                calibration="detector", film="neutral", reader="R1"))  # fmt: skip
        submit(session, read, actor="t")
        save_measurements(session, measures[measures["visit"] == "month_6"], actor="t")
    import_grade_rows(store, protocol, [row("baseline", "4", "I")], actor="t", reason="re-read")
    with store.reading() as session:
        stored = measurement_table(session)
    kept = stored[stored["visit"] == "baseline"]
    assert list(kept["value"]) == [7.25]  # copied into version 2, not doubled
    assert len(stored[stored["visit"] == "month_6"]) == 2
