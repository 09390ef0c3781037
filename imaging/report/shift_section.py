"""The report's grades section: per population and grading item, the shift tables and the
proportions improved / unchanged / worsened (ordered scales) or the conversions (nominal scales)
of :mod:`imaging.report.shifts`.
"""

from __future__ import annotations

from itertools import groupby
from typing import Any

from imaging.report import statistics
from imaging.report.continuous import population_anchor
from imaging.report.data import ReportData
from imaging.report.markup import escape, html_table
from imaging.report.page import Section
from imaging.report.shifts import Shift, grade_order, shifts


def shift_section(data: ReportData) -> Section | None:
    """None when no grade was given at baseline and at a later visit."""
    populations = statistics.populations(data)
    if not shifts(data, populations[0].subjects):
        return None
    out = [
        '<h2 id="grades">Grades: shifts from baseline</h2>',
        "<p>Grades are never averaged. Each shift table counts subjects by their grade at "
        "baseline (rows) and at the visit (columns), per level. On ordered scales a lower score "
        "is counted as improved (the built-in ordered scales grade severity upwards); nominal "
        "scales (Modic) have no direction: their conversions are counted. A subject whose "
        "readers' grades differ is left out and named.</p>",
    ]
    for population in populations:
        out.append(
            f'<h3 id="grades-{escape(population_anchor(population))}">{escape(population.name)} '
            f"(N = {len(population.subjects)})</h3>"
        )
        found = shifts(data, population.subjects) if population.subjects else []
        if not found:
            out.append("<p>No subject graded at baseline and at a later visit.</p>")
            continue
        for item, of_item in groupby(found, key=lambda s: s.item):
            out.append(_item(data, item, list(of_item), found))
    return Section("grades", "Grade shifts", "\n".join(out))


def _item(data: ReportData, item: str, of_item: list[Shift], found: list[Shift]) -> str:
    codes = grade_order(found, data, item)
    ordered = of_item[0].ordered
    out = [f"<h4>{escape(item)} ({'ordered' if ordered else 'nominal'} scale)</h4>"]
    if ordered:
        columns = ["level", "visit", "n", "improved", "unchanged", "worsened", "not compared"]
        rows: list[list[Any]] = [
            [s.level, data.visit_label(s.visit), s.n, *_shares(s)] for s in of_item
        ]
    else:
        columns = ["level", "visit", "n", "unchanged", "conversions"]
        rows = [
            [
                s.level,
                data.visit_label(s.visit),
                s.n,
                s.n - sum(s.conversions.values()),
                "; ".join(f"{a} -> {b}: {n}" for (a, b), n in sorted(s.conversions.items()))
                or "none",
            ]
            for s in of_item
        ]
    if any(s.ambiguous for s in of_item):
        columns.append("left out (readers differ)")
        for row, s in zip(rows, of_item, strict=True):
            row.append(", ".join(s.ambiguous))
    out.append(html_table(columns, rows))
    for s in of_item:
        out.append(
            f'<p class="small">{escape(item)} at {escape(s.level)}: baseline (rows) x '
            f"{escape(data.visit_label(s.visit))} (columns), subjects</p>"
            + html_table(
                ["baseline \\ visit", *codes, "total"],
                [
                    [
                        base,
                        *(s.counts.get((base, code), 0) for code in codes),
                        sum(n for (b, _), n in s.counts.items() if b == base),
                    ]
                    for base in codes
                    if any(b == base for b, _ in s.counts)
                ],
            )
        )
    return "\n".join(out)


def _shares(shift: Shift) -> list[str]:
    """'1 (50%)' for improved, unchanged, worsened and not compared."""
    counts = [shift.improved or 0, shift.unchanged or 0, shift.worsened or 0, shift.not_compared]
    return [f"{n} ({100 * n / shift.n:.0f}%)" if shift.n else "0" for n in counts]
