"""``spine-endpoints agreement`` from two readers' files and from a store holding the same reads."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from imaging.agreement import bland_altman, intraclass_correlations, weighted_kappa
from imaging.cli import main
from imaging.errors import ProtocolError
from imaging.protocol import load_protocol
from imaging.protocol.loader import DEFAULT_PROTOCOL
from imaging.store.cases import get_case
from imaging.store.store import ReadStore

SAMPLES = Path(__file__).resolve().parents[2] / "sample_dicom"
MM = "0.1"


def _landmarks(path: Path, readers: dict[str, float], seed: int) -> Path:
    """The sample corners once per reader, moved by Gaussian noise of the given SD (pixels)."""
    rng = np.random.default_rng(seed)
    with (SAMPLES / "landmarks.csv").open(newline="") as stream:
        rows = list(csv.DictReader(stream))
    with path.open("w", newline="") as stream:
        writer = csv.DictWriter(stream, fieldnames=list(rows[0]))
        writer.writeheader()
        for reader, noise in readers.items():
            for row in rows:
                moved = dict(row, reader=reader)
                for axis in ("row", "col"):
                    moved[axis] = repr(float(row[axis]) + rng.normal(0, noise))
                writer.writerow(moved)
    return path


def _grades(path: Path, readers: dict[str, int]) -> Path:
    """The sample grade form once per reader; a reader with step s grades every s-th Pfirrmann
    grade one higher (0: as the form)."""
    with (SAMPLES / "grades.csv").open(newline="") as stream:
        rows = list(csv.DictReader(stream))
    with path.open("w", newline="") as stream:
        writer = csv.DictWriter(stream, fieldnames=list(rows[0]))
        writer.writeheader()
        for reader, step in readers.items():
            for index, row in enumerate(rows):
                graded = dict(row, reader=reader, comment="")
                if step and index % step == 1 and row["pfirrmann"]:
                    graded["pfirrmann"] = str(min(5, int(row["pfirrmann"]) + 1))
                writer.writerow(graded)
    return path


@pytest.fixture
def reads(tmp_path: Path) -> tuple[Path, Path]:
    return (
        _landmarks(tmp_path / "corners.csv", {"R1": 0.0, "R2": 1.5}, seed=1),
        _grades(tmp_path / "grades.csv", {"R1": 0, "R2": 4}),
    )


def _table(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, keep_default_na=False, na_values=[""])


def _one(table: pd.DataFrame, **where: str) -> pd.Series:
    chosen = table
    for column, value in where.items():
        chosen = chosen[chosen[column] == value]
    assert len(chosen) == 1, where
    return chosen.iloc[0]


def test_two_readers_files_give_per_level_rows(reads: tuple[Path, Path], tmp_path: Path) -> None:
    corners, grades = reads
    out = tmp_path / "agreement.csv"
    args = ["--landmarks", str(corners), "--grades", str(grades), "--mm-per-pixel", MM]
    assert main(["agreement", *args, "--out", str(out)]) == 0
    table = _table(out)

    # the measures are the endpoint table's, as `heights` writes them (full precision: Parquet)
    heights = tmp_path / "heights.parquet"
    assert main(["heights", str(corners), "--grades", str(grades), "--mm-per-pixel", MM,
                 "--out", str(heights)]) == 0  # fmt: skip
    endpoints = pd.read_parquet(heights)
    neutral = endpoints[endpoints["film"] == "neutral"]
    mean = neutral[neutral["measure"] == "disc_height_mean"]
    for level in ("L3-L4", "L4-L5"):
        at = mean[mean["level"] == level].pivot(index=["subject", "visit"], columns="reader",
                                                values="value")  # fmt: skip
        where = {"name": "disc_height_mean", "film": "neutral", "level": level}
        icc = _one(table, statistic="ICC(2,1)", **where)
        expected = intraclass_correlations(at[["R1", "R2"]].to_numpy(dtype=float))["ICC(2,1)"]
        assert (icc["estimate"], icc["ci_lower"], icc["ci_upper"]) == pytest.approx(
            (expected.estimate, expected.lower, expected.upper)
        )
        assert (icc["n_pairs"], icc["n_subjects"], icc["readers"]) == (9, 3, "R1|R2")
        assert "ICC(A,1)" in icc["method"] and "McGraw & Wong" in icc["method"]
        ba = bland_altman(at["R1"].to_numpy(dtype=float), at["R2"].to_numpy(dtype=float))
        bias = _one(table, statistic="bland_altman_bias", **where)
        assert (bias["estimate"], bias["ci_lower"], bias["unit"]) == (
            pytest.approx(ba.bias.estimate),
            pytest.approx(ba.bias.lower),
            "mm",
        )
        assert _one(table, statistic="sdc", **where)["estimate"] == pytest.approx(ba.sdc)
    assert set(table[table["kind"] == "measure"]["level"]) >= {"L1-L2", "L5-S1", "L4"}
    assert "all" not in set(table[table["kind"] == "measure"]["level"])  # never pooled

    # Pfirrmann: linear weighted kappa per level and over all levels, CI from the bootstrap
    pfirrmann = table[table["name"] == "pfirrmann"]
    assert set(pfirrmann["statistic"]) == {"percent_exact", "percent_within_one", "kappa_linear"}
    forms = pd.read_csv(grades, dtype=str, keep_default_na=False)
    graded = forms[forms["pfirrmann"] != ""]
    r1, r2 = (graded[graded["reader"] == r]["pfirrmann"].tolist() for r in ("R1", "R2"))
    overall = _one(table, name="pfirrmann", level="all", statistic="kappa_linear")
    assert overall["estimate"] == pytest.approx(weighted_kappa(r1, r2, list("12345"), "linear"))
    assert overall["ci_lower"] <= overall["estimate"] <= overall["ci_upper"]
    assert "bootstrap over subjects, 2000 resamples, seed 20240516" in overall["method"]
    assert (overall["n_pairs"], overall["n_subjects"]) == (45, 3)
    assert _one(table, name="pfirrmann", level="all", statistic="percent_exact")[
        "estimate"
    ] == pytest.approx(100 * np.mean([a == b for a, b in zip(r1, r2, strict=True)]))
    modic = table[table["name"] == "modic_cranial"]
    assert set(modic["statistic"]) == {"percent_exact", "kappa"}  # nominal: unweighted
    assert set(table[table["kind"] == "eligibility"]["name"]) >= {"subject_verdict"}


def test_the_store_gives_the_same_values_for_the_same_reads(
    reads: tuple[Path, Path], tmp_path: Path
) -> None:
    corners, grades = reads
    url = f"sqlite:///{tmp_path / 'reads.db'}"
    with ReadStore(url) as store, store.writing() as session:
        for subject in ("DLBP-001", "DLBP-002", "DLBP-003"):
            for visit in ("baseline", "month_6", "month_12"):
                get_case(session, subject, visit, actor="t")
    assert main(["grades", "import", str(grades), "--store", url, "--actor", "t"]) == 0
    assert main(["landmarks", "import", str(corners), "--mm-per-pixel", MM, "--store", url,
                 "--actor", "t"]) == 0  # fmt: skip
    from_store, from_files = tmp_path / "store.csv", tmp_path / "files.csv"
    assert main(["agreement", "--store", url, "--out", str(from_store)]) == 0
    assert main(["agreement", "--landmarks", str(corners), "--grades", str(grades),
                 "--mm-per-pixel", MM, "--out", str(from_files)]) == 0  # fmt: skip
    stored, filed = _table(from_store), _table(from_files)
    assert len(stored) > 500
    pd.testing.assert_frame_equal(stored, filed)


def test_repeat_reads_give_intra_reader_rows(reads: tuple[Path, Path], tmp_path: Path) -> None:
    corners, grades = reads
    repeat = _landmarks(tmp_path / "repeat.csv", {"R1": 1.0}, seed=2)
    repeat_grades = _grades(tmp_path / "repeat-grades.csv", {"R1": 3})
    out = tmp_path / "agreement.csv"
    assert main(["agreement", "--landmarks", str(corners), "--grades", str(grades),
                 "--repeat-landmarks", str(repeat), "--repeat-grades", str(repeat_grades),
                 "--mm-per-pixel", MM, "--out", str(out)]) == 0  # fmt: skip
    table = _table(out)
    assert set(table["comparison"]) == {"inter-reader", "intra-reader"}
    intra = table[table["comparison"] == "intra-reader"]
    assert set(intra["readers"]) == {"R1"}
    row = _one(intra, name="disc_height_mean", film="neutral", level="L4-L5", statistic="ICC(2,1)")
    assert row["n_pairs"] == 9 and -1 <= row["estimate"] <= 1
    assert not intra[(intra["name"] == "pfirrmann") & (intra["level"] == "all")].empty


def test_the_protocol_pre_specifies_icc_and_bootstrap(
    reads: tuple[Path, Path], tmp_path: Path
) -> None:
    corners, grades = reads
    protocol = tmp_path / "trial.toml"
    protocol.write_text(
        DEFAULT_PROTOCOL.read_text(encoding="utf-8")
        + '\n[agreement]\nprimary_icc = "ICC(C,1)"\nbootstrap_resamples = 300\n'
        'bootstrap_seed = 5\n[agreement.kappa_weights]\npfirrmann = "quadratic"\n',
        encoding="utf-8",
    )
    out = tmp_path / "agreement.csv"
    assert main(["agreement", "--protocol", str(protocol), "--grades", str(grades), "--landmarks",
                 str(corners), "--mm-per-pixel", MM, "--out", str(out)]) == 0  # fmt: skip
    table = _table(out)
    assert "ICC(3,1)" in set(table["statistic"]) and "ICC(2,1)" not in set(table["statistic"])
    kappa = _one(table, name="pfirrmann", level="all", statistic="kappa_quadratic")
    assert "300 resamples, seed 5" in kappa["method"]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('primary_icc = "ICC(4,1)"', "primary_icc 'ICC(4,1)' is not an intraclass correlation"),
        ("bootstrap_resamples = 10", "bootstrap_resamples must be between 200 and 100,000"),
        ('[agreement.kappa_weights]\nmodic = "linear"', "scale 'modic' is nominal"),
        ('[agreement.kappa_weights]\npfirrman = "linear"', "names scale 'pfirrman'"),
    ],
)
def test_bad_agreement_settings_name_file_and_line(tmp_path: Path, text: str, message: str) -> None:
    base = DEFAULT_PROTOCOL.read_text(encoding="utf-8")
    protocol = tmp_path / "trial.toml"
    protocol.write_text(base + "\n[agreement]\n" + text + "\n", encoding="utf-8")
    line = len(base.splitlines()) + 2 + text.count("\n") + 1
    with pytest.raises(ProtocolError) as raised:
        load_protocol(protocol)
    assert message in str(raised.value)
    assert f"{protocol}" in str(raised.value) and f"line {line}" in str(raised.value)


def test_a_reader_without_reads_is_named(
    reads: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    _, grades = reads
    assert main(["agreement", "--grades", str(grades), "--readers", "R1", "R3"]) == 2
    assert "no reads by R3; readers found: R1, R2" in capsys.readouterr().err


def test_an_empty_store_says_so(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["agreement", "--store", f"sqlite:///{tmp_path / 'empty.db'}"]) == 2
    assert "at least two readers, or a reader's repeat reads" in capsys.readouterr().err


def _stored_grades(url: str, grades: Path) -> None:
    with ReadStore(url) as store, store.writing() as session:
        for subject in ("DLBP-001", "DLBP-002", "DLBP-003"):
            for visit in ("baseline", "month_6", "month_12"):
                get_case(session, subject, visit, actor="t")
    assert main(["grades", "import", str(grades), "--store", url, "--actor", "t"]) == 0


def test_repeat_reads_in_the_store_give_the_intra_reader_rows_of_the_files(
    reads: tuple[Path, Path], tmp_path: Path
) -> None:
    import dataclasses
    import datetime as dt

    from imaging.protocol.reading_design import Repeats
    from imaging.store.reads import current_reads, read_content, save_draft, submit
    from imaging.store.repeats import start_repeat

    _, grades = reads
    repeat_grades = _grades(tmp_path / "repeat-grades.csv", {"R1": 3})
    url, other = (f"sqlite:///{tmp_path / name}" for name in ("reads.db", "repeat.db"))
    _stored_grades(url, grades)
    _stored_grades(other, repeat_grades)  # R1's second session, moved into url as repeats
    base = load_protocol()
    every = dataclasses.replace(
        base, reading_design=dataclasses.replace(base.reading_design, repeats=Repeats(1.0, 1))
    )
    later = dt.datetime.now(dt.UTC) + dt.timedelta(days=2)
    with ReadStore(other) as source, source.reading() as session:
        again = {
            (c.subject, c.visit): read_content(session, c.read) for c in current_reads(session)
        }
    with ReadStore(url) as store, store.writing() as session:
        for current in current_reads(session):
            if current.read.reader == "R1":
                case = get_case(session, current.subject, current.visit, actor="t")
                repeat = start_repeat(session, every, case, "R1", actor="t", now=later)
                save_draft(session, repeat, again[(current.subject, current.visit)], every)
                submit(session, repeat, actor="t")
    from_store, from_files = tmp_path / "store.csv", tmp_path / "files.csv"
    assert main(["agreement", "--store", url, "--out", str(from_store)]) == 0
    assert main(["agreement", "--grades", str(grades), "--repeat-grades", str(repeat_grades),
                 "--out", str(from_files)]) == 0  # fmt: skip
    stored, filed = _table(from_store), _table(from_files)
    intra = stored[stored["comparison"] == "intra-reader"]
    assert set(intra["readers"]) == {"R1"}
    row = _one(intra, name="pfirrmann", level="all", statistic="kappa_linear")
    assert row["n_pairs"] > 20 and row["estimate"] < 1.0  # every third grade one higher
    pd.testing.assert_frame_equal(stored, filed)


def test_by_month_gives_each_month_of_submission_its_own_rows(
    reads: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import datetime as dt

    _, grades = reads
    url = f"sqlite:///{tmp_path / 'reads.db'}"
    _stored_grades(url, grades)
    out = tmp_path / "drift.csv"
    assert main(["agreement", "--store", url, "--by-month", "--out", str(out)]) == 0
    table = _table(out)
    month = f"{dt.datetime.now(dt.UTC):%Y-%m}"
    assert list(table.columns[:2]) == ["month", "comparison"]
    assert set(table["month"]) == {month}
    row = _one(table, name="pfirrmann", level="all", statistic="kappa_linear")
    assert row["readers"] == "R1|R2" and row["n_pairs"] > 20
    assert main(["agreement", "--grades", str(grades), "--by-month"]) == 2
    assert "--by-month needs the store: files carry no submission dates" in capsys.readouterr().err


def test_drift_puts_a_case_in_the_month_its_second_read_was_submitted(
    reads: tuple[Path, Path],
) -> None:
    from imaging.agreement.drift import drift_table
    from imaging.cli._files import rows_from_files

    _, grades = reads
    protocol = load_protocol()
    rows = list(rows_from_files(protocol, None, grades))
    months = {(r.subject, r.visit, r.reader): "2027-01" for r in rows}
    for reader, month in (("R1", "2027-01"), ("R2", "2027-02")):  # DLBP-002 read apart
        for visit in ("baseline", "month_6", "month_12"):
            months[("DLBP-002", visit, reader)] = month
    table = drift_table(protocol, rows, months)
    pairs = table[(table["name"] == "pfirrmann") & (table["level"] == "all")
                  & (table["statistic"] == "percent_exact")]  # fmt: skip
    by_month = dict(zip(pairs["month"], pairs["n_subjects"], strict=True))
    assert by_month == {"2027-01": 2, "2027-02": 1}
