"""Agreement statistics against published values and an independent weighted-kappa formula."""

from __future__ import annotations

import math

import numpy as np
import pytest

from imaging.agreement import bland_altman, intraclass_correlations, weighted_kappa
from imaging.agreement.statistics import KappaWeights

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


def test_intraclass_correlations_equal_shrout_and_fleiss() -> None:
    found = intraclass_correlations(SHROUT_FLEISS)
    assert {form: round(value, 2) for form, value in found.items()} == PUBLISHED


def test_identical_readers_agree_perfectly_and_bad_input_is_refused() -> None:
    values = np.array([[1.0, 1.0], [2.0, 2.0], [4.0, 4.0]])
    assert all(math.isclose(v, 1.0) for v in intraclass_correlations(values).values())
    with pytest.raises(ValueError, match="at least 2 targets x 2 readers"):
        intraclass_correlations([[1.0, 2.0]])
    with pytest.raises(ValueError, match="finite value from every reader"):
        intraclass_correlations([[1.0, np.nan], [2.0, 2.0]])


def _kappa_by_formula(a: list[str], b: list[str], categories: str, power: int) -> float:
    """Cohen (1968) with weights 1 - (|i - j| / (K - 1)) ** power, written out."""
    k = len(categories)
    observed = np.zeros((k, k))
    for x, y in zip(a, b, strict=True):
        observed[categories.index(x), categories.index(y)] += 1
    n = observed.sum()
    expected = np.outer(observed.sum(axis=1), observed.sum(axis=0)) / n
    i, j = np.indices((k, k))
    weights = 1 - (np.abs(i - j) / (k - 1)) ** power
    po, pe = (weights * observed).sum() / n, (weights * expected).sum() / n
    return float((po - pe) / (1 - pe))


def test_weighted_kappa_uses_the_whole_scale() -> None:
    first, second = list("112255"), list("122555")  # Pfirrmann grades; nobody gave 3 or 4
    cases: tuple[tuple[KappaWeights, int], ...] = (("linear", 1), ("quadratic", 2))
    for weights, power in cases:
        kappa = weighted_kappa(first, second, list("12345"), weights)
        assert kappa == pytest.approx(_kappa_by_formula(first, second, "12345", power))
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


def test_bland_altman_bias_and_limits() -> None:
    result = bland_altman([10.0, 11.0, 12.5, 9.0], [9.5, 11.5, 12.0, 8.0])
    differences = np.array([0.5, -0.5, 0.5, 1.0])
    assert result.bias == pytest.approx(differences.mean())
    assert result.sd == pytest.approx(differences.std(ddof=1))
    assert result.upper - result.bias == pytest.approx(1.96 * result.sd)
    assert result.n == 4
