"""The tests :func:`procmine.compare.compare_logs` runs on each change: Mann-Whitney U on
durations, the two-proportion z-test (or Fisher's exact test) on rates, Holm's
correction within a family of tests, a week-level test of a rate, and a ratio test
over clusters (units, edges) of cases.

>>> holm([0.01, 0.04, 0.03]).round(2).tolist()
[0.03, 0.06, 0.06]
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd


@dataclass(frozen=True)
class TestResult:
    """One test: its name, statistic, p-value, standardised effect and sample sizes."""

    test: str
    statistic: float
    p_value: float
    effect: float
    effect_measure: str
    n_a: int
    n_b: int


def mann_whitney(a: np.ndarray, b: np.ndarray) -> TestResult:
    """Two-sided Mann-Whitney U of ``b`` against ``a``; effect = rank-biserial correlation.

    The effect is ``2 * U_b / (n_a * n_b) - 1``: +1 when every value of ``b``
    exceeds every value of ``a``, 0 for no shift.

    >>> r = mann_whitney(np.array([1.0, 2, 3, 4]), np.array([5.0, 6, 7, 8]))
    >>> r.effect, round(r.p_value, 3)
    (1.0, 0.029)
    """
    from scipy.stats import mannwhitneyu

    a = np.asarray(a, dtype=float)
    b = np.asarray(b, dtype=float)
    a, b = a[~np.isnan(a)], b[~np.isnan(b)]
    if len(a) == 0 or len(b) == 0:
        return TestResult("Mann-Whitney U", math.nan, math.nan, math.nan, "rank-biserial r",
                          len(a), len(b))
    result = mannwhitneyu(b, a, alternative="two-sided")
    effect = 2 * float(result.statistic) / (len(a) * len(b)) - 1
    return TestResult("Mann-Whitney U", float(result.statistic), float(result.pvalue), effect,
                      "rank-biserial r", len(a), len(b))


def proportion_test(k_a: int, n_a: int, k_b: int, n_b: int) -> TestResult:
    """Two-sided test of ``k_a / n_a`` against ``k_b / n_b``; effect = Cohen's h.

    The pooled two-proportion z-test, or Fisher's exact test when an expected
    count of the 2x2 table is below 5.

    >>> r = proportion_test(40, 1000, 20, 1000)
    >>> r.test, round(r.p_value, 4)
    ('two-proportion z', 0.0088)
    >>> proportion_test(1, 20, 6, 20).test
    'Fisher exact'
    """
    from scipy.stats import fisher_exact, norm

    if n_a == 0 or n_b == 0:
        return TestResult("", math.nan, math.nan, math.nan, "Cohen's h", n_a, n_b)
    p_a, p_b = k_a / n_a, k_b / n_b
    h = 2 * math.asin(math.sqrt(p_b)) - 2 * math.asin(math.sqrt(p_a))
    pooled = (k_a + k_b) / (n_a + n_b)
    expected = min(pooled * n_a, pooled * n_b, (1 - pooled) * n_a, (1 - pooled) * n_b)
    if expected < 5:
        _, p = fisher_exact([[k_a, n_a - k_a], [k_b, n_b - k_b]])
        return TestResult("Fisher exact", math.nan, float(p), h, "Cohen's h", n_a, n_b)
    se = math.sqrt(pooled * (1 - pooled) * (1 / n_a + 1 / n_b))
    z = (p_b - p_a) / se if se > 0 else 0.0
    return TestResult("two-proportion z", z, float(2 * norm.sf(abs(z))), h, "Cohen's h", n_a, n_b)


def holm(p_values: Any) -> np.ndarray:
    """Holm's step-down adjusted p-values (NaN stays NaN, and is not counted).

    >>> holm([0.01, 0.04, 0.03, float("nan")]).round(2).tolist()[:3]
    [0.03, 0.06, 0.06]
    """
    p = np.asarray(p_values, dtype=float)
    out = np.full(len(p), np.nan)
    idx = np.flatnonzero(~np.isnan(p))
    m = len(idx)
    if m == 0:
        return out
    order = idx[np.argsort(p[idx], kind="stable")]
    adjusted = np.minimum(1.0, np.maximum.accumulate((m - np.arange(m)) * p[order]))
    out[order] = adjusted
    return out


def weekly_test(a: pd.DataFrame, b: pd.DataFrame) -> TestResult:
    """Mann-Whitney U on the weekly means of ``log(1 + seconds)``: weeks, not cases, are the sample.

    ``a`` and ``b`` have columns ``week`` and ``seconds``. Orders of one week
    share a unit's queue (a backlog lasts for weeks), so their times are not
    independent, and a test per case finds "changes" in a log where nothing
    changed. Each week with a value counts once; at least 3 weeks a side.
    Effect: the ratio of the geometric means, minus 1 (-0.4: 40% shorter).

    >>> a = pd.DataFrame({"week": [1, 1, 2, 3, 4], "seconds": [100.0, 120, 90, 110, 105]})
    >>> b = pd.DataFrame({"week": [5, 6, 7, 8], "seconds": [50.0, 55, 45, 52]})
    >>> r = weekly_test(a, b)
    >>> r.test, r.n_a, r.n_b, round(r.effect, 2), round(r.p_value, 3)
    ('Mann-Whitney U, weekly means', 4, 4, -0.51, 0.029)
    """
    from scipy.stats import mannwhitneyu

    def weekly(frame: pd.DataFrame) -> np.ndarray:
        values = frame[~frame["seconds"].isna()]
        logs = np.log1p(np.maximum(values["seconds"].to_numpy(dtype=float), 0.0))
        return pd.Series(logs).groupby(values["week"].to_numpy()).mean().to_numpy()

    wa, wb = weekly(a), weekly(b)
    name = "Mann-Whitney U, weekly means"
    if len(wa) < 3 or len(wb) < 3:
        return TestResult(name, math.nan, math.nan, math.nan, "geometric mean ratio - 1",
                          len(wa), len(wb))
    effect = math.exp(float(wb.mean() - wa.mean())) - 1
    result = mannwhitneyu(wb, wa, alternative="two-sided")
    return TestResult(name, float(result.statistic), float(result.pvalue), effect,
                      "geometric mean ratio - 1", len(wa), len(wb))


def clustered_ratio_test(k_a: np.ndarray, n_a: np.ndarray, k_b: np.ndarray, n_b: np.ndarray
                         ) -> TestResult:
    """Two-sided test of ``sum(k_a)/sum(n_a)`` against ``sum(k_b)/sum(n_b)``, cases as clusters.

    ``k`` and ``n`` are per case (e.g. hand-overs crossing 条/块, and all hand-overs):
    a ratio estimator with the cluster-robust (sandwich) variance
    ``m/(m-1) * sum((k - p n)^2) / sum(n)^2`` per side, then a z-test. Effect:
    Cohen's h of the two ratios. ``n_a``/``n_b`` in the result are the totals.

    >>> r = clustered_ratio_test(np.array([1, 0, 2] * 50), np.array([2, 2, 2] * 50),
    ...                          np.array([0, 0, 1] * 50), np.array([2, 2, 2] * 50))
    >>> r.test, r.n_a, r.p_value < 0.001
    ('clustered ratio z', 300, True)
    """
    from scipy.stats import norm

    def ratio(k: np.ndarray, n: np.ndarray) -> tuple[float, float]:
        total = float(n.sum())
        if total == 0:
            return math.nan, math.nan
        p = float(k.sum()) / total
        m = len(n)
        var = (m / (m - 1) if m > 1 else 1.0) * float(((k - p * n) ** 2).sum()) / total ** 2
        return p, var

    k_a, n_a, k_b, n_b = (np.asarray(x, dtype=float) for x in (k_a, n_a, k_b, n_b))
    (p_a, v_a), (p_b, v_b) = ratio(k_a, n_a), ratio(k_b, n_b)
    totals = int(n_a.sum()), int(n_b.sum())
    if math.isnan(p_a) or math.isnan(p_b):
        return TestResult("clustered ratio z", math.nan, math.nan, math.nan, "Cohen's h", *totals)
    h = 2 * math.asin(math.sqrt(p_b)) - 2 * math.asin(math.sqrt(p_a))
    se = math.sqrt(v_a + v_b)
    z = (p_b - p_a) / se if se > 0 else 0.0
    return TestResult("clustered ratio z", z, float(2 * norm.sf(abs(z))), h, "Cohen's h", *totals)
