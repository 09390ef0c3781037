"""Reader agreement statistics of paired reads: Cohen's kappa (weighted over the whole scale),
percent agreement, and Bland-Altman limits of agreement with the standard error of measurement.

Pure functions of the values; no store, no protocol file. Intraclass correlations are in
:mod:`imaging.agreement.icc`, the subject bootstrap in :mod:`imaging.agreement.bootstrap`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy import stats

from imaging.agreement.icc import Interval
from imaging.protocol.agreement import KappaWeights

LOA_Z = 1.96
"""The limits of agreement are bias -/+ 1.96 SD of the differences (95 % of differences)."""


def contingency(
    first: Sequence[str], second: Sequence[str], categories: Sequence[str]
) -> npt.NDArray[np.float64]:
    """The K x K table of two readers' grades of the same targets (rows: ``first``), over every
    category of the scale in its order."""
    if len(first) != len(second):
        raise ValueError(f"{len(first)} grades against {len(second)}: pair them by target")
    index = {category: position for position, category in enumerate(categories)}
    unknown = sorted({g for g in (*first, *second) if g not in index})
    if unknown:
        raise ValueError(f"grades {unknown} are not in the scale {list(categories)}")
    table = np.zeros((len(categories), len(categories)))
    np.add.at(table, ([index[a] for a in first], [index[b] for b in second]), 1)
    return table


def kappa_of_tables(
    tables: npt.ArrayLike, weights: KappaWeights = "none"
) -> npt.NDArray[np.float64]:
    """Cohen's kappa of each K x K contingency table in ``tables`` (shape (..., K, K)), with
    agreement weights 1 (none: identity), 1 - |i - j| / (K - 1) (linear) or
    1 - (|i - j| / (K - 1))^2 (quadratic): kappa = (po - pe) / (1 - pe) with po and pe the
    weighted observed and chance agreement (Cohen 1968). Vectorised over the leading axes for
    the subject bootstrap's thousands of resampled tables; equal to
    :func:`statsmodels.stats.inter_rater.cohens_kappa` (tests/agreement). NaN for an empty
    table, or when chance leaves no room for agreement (pe = 1: one grade from everyone)."""
    counts = np.asarray(tables, dtype=float)
    k = counts.shape[-1]
    i, j = np.indices((k, k))
    distance = np.abs(i - j) / max(k - 1, 1)
    weight = {"none": (i == j).astype(float), "linear": 1 - distance,
              "quadratic": 1 - distance**2}[weights]  # fmt: skip
    total = counts.sum(axis=(-2, -1))
    with np.errstate(divide="ignore", invalid="ignore"):
        p = counts / total[..., None, None]
        expected = p.sum(axis=-1)[..., :, None] * p.sum(axis=-2)[..., None, :]
        observed_agreement = (weight * p).sum(axis=(-2, -1))
        chance = (weight * expected).sum(axis=(-2, -1))
        kappa = (observed_agreement - chance) / (1 - chance)
    undefined = (total == 0) | np.isclose(chance, 1.0)
    return np.where(undefined, np.nan, kappa)


def weighted_kappa(
    first: Sequence[str],
    second: Sequence[str],
    categories: Sequence[str],
    weights: KappaWeights = "none",
) -> float:
    """Cohen's kappa of two readers' grades of the same targets, over every category of the
    scale in its order (a grade nobody gave still counts in the weights).

    ``weights``: ``none`` (nominal scales, e.g. Modic; Cohen 1960), ``linear`` (Cicchetti &
    Allison 1971) or ``quadratic`` (Fleiss & Cohen 1973) for ordered scales (Cohen 1968).
    """
    return float(kappa_of_tables(contingency(first, second, categories), weights))


def percent_agreement(tables: npt.ArrayLike, within: int = 0) -> npt.NDArray[np.float64]:
    """Percent of targets whose two grades are at most ``within`` steps apart on the scale (0:
    exact agreement; 1: within one grade, for ordered scales), for each K x K contingency table
    of ``tables`` (shape (..., K, K)); NaN for an empty table."""
    counts = np.asarray(tables, dtype=float)
    i, j = np.indices(counts.shape[-2:])
    total = counts.sum(axis=(-2, -1))
    near = (counts * (np.abs(i - j) <= within)).sum(axis=(-2, -1))
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(total == 0, np.nan, 100 * near / total)


@dataclass(frozen=True)
class BlandAltman:
    """Differences first - second over ``n`` pairs, in the measure's unit (Bland & Altman 1986).

    ``bias`` (mean difference) with the t interval of a mean; ``lower`` and ``upper`` limits of
    agreement ``bias -/+ 1.96 sd`` with their intervals from the approximate standard error
    sqrt(3 sd^2 / n) of the paper's section 5 ("Precision of estimated limits of agreement");
    ``sem`` = sd / sqrt(2), the standard error of measurement of one reader's value, and
    ``sdc`` = 1.96 x sqrt(2) x sem, the smallest change in one subject's value (e.g. from
    baseline) larger than the readers' disagreement with 95 % confidence.
    """

    bias: Interval
    lower: Interval
    upper: Interval
    sd: float
    n: int

    @property
    def sem(self) -> float:
        return self.sd / math.sqrt(2)

    @property
    def sdc(self) -> float:
        return LOA_Z * math.sqrt(2) * self.sem


def bland_altman(
    first: npt.ArrayLike, second: npt.ArrayLike, confidence: float = 0.95
) -> BlandAltman:
    """Bland-Altman agreement of two readers' values of the same targets (paired, finite).

    Bland JM, Altman DG. Statistical methods for assessing agreement between two methods of
    clinical measurement. Lancet 1986;i:307-310.
    """
    a, b = np.asarray(first, dtype=float), np.asarray(second, dtype=float)
    if a.shape != b.shape or a.ndim != 1:
        raise ValueError(f"need two paired 1-D series, got shapes {a.shape} and {b.shape}")
    if a.size < 2:
        raise ValueError("need at least 2 paired values")
    if not (np.isfinite(a).all() and np.isfinite(b).all()):
        raise ValueError("every pair needs two finite values")
    n = int(a.size)
    difference = a - b
    bias, sd = float(difference.mean()), float(difference.std(ddof=1))
    t = float(stats.t.ppf(1 - (1 - confidence) / 2, n - 1))
    bias_half = t * sd / math.sqrt(n)
    limit_half = t * math.sqrt(3 * sd**2 / n)
    low, high = bias - LOA_Z * sd, bias + LOA_Z * sd
    return BlandAltman(
        Interval(bias, bias - bias_half, bias + bias_half),
        Interval(low, low - limit_half, low + limit_half),
        Interval(high, high - limit_half, high + limit_half),
        sd,
        n,
    )
