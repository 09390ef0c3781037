"""Confidence intervals that respect clustering: resample subjects, not targets.

The discs of one subject (and the visits of one subject) are not independent targets: a reader
who grades one subject's discs high grades its other discs high too. Resampling targets as if
independent makes an interval too narrow; resampling whole subjects keeps each subject's targets
together (the cluster bootstrap: Davison & Hinkley, Bootstrap Methods and their Application,
1997, section 3.8; Efron & Tibshirani, An Introduction to the Bootstrap, 1993, chapter 13 for
the percentile interval). :func:`scipy.stats.bootstrap` draws the resamples, seeded, so the same
reads give the same interval.
"""

from __future__ import annotations

import inspect
import warnings
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy import stats


@dataclass(frozen=True)
class BootstrapInterval:
    """A percentile interval over subjects; NaN bounds with ``note`` saying why when none."""

    lower: float
    upper: float
    note: str = ""


def subject_bootstrap(
    per_subject: npt.ArrayLike,
    statistic: Callable[[npt.NDArray[np.float64]], npt.NDArray[np.float64]],
    resamples: int,
    seed: int,
    confidence: float = 0.95,
) -> BootstrapInterval:
    """Percentile interval of ``statistic`` when whole subjects are resampled with replacement.

    ``per_subject``: shape (subjects, ...), each subject's additive summary of its targets (e.g.
    its K x K contingency table of two readers' grades); ``statistic`` maps summed summaries of
    shape (batch..., ...) to values of shape (batch...) (e.g. :func:`kappa_of_tables`).
    """
    summaries = np.asarray(per_subject, dtype=float)
    if len(summaries) < 2:
        return BootstrapInterval(np.nan, np.nan, "one subject: nothing to resample")

    def resampled(chosen: npt.NDArray[np.intp], axis: int = -1) -> npt.NDArray[np.float64]:
        chosen = np.moveaxis(chosen, axis, -1)
        return statistic(summaries[chosen].sum(axis=chosen.ndim - 1))

    seeded = {_RNG: np.random.default_rng(seed)}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", stats.DegenerateDataWarning)
        warnings.simplefilter("ignore", RuntimeWarning)
        result = stats.bootstrap(
            (np.arange(len(summaries)),), resampled, n_resamples=resamples, vectorized=True,
            batch=_BATCH, confidence_level=confidence, method="percentile", **seeded,
        )  # fmt: skip
    lower, upper = (float(v) for v in result.confidence_interval)
    if np.isnan(lower) or np.isnan(upper):
        why = "no interval: undefined in some resamples (one code for all their targets)"
        return BootstrapInterval(np.nan, np.nan, why)
    return BootstrapInterval(lower, upper)


_BATCH = 250
"""Resamples summed at once (memory: batch x subjects x summary size)."""


def method_text(resamples: int, seed: int) -> str:
    """How the interval was made, for the ``method`` column."""
    return f"95% CI: percentile bootstrap over subjects, {resamples} resamples, seed {seed}"


_RNG = "rng" if "rng" in inspect.signature(stats.bootstrap).parameters else "random_state"
"""scipy >= 1.15 names the generator ``rng``; older versions ``random_state``."""
