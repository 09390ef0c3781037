"""The endpoint table's pieces every path shares: the ``corners`` label, rows back from their
cells, notes, result tables written as CSV, Parquet or to standard output, and an aborted
writer leaving nothing behind."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from imaging.endpoints import (
    ChangeFromBaseline,
    EndpointRow,
    complete_rows,
    corners_label,
    kept_click_note,
    pair_label,
)
from imaging.endpoints.rows import COLUMNS, row_sort_key
from imaging.endpoints.table import (
    EndpointTableWriter,
    csv_cells,
    endpoint_table,
    write_endpoint_rows,
    write_frame,
)
from imaging.errors import SpineEndpointsError
from imaging.protocol.loader import load_protocol


@pytest.mark.parametrize(
    ("uses", "label"),
    [
        ([], "click"),
        (["click"] * 4, "click"),
        (["refined"] * 22, "refined"),
        (["moved", "click"], "click"),  # a corner moved by hand is the reader's click
        (["refined"] * 18 + ["click"] * 2 + ["moved"] * 2, "refined 18/22, click 4"),
        (["click", "tracked", "refined", "tracked"], "tracked 2/4, refined 1/4, click 1"),
        (["tracked", "refined", "tracked"], "tracked 2/3, refined 1/3"),
    ],
)
def test_corners_label(uses: list[str], label: str) -> None:
    assert corners_label(uses) == label


def test_kept_click_note_names_each_kept_corner_cranial_first_and_why() -> None:
    corners = [
        ("L5 posterior_superior", "click", "refined"),  # a confident point the reader left
        ("L2 anterior_superior", "refined", "refined"),
        ("L4 posterior_inferior", "click", "low_confidence"),
        ("L1 anterior_superior", "click", None),  # never refined: the reader's click
        ("L4 anterior_superior", "moved", "refined"),  # placed by hand after the offer
    ]
    assert kept_click_note("flexion", corners) == (
        "flexion: 2 of 4 corners kept the click: L4 posterior_inferior (low_confidence), "
        "L5 posterior_superior (refined point not taken)"
    )
    assert kept_click_note("neutral", corners[1:2] + corners[3:4]) == ""


def test_pair_label() -> None:
    assert pair_label("click", "click") == "click"
    assert pair_label("click", "tracked") == "click/tracked"


def test_unknown_corner_use_is_named() -> None:
    with pytest.raises(ValueError) as info:
        corners_label(["click", "guessed", "dragged"])
    assert str(info.value) == "unknown corner use 'dragged'; expected click, refined, tracked"


ROW = EndpointRow(
    "DLBP-007", "baseline", "L4-L5", "disc_height_mean", 9.25, "mm", film="neutral",
    reader="R1", read_version=2, visit_day=0, note="L5 anterior_superior refined",
)  # fmt: skip


def test_a_row_comes_back_from_its_cells_as_json_gives_them() -> None:
    cells = [str(c) if isinstance(c, int | float) else c for c in ROW.cells()]  # "9.25", "2"
    back = EndpointRow.from_cells(cells)
    assert back == ROW
    assert (type(back.value), type(back.read_version)) == (float, int)
    assert back.study_day is None and back.baseline_value is None
    with pytest.raises(ValueError):
        EndpointRow.from_cells(list(ROW.cells())[:-1])  # a cell short: refused, never shifted


def test_notes_are_appended() -> None:
    assert ROW.with_note("") is ROW
    assert ROW.with_note("R2: 10.1 mm").note == "L5 anterior_superior refined; R2: 10.1 mm"
    assert ROW.but(note="").with_note("R2: 10.1 mm").note == "R2: 10.1 mm"


FRAME = pd.DataFrame({"subject": ["S1", "S2"], "verdict": ["eligible", "=HYPERLINK(1)"]})


def test_result_tables_as_csv_parquet_or_standard_output(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write_frame(FRAME, tmp_path / "eligibility.CSV")
    text = (tmp_path / "eligibility.CSV").read_text(encoding="utf-8")
    assert text.splitlines() == ["subject,verdict", "S1,eligible", "S2,'=HYPERLINK(1)"]
    write_frame(FRAME, str(tmp_path / "eligibility.parquet"))
    assert pd.read_parquet(tmp_path / "eligibility.parquet").equals(FRAME)
    write_frame(FRAME, None)
    assert capsys.readouterr().out == text


def test_result_table_refusals_name_the_file(tmp_path: Path) -> None:
    with pytest.raises(SpineEndpointsError) as unknown:
        write_frame(FRAME, tmp_path / "eligibility.xlsx")
    assert str(unknown.value) == (
        f"{tmp_path / 'eligibility.xlsx'}: unknown output format. Name the output FILE.csv or "
        "FILE.parquet."
    )
    taken = tmp_path / "eligibility.csv"
    taken.mkdir()  # a folder where the file should go
    with pytest.raises(SpineEndpointsError) as unwritable:
        write_frame(FRAME, taken)
    assert str(unwritable.value) == (
        f"{taken}: cannot write the table (Is a directory). Choose a writable folder."
    )


def test_an_aborted_table_leaves_no_file(tmp_path: Path) -> None:
    csv_path, parquet_path = tmp_path / "endpoints.csv", tmp_path / "endpoints.parquet"
    writer = EndpointTableWriter(csv_path, parquet_path)
    writer.add([ROW])
    writer.abort()
    assert list(tmp_path.iterdir()) == []
    with pytest.raises(RuntimeError), EndpointTableWriter(csv_path, None) as failing:
        failing.add([ROW])
        raise RuntimeError("the batch stopped")
    assert list(tmp_path.iterdir()) == []
    EndpointTableWriter(None, None).abort()  # nothing opened, nothing to remove


def test_endpoint_csv_counts_its_rows_and_ends_lines_with_newline(tmp_path: Path) -> None:
    from imaging.endpoints import COLUMNS, write_endpoint_rows

    path = tmp_path / "endpoints.csv"
    assert write_endpoint_rows([ROW, ROW.but(reader="R2")], path) == 2
    data = path.read_bytes()
    assert b"\r" not in data  # "\n" line ends (the csv module would write "\r\n")
    lines = data.decode("utf-8").split("\n")
    assert lines[0] == ",".join(COLUMNS) and lines[-1] == "" and len(lines) == 4


def test_parquet_row_groups_bound_memory_and_an_empty_table_keeps_its_schema(
    tmp_path: Path,
) -> None:
    import pyarrow.parquet as pq

    from imaging.endpoints import COLUMNS, write_endpoint_rows
    from imaging.endpoints.table import ROW_GROUP_ROWS

    path = tmp_path / "endpoints.parquet"
    rows = [ROW.but(subject=f"S{i}") for i in range(ROW_GROUP_ROWS + 1)]
    assert write_endpoint_rows(rows, path) == ROW_GROUP_ROWS + 1
    stored = pq.ParquetFile(path)
    assert [stored.metadata.row_group(i).num_rows for i in range(stored.num_row_groups)] == [
        ROW_GROUP_ROWS,
        1,
    ]
    back = pd.read_parquet(path)
    assert back["subject"].iloc[-1] == f"S{ROW_GROUP_ROWS}"
    assert back["value"].dtype == "float64" and back["baseline_value"].isna().all()
    empty = tmp_path / "empty.parquet"
    assert write_endpoint_rows([], empty) == 0
    assert pq.read_schema(empty).names == list(COLUMNS)


def test_a_writer_that_cannot_open_its_second_file_removes_the_first(tmp_path: Path) -> None:
    csv_path = tmp_path / "endpoints.csv"
    parquet_path = tmp_path / "no such folder" / "endpoints.parquet"
    with pytest.raises(SpineEndpointsError) as info:
        EndpointTableWriter(csv_path, parquet_path)
    assert str(info.value).startswith(f"{csv_path}: cannot write the table (")
    assert str(info.value).endswith("). Choose a writable folder.")
    assert list(tmp_path.iterdir()) == []


def test_a_filtered_result_table_is_written_without_its_row_labels(tmp_path: Path) -> None:
    import pyarrow.parquet as pq

    picked = FRAME.set_axis([10, 3])  # rows 10 and 3 of a bigger table
    path = tmp_path / "picked.parquet"
    write_frame(picked, path)
    assert pq.read_schema(path).names == ["subject", "verdict"]
    assert pd.read_parquet(path).equals(FRAME)


# --- change from baseline: the one place it is computed (imaging.endpoints.baseline) -----------
def _at(
    subject: str, visit: str, reader: str, measure: str, value: float | None, **more: Any
) -> EndpointRow:
    """A neutral-film L4-L5 row (``more`` replaces any other field)."""
    row = EndpointRow(subject, visit, "L4-L5", measure, value, "mm", film="neutral", reader=reader)
    return row.but(**more)


def _completed(rows: list[EndpointRow], *, by_reader: bool = True) -> list[tuple[object, ...]]:
    return [
        (r.subject, r.visit, r.level, r.measure, r.reader, r.value, r.baseline_value,
         r.change_from_baseline, r.baseline_grade, r.visit_day, r.protocol)
        for r in (  # by reader unless told
            complete_rows(rows, load_protocol())
            if by_reader
            else complete_rows(rows, load_protocol(), by_reader=False)
        )
    ]  # fmt: skip


def test_change_from_baseline_is_taken_per_subject_level_measure_film_and_reader() -> None:
    p = "DLBP-ChiCTR2200058291"
    rows = [  # in no particular order: the table's order comes back
        _at("S10", "baseline", "R1", "disc_height_mean", 12.0),
        _at("S2", "month_3", "R2", "disc_height_mean", 10.25),
        _at("S2", "month_3", "R1", "disc_height_mean", 9.5),
        _at("S2", "month_3", "R1", "disc_height_middle", None),  # not measurable at month 3
        _at("S2", "month_3", "R1", "disc_height_anterior", 7.0),  # never measured at baseline
        _at("S2", "month_3", "R1", "pfirrmann", 3.0, unit="grade", film="", grade="3"),
        _at("S2", "unscheduled", "R1", "disc_height_mean", 9.0, visit_day=45, protocol="OTHER"),
        _at("S2", "baseline", "R1", "pfirrmann", 2.0, unit="grade", film="", grade="2"),
        _at("S2", "baseline", "R2", "disc_height_mean", 11.0),
        _at("S2", "baseline", "R1", "disc_height_middle", 10.0),
        _at("S2", "baseline", "R1", "disc_height_mean", 10.0),
    ]
    assert _completed(rows) == [
        ("S2", "baseline", "L4-L5", "disc_height_mean", "R1", 10.0, 10.0, 0.0, "", 0, p),
        ("S2", "baseline", "L4-L5", "disc_height_mean", "R2", 11.0, 11.0, 0.0, "", 0, p),
        ("S2", "baseline", "L4-L5", "disc_height_middle", "R1", 10.0, 10.0, 0.0, "", 0, p),
        ("S2", "baseline", "L4-L5", "pfirrmann", "R1", 2.0, 2.0, 0.0, "2", 0, p),
        ("S2", "month_3", "L4-L5", "disc_height_anterior", "R1", 7.0, None, None, "", 91, p),
        ("S2", "month_3", "L4-L5", "disc_height_mean", "R1", 9.5, 10.0, -0.5, "", 91, p),
        ("S2", "month_3", "L4-L5", "disc_height_mean", "R2", 10.25, 11.0, -0.75, "", 91, p),
        ("S2", "month_3", "L4-L5", "disc_height_middle", "R1", None, 10.0, None, "", 91, p),
        ("S2", "month_3", "L4-L5", "pfirrmann", "R1", 3.0, 2.0, 1.0, "2", 91, p),
        ("S2", "unscheduled", "L4-L5", "disc_height_mean", "R1", 9.0, 10.0, -1.0, "", 45, "OTHER"),
        ("S10", "baseline", "L4-L5", "disc_height_mean", "R1", 12.0, 12.0, 0.0, "", 0, p),
    ]  # fmt: skip


def test_one_row_per_item_compares_with_baseline_whoever_read_it() -> None:
    rows = [
        _at("S1", "baseline", "R1", "disc_height_mean", 10.0),
        _at("S1", "month_3", "R2", "disc_height_mean", 9.0),
    ]
    by_item = _completed(rows, by_reader=False)
    assert [(r[4], r[6], r[7]) for r in by_item] == [("R1", 10.0, 0.0), ("R2", 10.0, -1.0)]
    by_reader = _completed(rows)
    assert [(r[4], r[6], r[7]) for r in by_reader] == [("R1", 10.0, 0.0), ("R2", None, None)]


def test_a_subjects_visits_come_in_the_protocols_order_not_the_alphabets() -> None:
    rows = [
        _at("S1", visit, "R1", "disc_height_mean", value)
        for visit, value in (
            ("month_12", 8.0),
            ("week_1", 10.5),
            ("month_3", 9.5),
            ("baseline", 11.0),
        )
    ]
    assert [(r[1], r[7], r[9]) for r in _completed(rows)] == [
        ("baseline", 0.0, 0), ("week_1", -0.5, 7), ("month_3", -1.5, 91), ("month_12", -3.0, 365),
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("by_reader", "key"),
    [(True, "L4-L5, disc_height_mean, neutral, R1"), (False, "L4-L5, disc_height_mean, neutral")],
)
def test_two_baseline_values_of_one_item_are_refused(by_reader: bool, key: str) -> None:
    twice = [_at("S1", "baseline", "R1", "disc_height_mean", v) for v in (10.0, 10.5)]
    protocol = load_protocol()  # by reader unless told
    change = (
        ChangeFromBaseline(protocol) if by_reader else ChangeFromBaseline(protocol, by_reader=False)
    )
    assert change.add([]) == []
    with pytest.raises(SpineEndpointsError) as info:
        change.add(twice)
    assert str(info.value) == (
        f"two baseline values for S1 {key}. Each subject, level, measure, film and reader has "
        "one baseline value: keep one read per reader."
    )


# --- CSV cells and the table's column types ------------------------------------------------------
def _numbers(row: EndpointRow) -> list[str]:
    """The CSV cells value, baseline_value and change_from_baseline."""
    cells = dict(zip(COLUMNS, csv_cells(row), strict=True))
    return [cells["value"], cells["baseline_value"], cells["change_from_baseline"]]


def test_csv_cells_round_to_the_measures_decimals_and_write_grades_exactly() -> None:
    height = ROW.but(value=9.256, baseline_value=-0.001, change_from_baseline=math.nan, note="=1")
    cells = dict(zip(COLUMNS, csv_cells(height), strict=True))
    assert (cells["value"], cells["baseline_value"], cells["change_from_baseline"]) == (
        "9.26",
        "0.00",  # -0.001 rounds to 0.00, never "-0.00"
        "",  # not finite: empty, as a missing value
    )
    assert (cells["note"], cells["study_day"], cells["read_version"]) == ("'=1", "", "2")
    assert _numbers(ROW.but(value=-0.004, change_from_baseline=math.inf)) == ["0.00", "", ""]
    assert _numbers(ROW.but(value=-1.5)) == ["-1.50", "", ""]
    grade = ROW.but(measure="pfirrmann", unit="grade", grade="3", value=3.0, baseline_value=2.5)
    cells = dict(zip(COLUMNS, csv_cells(grade), strict=True))
    assert (cells["value"], cells["baseline_value"]) == ("3", "2.5")  # no registry decimals
    assert _numbers(grade.but(value=-1.0, baseline_value=0.1 + 0.2)) == [
        "-1",
        "0.30000000000000004",  # the shortest exact number, not rounded
        "",
    ]


def test_the_table_keeps_nullable_number_columns_even_when_all_empty() -> None:
    table = endpoint_table([ROW.but(read_version=None, visit_day=None)])
    assert table["baseline_value"].dtype == "Float64" and table["value"].dtype == "Float64"
    assert table["read_version"].dtype == "Int64" and table["visit_day"].dtype == "Int64"
    assert table["value"].tolist() == [9.25] and table["read_version"].isna().all()


def test_standard_output_gets_the_file_byte_for_byte(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rows = [ROW.but(note="line one\r\nline two"), ROW.but(reader="R2")]
    assert write_endpoint_rows(rows, tmp_path / "rows.csv") == 2
    assert write_endpoint_rows(rows, None) == 2
    with (tmp_path / "rows.csv").open(encoding="utf-8", newline="") as written:
        expected = written.read()
    assert "line one\r\nline two" in expected
    assert capsys.readouterr().out == expected


def test_rows_sort_by_level_measure_film_reader_and_version() -> None:
    expected = [
        ROW.but(level="L4", measure="anterior_height"),  # the vertebra before the disc below it
        ROW.but(film="neutral"),
        ROW.but(film="flexion", measure="segmental_angle"),
        ROW.but(film="extension", measure="segmental_angle"),
        ROW.but(film="flexion-extension", measure="angular_rom"),
        ROW.but(film="", measure="angular_rom", corners="tracked"),  # after every film
        ROW.but(film="", measure="pfirrmann", unit="grade"),  # grading items after measures
        ROW.but(film="", measure="pfirrmann", unit="grade", reader="R2", read_version=None),
        ROW.but(film="", measure="pfirrmann", unit="grade", reader="R2", read_version=1),
        ROW.but(level="L5-S1", measure="disc_height_mean"),
    ]
    assert sorted(reversed(expected), key=row_sort_key) == expected


def test_a_row_copy_refuses_a_field_it_does_not_have() -> None:
    with pytest.raises(TypeError) as info:
        ROW.but(valeu=9.5)
    assert str(info.value) == "EndpointRow has no field 'valeu'"


def test_a_writer_that_cannot_open_its_file_says_why_in_full(tmp_path: Path) -> None:
    target = tmp_path / "no such folder" / "endpoints.csv"
    with pytest.raises(SpineEndpointsError) as info:
        EndpointTableWriter(target)
    assert str(info.value) == (
        f"{target}: cannot write the table (No such file or directory). Choose a writable folder."
    )


def test_kept_clicks_are_named_cranial_first_from_t12_to_s1() -> None:
    corners = [
        ("L1 anterior_superior", "click", "low_confidence"),
        ("S1 anterior_superior", "click", "low_confidence"),
        ("T12 posterior_inferior", "click", "low_confidence"),
    ]
    assert kept_click_note("neutral", corners) == (
        "neutral: 3 of 3 corners kept the click: T12 posterior_inferior (low_confidence), "
        "L1 anterior_superior (low_confidence), S1 anterior_superior (low_confidence)"
    )
