"""The report's continuous endpoints section: per population, measure, level and visit, the
numbers of :mod:`imaging.report.statistics` as tables, missing values footnoted with reasons.
"""

from __future__ import annotations

import math
from typing import Any

from imaging.measures import MEASURES
from imaging.report import statistics
from imaging.report.data import ReportData
from imaging.report.figures import delta_unit
from imaging.report.markup import escape, html_table
from imaging.report.page import Section
from imaging.report.statistics import Population, Summary

COLUMNS = (
    "level", "visit", "n", "mean", "SD", "median", "IQR", "change n", "mean change",
    "95% CI of change", "missing",
)  # fmt: skip


def continuous_section(data: ReportData) -> Section:
    """Both populations, each measure of :data:`statistics.CONTINUOUS` present in the table."""
    out = [
        '<h2 id="continuous">Continuous endpoints by level and visit</h2>',
        "<p>One value per subject, visit and level (the neutral film's when a measure was taken "
        "on several films; readers averaged). Change from baseline as in the endpoint table; its "
        "95% confidence interval is t-based (mean &plusmn; t<sub>0.975, n-1</sub> &times; SD / "
        "&radic;n), shown from n = 2. IQR: first to third quartile (linear interpolation). "
        "'missing' counts subjects of the population without a value; the footnote gives each "
        "one's reason (uncalibrated film, not read, failed input).</p>",
    ]
    for population in statistics.populations(data):
        out.append(_population(data, population))
    return Section("continuous", "Continuous endpoints", "\n".join(out))


def population_anchor(population: Population) -> str:
    return population.name.lower().replace(" ", "-")


def _population(data: ReportData, population: Population) -> str:
    out = [
        f'<h3 id="continuous-{escape(population_anchor(population))}">{escape(population.name)} '
        f"(N = {len(population.subjects)})</h3>",
        f'<p class="small">{escape(population.description)}'
        + (f": {escape(', '.join(population.subjects))}" if population.subjects else "")
        + ".</p>",
    ]
    if not population.subjects:
        out.append("<p>No subjects: no table.</p>")
        return "\n".join(out)
    notes: dict[str, int] = {}
    for name in statistics.CONTINUOUS:
        cells = statistics.summarise(data, name, population.subjects)
        if not cells:
            continue
        measure = MEASURES[name]
        places = measure.decimals + 1
        rows = [
            _row(data, level, visit, cell, notes, places) for (level, visit), cell in cells.items()
        ]
        out.append(
            f"<h4>{escape(measure.heading)}</h4>"
            f'<p class="small">{escape(measure.method)} '
            f"Change in {escape(delta_unit(measure.unit))}.</p>" + html_table(COLUMNS, rows)
        )
    if notes:
        out.append(
            '<ol class="notes">' + "".join(f"<li>{escape(text)}</li>" for text in notes) + "</ol>"
        )
    return "\n".join(out)


def _row(
    data: ReportData, level: str, visit: str, cell: Summary, notes: dict[str, int], places: int
) -> list[Any]:
    def fixed(value: float) -> str:
        return fixed_number(value, places)

    at_baseline = visit == statistics.baseline_visit(data)
    return [
        level,
        data.visit_label(visit),
        cell.n,
        fixed(cell.mean),
        fixed(cell.sd),
        fixed(cell.median),
        "-" if cell.n == 0 else f"{fixed(cell.q1)} to {fixed(cell.q3)}",
        "-" if at_baseline else cell.change_n,
        fixed(cell.change_mean),
        "-" if math.isnan(cell.ci_lower) else f"{fixed(cell.ci_lower)} to {fixed(cell.ci_upper)}",
        _missing(cell.missing, notes),
    ]


def fixed_number(value: float, places: int) -> str:
    """``value`` with ``places`` decimals, '-' when NaN, never '-0.00'."""
    if math.isnan(value):
        return "-"
    text = f"{value:.{places}f}"
    return text[1:] if text.startswith("-") and float(text) == 0 else text


def _missing(missing: dict[str, str], notes: dict[str, int]) -> str:
    """'2 [1][3]': the count and the footnotes (numbered in order of first use) of the reasons."""
    if not missing:
        return ""
    by_reason: dict[str, list[str]] = {}
    for subject, reason in missing.items():
        by_reason.setdefault(reason, []).append(subject)
    marks = []
    for reason, subjects in by_reason.items():
        text = f"{', '.join(subjects)}: {reason}"
        number = notes.setdefault(text, len(notes) + 1)
        marks.append(f"[{number}]")
    return f"{len(missing)} {''.join(marks)}"
