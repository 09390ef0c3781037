"""Agreement statistics against published worked examples."""

from __future__ import annotations

import math

import numpy as np
import pytest
from statsmodels.stats.inter_rater import cohens_kappa

from imaging.agreement import bland_altman, intraclass_correlations, weighted_kappa
from imaging.agreement.bootstrap import subject_bootstrap
from imaging.agreement.statistics import kappa_of_tables, percent_agreement
from imaging.protocol.agreement import KappaWeights

# Shrout & Fleiss (1979), Table 2: 6 targets rated by 4 judges, and their Table 4 values.
SHROUT_FLEISS = [
    [9, 2, 5, 8],
    [6, 1, 3, 2],
    [8, 4, 6, 8],
    [7, 1, 2, 6],
    [10, 5, 6, 9],
    [6, 2, 4, 7],
]
PUBLISHED = {"ICC(1,1)": 0.17, "ICC(2,1)": 0.29, "ICC(3,1)": 0.71,
             "ICC(1,k)": 0.44, "ICC(2,k)": 0.62, "ICC(3,k)": 0.91}  # fmt: skip
# R psych::ICC(ratings) on the same data (McGraw & Wong's F-based bounds), as printed in
# D. Wollschlaeger's R examples (github.com/dwoll/RExRepos, Rmd/interRaterICC.Rmd): lower bound
# to three decimals, upper bound to two.
PSYCH_BOUNDS = {
    "ICC(1,1)": (-0.133, 0.72), "ICC(2,1)": (0.019, 0.76), "ICC(3,1)": (0.342, 0.95),
    "ICC(1,k)": (-0.884, 0.91), "ICC(2,k)": (0.071, 0.93), "ICC(3,k)": (0.676, 0.99),
}  # fmt: skip


def test_intraclass_correlations_equal_shrout_and_fleiss() -> None:
    found = intraclass_correlations(SHROUT_FLEISS)
    assert {form: round(icc.estimate, 2) for form, icc in found.items()} == PUBLISHED


def test_intraclass_confidence_intervals_equal_mcgraw_and_wong() -> None:
    found = intraclass_correlations(SHROUT_FLEISS)
    for form, (lower, upper) in PSYCH_BOUNDS.items():
        assert round(found[form].lower, 3) == lower, form
        assert round(found[form].upper, 2) == upper, form
    # ICC(2,1) by hand: BMS 11.24, JMS 32.49, EMS 1.02 (Shrout & Fleiss Table 3); Satterthwaite
    # df 4.93 with a = 4*0.29/(6*0.71); F(0.975; 5, 4.93) = 7.21, F(0.975; 4.93, 5) = 6.87.
    assert found["ICC(2,1)"].lower == pytest.approx(0.0188, abs=5e-4)
    assert found["ICC(2,1)"].upper == pytest.approx(0.7613, abs=5e-4)


def test_identical_readers_agree_perfectly_and_bad_input_is_refused() -> None:
    values = np.array([[1.0, 1.0], [2.0, 2.0], [4.0, 4.0]])
    assert all(math.isclose(icc.estimate, 1.0) for icc in intraclass_correlations(values).values())
    flat = intraclass_correlations([[3.0, 3.0], [3.0, 3.0]])  # no variance: nothing to correlate
    assert all(math.isnan(icc.estimate) for icc in flat.values())
    with pytest.raises(ValueError, match="at least 2 targets x 2 readers"):
        intraclass_correlations([[1.0, 2.0]])
    with pytest.raises(ValueError, match="finite value from every reader"):
        intraclass_correlations([[1.0, np.nan], [2.0, 2.0]])


# Statsmodels' own test (statsmodels/stats/tests/test_inter_rater.py) compares with a SAS PROC
# FREQ printout: this table gives kappa 0.4842 and, with linear (Cicchetti-Allison) weights,
# weighted kappa 0.4701.
SAS_TABLE = [[0, 4, 1], [0, 8, 0], [0, 1, 5]]
# SAS/STAT User's Guide, PROC FREQ, "Getting Started: Agreement Study": two dermatologists'
# ratings of 88 patients (terrible, poor, marginal, clear); simple kappa 0.3449.
SKIN_CONDITION = [[10, 4, 1, 0], [5, 10, 12, 2], [2, 4, 12, 5], [0, 2, 6, 13]]


def _codes(table: list[list[int]]) -> tuple[list[str], list[str]]:
    first, second = [], []
    for i, row in enumerate(table):
        for j, count in enumerate(row):
            first += [str(i)] * count
            second += [str(j)] * count
    return first, second


def test_kappa_reproduces_published_values() -> None:
    first, second = _codes(SAS_TABLE)
    assert weighted_kappa(first, second, list("012")) == pytest.approx(0.4842, abs=5e-5)
    assert weighted_kappa(first, second, list("012"), "linear") == pytest.approx(0.4701, abs=5e-5)
    first, second = _codes(SKIN_CONDITION)
    assert weighted_kappa(first, second, list("0123")) == pytest.approx(0.3449, abs=5e-5)


