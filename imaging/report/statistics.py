"""Continuous endpoints per population, level and visit: n, mean, SD, median, IQR, and the change
from baseline with its t-based 95 % confidence interval, each missing value with its reason.

One value per subject, visit, level and measure: the neutral film wins when a measure was taken on
several films, several readers' values are averaged (:func:`one_per_subject`). The change is the
endpoint table's ``change_from_baseline`` (computed once, by :mod:`imaging.endpoints.baseline`),
never recomputed here. Grades are not here: ordinal and nominal grades are never averaged
(:mod:`imaging.report.shifts`).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import stats

from imaging.anatomy import DiscLevel
from imaging.report.data import ReportData

CONTINUOUS = (
    "disc_height_mean",
    "disc_height_index",
    "height_loss_vs_adjacent_pct",
    "segmental_angle",
    "angular_rom",
    "translation_rom",
)
"""The registry measures summarised per level and visit (disc height, height loss, angles, ROM)."""
FILM_PREFERENCE = ("neutral", "", "flexion", "extension")
"""Which film's value stands for a visit when a measure was taken on several."""
CONFIDENCE = 0.95
ELIGIBLE = "eligible"
"""``subject_verdict`` of eligibility.csv for a subject meeting every imaging criterion."""
UNCALIBRATED = "uncalibrated"
NOT_READ = "not read"
FAILED = "failed"


@dataclass(frozen=True)
class Population:
    """A named set of subjects the tables are computed on."""

    name: str
    description: str
    subjects: tuple[str, ...]


@dataclass(frozen=True)
class Summary:
    """One cell: a measure at a level and visit in a population (numbers in the measure's unit).

    ``change_*`` describe ``change_from_baseline``; the interval is mean +/- t(0.975, n-1) x SD /
    sqrt(n), NaN below n = 2. ``missing`` maps each subject without a value to the reason.
    """

    n: int
    mean: float
    sd: float
    median: float
    q1: float
    q3: float
    change_n: int
    change_mean: float
    change_sd: float
    ci_lower: float
    ci_upper: float
    missing: dict[str, str] = field(default_factory=dict)


def populations(data: ReportData) -> tuple[Population, Population]:
    """All subjects read, and those eligible at baseline (eligibility.csv)."""
    read = tuple(data.subjects)
    table = data.eligibility
    if table.empty or "subject_verdict" not in table.columns:
        eligible: tuple[str, ...] = ()
        note = "no eligibility evaluation in this output: the population is empty"
    else:
        verdicts = table.drop_duplicates("subject").set_index("subject")["subject_verdict"]
        eligible = tuple(s for s in read if verdicts.get(s) == ELIGIBLE)
        visit = ", ".join(sorted(set(table.get("visit", pd.Series(dtype=str)))))
        note = (
            f"subjects meeting every imaging criterion at {visit or 'baseline'} (eligibility.csv)"
        )
    return (
        Population("All subjects read", "every subject with a row in the endpoint table", read),
        Population("Eligible at baseline", note, eligible),
    )


def one_per_subject(table: pd.DataFrame, measure: str) -> pd.DataFrame:
    """One row per subject, visit and level of ``measure``: ``value``, ``change`` (means over
    readers, NaN when empty) and ``note`` (the notes of the rows chosen, ``; ``-joined)."""
    rows = preferred_film(table[table["measure"] == measure])
    columns = ["subject", "visit", "level", "value", "change", "note"]
    if rows.empty:
        return pd.DataFrame(columns=columns)
    rows = rows.assign(
        value=pd.to_numeric(rows["value"], errors="coerce"),
        change=pd.to_numeric(rows["change_from_baseline"], errors="coerce"),
        note=rows["note"].astype(str) if "note" in rows.columns else "",
    )
    grouped = rows.groupby(["subject", "visit", "level"], sort=False)
    result = grouped.agg(
        value=("value", "mean"),
        change=("change", "mean"),
        note=("note", lambda notes: "; ".join(dict.fromkeys(n for n in notes if n))),
    )
    return result.reset_index()[columns]


