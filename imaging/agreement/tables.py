"""Reader agreement as one tidy table, from endpoint rows (the store's or files'; never measured
here: every value comes from :func:`imaging.endpoints.endpoint_rows`).

A target is one subject x visit at one level (a disc, or a vertebra for body measures). For each
comparison of two sets of reads (``inter-reader``: two readers; ``intra-reader``: one reader's
first and repeat reads) and, never pooled, each measure x film x level: the protocol's primary
ICC with its F-based 95 % CI, Bland-Altman bias and limits with their CIs, SD of the differences,
SEM and the smallest detectable change. Each grading item x level (and over all levels, ``all``)
and each 1/0 flag x film x level: percent exact agreement (and within one grade on ordered
scales) and Cohen's kappa weighted as the protocol pre-specifies, with percentile CIs from the
subject bootstrap (levels and visits are clustered within subjects). Eligibility: see
:mod:`imaging.agreement.verdicts`.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from itertools import combinations
from typing import Any

import numpy as np
import pandas as pd

from imaging.agreement.bootstrap import BootstrapInterval, method_text, subject_bootstrap
from imaging.agreement.icc import Interval, intraclass_correlations
from imaging.agreement.statistics import bland_altman, kappa_of_tables, percent_agreement
from imaging.endpoints import GRADE_UNIT, EndpointRow
from imaging.endpoints.rows import natural, order_in_read
from imaging.errors import SpineEndpointsError
from imaging.measures import MEASURES
from imaging.protocol.agreement import ICC_FORMS, KappaWeights
from imaging.protocol.model import Protocol

AGREEMENT_COLUMNS = (
    "comparison", "readers", "kind", "name", "film", "level", "statistic", "estimate",
    "ci_lower", "ci_upper", "unit", "n_subjects", "n_pairs", "method",
)  # fmt: skip
"""One row per statistic (docs/agreement.md): ``kind`` measure, flag, grade or eligibility;
``name`` the measure, grading item or eligibility rule; ``level`` a disc, a vertebra or ``all``;
``n_pairs`` the targets both reads gave a value for, ``n_subjects`` the subjects among them."""
FIRST, REPEAT = "first", "repeat"
"""Reading sessions: a reader's reads, and the same reader's repeat reads of the same cases."""
ALL_LEVELS = "all"
FLAG_CODES = ("no", "yes")

Target = tuple[str, str, str]  # (subject, visit, level)


@dataclass(frozen=True, order=True)
class ReadSet:
    """One reader's reads in one session (:data:`FIRST` or :data:`REPEAT`)."""

    reader: str
    session: str = FIRST


@dataclass(frozen=True)
class Comparison:
    kind: str  # "inter-reader" or "intra-reader"
    readers: str
    first: ReadSet
    second: ReadSet


def agreement_table(
    protocol: Protocol,
    rows: Iterable[EndpointRow],
    repeat_rows: Iterable[EndpointRow] = (),
    readers: Sequence[str] | None = None,
) -> pd.DataFrame:
    """Agreement between ``readers`` (default: every reader of ``rows``) and of each reader with
    their own ``repeat_rows`` (intra-reader), as :data:`AGREEMENT_COLUMNS`."""
    from imaging.agreement.verdicts import verdict_rows

    by_set: dict[ReadSet, list[EndpointRow]] = defaultdict(list)
    for session, source in ((FIRST, rows), (REPEAT, repeat_rows)):
        for row in source:
            by_set[ReadSet(row.reader, session)].append(row)
    comparisons = _comparisons(sorted(by_set), readers)
    values, codes = _collect(by_set, {item.name: i for i, item in enumerate(protocol.items)})
    settings = protocol.agreement
    out: list[dict[str, Any]] = []
    for comparison in comparisons:
        for (measure, film, level), measured in values.items():
            out += _measure_rows(comparison, measure, film, level, measured, settings.primary_icc)
        for (kind, name, film, level), coded in codes.items():
            out += _categorical_rows(protocol, comparison, kind, name, film, level, coded)
        out += verdict_rows(protocol, comparison, by_set)
    return pd.DataFrame(out, columns=list(AGREEMENT_COLUMNS))


def _comparisons(sets: Sequence[ReadSet], readers: Sequence[str] | None) -> list[Comparison]:
    present = list(dict.fromkeys(s.reader for s in sets if s.session == FIRST))
    chosen = list(readers) if readers else sorted(present, key=natural)
    absent = [reader for reader in chosen if reader not in present]
    if absent:
        raise SpineEndpointsError(
            f"no reads by {', '.join(absent)}; readers found: {', '.join(present) or 'none'}",
            fix="Name readers who read the same cases (--readers A B).",
        )
    found = [
        Comparison("inter-reader", f"{a}|{b}", ReadSet(a), ReadSet(b))
        for a, b in combinations(chosen, 2)
    ]
    found += [
        Comparison("intra-reader", reader, ReadSet(reader), ReadSet(reader, REPEAT))
        for reader in chosen
        if ReadSet(reader, REPEAT) in sets
    ]
    if not found:
        raise SpineEndpointsError(
            "agreement needs reads of the same cases by at least two readers, or a reader's "
            f"repeat reads; found reads by {', '.join(present) or 'nobody'}",
            fix="Give two readers' reads (a reader column), or repeat reads (--repeat-landmarks, "
            "--repeat-grades).",
        )
    return found


