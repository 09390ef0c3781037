"""Intraclass correlations of Shrout & Fleiss (1979) with their confidence intervals.

Two-way ANOVA of n targets (rows) by k readers (columns), no value missing: mean squares between
targets (``bms``), between readers (``jms``), residual (``ems``) and within targets (``wms``).
The six forms are Shrout & Fleiss's equations; their F-based confidence intervals are McGraw &
Wong (1996), Table 7 (for ICC(2,1), absolute agreement, with Satterthwaite's degrees of freedom,
as in Shrout & Fleiss's equation 11; the mean of k readers by the Spearman-Brown step of its
single-reader bounds). The F quantiles come from :func:`scipy.stats.f.ppf`.

- Shrout PE, Fleiss JL. Intraclass correlations: uses in assessing rater reliability.
  Psychol Bull 1979;86:420-428.
- McGraw KO, Wong SP. Forming inferences about some intraclass correlation coefficients.
  Psychol Methods 1996;1:30-46 (and the correction, 1996;1:390).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy import stats

from imaging.protocol.agreement import ICC_FORMS


@dataclass(frozen=True)
class Interval:
    """An estimate with its confidence interval (NaN where undefined)."""

    estimate: float
    lower: float = float("nan")
    upper: float = float("nan")


@dataclass(frozen=True)
class MeanSquares:
    """The two-way ANOVA of ``n`` targets by ``k`` readers."""

    n: int
    k: int
    bms: float
    """Between targets."""
    jms: float
    """Between readers (judges)."""
    ems: float
    """Residual."""
    wms: float
    """Within targets (readers and residual together: the one-way model)."""

    @classmethod
    def of(cls, ratings: npt.ArrayLike) -> MeanSquares:
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
        return cls(
            n, k, between_targets / (n - 1), between_readers / (k - 1),
            residual / ((n - 1) * (k - 1)), (total - between_targets) / (n * (k - 1)),
        )  # fmt: skip


def intraclass_correlations(
    ratings: npt.ArrayLike, confidence: float = 0.95
) -> dict[str, Interval]:
    """The six intraclass correlations (keys as :data:`~imaging.protocol.agreement.ICC_FORMS`)
    of ``ratings``, n targets (rows) by k readers (columns), with their ``confidence``
    intervals. NaN when the targets do not vary at all (no variance to correlate)."""
    ms = MeanSquares.of(ratings)
    with np.errstate(divide="ignore", invalid="ignore"):
        found = {form: _form(ms, form, confidence) for form in ICC_FORMS}
    return found


def _form(ms: MeanSquares, form: str, confidence: float) -> Interval:
    n, k, bms, jms, ems, wms = ms.n, ms.k, ms.bms, ms.jms, ms.ems, ms.wms
    if not bms > 0:
        return Interval(float("nan"))
    q = 1 - (1 - confidence) / 2
    if form in ("ICC(1,1)", "ICC(1,k)"):  # one-way: F = BMS / WMS
        df_within = n * (k - 1)
        value = (bms - wms) / (bms + (k - 1) * wms) if form == "ICC(1,1)" else (bms - wms) / bms
        low_f = bms / wms / stats.f.ppf(q, n - 1, df_within)
        high_f = bms / wms * stats.f.ppf(q, df_within, n - 1)
        return _from_f(value, low_f, high_f, k if form == "ICC(1,1)" else 1)
    if form in ("ICC(3,1)", "ICC(3,k)"):  # consistency: F = BMS / EMS
        df_error = (n - 1) * (k - 1)
        value = (bms - ems) / (bms + (k - 1) * ems) if form == "ICC(3,1)" else (bms - ems) / bms
        low_f = bms / ems / stats.f.ppf(q, n - 1, df_error)
        high_f = bms / ems * stats.f.ppf(q, df_error, n - 1)
        return _from_f(value, low_f, high_f, k if form == "ICC(3,1)" else 1)
    single = _absolute_single(ms, q)
    if form == "ICC(2,1)":
        return single
    value = (bms - ems) / (bms + (jms - ems) / n)
    return Interval(
        float(value), _spearman_brown(single.lower, k), _spearman_brown(single.upper, k)
    )


def _from_f(value: float, low_f: float, high_f: float, k: int) -> Interval:
    """Bounds (F - 1) / (F + k - 1) of a single reader (k readers), 1 - 1/F of their mean (k=1)."""
    return Interval(float(value), (low_f - 1) / (low_f + k - 1), (high_f - 1) / (high_f + k - 1))


def _absolute_single(ms: MeanSquares, q: float) -> Interval:
    """ICC(2,1) = McGraw & Wong ICC(A,1), bounds with Satterthwaite's degrees of freedom."""
    n, k, bms, jms, ems = ms.n, ms.k, ms.bms, ms.jms, ms.ems
    icc = (bms - ems) / (bms + (k - 1) * ems + k * (jms - ems) / n)
    a = k * icc / (n * (1 - icc))
    b = 1 + k * icc * (n - 1) / (n * (1 - icc))
    df = (a * jms + b * ems) ** 2 / (
        (a * jms) ** 2 / (k - 1) + (b * ems) ** 2 / ((n - 1) * (k - 1))
    )
    low_f, high_f = stats.f.ppf(q, n - 1, df), stats.f.ppf(q, df, n - 1)
    spread = k * jms + (k * n - k - n) * ems
    lower = n * (bms - low_f * ems) / (low_f * spread + n * bms)
    upper = n * (high_f * bms - ems) / (spread + n * high_f * bms)
    return Interval(float(icc), float(lower), float(upper))


def _spearman_brown(single: float, k: int) -> float:
    return float(k * single / (1 + (k - 1) * single))
