"""Ordinal and nominal grades: shift tables (baseline grade x visit grade), never averaged.

Grade rows are the endpoint table's rows with ``unit`` = ``grade``; the baseline grade of each is
its ``baseline_grade`` and the direction its ``change_from_baseline`` (the score difference on an
ordered scale), both from :mod:`imaging.endpoints.baseline`. A subject counts once per item, level
and visit: a subject whose readers' grades differ there is left out and named. On an ordered scale
a lower score is an improvement (the built-in ordered scales, Pfirrmann among them, grade
severity upwards); a nominal scale (Modic) has no direction: its conversions (``I -> II``) are
counted.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

import pandas as pd

from imaging.endpoints.rows import GRADE_UNIT
from imaging.report.data import ReportData
from imaging.report.statistics import baseline_visit


@dataclass(frozen=True)
class Shift:
    """One item at one level and follow-up visit over a set of subjects.

    ``counts``: (baseline grade, visit grade) -> subjects. ``improved``/``unchanged``/``worsened``
    only on ordered scales (None on nominal ones); ``not_compared``: pairs with no score on
    either side (e.g. ``not_assessable``). ``ambiguous``: subjects left out (readers differ).
    """

    item: str
    level: str
    visit: str
    ordered: bool
    counts: Counter[tuple[str, str]]
    improved: int | None = None
    unchanged: int | None = None
    worsened: int | None = None
    not_compared: int = 0
    ambiguous: tuple[str, ...] = field(default_factory=tuple)

    @property
    def n(self) -> int:
        return sum(self.counts.values())

    @property
    def conversions(self) -> Counter[tuple[str, str]]:
        """The pairs whose grade changed, with their counts (Modic I -> II)."""
        return Counter({pair: n for pair, n in self.counts.items() if pair[0] != pair[1]})


def grade_rows(table: pd.DataFrame) -> pd.DataFrame:
    return table[table["unit"] == GRADE_UNIT]


def shifts(data: ReportData, subjects: Sequence[str]) -> list[Shift]:
    """Every (item, level, follow-up visit) with at least one subject graded at both visits."""
    rows = grade_rows(data.endpoints)
    rows = rows[rows["subject"].isin(list(subjects)) & (rows["visit"] != baseline_visit(data))]
    if "baseline_grade" not in rows.columns or "grade" not in rows.columns:
        return []
    rows = rows[(rows["grade"].astype(str) != "") & (rows["baseline_grade"].astype(str) != "")]
    ordered_items = set(
        grade_rows(data.endpoints)
        .loc[lambda t: pd.to_numeric(t["value"], errors="coerce").notna(), "measure"]
        .unique()
    )
    visit_order = {visit: i for i, visit in enumerate(data.visits)}
    result = []
    for (item, level, visit), group in rows.groupby(["measure", "level", "visit"], sort=False):
        result.append(_shift(str(item), str(level), str(visit), item in ordered_items, group))
    result.sort(key=lambda s: (s.item, s.level, visit_order.get(s.visit, len(visit_order))))
    return [s for s in result if s.n or s.ambiguous]


def grade_order(shift_list: Sequence[Shift], data: ReportData, item: str) -> list[str]:
    """The codes of ``item`` in scale order: by score on ordered scales, else as text."""
    rows = grade_rows(data.endpoints)
    rows = rows[rows["measure"] == item]
    scores = pd.to_numeric(rows["value"], errors="coerce")
    by_code = dict(zip(rows["grade"].astype(str), scores, strict=True))
    codes = {c for s in shift_list if s.item == item for pair in s.counts for c in pair}

    def key(code: str) -> tuple[bool, float, str]:
        score = by_code.get(code)
        known = score is not None and not pd.isna(score)
        return (not known, float(score) if known else 0.0, code)  # type: ignore[arg-type]

    return sorted(codes, key=key)


def _shift(item: str, level: str, visit: str, ordered: bool, group: pd.DataFrame) -> Shift:
    counts: Counter[tuple[str, str]] = Counter()
    directions: Counter[str] = Counter()
    ambiguous = []
    for subject, rows in group.groupby("subject"):
        pairs = set(zip(rows["baseline_grade"].astype(str), rows["grade"].astype(str), strict=True))
        if len(pairs) > 1:
            ambiguous.append(str(subject))
            continue
        counts[pairs.pop()] += 1
        change = pd.to_numeric(rows["change_from_baseline"], errors="coerce").iloc[0]
        directions[_direction(change)] += 1
    if not ordered:
        return Shift(item, level, visit, False, counts, ambiguous=tuple(ambiguous))
    return Shift(
        item,
        level,
        visit,
        True,
        counts,
        improved=directions["improved"],
        unchanged=directions["unchanged"],
        worsened=directions["worsened"],
        not_compared=directions["not compared"],
        ambiguous=tuple(ambiguous),
    )


def _direction(change: float) -> str:
    if pd.isna(change):
        return "not compared"
    return "improved" if change < 0 else "worsened" if change > 0 else "unchanged"
