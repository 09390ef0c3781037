"""Per-study result files, resumability by hash, and the streamed output tables."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
from concurrent.futures import Future
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from imaging.batch.executors import InProcessExecutor, open_executor
from imaging.batch.model import ENDPOINT_COLUMNS, Failure, FileDigest, Row, StudyResult
from imaging.batch.results import ResultStore, study_id
from imaging.batch.tables import EndpointWriter, write_failures
from imaging.batch.task import FilmRead, GradeEntry, StudyTask
from imaging.endpoints import EndpointRow, MeasureRules
from imaging.protocol.loader import load_protocol


def _row(visit: str, measure: str, value: float | None, unit: str = "mm") -> Row:
    row = EndpointRow("S001", visit, "L4-L5", measure, value, unit, film="neutral", reader="R1")
    return row.cells()


def _result(image: Path, value: float = 9.5) -> StudyResult:
    rows = (
        _row("baseline", "disc_height_mean", value),
        _row("baseline", "segmental_angle", float("nan"), "deg"),
    )
    return StudyResult(
        "S001__baseline",
        "S001",
        "baseline",
        rows,
        (Failure(str(image), "S001", "baseline", "uncalibrated: no spacing"),),
        (FileDigest.of(image),),
    )


def test_study_id_is_file_name_safe_and_keeps_distinct_names_apart() -> None:
    assert study_id("S001", "baseline") == "S001__baseline"
    assert study_id("S 1/2", "month 6") != study_id("S-1-2", "month-6")
    assert "/" not in study_id("S 1/2", "month 6")


def test_saved_study_round_trips_and_is_current_until_an_input_changes(tmp_path: Path) -> None:
    image = tmp_path / "image.dcm"
    image.write_bytes(b"first content")
    store = ResultStore(tmp_path / "out")

    store.save(_result(image), recipe_hash="r1")
    record = store.load("S001__baseline")

    assert record is not None
    rows = store.rows(record)
    value = ENDPOINT_COLUMNS.index("value")
    assert rows[0][value] == 9.5 and rows[1][value] is None, "NaN is stored as empty"
    assert store.failures(record)[0].reason == "uncalibrated: no spacing"
    assert store.is_current("S001__baseline", "r1", [str(image)])
    assert not store.is_current("S001__baseline", "r2", [str(image)]), "recipe changed"
    assert not store.is_current("S001__baseline", "r1", [str(image), "other.dcm"])

    # Touched but identical: the content hash decides, still current.
    os.utime(image, ns=(1, 1))
    assert store.is_current("S001__baseline", "r1", [str(image)])
    image.write_bytes(b"other content")
    assert not store.is_current("S001__baseline", "r1", [str(image)])


def test_numpy_numbers_in_a_result_are_stored_as_plain_numbers(tmp_path: Path) -> None:
    image = tmp_path / "image.dcm"
    image.write_bytes(b"content")
    store = ResultStore(tmp_path / "out")
    value = ENDPOINT_COLUMNS.index("value")
    cells = [list(_row("baseline", "disc_height_mean", 1.0)) for _ in range(4)]
    numbers = (np.float64(9.5), np.float32(2.5), np.int64(3), np.nan)
    for row, number in zip(cells, numbers, strict=True):
        row[value] = number
    result = _result(image)
    store.save(
        StudyResult(result.study_id, "S001", "baseline", tuple(map(tuple, cells)), (), ()), "r1"
    )

    record = store.load("S001__baseline")

    assert record is not None
    stored = [row[value] for row in store.rows(record)]
    assert stored == [9.5, 2.5, 3, None]
    assert [type(number) for number in stored] == [float, float, int, type(None)]


def _task(origin: str, row: float = 101.5) -> StudyTask:
    points = (("L4", "anterior_superior", row, 80.25, "line 2"), ("L4", "posterior_superior",
              102.0, 140.0, "line 3"))  # fmt: skip
    read = FilmRead("a.dcm", "/archive/a.dcm", "neutral", "R1", points, origin=origin)
    grade = GradeEntry("L4-L5", "pfirrmann", "3", "R1", numeric=3.0, note="bands")
    rules = MeasureRules("P", height_loss_pct=20.0, height_loss_references=(("L4-L5", ("L3-L4",)),))
    return StudyTask("S001__baseline", "S001", "baseline", (("/archive/a.dcm", "neutral"),),
                     (read,), (grade,), rules, study_day=3, software="1.0")  # fmt: skip


def test_recipe_hash_is_that_of_the_task_as_json_without_the_landmark_file() -> None:
    task = _task("/data/landmarks.csv")
    recipe = dataclasses.asdict(task)
    del recipe["reads"][0]["origin"]
    text = json.dumps(recipe, sort_keys=True, default=str, separators=(",", ":"))

    assert task.recipe_hash() == hashlib.sha256(text.encode()).hexdigest()
    assert _task("/elsewhere/moved.csv").recipe_hash() == task.recipe_hash()
    assert _task("/data/landmarks.csv", row=101.75).recipe_hash() != task.recipe_hash()


def test_damaged_result_file_is_recomputed_not_trusted(tmp_path: Path) -> None:
    image = tmp_path / "image.dcm"
    image.write_bytes(b"x")
    store = ResultStore(tmp_path / "out")
    path = store.save(_result(image), recipe_hash="r1")
    path.write_text('{"format": 1, "rows": [', encoding="utf-8")

    assert store.load("S001__baseline") is None
    assert not store.is_current("S001__baseline", "r1", [str(image)])


def test_endpoint_writer_streams_csv_and_parquet_with_change_from_baseline(tmp_path: Path) -> None:
    other = list(_row("month_6", "disc_height_mean", 9.0))
    other[0] = "S002"

    with EndpointWriter(tmp_path, load_protocol()) as writer:
        writer.add_study([_row("baseline", "disc_height_mean", 10.0)])
        writer.add_study([_row("month_6", "disc_height_mean", 8.5)])
        writer.add_study([other])

    parquet = pd.read_parquet(tmp_path / "endpoints.parquet")
    assert parquet["change_from_baseline"].tolist()[:2] == [0.0, -1.5]
    assert pd.isna(parquet["change_from_baseline"].iloc[2]), "S002 has no baseline"
    assert parquet["visit_day"].tolist() == [0, 182, 182]  # the protocol's nominal days
    text = (tmp_path / "endpoints.csv").read_text(encoding="utf-8").splitlines()
    assert text[0] == ",".join(ENDPOINT_COLUMNS)
    assert text[0].startswith("subject,visit,visit_day,study_day,level,measure,value,unit,grade")
    assert text[2].startswith("S001,month_6,182,,L4-L5,disc_height_mean,8.50,mm,,10.00,-1.50,")
    assert writer.rows_written == 3


def test_failures_table_is_sorted_and_deduplicated(tmp_path: Path) -> None:
    failures = [
        Failure("b.dcm", "S002", "baseline", "not-dicom: no DICM prefix"),
        Failure("a.dcm", "S001", "month_6", "no landmarks: none for this image"),
        Failure("b.dcm", "S002", "baseline", "not-dicom: no DICM prefix"),
    ]

    count = write_failures(failures, tmp_path / "failures.csv")

    table = pd.read_csv(tmp_path / "failures.csv", dtype=str)
    assert count == 2
    assert table.columns.tolist() == ["file", "subject", "visit", "reason"]
    assert table["subject"].tolist() == ["S001", "S002"]


def test_in_process_executor_runs_at_submission_and_keeps_errors() -> None:
    executor = InProcessExecutor()
    done: Future[int] = executor.submit(pow, 2, 10)
    failed: Future[float] = executor.submit(lambda: 1 / 0)

    assert done.result() == 1024
    assert isinstance(failed.exception(), ZeroDivisionError)


def test_open_executor_refuses_jobs_and_scheduler_together() -> None:
    with pytest.raises(Exception, match="--jobs and --scheduler"), open_executor(2, "tcp://x:1"):
        pass


@pytest.mark.parametrize(
    "content",
    [
        "[" * 100_000 + "]" * 100_000,  # nested 100,000 deep: no RecursionError
        '{"format": ',  # truncated
        "[1, 2, 3]",  # valid JSON, not a record
    ],
    ids=["deep", "truncated", "not-a-record"],
)
def test_a_damaged_study_record_is_recomputed_not_trusted(tmp_path: Path, content: str) -> None:
    store = ResultStore(tmp_path / "out")
    store.path("S1").write_text(content, encoding="utf-8")
    assert store.load("S1") is None


def test_a_special_file_in_place_of_a_study_record_is_never_read(tmp_path: Path) -> None:
    store = ResultStore(tmp_path / "out")
    os.mkfifo(store.path("S1"))  # reading a FIFO with no writer would block for ever
    assert store.load("S1") is None
