"""The report's numbers, recomputed here from the endpoint table with pandas and scipy: n, mean,
SD, change from baseline and its 95% CI per population, the reasons of missing values, and the
grade shift tables."""

from __future__ import annotations

import html
import math
import re
from pathlib import Path

import pandas as pd
import pytest
from scipy import stats

from imaging.report import load, write_report
from imaging.report.shifts import shifts
from imaging.report.statistics import populations, summarise

UNCALIBRATED_NOTE = "uncalibrated image (no Pixel Spacing or Imager Pixel Spacing)"


def _damage(folder: Path) -> None:
    """S001's L4-L5 disc height at month 12 uncalibrated; S002's angular ROM at month 6 gone
    (its flexion film failed) and at month 12 at L2-L3 not read; S001's cranial Modic at L4-L5
    converts I -> II at month 12."""
    path = folder / "endpoints.parquet"
    table = pd.read_parquet(path)
    uncalibrated = (
        (table["subject"] == "S001")
        & (table["visit"] == "month_12")
        & (table["level"] == "L4-L5")
        & (table["measure"] == "disc_height_mean")
    )
    table.loc[uncalibrated, ["value", "change_from_baseline"]] = math.nan
    table.loc[uncalibrated, "note"] = UNCALIBRATED_NOTE
    rom = (table["subject"] == "S002") & (table["measure"] == "angular_rom")
    failed = rom & (table["visit"] == "month_6")
    not_read = rom & (table["visit"] == "month_12") & (table["level"] == "L2-L3")
    converted = (
        (table["subject"] == "S001")
        & (table["visit"] == "month_12")
        & (table["measure"] == "modic_cranial")
    )
    table.loc[converted, "grade"] = "II"
    table[~(failed | not_read)].to_parquet(path)


@pytest.fixture
def damaged_output(fake_batch_output: Path) -> Path:
    _damage(fake_batch_output)
    return fake_batch_output


def _expected(folder: Path, measure: str, level: str, visit: str, subjects: list[str]) -> dict:
    """n, mean, SD and the change's mean and t-based 95% CI, straight from the parquet."""
    table = pd.read_parquet(folder / "endpoints.parquet")
    rows = table[
        (table["measure"] == measure)
        & (table["level"] == level)
        & (table["visit"] == visit)
        & table["subject"].isin(subjects)
    ]
    values = rows["value"].dropna()
    changes = rows["change_from_baseline"].dropna()
    low, high = stats.t.interval(
        0.95, len(changes) - 1, loc=changes.mean(), scale=stats.sem(changes)
    )
    return {
        "n": len(values),
        "mean": values.mean(),
        "sd": values.std(ddof=1),
        "change_mean": changes.mean(),
        "ci": (low, high),
    }


def test_continuous_cells_match_the_endpoint_table(damaged_output: Path) -> None:
    data = load(damaged_output)
    everyone = ["S001", "S002"]

    cell = summarise(data, "disc_height_mean", everyone)[("L4-L5", "month_6")]
    expected = _expected(damaged_output, "disc_height_mean", "L4-L5", "month_6", everyone)

    assert cell.n == expected["n"] == 2
    assert cell.mean == pytest.approx(expected["mean"])
    assert cell.sd == pytest.approx(expected["sd"])
    assert cell.change_mean == pytest.approx(expected["change_mean"])
    assert (cell.ci_lower, cell.ci_upper) == pytest.approx(expected["ci"])


def test_angular_rom_change_interval_is_t_based(damaged_output: Path) -> None:
    data = load(damaged_output)
    rows = pd.read_parquet(damaged_output / "endpoints.parquet")
    rows = rows[
        (rows["measure"] == "angular_rom") & (rows["level"] == "L4-L5")
        & (rows["visit"] == "month_12")
    ]  # fmt: skip
    changes = rows["change_from_baseline"].to_numpy()  # S001 and S002: +2 deg each
    cell = summarise(data, "angular_rom", ["S001", "S002"])[("L4-L5", "month_12")]

    assert cell.change_n == 2 and cell.change_mean == pytest.approx(changes.mean()) == 2.0
    assert cell.change_sd == pytest.approx(0.0)
    assert (cell.ci_lower, cell.ci_upper) == pytest.approx((2.0, 2.0))


