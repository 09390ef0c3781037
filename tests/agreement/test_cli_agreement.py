"""``spine-endpoints agreement`` over two readers' submitted reads in a store."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from imaging.agreement import bland_altman, intraclass_correlations, weighted_kappa
from imaging.cli import main
from imaging.protocol import load_protocol
from imaging.store.cases import get_case
from imaging.store.reads import ReadContent, save_draft, start_read, submit
from imaging.store.schema import Measurement
from imaging.store.store import ReadStore

SUBJECTS = ("S1", "S2", "S3", "S4")
LEVELS = ("L3-L4", "L4-L5")
PFIRRMANN = {"R1": "23343412", "R2": "23443512"}  # per (subject, level), in order
MODIC = {"R1": ["0", "I", "0", "II", "0", "0", "I", "0"],
         "R2": ["0", "I", "0", "I", "0", "0", "I", "II"]}  # fmt: skip
HEIGHTS = {"R1": [10.1, 8.0, 11.2, 7.1, 9.8, 6.0, 10.5, 7.7],
           "R2": [10.4, 7.6, 11.0, 7.5, 9.9, 6.4, 10.1, 8.0]}  # fmt: skip


@pytest.fixture
def store_url(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'reads.db'}"
    protocol = load_protocol()
    with ReadStore(url) as store, store.writing() as session:
        for reader in ("R1", "R2"):
            position = 0
            for subject in SUBJECTS:
                case = get_case(session, subject, "baseline", actor="t")
                read = start_read(session, case, reader, actor="t")
                grades = {}
                for level in LEVELS:
                    grades[(level, "pfirrmann")] = PFIRRMANN[reader][position]
                    grades[(level, "modic_cranial")] = MODIC[reader][position]
                    session.add(
                        Measurement(case_pk=case.id, read_pk=read.id, level=level,
                                    measure="disc_height_mean", value=HEIGHTS[reader][position],
                                    unit="mm", calibration="detector", film="neutral",
                                    reader=reader)
                    )  # fmt: skip
                    position += 1
                save_draft(session, read, ReadContent(grades), protocol)
                submit(session, read, actor="t")
    return url


def _value(table: pd.DataFrame, name: str, statistic: str) -> float:
    row = table[(table["name"] == name) & (table["statistic"] == statistic)]
    assert len(row) == 1, (name, statistic)
    return float(row["value"].iloc[0])


def test_agreement_of_two_readers(
    store_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "agreement.csv"
    assert main(["agreement", "--store", store_url, "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "pfirrmann" in printed and "ICC(2,1)" in printed
    table = pd.read_csv(out, keep_default_na=False)

    r1, r2 = list(PFIRRMANN["R1"]), list(PFIRRMANN["R2"])
    scale = list("12345")
    assert _value(table, "pfirrmann", "kappa_linear") == pytest.approx(
        weighted_kappa(r1, r2, scale, "linear")
    )
    assert _value(table, "pfirrmann", "kappa_quadratic") == pytest.approx(
        weighted_kappa(r1, r2, scale, "quadratic")
    )
    assert _value(table, "pfirrmann", "percent_agreement") == pytest.approx(100 * 6 / 8)
    modic = table[table["name"] == "modic_cranial"]["statistic"].tolist()
    assert modic == ["percent_agreement", "kappa"]  # nominal: no weighted kappa
    assert _value(table, "modic_cranial", "percent_agreement") == pytest.approx(100 * 6 / 8)

    matrix = np.column_stack([HEIGHTS["R1"], HEIGHTS["R2"]])
    for form, value in intraclass_correlations(matrix).items():
        assert _value(table, "disc_height_mean", form) == pytest.approx(value)
    expected = bland_altman(HEIGHTS["R1"], HEIGHTS["R2"])
    assert _value(table, "disc_height_mean", "bland_altman_bias") == pytest.approx(expected.bias)
    assert _value(table, "disc_height_mean", "bland_altman_upper") == pytest.approx(expected.upper)
    heights = table[table["name"] == "disc_height_mean"]
    assert set(heights["n"]) == {8} and set(heights["readers"]) == {"R1|R2"}
    assert set(heights[heights["statistic"] == "bland_altman_bias"]["unit"]) == {"mm"}


def test_a_reader_without_reads_is_named(
    store_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["agreement", "--store", store_url, "--readers", "R1", "R3"]) == 2
    assert "none by R3" in capsys.readouterr().err


def test_an_empty_store_says_so(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["agreement", "--store", f"sqlite:///{tmp_path / 'empty.db'}"]) == 2
    assert "at least two readers; found none" in capsys.readouterr().err
