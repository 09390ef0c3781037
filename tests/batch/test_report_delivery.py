"""The data transfer beside the endpoint table: data-dictionary.csv lists every column and measure
of the table, and SHA256SUMS verifies with ``sha256sum -c``."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pandas as pd
import pytest

from imaging.batch.model import FileDigest
from imaging.endpoints.rows import COLUMNS
from imaging.protocol.loader import load_protocol
from imaging.report import write_report
from imaging.report.dictionary import COLUMN_DEFINITIONS, NO_PROTOCOL, UNDESCRIBED


def _record_protocol(folder: Path) -> None:
    """provenance.json names the protocol file the batch used, as the batch writes it."""
    source = Path(load_protocol().source)
    path = folder / "provenance.json"
    provenance = json.loads(path.read_text())
    provenance["protocol"]["file"] = {"path": str(source), "sha256": FileDigest.of(source).sha256}
    path.write_text(json.dumps(provenance))


def test_every_column_of_the_table_has_a_definition() -> None:
    assert set(COLUMN_DEFINITIONS) == set(COLUMNS)


def test_dictionary_lists_every_column_and_measure_of_the_endpoint_table(
    fake_batch_output: Path,
) -> None:
    _record_protocol(fake_batch_output)
    write_report(fake_batch_output)

    table = pd.read_parquet(fake_batch_output / "endpoints.parquet")
    dictionary = pd.read_csv(fake_batch_output / "data-dictionary.csv", keep_default_na=False)
    columns = dictionary[dictionary["kind"] == "column"].set_index("name")
    measures = dictionary[dictionary["kind"] != "column"].set_index("name")

    assert not set(table.columns) - set(columns.index), "columns missing from the dictionary"
    assert not set(table["measure"]) - set(measures.index), "measures missing from the dictionary"
    assert not dictionary["definition"].str.startswith(UNDESCRIBED).any()
    assert columns.loc["change_from_baseline", "unit"] == "see unit"
    assert measures.loc["disc_height_mean", "unit"] == "mm"
    assert str(measures.loc["disc_height_mean", "source"]).startswith("Dabbs et al.")
    assert measures.loc["pfirrmann", "allowed_values"] == "1; 2; 3; 4; 5"
    assert measures.loc["pfirrmann", "kind"] == "grading item"


def test_a_column_or_measure_nobody_describes_is_listed_saying_so(
    fake_batch_output: Path,
) -> None:
    path = fake_batch_output / "endpoints.parquet"
    table = pd.read_parquet(path).assign(signature="x")
    table.loc[0, "measure"] = "a_new_measure"
    table.to_parquet(path)

    write_report(fake_batch_output)
    dictionary = pd.read_csv(fake_batch_output / "data-dictionary.csv", keep_default_na=False)
    described = dictionary.set_index("name")["definition"]

    assert described["signature"] == UNDESCRIBED
    assert described["a_new_measure"] == UNDESCRIBED
    # Without the protocol file recorded, the grading items are still there, saying why.
    assert described["pfirrmann"] == (
        f"{NO_PROTOCOL}: no protocol file recorded in provenance.json"
    )


@pytest.mark.skipif(shutil.which("sha256sum") is None, reason="needs GNU coreutils sha256sum")
def test_sha256sums_verifies_with_sha256sum_and_catches_a_changed_file(
    fake_batch_output: Path,
) -> None:
    write_report(fake_batch_output)
    sums = (fake_batch_output / "SHA256SUMS").read_text()

    check = subprocess.run(
        ["sha256sum", "-c", "SHA256SUMS"], cwd=fake_batch_output, capture_output=True, text=True
    )
    names = [line.split("  ", 1)[1] for line in sums.splitlines()]
    assert check.returncode == 0, check.stdout + check.stderr
    assert names == [
        "data-dictionary.csv", "eligibility.csv", "endpoints.parquet", "failures.csv",
        "provenance.json", "report.html", "subjects/S001.html", "subjects/S002.html",
    ]  # fmt: skip
    with (fake_batch_output / "failures.csv").open("a") as stream:
        stream.write("x,S9,baseline,edited after delivery\n")
    changed = subprocess.run(
        ["sha256sum", "-c", "SHA256SUMS"], cwd=fake_batch_output, capture_output=True, text=True
    )
    assert changed.returncode == 1 and "failures.csv: FAILED" in changed.stdout
