"""The store's reads as the endpoint table: grades and measures together, change from baseline."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from imaging import __version__
from imaging.endpoints import COLUMNS, ChangeFromBaseline, EndpointRow, write_endpoint_rows
from imaging.errors import ReadImmutableError, SpineEndpointsError
from imaging.landmark_files import load_landmarks
from imaging.protocol import Protocol
from imaging.protocol.grade_forms import GradeRow
from imaging.store.cases import get_case
from imaging.store.export import stored_rows
from imaging.store.grades import import_grade_rows
from imaging.store.landmark_import import import_landmarks
from imaging.store.measures import replace_measures
from imaging.store.reads import ReadContent, save_draft, start_read, submit
from imaging.store.store import ReadStore


def row(visit: str, pfirrmann: str, cranial: str) -> GradeRow:
    grades = (("pfirrmann", pfirrmann), ("modic_cranial", cranial))
    return GradeRow("DLBP-001", visit, "L4-L5", "R1", grades)


def measure(
    visit: str, name: str, value: float | None, unit: str, film: str = "neutral"
) -> EndpointRow:
    return EndpointRow(
        "DLBP-001", visit, "L4-L5", name, value, unit, calibration="magnification-corrected",
        film=film, corners="click", reader="R1", reference_levels="L3-L4;L5-S1",
        source_image=f"{visit}.dcm",
    )  # fmt: skip


MEASURES = {
    "baseline": [
        measure("baseline", "disc_height_mean", 7.25, "mm"),
        measure("baseline", "angular_rom", 9.0, "deg", "flexion-extension"),
    ],
    "month_6": [
        measure("month_6", "disc_height_mean", 7.75, "mm"),
        measure("month_6", "height_loss_vs_adjacent_pct", None, "%"),
    ],
    "month_12": [
        measure("month_12", "disc_height_mean", 8.5, "mm"),
        measure("month_12", "angular_rom", 7.5, "deg", "flexion-extension"),
    ],
}
GRADES = {"baseline": ("4", "I"), "month_6": ("4", "II"), "month_12": ("3", "0")}


def submit_reads(store: ReadStore, protocol: Protocol) -> None:
    """One read per visit: its grades, and the measures computed when it was submitted."""
    with store.writing() as session:
        for visit, rows in MEASURES.items():
            case = get_case(session, "DLBP-001", visit, actor="t")
            read = start_read(session, case, "R1", actor="t")
            pfirrmann, modic = GRADES[visit]
            grades = {("L4-L5", "pfirrmann"): pfirrmann, ("L4-L5", "modic_cranial"): modic}
            save_draft(session, read, ReadContent(grades), protocol)
            assert replace_measures(session, read, rows) == len(rows)
            submit(session, read, actor="t")


def test_change_from_baseline_for_measures_and_grades(
    store: ReadStore, protocol: Protocol, tmp_path: Path
) -> None:
    submit_reads(store, protocol)
    with store.reading() as session:
        rows = stored_rows(session, protocol)

    def pick(visit: str, name: str) -> EndpointRow:
        (found,) = [r for r in rows if r.visit == visit and r.measure == name]
        return found

    assert pick("month_6", "disc_height_mean").change_from_baseline == pytest.approx(0.5)
    assert pick("month_12", "disc_height_mean").change_from_baseline == pytest.approx(1.25)
    assert pick("month_12", "disc_height_mean").baseline_value == 7.25
    assert pick("baseline", "disc_height_mean").change_from_baseline == 0.0
    assert pick("month_12", "angular_rom").change_from_baseline == pytest.approx(-1.5)
    assert pick("month_6", "height_loss_vs_adjacent_pct").change_from_baseline is None
    assert pick("month_12", "pfirrmann").change_from_baseline == -1.0
    modic = pick("month_6", "modic_cranial")
    assert (modic.grade, modic.baseline_grade, modic.unit) == ("II", "I", "grade")
    assert modic.value is None and modic.change_from_baseline is None
    assert pick("month_12", "disc_height_mean").visit_day == 365
    assert pick("month_12", "pfirrmann").read_version == 1
    assert pick("month_12", "disc_height_mean").corners == "click"
    assert {r.software_version for r in rows} == {__version__}
    assert {r.protocol for r in rows} == {protocol.id}
    assert [r.visit for r in rows] == sorted((r.visit for r in rows), key=protocol.visit_index)

    write_endpoint_rows(rows, tmp_path / "e.parquet")
    write_endpoint_rows(rows, tmp_path / "e.csv")
    back = pd.read_parquet(tmp_path / "e.parquet")
    assert tuple(back.columns) == COLUMNS
    assert back["change_from_baseline"].dtype == "float64"
    assert len(pd.read_csv(tmp_path / "e.csv")) == len(rows)


def test_two_baseline_values_for_one_key_are_refused(protocol: Protocol) -> None:
    doubled = [*MEASURES["baseline"], MEASURES["baseline"][0]]
    with pytest.raises(SpineEndpointsError, match="two baseline values"):
        ChangeFromBaseline(protocol).add(doubled)


def test_measures_of_a_submitted_read_are_final(store: ReadStore, protocol: Protocol) -> None:
    submit_reads(store, protocol)
    with store.writing() as session:
        case = get_case(session, "DLBP-001", "baseline", actor="t")
        from imaging.store.reads import latest_version

        read = latest_version(session, case, "R1")
        assert read is not None
        with pytest.raises(ReadImmutableError, match="its measures are final"):
            replace_measures(session, read, MEASURES["baseline"])


def test_a_correction_recomputes_the_measures_from_the_stored_corners_and_films(
    store: ReadStore, protocol: Protocol, tmp_path: Path
) -> None:
    """Corners and films from a landmark file, grades from a form, then a grade correction:
    the new version's measures are computed again by the store, from what it holds."""
    samples = Path(__file__).resolve().parents[2] / "sample_dicom"
    if not (samples / "landmarks.csv").is_file():
        pytest.skip("sample_dicom/ has not been generated")
    corners = pd.read_csv(samples / "landmarks.csv", dtype=str, keep_default_na=False)
    mine = corners[(corners["subject"] == "DLBP-001") & (corners["visit"] == "baseline")]
    mine.to_csv(tmp_path / "corners.csv", index=False)
    films = load_landmarks(tmp_path / "corners.csv", mm_per_pixel=0.16)
    import_landmarks(store, protocol, films, actor="t", register_unknown=True)
    form = GradeRow("DLBP-001", "baseline", "L4-L5", "ground-truth", (("pfirrmann", "4"),))
    import_grade_rows(store, protocol, [form], actor="t", register_unknown=True)
    with store.reading() as session:
        before = {(r.level, r.measure, r.film): r for r in stored_rows(session, protocol)}
    fixed = GradeRow("DLBP-001", "baseline", "L4-L5", "ground-truth", (("pfirrmann", "5"),))
    import_grade_rows(store, protocol, [fixed], actor="t", reason="re-read", register_unknown=True)
    with store.reading() as session:
        after = {(r.level, r.measure, r.film): r for r in stored_rows(session, protocol)}
    assert set(before) == set(after)
    height = ("L4-L5", "disc_height_mean", "neutral")
    assert (before[height].read_version, after[height].read_version) == (2, 3)
    assert after[height].value == before[height].value is not None
    assert (after[height].corners, after[height].software_version) == ("click", __version__)
    assert after[("L4-L5", "pfirrmann", "")].grade == "5"
