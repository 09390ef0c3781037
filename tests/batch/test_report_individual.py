"""The report's individual change against the SDC of agreement.csv (classification recomputed
here from the endpoint table), its waterfall plots, and the change plot of every level."""

from __future__ import annotations

import html
import re
from pathlib import Path

import pandas as pd
import pytest
from batch_output import LEVELS, write_batch_output

from imaging.agreement import AGREEMENT_COLUMNS
from imaging.report import load, write_report
from imaging.report.agreement import load_agreement
from imaging.report.sdc import changes_at, classification, find_sdc
from imaging.report.waterfall import individual_section
from imaging.spreadsheet import write_frame_csv

SDC_MM = 0.6


def _agreement(folder: Path) -> None:
    """Disc height at L4-L5: inter-reader SDC 0.6 mm on the neutral film (the one used); an
    intra-reader 5 mm and a flexion-film 0.1 mm that must not be used; no ROM SDC."""
    row = dict.fromkeys(AGREEMENT_COLUMNS, "")
    sdc = dict(row, kind="measure", name="disc_height_mean", level="L4-L5", statistic="sdc",
               unit="mm", n_subjects=12, n_pairs=24)  # fmt: skip
    rows = [
        dict(sdc, comparison="inter-reader", readers="R1|<b>R2</b>", film="neutral",
             estimate=SDC_MM),
        dict(sdc, comparison="intra-reader", readers="R1", film="neutral", estimate=5.0),
        dict(sdc, comparison="inter-reader", readers="R1|R3", film="flexion", estimate=0.1),
    ]  # fmt: skip
    write_frame_csv(pd.DataFrame(rows, columns=list(AGREEMENT_COLUMNS)), folder / "agreement.csv")


@pytest.fixture(scope="module")
def reported(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """One batch output with agreement.csv, reported once for every test of this module."""
    folder = write_batch_output(tmp_path_factory.mktemp("individual") / "out")
    _agreement(folder)
    page = write_report(folder).read_text(encoding="utf-8")
    return folder, page


def _alts(page: str) -> list[str]:
    return [html.unescape(a) for a in re.findall(r'<img alt="([^"]*)"', page)]


def test_classification_matches_the_endpoint_table_and_the_sdc(reported: tuple[Path, str]) -> None:
    folder, page = reported
    table = pd.read_parquet(folder / "endpoints.parquet")
    rows = table[
        (table["measure"] == "disc_height_mean") & (table["level"] == "L4-L5")
        & (table["film"] == "neutral") & (table["visit"] != "baseline")
    ]  # fmt: skip
    expected: dict[tuple[str, str], str] = {}
    for subject, visit, change in zip(
        rows["subject"], rows["visit"], rows["change_from_baseline"].astype(float), strict=True
    ):
        beyond = ("increase" if change > 0 else "decrease") + " beyond SDC"
        expected[(str(subject), str(visit))] = "within SDC" if abs(change) <= SDC_MM else beyond
    data = load(folder)
    sdc = find_sdc(load_agreement(folder), data.endpoints, "disc_height_mean", "L4-L5")
    assert sdc is not None and sdc.value == SDC_MM and sdc.comparison == "inter-reader"
    classes = classification(changes_at(data, "disc_height_mean", "L4-L5"), sdc)

    assert {(s, v): classes.loc[s, v] for s, v in expected} == expected
    assert expected[("S001", "month_6")] == "decrease beyond SDC"  # -1 mm
    assert expected[("S002", "month_6")] == "within SDC"  # 0 mm
    section = page[page.index('<h2 id="individual">') :]
    assert (
        '<td>S001</td><td class="num">-1.00</td><td>decrease beyond SDC</td>'
        '<td class="num">-2.00</td><td>decrease beyond SDC</td>'
    ) in section
    assert "SDC 0.60 mm (inter-reader R1|&lt;b&gt;R2&lt;/b&gt;, neutral film, 24 pairs)" in section
    assert "<b>R2</b>" not in page


def test_waterfall_alt_text_names_the_sdc_or_its_absence(reported: tuple[Path, str]) -> None:
    _, page = reported
    waterfalls = [a for a in _alts(page) if a.startswith("Waterfall")]

    height = [a for a in waterfalls if "Mean disc height" in a]
    assert len(height) == 1
    assert "to month_12 at L4-L5" in height[0] and "the band is ±SDC 0.60 mm" in height[0]
    rom = [a for a in waterfalls if "Angular ROM" in a]
    assert len(rom) == 1 and "no SDC known: no band" in rom[0]
    assert "No SDC for Angular ROM at L4-L5 in agreement.csv: no classification" in page


def test_without_agreement_csv_nothing_is_classified(reported: tuple[Path, str]) -> None:
    folder, _ = reported
    section = individual_section(load(folder), pd.DataFrame()).html

    assert "No agreement.csv in this output: the SDC is not known" in section
    assert "beyond SDC</td>" not in section and "within SDC</td>" not in section
    assert all("no SDC known: no band" in a for a in _alts(section))


def test_a_change_plot_per_level_with_units_and_n(reported: tuple[Path, str]) -> None:
    _, page = reported
    cohort = page[page.index('<h2 id="cohort">') : page.index('<h2 id="subjects">')]
    alts = _alts(cohort)

    assert len(alts) == len(LEVELS)
    for level, alt in zip(LEVELS, alts, strict=True):
        assert f'<h3 id="cohort-{level}">{level}</h3>' in cohort
        assert f"at {level}" in alt and "one line per subject (legend)" in alt
        assert "95% confidence interval" in alt and "n under each visit" in alt
    assert "(the target level)" in alts[LEVELS.index("L4-L5")]
