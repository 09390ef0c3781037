"""The report on the sample archive, checked on its printed numbers: every continuous cell (n,
mean, SD, change n, mean change, 95% CI) recomputed here from endpoints.parquet with pandas and
scipy, and the data dictionary covering every column and measure of that table."""

from __future__ import annotations

import html
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from imaging.measures import MEASURES
from imaging.report.statistics import CONTINUOUS

Cell = dict[str, str]


@pytest.fixture(scope="module")
def sample_report(clean_report: tuple[Path, int, list[str]]) -> tuple[Path, str]:
    out, status, _ = clean_report
    assert status == 0
    return out, (out / "report.html").read_text(encoding="utf-8")


def printed_tables(page: str, population: str) -> dict[str, list[Cell]]:
    """The continuous tables of one population section: measure heading -> rows by column."""
    section = page.split(f'<h3 id="continuous-{population}">', 1)[1].split("<h3", 1)[0]
    tables = {}
    for heading, table in re.findall(r"<h4>(.*?)</h4>.*?<table>(.*?)</table>", section, re.S):
        columns = [html.unescape(c) for c in re.findall(r"<th>(.*?)</th>", table)]
        rows = re.findall(r"<tr>(<td.*?)</tr>", table)
        cells = [[html.unescape(c) for c in re.findall(r"<td[^>]*>(.*?)</td>", r)] for r in rows]
        tables[html.unescape(heading)] = [dict(zip(columns, row, strict=True)) for row in cells]
    return tables


def one_per_subject(table: pd.DataFrame, measure: str, subjects: set[str]) -> pd.DataFrame:
    """The documented rule, written again: the neutral film's value when several films carry the
    measure, readers averaged; one row per subject, level and visit."""
    rows = table[(table["measure"] == measure) & table["subject"].isin(subjects)]
    rank = rows["film"].map({"neutral": 0, "": 1, "flexion": 2, "extension": 3}).fillna(1)
    best = rows.assign(rank=rank).groupby(["subject", "level", "visit"])["rank"].transform("min")
    chosen = rows[rank == best]
    return chosen.groupby(["subject", "level", "visit"], as_index=False)[
        ["value", "change_from_baseline"]
    ].mean()


def agrees(printed: str, expected: float) -> bool:
    """``printed`` is ``expected`` rounded to the decimals it shows."""
    if np.isnan(expected):
        return printed == "-"
    places = len(printed.split(".")[1]) if "." in printed else 0
    return abs(float(printed) - expected) <= 0.5 * 10**-places + 1e-12


@pytest.mark.parametrize(
    ("population", "subjects"),
    [("all-subjects-read", None), ("eligible-at-baseline", "eligible")],
)
def test_every_continuous_cell_matches_the_endpoint_table(
    sample_report: tuple[Path, str], population: str, subjects: str | None
) -> None:
    out, page = sample_report
    # The Parquet table: full precision (the CSV rounds each value to its measure's decimals).
    table = pd.read_parquet(out / "endpoints.parquet")
    table["film"] = table["film"].fillna("")
    chosen = set(table["subject"])
    if subjects:
        eligibility = pd.read_csv(out / "eligibility.csv", dtype=str, keep_default_na=False)
        chosen = set(eligibility.loc[eligibility["subject_verdict"] == subjects, "subject"])
    labels = {"Baseline": "baseline", "6 months": "month_6", "12 months": "month_12"}
    tables = printed_tables(page, population)

    checked = 0
    for measure in CONTINUOUS:
        values = one_per_subject(table, measure, chosen)
        for row in tables[MEASURES[measure].heading]:
            here = values[
                (values["level"] == row["level"]) & (values["visit"] == labels[row["visit"]])
            ]
            value = here["value"].dropna()
            change = here["change_from_baseline"].dropna()
            assert int(row["n"]) == len(value), (measure, row)
            assert agrees(row["mean"], value.mean()), (measure, row)
            assert agrees(row["SD"], value.std(ddof=1)), (measure, row)
            if row["visit"] == "Baseline":
                continue
            assert int(row["change n"]) == len(change), (measure, row)
            assert agrees(row["mean change"], change.mean()), (measure, row)
            if len(change) >= 2:
                sd = change.std(ddof=1)
                half = stats.t.ppf(0.975, len(change) - 1) * sd / np.sqrt(len(change))
                low, high = row["95% CI of change"].split(" to ")
                assert agrees(low, change.mean() - half) and agrees(high, change.mean() + half)
            checked += 1
    assert checked >= (60 if subjects is None else 40)


def test_the_uncalibrated_film_is_a_missing_cell_with_its_reason(
    sample_report: tuple[Path, str],
) -> None:
    _, page = sample_report
    rom = printed_tables(page, "all-subjects-read")[MEASURES["translation_rom"].heading]
    (row,) = [r for r in rom if (r["level"], r["visit"]) == ("L4-L5", "12 months")]

    assert (row["n"], row["change n"]) == ("2", "2") and row["missing"] == "1 [1]"
    assert re.search(r"<li>DLBP-003: uncalibrated", page)


def test_the_dictionary_lists_every_column_and_measure_of_the_sample_table(
    sample_report: tuple[Path, str],
) -> None:
    out, _ = sample_report
    table = pd.read_csv(out / "endpoints.csv", dtype=str, keep_default_na=False)
    dictionary = pd.read_csv(out / "data-dictionary.csv", dtype=str, keep_default_na=False)

    columns = set(dictionary.loc[dictionary["kind"] == "column", "name"])
    measures = set(dictionary.loc[dictionary["kind"] != "column", "name"])
    assert set(table.columns) <= columns, set(table.columns) - columns
    assert set(table["measure"]) <= measures, set(table["measure"]) - measures
    described = dictionary.set_index("name")["definition"]
    undescribed = [n for n in set(table["measure"]) if described[n].startswith("not described")]
    assert not undescribed
