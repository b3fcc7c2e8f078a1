"""Drift as a paired bootstrap test of the change in rho: equal to a materialized loop, fires on a
known change, not on a series without one."""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.stats import spearmanr
from statsmodels.stats.multitest import multipletests

from benchwatch.analysis.drift import drift_qvalues, rho_change


def two_dates(seed: int, rho_from: float, rho_to: float, n_both: int = 40, n_new: int = 15):
    """Capability x and safety y at two dates over the union of models: n_both known at both, n_new
    only at the later date. y is x plus noise of the strength that gives the wanted correlation."""
    rng = np.random.default_rng(seed)
    n = n_both + n_new
    x = rng.normal(size=n)
    def safety(r: float) -> np.ndarray:
        return r * x + np.sqrt(1 - r * r) * rng.normal(size=n)
    y_from, y_to = safety(rho_from), safety(rho_to)
    x_from = np.where(np.arange(n) < n_both, x, np.nan)
    return x_from, np.where(np.isfinite(x_from), y_from, np.nan), x, y_to


def test_the_paired_bootstrap_equals_a_loop_over_the_same_draws():
    x_from, y_from, x_to, y_to = two_dates(3, 0.3, 0.8, n_both=12, n_new=5)
    got = rho_change(x_from, y_from, x_to, y_to, resamples=200, seed=11)
    n = len(x_to)
    deltas = []
    for idx in np.random.default_rng(11).integers(0, n, (200, n)):
        before = idx[np.isfinite(x_from[idx])]
        deltas.append(spearmanr(x_to[idx], y_to[idx])[0] - spearmanr(x_from[before], y_from[before])[0])
    deltas = np.array(deltas)
    assert got.n_paired == 12
    assert abs(got.change - (spearmanr(x_to, y_to)[0] - spearmanr(x_from[:12], y_from[:12])[0])) < 1e-12
    np.testing.assert_allclose([got.change_low, got.change_high], np.quantile(deltas, [0.025, 0.975]), atol=1e-12)
    assert got.p == (1 + (deltas <= 0).sum()) / 201


def test_a_known_rise_is_detected_and_a_flat_series_is_not():
    rise = rho_change(*two_dates(5, 0.2, 0.85), resamples=1000, seed=1)
    assert rise.change > 0.5 and rise.change_low > 0 and rise.p < 0.01
    flat = rho_change(*two_dates(5, 0.5, 0.5), resamples=1000, seed=1)
    assert flat.change_low < 0 < flat.change_high and flat.p > 0.05


def test_drift_q_values_are_bh_across_series():
    tests = pd.DataFrame({"p": [0.001, 0.04, 0.3, np.nan]})
    q = drift_qvalues(tests)
    np.testing.assert_allclose(q[:3], multipletests([0.001, 0.04, 0.3], method="fdr_bh")[1])
    assert np.isnan(q[3])
