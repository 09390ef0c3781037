"""The batch's failures and eligibility tables and de-identification's report are put in place
whole (:func:`imaging.atomic.replace_atomically`): one that cannot be leaves the old file and no
temporary file beside it."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from imaging.batch.eligibility import EligibilityWriter
from imaging.batch.model import Failure
from imaging.batch.tables import write_failures
from imaging.deid import ReportRow, write_report
from imaging.protocol import load_protocol

WRITERS: dict[str, Callable[[Path], object]] = {
    "failures.csv": lambda path: write_failures([Failure("a.dcm", "S1", "baseline", "x")], path),
    "eligibility.csv": lambda path: EligibilityWriter(path, load_protocol()).close(),
    "out.report.csv": lambda path: write_report([ReportRow("a.dcm", reason="refused")], path),
}


@pytest.mark.parametrize("name", WRITERS)
def test_a_table_that_cannot_be_put_in_place_leaves_no_temporary_file(
    name: str, tmp_path: Path
) -> None:
    (tmp_path / name).mkdir()  # a folder where the table goes: the final rename fails
    (tmp_path / name / "kept").write_text("old")

    with pytest.raises(OSError):
        WRITERS[name](tmp_path / name)

    assert sorted(p.name for p in tmp_path.iterdir()) == [name]
    assert (tmp_path / name / "kept").read_text() == "old"


@pytest.mark.parametrize("name", WRITERS)
def test_the_table_is_written(name: str, tmp_path: Path) -> None:
    WRITERS[name](tmp_path / name)

    assert sorted(p.name for p in tmp_path.iterdir()) == [name]
    assert (tmp_path / name).read_text(encoding="utf-8").count("\n") >= 1
