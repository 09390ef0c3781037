"""Each subject's change from baseline against the readers' measurement error.

The smallest detectable change (SDC = 1.96 x sqrt(2) x SEM; de Vet et al., Measurement in
Medicine, Cambridge 2011, ch. 5) comes from the ``sdc`` rows of ``agreement.csv``
(:mod:`imaging.agreement.tables`), per measure, film and level. A change whose absolute value
exceeds the SDC is larger than the readers' disagreement at the 95 % level; one that does not is
within it. No SDC row: no classification (never a default).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import pandas as pd

from imaging.measures import MEASURES
from imaging.report.data import ReportData, number_cell
from imaging.report.figures import change_from_baseline
from imaging.report.statistics import baseline_visit, preferred_film

INCREASE = "increase beyond SDC"
DECREASE = "decrease beyond SDC"
WITHIN = "within SDC"
MISSING = "missing"
COMPARISON_PREFERENCE = ("inter-reader", "intra-reader")
"""Inter-reader SDC first: a subject's visits may be read by different readers."""


@dataclass(frozen=True)
class Sdc:
    """One SDC row of ``agreement.csv``: the value in ``unit`` and where it comes from."""

    value: float
    unit: str
    comparison: str
    readers: str
    film: str
    n_pairs: str

    @property
    def label(self) -> str:
        """'±SDC 0.52 mm'."""
        return f"±SDC {self.value:.2f} {self.unit}"

    @property
    def source(self) -> str:
        """'inter-reader R1|R2, neutral film, 24 pairs'."""
        film = f", {self.film} film" if self.film else ""
        pairs = f", {self.n_pairs} pairs" if self.n_pairs else ""
        return f"{self.comparison} {self.readers}{film}{pairs}"


def find_sdc(
    agreement: pd.DataFrame, endpoints: pd.DataFrame, measure: str, level: str
) -> Sdc | None:
    """The SDC of ``measure`` at ``level`` for the film the endpoint table's values come from.

    Inter-reader rows before intra-reader ones; among several (reader pairs) the largest, so that
    no pair's error is called change. None when ``agreement.csv`` has no usable row (other film,
    other unit, empty or non-positive estimate).
    """
    if agreement.empty or measure not in MEASURES:
        return None
    unit = MEASURES[measure].unit
    used = preferred_film(
        endpoints[(endpoints["measure"] == measure) & (endpoints["level"] == level)]
    )
    films = set(used["film"].astype(str)) if not used.empty else set()
    rows = agreement[
        (agreement["statistic"] == "sdc")
        & (agreement["name"] == measure)
        & (agreement["level"] == level)
    ]
    candidates = []
    for record in rows.to_dict("records"):
        value = number_cell(record.get("estimate", ""))
        film = str(record.get("film", ""))
        if not value > 0 or str(record.get("unit", "") or unit) != unit:
            continue
        if films and film not in films:
            continue
        comparison = str(record.get("comparison", ""))
        rank = COMPARISON_PREFERENCE.index(comparison) if comparison in COMPARISON_PREFERENCE else 2
        readers, pairs = str(record.get("readers", "")), str(record.get("n_pairs", ""))
        candidates.append((rank, -value, Sdc(value, unit, comparison, readers, film, pairs)))
    return min(candidates, key=lambda c: c[:2])[2] if candidates else None


def classify(change: float, sdc: float) -> str:
    """The class of one change against the SDC (both in the measure's unit)."""
    if not math.isfinite(change):
        return MISSING
    if abs(change) <= sdc:
        return WITHIN
    return INCREASE if change > 0 else DECREASE


def changes_at(data: ReportData, measure: str, level: str) -> pd.DataFrame:
    """Subject x follow-up visit frame of the table's change from baseline (NaN: missing)."""
    frame = change_from_baseline(data.endpoints, measure, level, data.visits)
    return frame.drop(index=baseline_visit(data), errors="ignore").T


def classification(changes: pd.DataFrame, sdc: Sdc) -> pd.DataFrame:
    """The class of every cell of :func:`changes_at`'s frame."""
    return changes.apply(lambda column: column.map(lambda v: classify(float(v), sdc.value)))
