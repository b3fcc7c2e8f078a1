"""The interval against ``scipy.stats.bootstrap`` on fixed data (a fixed axis).

scipy draws its own resamples, so the two agree up to Monte Carlo error: with
B = 4,000 resamples the robust SD of atanh(rho*) (a 16th-84th percentile half
range) has a relative standard error of about 1.1 / sqrt(B) = 1.7% on each
side, 2.5% for the difference, and a percentile bound a standard error of about
0.02 of the distribution's SD; the tolerances are four of those standard errors.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import bootstrap, spearmanr

from benchwatch.analysis.bootstrap import exact_rho, sort_columns
from benchwatch.analysis.intervals import bootstrap_se, fisher_interval
from benchwatch.analysis.method import spearman_with_ci

B = 4000


@pytest.fixture(scope="module")
def data() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """x, y (40 pairs, rho about 0.75) and scipy's bootstrap distribution of Spearman's rho."""
    rng = np.random.default_rng(21)
    x = rng.normal(size=40)
    y = np.round(x + 0.6 * rng.standard_t(3, size=40), 1)  # heavy-tailed noise, a few ties
    result = bootstrap((y, x), lambda a, b: spearmanr(a, b).statistic, paired=True, vectorized=False,
                       n_resamples=B, method="percentile", rng=np.random.default_rng(5))
    return x, y, result


def test_the_bootstrap_distribution_matches_scipys(data):
    x, y, result = data
    ours = exact_rho(sort_columns(x[:, None]), sort_columns(y[:, None]), B, seed=9)[:, 0]
    spread = result.bootstrap_distribution.std()
    assert np.quantile(ours, [0.025, 0.975]) == pytest.approx(
        [result.confidence_interval.low, result.confidence_interval.high], abs=0.08 * spread)
    assert bootstrap_se(ours[:, None])[0] == pytest.approx(
        bootstrap_se(result.bootstrap_distribution[:, None])[0], rel=0.10)


def test_the_interval_is_the_one_scipys_distribution_gives(data):
    x, y, result = data
    ours = spearman_with_ci(y[:, None], x, B, seed=9)
    rho = spearmanr(y, x).statistic
    assert ours["rho"][0] == pytest.approx(rho, abs=1e-12)
    theirs = fisher_interval(np.array([rho]), np.array([40]), result.bootstrap_distribution[:, None], 0.95)
    width = theirs.high[0] - theirs.low[0]
    assert ours["ci_low"][0] == pytest.approx(theirs.low[0], abs=0.05 * width)
    assert ours["ci_high"][0] == pytest.approx(theirs.high[0], abs=0.05 * width)
    assert ours["ci_low"][0] < rho < ours["ci_high"][0]
