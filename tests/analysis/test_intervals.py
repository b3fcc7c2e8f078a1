"""The interval and its p-values: known values, and the p-values invert the interval exactly."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from benchwatch.analysis.intervals import (
    FISHER,
    Thresholds,
    bonett_wright_se,
    bootstrap_se,
    column_quantiles,
    fisher_interval,
    p_values,
)
from benchwatch.analysis.method import spearman_with_ci


def test_with_a_degenerate_bootstrap_the_interval_is_fisher_z_with_the_bonett_wright_variance():
    # rho 0.5 over 28 pairs: se = sqrt((1 + 0.25 / 2) / 25) = 0.212132; z = atanh(0.5) -+ 1.96 se.
    boot = np.full((200, 1), 0.5)
    interval = fisher_interval(np.array([0.5]), np.array([28]), boot, 0.95)
    assert interval.se[0] == pytest.approx(0.2121320344, abs=1e-9)
    assert interval.low[0] == pytest.approx(0.1327469037, abs=1e-9)
    assert interval.high[0] == pytest.approx(0.7465330578, abs=1e-9)
    p = p_values(np.array([0.5]), interval.se, Thresholds())
    assert p["p_tracking"][0] == pytest.approx(0.9330683592, abs=1e-9)
    assert p["p_positive"][0] == pytest.approx(0.0048064133, abs=1e-9)
    assert p["p_inverse"][0] == pytest.approx(0.9999742313, abs=1e-9)


def test_a_wide_bootstrap_widens_the_interval_beyond_bonett_wright():
    rng = np.random.default_rng(1)
    boot = np.tanh(np.arctanh(0.5) + rng.normal(0, 0.5, size=(4000, 1)))
    interval = fisher_interval(np.array([0.5]), np.array([28]), boot, 0.95)
    assert interval.se[0] == pytest.approx(0.5, abs=0.03)  # the bootstrap's SD of z, not BW's 0.21
    assert bootstrap_se(boot)[0] > bonett_wright_se(0.5, 28)


def test_no_finite_resample_means_no_interval_and_no_p_values():
    interval = fisher_interval(np.array([0.4]), np.array([20]), np.full((50, 1), np.nan), 0.95)
    assert np.isnan([interval.low[0], interval.high[0], interval.se[0]]).all()
    assert all(np.isnan(p[0]) for p in p_values(np.array([0.4]), interval.se, Thresholds()).values())


def test_the_p_values_invert_the_interval():
    rng = np.random.default_rng(5)
    n = 40
    x = rng.normal(size=n)
    bench = np.column_stack([x * s + rng.normal(size=n) for s in np.linspace(-3, 3, 60)])
    for level, tail in ((0.95, 0.025), (0.9, 0.05)):
        for t in (-0.3, 0.0, 0.3, 0.7):
            out = spearman_with_ci(bench, x, 300, seed=2, level=level, thresholds=Thresholds(tracking=t, inverse=t))
            above = (out["ci_low"] >= t).to_numpy()
            below = (out["ci_high"] <= t).to_numpy()
            assert above.any() and (~above).any() and below.any()
            np.testing.assert_array_equal(above, out["p_tracking"].to_numpy() <= tail)
            np.testing.assert_array_equal(below, out["p_inverse"].to_numpy() <= tail)
        assert (out["interval"] == FISHER).all()


def test_rows_without_resamples_carry_no_interval():
    x = np.arange(12.0)
    out = spearman_with_ci((x ** 2)[:, None], x, 0, seed=1)
    assert out["rho"][0] == 1.0
    assert out["interval"][0] is None
    assert np.isnan(out[["ci_low", "ci_high", "p_tracking", "p_positive", "p_inverse"]].to_numpy()).all()
    assert not out["axis_refit"][0]


def test_column_quantiles_are_numpys_bit_for_bit_with_and_without_missing_resamples():
    # One sort for every column replaces np.nanquantile's call per column: the numbers must not move.
    rng = np.random.default_rng(11)
    for trial in range(60):
        values = np.tanh(rng.normal(size=(int(rng.integers(1, 80)), int(rng.integers(1, 9)))))
        if trial % 3 == 0:
            values = np.round(values, 1)  # ties, as bounded rho are
        values[rng.random(values.shape) < rng.uniform(0.0, 0.6)] = np.nan
        if trial % 4 == 0:
            values[:, 0] = np.nan  # a column with no finite resample
        for quantiles in ((0.158655, 0.841345), (0.05, 0.95), (0.0, 0.5, 1.0)):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)  # numpy warns of the all-NaN column
                expected = np.nanquantile(values, quantiles, axis=0)
            np.testing.assert_array_equal(column_quantiles(values, quantiles), expected)
            complete = np.nan_to_num(values)
            np.testing.assert_array_equal(column_quantiles(complete, quantiles),
                                          np.quantile(complete, quantiles, axis=0))

