"""Reader agreement over the store: grades and radiograph measures of the readers' current reads
of the same cases, as one tidy table (a row per statistic)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from itertools import combinations

import numpy as np
import pandas as pd
from sqlalchemy.orm import Session

from imaging.agreement.statistics import (
    KappaWeights,
    bland_altman,
    intraclass_correlations,
    weighted_kappa,
)
from imaging.endpoints import MeasureRules
from imaging.errors import StoreError
from imaging.protocol.model import GradingItem, Protocol
from imaging.store.export import read_rows
from imaging.store.reads import current_reads

AGREEMENT_COLUMNS = ["kind", "name", "film", "statistic", "value", "unit", "n", "readers"]
"""``kind`` is ``grade`` or ``measure``; ``name`` the grading item or measure; ``n`` the targets
(case x level) both or all readers gave a value for; ``readers`` joined by ``|``."""

GradeKey = tuple[str, str]  # (reading id, level)
MeasureKey = tuple[str, str]  # (reading id, level)


def agreement_table(
    session: Session, protocol: Protocol, readers: Sequence[str] | None = None
) -> pd.DataFrame:
    """Agreement between ``readers`` (default: everyone with a submitted read) on every grading
    item of ``protocol`` (kappa per pair: unweighted, and linear and quadratic on ordered scales;
    percent agreement) and every stored radiograph measure (intraclass correlations over all
    readers, Bland-Altman per pair). Each reader's newest submitted version counts."""
    reads = current_reads(session)
    chosen = list(readers) if readers else sorted({current.read.reader for current in reads})
    reads = [current for current in reads if current.read.reader in chosen]
    present = {current.read.reader for current in reads}
    absent = [reader for reader in chosen if reader not in present]
    if len(chosen) < 2 or absent:
        raise StoreError(
            "agreement needs submitted reads by at least two readers"
            + (
                f"; none by {', '.join(absent)}"
                if absent
                else f"; found {', '.join(chosen) or 'none'}"
            ),
            fix="Name readers who submitted reads of the same cases (--readers A B).",
        )
    grades: dict[str, dict[str, dict[GradeKey, str]]] = defaultdict(lambda: defaultdict(dict))
    measures: dict[tuple[str, str], dict[str, dict[MeasureKey, float]]] = defaultdict(
        lambda: defaultdict(dict)
    )
    units: dict[str, str] = {}
    rules = MeasureRules.from_protocol(protocol)
    for current in reads:
        reader = current.read.reader
        for row in read_rows(session, current, protocol, rules):  # the export's rows
            key = (current.reading_id, row.level)
            if row.grade:
                grades[row.measure][reader][key] = row.grade
            elif row.value is not None and np.isfinite(row.value):
                measures[(row.measure, row.film)][reader][key] = row.value
                units[row.measure] = row.unit
    rows: list[dict[str, object]] = []
    for item in protocol.items:
        rows += _grade_rows(item, grades[item.name], chosen)
    rows += _measure_rows(measures, units, chosen)
    return pd.DataFrame(rows, columns=AGREEMENT_COLUMNS)


def _grade_rows(
    item: GradingItem, by_reader: dict[str, dict[GradeKey, str]], readers: Sequence[str]
) -> list[dict[str, object]]:
    codes = item.scale.codes
    weightings: tuple[KappaWeights, ...] = (
        ("none", "linear", "quadratic") if item.scale.ordered else ("none",)
    )
    rows = []
    for first, second in combinations(readers, 2):
        keys = sorted(
            key
            for key, code in by_reader[first].items()
            if code in codes and by_reader[second].get(key) in codes
        )
        a = [by_reader[first][key] for key in keys]
        b = [by_reader[second][key] for key in keys]
        pair = f"{first}|{second}"
        agreeing = float(np.mean([x == y for x, y in zip(a, b, strict=True)])) if a else np.nan
        rows.append(_row("grade", item.name, "", "percent_agreement", 100 * agreeing, "%",
                         len(keys), pair))  # fmt: skip
        for weights in weightings:
            name = "kappa" if weights == "none" else f"kappa_{weights}"
            value = weighted_kappa(a, b, codes, weights) if a else np.nan
            rows.append(_row("grade", item.name, "", name, value, "", len(keys), pair))
    return rows


def _measure_rows(
    values: dict[tuple[str, str], dict[str, dict[MeasureKey, float]]],
    units: dict[str, str],
    readers: Sequence[str],
) -> list[dict[str, object]]:
    rows: list[dict[str, object]] = []
    for (measure, film), by_reader in sorted(values.items()):
        unit = units.get(measure, "")
        shared = set.intersection(*(set(by_reader[r]) for r in readers))
        keys = sorted(shared)
        everyone = "|".join(readers)
        if len(keys) >= 2:
            matrix = np.array([[by_reader[r][key] for r in readers] for key in keys])
            if np.ptp(matrix) > 0:
                for form, value in intraclass_correlations(matrix).items():
                    rows.append(_row("measure", measure, film, form, value, "", len(keys),
                                     everyone))  # fmt: skip
        for first, second in combinations(readers, 2):
            pair_keys = sorted(set(by_reader[first]) & set(by_reader[second]))
            if len(pair_keys) < 2:
                continue
            result = bland_altman(
                [by_reader[first][key] for key in pair_keys],
                [by_reader[second][key] for key in pair_keys],
            )
            for statistic, value in (("bland_altman_bias", result.bias),
                                     ("bland_altman_lower", result.lower),
                                     ("bland_altman_upper", result.upper),
                                     ("bland_altman_sd", result.sd)):  # fmt: skip
                rows.append(_row("measure", measure, film, statistic, value, unit, result.n,
                                 f"{first}|{second}"))  # fmt: skip
    return rows


def _row(
    kind: str, name: str, film: str, statistic: str, value: float, unit: str, n: int, readers: str
) -> dict[str, object]:
    return {"kind": kind, "name": name, "film": film, "statistic": statistic,
            "value": float(value), "unit": unit, "n": n, "readers": readers}  # fmt: skip