def _collect(
    by_set: dict[ReadSet, list[EndpointRow]], items: dict[str, int]
) -> tuple[dict[tuple[str, str, str], dict[ReadSet, dict[Target, float]]],
           dict[tuple[str, str, str, str], dict[ReadSet, dict[Target, str]]]]:  # fmt: skip
    """Measure values by (measure, film, level); grades and flags by (kind, name, film, level),
    each by read set and target; measures in the endpoint table's order, then grading items in
    the protocol's order (``items``: name -> position)."""
    values: dict[tuple[str, str, str], dict[ReadSet, dict[Target, float]]] = {}
    codes: dict[tuple[str, str, str, str], dict[ReadSet, dict[Target, str]]] = {}
    order: dict[tuple[str, ...], tuple[object, ...]] = {}
    for read_set, rows in by_set.items():
        for row in rows:
            target = (row.subject, row.visit, row.level)
            key: tuple[str, ...]
            if row.unit == GRADE_UNIT and row.grade:
                for level in (row.level, ALL_LEVELS):
                    key = ("grade", row.measure, "", level)
                    codes.setdefault(key, defaultdict(dict))[read_set][target] = row.grade
                    position = (items.get(row.measure, len(items)), *_position(row, level)[1:])
                    order.setdefault(key, (1, *position))
            elif row.measure in MEASURES and row.value is not None and np.isfinite(row.value):
                if MEASURES[row.measure].flag:
                    key = ("flag", row.measure, row.film, row.level)
                    code = FLAG_CODES[int(row.value >= 0.5)]
                    codes.setdefault(key, defaultdict(dict))[read_set][target] = code
                else:
                    key = (row.measure, row.film, row.level)
                    values.setdefault(key, defaultdict(dict))[read_set][target] = row.value
                order.setdefault(key, (0, *_position(row, row.level)))
    ordered_values = dict(sorted(values.items(), key=lambda item: order[item[0]]))
    ordered_codes = dict(sorted(codes.items(), key=lambda item: order[item[0]]))
    return ordered_values, ordered_codes


def _position(row: EndpointRow, level: str) -> tuple[object, ...]:
    """Measure (registry order; items by name), film, then level (cranial first; all last)."""
    level_position, measure_position, film_position = order_in_read(row)
    return (measure_position, row.measure, film_position, level == ALL_LEVELS, level_position)


def _pairs(comparison: Comparison, by_read: dict[ReadSet, dict[Target, Any]]) -> list[Target]:
    first, second = by_read.get(comparison.first, {}), by_read.get(comparison.second, {})
    return sorted(first.keys() & second.keys())


def _row(
    comparison: Comparison, kind: str, name: str, film: str, level: str, statistic: str,
    value: Interval | float, unit: str, targets: Sequence[Target], method: str,
) -> dict[str, Any]:  # fmt: skip
    interval = value if isinstance(value, Interval) else Interval(float(value))
    return {
        "comparison": comparison.kind, "readers": comparison.readers, "kind": kind,
        "name": name, "film": film, "level": level, "statistic": statistic,
        "estimate": interval.estimate, "ci_lower": interval.lower, "ci_upper": interval.upper,
        "unit": unit, "n_subjects": len({t[0] for t in targets}), "n_pairs": len(targets),
        "method": method,
    }  # fmt: skip


def _measure_rows(
    comparison: Comparison, measure: str, film: str, level: str,
    by_read: dict[ReadSet, dict[Target, float]], form: str,
) -> list[dict[str, Any]]:  # fmt: skip
    targets = _pairs(comparison, by_read)
    if len(targets) < 2:
        return []
    a = np.array([by_read[comparison.first][t] for t in targets])
    b = np.array([by_read[comparison.second][t] for t in targets])
    unit = MEASURES[measure].unit
    repeated = _repeated_visits(targets)
    icc = intraclass_correlations(np.column_stack([a, b]))[form]
    ba = bland_altman(a, b)
    rows: list[tuple[str, Interval | float, str, str]] = [
        (form, icc, "", f"{ICC_FORMS[form]} (McGraw & Wong 1996; Shrout & Fleiss 1979); "
         "95% CI F-based (McGraw & Wong 1996)"),
        ("bland_altman_bias", ba.bias, unit, "mean difference first - second; 95% CI t-based "
         "(Bland & Altman 1986)"),
        ("bland_altman_lower", ba.lower, unit, "bias - 1.96 SD; 95% CI from SE sqrt(3 SD^2/n) "
         "(Bland & Altman 1986)"),
        ("bland_altman_upper", ba.upper, unit, "bias + 1.96 SD; 95% CI from SE sqrt(3 SD^2/n) "
         "(Bland & Altman 1986)"),
        ("sd_differences", ba.sd, unit, "SD of the differences first - second"),
        ("sem", ba.sem, unit, "standard error of measurement: SD of differences / sqrt(2)"),
        ("sdc", ba.sdc, unit, "smallest detectable change of one subject's value (e.g. change "
         "from baseline): 1.96 x sqrt(2) x SEM"),
    ]  # fmt: skip
    return [
        _row(comparison, "measure", measure, film, level, statistic, value, unit, targets,
             method + repeated)
        for statistic, value, unit, method in rows
    ]  # fmt: skip


