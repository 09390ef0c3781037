"""eligibility.csv of the batch: subjects ruled on from one table keep their own verdicts."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest

from imaging.batch import eligibility
from imaging.batch.eligibility import EligibilityWriter
from imaging.batch.results import ResultStore
from imaging.protocol.loader import load_protocol


def test_subjects_ruled_on_together_keep_their_own_verdicts(
    clean_run: tuple[Path, int], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out, _ = clean_run
    store = ResultStore(out)
    protocol = load_protocol(None)
    tables = {}
    for size in (1, 2):  # one subject a table; then DLBP-001 and -002 together, DLBP-003 alone
        monkeypatch.setattr(eligibility, "SUBJECTS_PER_TABLE", size)
        writer = EligibilityWriter(tmp_path / f"by-{size}.csv", protocol)
        for study in store.stored_ids():
            record = store.load(study)
            assert record is not None
            writer.add(record["subject"], record["visit"], store.rows(record))
        assert writer.close() == 3
        tables[size] = (tmp_path / f"by-{size}.csv").read_text(encoding="utf-8")

    assert tables[2] == tables[1]
    assert tables[1] == (out / "eligibility.csv").read_text(encoding="utf-8")
    rows = csv.DictReader(io.StringIO(tables[2]))
    verdicts = {row["subject"]: row["subject_verdict"] for row in rows}
    assert verdicts == {
        "DLBP-001": "eligible",
        "DLBP-002": "not eligible",
        "DLBP-003": "not eligible",
    }
