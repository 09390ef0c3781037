"""Reader agreement statistics: Cohen's kappa (weighted over the whole scale), the intraclass
correlations of Shrout & Fleiss (1979), and Bland-Altman limits of agreement.

Pure functions of the ratings; no store, no protocol.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import numpy.typing as npt

KappaWeights = Literal["none", "linear", "quadratic"]

ICC_FORMS = ("ICC(1,1)", "ICC(2,1)", "ICC(3,1)", "ICC(1,k)", "ICC(2,k)", "ICC(3,k)")
"""Shrout & Fleiss: 1 one-way random, 2 two-way random (absolute agreement, McGraw & Wong
ICC(A,1)), 3 two-way mixed (consistency, ICC(C,1)); ``k``: the mean of the k readers."""


def weighted_kappa(
    first: Sequence[str],
    second: Sequence[str],
    categories: Sequence[str],
    weights: KappaWeights = "none",
) -> float:
    """Cohen's kappa of two readers' grades of the same targets, over every category of the
    scale in its order (a grade nobody gave still counts in the weights).

    ``weights``: ``none`` (nominal scales, e.g. Modic), ``linear`` (Cicchetti-Allison) or
    ``quadratic`` (Fleiss-Cohen) for ordered scales. NaN when the readers' marginals leave no
    room for chance-corrected agreement (everyone gave one and the same grade).
    """
    from statsmodels.stats.inter_rater import cohens_kappa

    if len(first) != len(second):
        raise ValueError(f"{len(first)} grades against {len(second)}: pair them by target")
    index = {category: position for position, category in enumerate(categories)}
    unknown = sorted({g for g in (*first, *second) if g not in index})
    if unknown:
        raise ValueError(f"grades {unknown} are not in the scale {list(categories)}")
    if not first:
        return float("nan")
    table = np.zeros((len(categories), len(categories)))
    for a, b in zip(first, second, strict=True):
        table[index[a], index[b]] += 1
    expected = np.outer(table.sum(axis=1), table.sum(axis=0)) / table.sum()
    if np.isclose(np.trace(expected), table.sum()):
        return float("nan")
    wt = None if weights == "none" else weights
    return float(cohens_kappa(table, wt=wt, return_results=False))


def intraclass_correlations(ratings: npt.ArrayLike) -> dict[str, float]:
    """The six intraclass correlations of Shrout & Fleiss (1979) for ``ratings`` of n targets
    (rows) by k readers (columns), with no value missing; keys as :data:`ICC_FORMS`."""
    x = np.asarray(ratings, dtype=float)
    if x.ndim != 2 or x.shape[0] < 2 or x.shape[1] < 2:
        raise ValueError(f"need at least 2 targets x 2 readers, got shape {x.shape}")
    if not np.isfinite(x).all():
        raise ValueError("every target needs a finite value from every reader")
    n, k = x.shape
    grand = x.mean()
    between_targets = k * ((x.mean(axis=1) - grand) ** 2).sum()
    between_readers = n * ((x.mean(axis=0) - grand) ** 2).sum()
    total = ((x - grand) ** 2).sum()
    residual = total - between_targets - between_readers
    bms = between_targets / (n - 1)  # between-targets mean square
    wms = (total - between_targets) / (n * (k - 1))  # within-target mean square
    jms = between_readers / (k - 1)  # between-readers (judges) mean square
    ems = residual / ((n - 1) * (k - 1))  # residual mean square
    return {
        "ICC(1,1)": (bms - wms) / (bms + (k - 1) * wms),
        "ICC(2,1)": (bms - ems) / (bms + (k - 1) * ems + k * (jms - ems) / n),
        "ICC(3,1)": (bms - ems) / (bms + (k - 1) * ems),
        "ICC(1,k)": (bms - wms) / bms,
        "ICC(2,k)": (bms - ems) / (bms + (jms - ems) / n),
        "ICC(3,k)": (bms - ems) / bms,
    }


@dataclass(frozen=True)
class BlandAltman:
    """Differences first - second: ``bias`` (mean), ``sd``, the 95% limits of agreement
    ``bias -/+ 1.96 sd`` (``lower``, ``upper``), in the measure's unit, over ``n`` pairs."""

    bias: float
    sd: float
    lower: float
    upper: float
    n: int


def bland_altman(first: npt.ArrayLike, second: npt.ArrayLike) -> BlandAltman:
    """Bland-Altman agreement of two readers' values of the same targets (paired, finite)."""
    a, b = np.asarray(first, dtype=float), np.asarray(second, dtype=float)
    if a.shape != b.shape or a.ndim != 1:
        raise ValueError(f"need two paired 1-D series, got shapes {a.shape} and {b.shape}")
    if a.size < 2:
        raise ValueError("need at least 2 paired values")
    difference = a - b
    bias, sd = float(difference.mean()), float(difference.std(ddof=1))
    return BlandAltman(bias, sd, bias - 1.96 * sd, bias + 1.96 * sd, int(a.size))