def _repeated_visits(targets: Sequence[Target]) -> str:
    """A caveat when one subject gives several targets (its visits) at one level: the F and t
    intervals take them as independent, so they are too narrow."""
    subjects = {t[0] for t in targets}
    if len(subjects) == len(targets):
        return ""
    return (
        f"; {len(targets)} visits of {len(subjects)} subjects taken as independent targets "
        "(interval too narrow)"
    )


def _categorical_rows(
    protocol: Protocol, comparison: Comparison, kind: str, name: str, film: str, level: str,
    by_read: dict[ReadSet, dict[Target, str]],
) -> list[dict[str, Any]]:  # fmt: skip
    targets = _pairs(comparison, by_read)
    if kind == "grade":
        item = next((i for i in protocol.items if i.name == name), None)
        if item is None or (level == ALL_LEVELS and len(item.levels) < 2):
            return []  # an item this protocol does not read; 'all' of an item read once
        categories, ordered = item.scale.codes, item.scale.ordered
        weights = protocol.agreement.weights(item.scale)
    else:
        categories, ordered, weights = FLAG_CODES, False, "none"
    first = [by_read[comparison.first][t] for t in targets]
    second = [by_read[comparison.second][t] for t in targets]
    known = [i for i, (x, y) in enumerate(zip(first, second, strict=True))
             if x in categories and y in categories]  # fmt: skip
    targets = [targets[i] for i in known]
    if not targets:
        return []
    return categorical_statistics(
        protocol, comparison, kind, name, film, level, targets,
        [first[i] for i in known], [second[i] for i in known], categories, ordered, weights,
    )  # fmt: skip


def categorical_statistics(
    protocol: Protocol, comparison: Comparison, kind: str, name: str, film: str, level: str,
    targets: Sequence[Target], first: Sequence[str], second: Sequence[str],
    categories: Sequence[str], ordered: bool, weights: KappaWeights,
) -> list[dict[str, Any]]:  # fmt: skip
    """Percent agreement (exact; within one on ordered scales) and kappa, each with its subject
    bootstrap interval, of two reads' codes of ``targets`` on the scale ``categories``."""
    index = {code: i for i, code in enumerate(categories)}
    subjects = sorted({t[0] for t in targets}, key=natural)
    row_of = {subject: i for i, subject in enumerate(subjects)}
    per_subject = np.zeros((len(subjects), len(categories), len(categories)))
    for target, a, b in zip(targets, first, second, strict=True):
        per_subject[row_of[target[0]], index[a], index[b]] += 1
    settings = protocol.agreement
    resampling = method_text(settings.bootstrap_resamples, settings.bootstrap_seed)
    scale = f"over the whole scale {', '.join(categories)}"
    statistics: list[tuple[str, Any, str, str]] = [
        ("percent_exact", lambda t: percent_agreement(t), "%", "same code"),
    ]
    if ordered:
        statistics.append(("percent_within_one", lambda t: percent_agreement(t, 1), "%",
                           "codes at most one grade apart"))  # fmt: skip
    label = "kappa" if weights == "none" else f"kappa_{weights}"
    described = {
        "none": "Cohen's kappa, unweighted (Cohen 1960)",
        "linear": "Cohen's weighted kappa, linear weights (Cicchetti & Allison 1971)",
        "quadratic": "Cohen's weighted kappa, quadratic weights (Fleiss & Cohen 1973)",
    }
    statistics.append((label, lambda t: kappa_of_tables(t, weights), "",
                       f"{described[weights]} {scale}"))  # fmt: skip
    rows = []
    for statistic, function, unit, what in statistics:
        estimate = float(function(per_subject.sum(axis=0)))
        if np.isnan(estimate):
            interval = BootstrapInterval(np.nan, np.nan)
            method = f"{what}; undefined: one and the same code for every target from both reads"
        else:
            interval = subject_bootstrap(
                per_subject, function, settings.bootstrap_resamples, settings.bootstrap_seed
            )
            method = f"{what}; {resampling}" + (f" ({interval.note})" if interval.note else "")
        rows.append(
            _row(comparison, kind, name, film, level, statistic,
                 Interval(estimate, interval.lower, interval.upper), unit, targets, method)
        )  # fmt: skip
    return rows