def preferred_film(rows: pd.DataFrame) -> pd.DataFrame:
    """The rows of the preferred film (:data:`FILM_PREFERENCE`) of each subject, visit, level."""
    if rows.empty:
        return rows
    rank = {film: i for i, film in enumerate(FILM_PREFERENCE)}
    ranked = rows["film"].map(lambda f: rank.get(f, len(rank)))
    best = ranked.groupby([rows["subject"], rows["visit"], rows["level"]]).transform("min")
    return rows[ranked == best]


def summarise(
    data: ReportData, measure: str, subjects: Sequence[str]
) -> dict[tuple[str, str], Summary]:
    """(level, visit) -> :class:`Summary` of ``measure`` over ``subjects``; levels with no value
    in any visit are left out."""
    values = one_per_subject(data.endpoints, measure)
    values = values[values["subject"].isin(list(subjects))]
    baseline = baseline_visit(data)
    levels = sorted(
        (str(level) for level, group in values.groupby("level") if group["value"].notna().any()),
        key=level_key,
    )
    cells = {}
    for level in levels:
        here = values[values["level"] == level]
        for visit in data.visits:
            cell = here[here["visit"] == visit].set_index("subject")
            value = cell["value"].dropna()
            change = cell["change"].dropna() if visit != baseline else pd.Series(dtype=float)
            missing = {
                s: _reason(data, s, visit, cell["note"].get(s))
                for s in subjects
                if s not in value.index
            }
            cells[(level, visit)] = _summary(value.to_numpy(float), change.to_numpy(float), missing)
    return cells


def level_key(level: str) -> int:
    """Disc levels in craniocaudal order (T12-L1 first), anything else after."""
    names = [member.value for member in DiscLevel]
    return names.index(level) if level in names else len(names)


def baseline_visit(data: ReportData) -> str:
    """The protocol's baseline visit recorded with the batch, else the first visit."""
    recorded = str(data.provenance.get("protocol", {}).get("baseline_visit") or "")
    return recorded or (data.visits[0] if data.visits else "")


def mean_ci(values: np.ndarray) -> tuple[float, float, float]:
    """Mean and t-based 95 % confidence interval (NaN bounds below n = 2)."""
    n = len(values)
    if n == 0:
        return math.nan, math.nan, math.nan
    mean = float(np.mean(values))
    if n < 2:
        return mean, math.nan, math.nan
    half = stats.t.ppf((1 + CONFIDENCE) / 2, n - 1) * float(np.std(values, ddof=1)) / math.sqrt(n)
    return mean, mean - half, mean + half


def _summary(value: np.ndarray, change: np.ndarray, missing: dict[str, str]) -> Summary:
    nan = math.nan
    q1, median, q3 = np.percentile(value, [25, 50, 75]) if len(value) else (nan, nan, nan)
    change_mean, low, high = mean_ci(change)
    return Summary(
        n=len(value),
        mean=float(np.mean(value)) if len(value) else nan,
        sd=float(np.std(value, ddof=1)) if len(value) > 1 else nan,
        median=float(median),
        q1=float(q1),
        q3=float(q3),
        change_n=len(change),
        change_mean=change_mean,
        change_sd=float(np.std(change, ddof=1)) if len(change) > 1 else nan,
        ci_lower=low,
        ci_upper=high,
        missing=missing,
    )


def _reason(data: ReportData, subject: str, visit: str, note: object) -> str:
    """Why a subject has no value: its row's note (uncalibrated, ...), a failure, or not read."""
    text = "" if note is None or (isinstance(note, float) and math.isnan(note)) else str(note)
    if text:
        lowered = text.lower()
        return f"{UNCALIBRATED}: {text}" if "calibrat" in lowered else text
    failures = data.failures
    failed = failures[(failures["subject"] == subject) & (failures["visit"] == visit)]
    if not failed.empty:
        return f"{FAILED}: " + "; ".join(
            f"{row.file}: {row.reason}" for row in failed.itertuples(index=False)
        )
    return NOT_READ