def test_missing_values_name_their_reason_in_a_footnote(damaged_output: Path) -> None:
    data = load(damaged_output)
    everyone = ["S001", "S002"]

    height = summarise(data, "disc_height_mean", everyone)[("L4-L5", "month_12")]
    rom_month_6 = summarise(data, "angular_rom", everyone)[("L2-L3", "month_6")]
    rom_month_12 = summarise(data, "angular_rom", everyone)[("L2-L3", "month_12")]

    assert height.n == 1 and height.missing == {"S001": f"uncalibrated: {UNCALIBRATED_NOTE}"}
    assert rom_month_6.n == 1
    assert rom_month_6.missing == {
        "S002": "failed: S002/month_6/dx_flexion.dcm: not-dicom: no DICM prefix <b>"
    }
    assert rom_month_12.missing == {"S002": "not read"}
    page = html.unescape(write_report(damaged_output).read_text(encoding="utf-8"))
    assert f"S001: uncalibrated: {UNCALIBRATED_NOTE}" in page
    assert "S002: failed: S002/month_6/dx_flexion.dcm: not-dicom: no DICM prefix <b>" in page
    assert "S002: not read" in page


def test_populations_are_reported_separately_and_named(damaged_output: Path) -> None:
    data = load(damaged_output)

    everyone, eligible = populations(data)
    page = write_report(damaged_output).read_text(encoding="utf-8")

    assert everyone.subjects == ("S001", "S002") and eligible.subjects == ("S001",)
    assert "All subjects read (N = 2)" in page and "Eligible at baseline (N = 1)" in page
    # The eligible population's L4-L5 disc height at month 6: S001 alone, 7.0 mm, change -1.
    cell = summarise(data, "disc_height_mean", eligible.subjects)[("L4-L5", "month_6")]
    assert (cell.n, cell.mean, cell.change_mean) == (1, 7.0, -1.0)
    assert math.isnan(cell.sd) and math.isnan(cell.ci_lower)
    row = '<td>L4-L5</td><td>month_6</td><td class="num">1</td><td>7.000</td><td>-</td>'
    assert row in page


def test_shift_tables_count_subjects_and_modic_conversions(damaged_output: Path) -> None:
    data = load(damaged_output)

    found = {(s.item, s.level, s.visit): s for s in shifts(data, ["S001", "S002"])}
    page = html.unescape(write_report(damaged_output).read_text(encoding="utf-8"))

    pfirrmann = found[("pfirrmann", "L4-L5", "month_12")]  # 3 -> 4 for both subjects
    assert pfirrmann.counts == {("3", "4"): 2}
    assert (pfirrmann.improved, pfirrmann.unchanged, pfirrmann.worsened) == (0, 0, 2)
    assert found[("pfirrmann", "L4-L5", "month_6")].unchanged == 2
    modic = found[("modic_cranial", "L4-L5", "month_12")]
    assert modic.improved is None and modic.conversions == {("I", "II"): 1}
    assert "I -> II: 1" in page
    assert re.search(r"worsened</th>.*?<td>L4-L5</td><td>month_12</td>[^\n]*?2 \(100%\)", page)
    assert "Grade shifts" in page


def test_a_subject_whose_readers_grade_differently_is_left_out_and_named(
    fake_batch_output: Path,
) -> None:
    path = fake_batch_output / "endpoints.parquet"
    table = pd.read_parquet(path)
    second = table[
        (table["subject"] == "S002") & (table["measure"] == "pfirrmann")
        & (table["visit"] == "month_12") & (table["level"] == "L4-L5")
    ].assign(reader="R2", grade="5", value=5.0)  # fmt: skip
    pd.concat([table, second]).to_parquet(path)

    shift = {
        (s.item, s.level, s.visit): s for s in shifts(load(fake_batch_output), ["S001", "S002"])
    }
    cell = shift[("pfirrmann", "L4-L5", "month_12")]

    assert cell.ambiguous == ("S002",) and cell.n == 1


def test_cohort_plot_has_alt_text_and_the_page_a_print_stylesheet(fake_batch_output: Path) -> None:
    page = write_report(fake_batch_output).read_text(encoding="utf-8")

    alt = re.search(r'<img alt="(Change from baseline[^"]*)"', page)
    assert (
        alt and "95% confidence interval" in alt.group(1) and "one line per subject" in alt.group(1)
    )
    assert "@media print" in page
    assert "±1 SD" not in page