def test_kappa_of_many_tables_equals_statsmodels() -> None:
    rng = np.random.default_rng(1)
    tables = rng.integers(0, 9, size=(20, 5, 5)).astype(float)
    for weights in ("none", "linear", "quadratic"):
        found = kappa_of_tables(tables, weights)
        expected = [
            cohens_kappa(t, wt=None if weights == "none" else weights, return_results=False)
            for t in tables
        ]
        assert found == pytest.approx(expected, abs=1e-12)


def test_weighted_kappa_uses_the_whole_scale() -> None:
    first, second = list("112255"), list("122555")  # Pfirrmann grades; nobody gave 3 or 4
    linear = weighted_kappa(first, second, list("12345"), "linear")
    assert linear == pytest.approx(11 / 17)  # 0.647; the used grades alone would give 0.625
    assert weighted_kappa(first, second, list("125"), "linear") == pytest.approx(0.625)


def test_unweighted_kappa_and_its_limits() -> None:
    first, second = ["0", "I", "II", "II", "0", "0"], ["0", "I", "II", "I", "0", "I"]
    observed, chance = 4 / 6, (3 * 2 + 1 * 3 + 2 * 1) / 36
    expected = (observed - chance) / (1 - chance)
    assert weighted_kappa(first, second, ["0", "I", "II", "III"]) == pytest.approx(expected)
    assert math.isnan(weighted_kappa(["0", "0"], ["0", "0"], ["0", "I"]))  # no room for chance
    with pytest.raises(ValueError, match=r"grades \['IV'\] are not in the scale"):
        weighted_kappa(["IV"], ["I"], ["0", "I"])


def test_percent_exact_and_within_one() -> None:
    table = np.array([[3, 1, 0], [0, 2, 2], [1, 0, 1]])  # 10 targets: 6 same, 3 one apart
    assert float(percent_agreement(table)) == pytest.approx(60.0)
    assert float(percent_agreement(table, 1)) == pytest.approx(90.0)


# Bland & Altman (1986), Lancet i:307-310, Table 1: peak expiratory flow rate (l/min) of 17
# subjects, first reading with the Wright meter and with the mini Wright meter.
WRIGHT = [494, 395, 516, 434, 476, 557, 413, 442, 650, 433, 417, 656, 267, 478, 178, 423, 427]
MINI = [512, 430, 520, 428, 500, 600, 364, 380, 658, 445, 432, 626, 260, 477, 259, 350, 451]


def test_bland_altman_reproduces_the_lancet_example() -> None:
    result = bland_altman(WRIGHT, MINI)
    assert result.n == 17
    assert round(result.bias.estimate, 1) == -2.1  # the paper: mean difference -2.1 l/min
    assert round(result.sd, 1) == 38.8  # the paper: SD of the differences 38.8 l/min
    # 1.96 SD limits from the data: -78.1 to 73.9 (the paper rounds to 2 SD: -79.7 to 75.5,
    # which the paper's rounded mean and SD give back).
    assert round(result.lower.estimate, 1) == -78.1
    assert round(result.upper.estimate, 1) == 73.9
    assert round(-2.1 - 2 * 38.8, 1) == -79.7 and round(-2.1 + 2 * 38.8, 1) == 75.5
    # The paper's intervals: the mean difference -2.1 +/- t(0.975; 16) x SE, t = 2.12 and SE =
    # 38.8 / sqrt(17) = 9.4; each limit +/- 2.12 x 16.3 (SE sqrt(3 s^2 / n)): the 2 SD lower
    # limit -114.3 to -45.1 (the interval width the presize R package checks against the paper).
    assert result.bias.lower == pytest.approx(-2.1 - 2.12 * 9.4, abs=0.1)
    assert result.bias.upper == pytest.approx(-2.1 + 2.12 * 9.4, abs=0.1)
    half = (result.lower.upper - result.lower.lower) / 2
    assert half == pytest.approx((114.3 - 45.1) / 2, abs=0.1)
    assert result.upper.upper - result.upper.estimate == pytest.approx(half)
    assert result.sem == pytest.approx(result.sd / math.sqrt(2))
    assert result.sdc == pytest.approx(1.96 * result.sd)


def test_bland_altman_refuses_unpaired_values() -> None:
    with pytest.raises(ValueError, match="two paired 1-D series"):
        bland_altman([1.0, 2.0], [1.0])
    with pytest.raises(ValueError, match="two finite values"):
        bland_altman([1.0, np.nan], [1.0, 2.0])


def test_subject_bootstrap_is_seeded_and_keeps_subjects_together() -> None:
    rng = np.random.default_rng(3)
    per_subject = rng.integers(0, 4, size=(30, 3, 3)).astype(float) + 3 * np.eye(3)

    def kappa(tables: np.ndarray) -> np.ndarray:
        weights: KappaWeights = "linear"
        return kappa_of_tables(tables, weights)

    once = subject_bootstrap(per_subject, kappa, 500, seed=7)
    again = subject_bootstrap(per_subject, kappa, 500, seed=7)
    assert once == again  # same reads, same seed: same interval
    estimate = float(kappa(per_subject.sum(axis=0)))
    assert once.lower < estimate < once.upper
    single = subject_bootstrap(per_subject[:1], kappa, 500, seed=7)
    assert math.isnan(single.lower) and "one subject" in single.note
