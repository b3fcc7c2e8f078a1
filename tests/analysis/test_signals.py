"""The signals beside rho, each against an independent computation on fixed data."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.stats import linregress, pearsonr, rankdata, spearmanr

from benchwatch.analysis.signals import (
    SignalContext,
    correlation_signals,
    oriented_bounds,
    row_signals,
    scale_bounds,
)

N = 40


@pytest.fixture
def data() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(7)
    t = rng.uniform(0, 1000, N)
    x = 0.004 * t + rng.normal(0, 1, N)
    y = np.column_stack([2.0 * x + rng.normal(0, 1.5, N), -x + 0.01 * t + rng.normal(0, 2, N),
                         rng.normal(50, 10, N)])
    y[[1, 5, 9], 0] = np.nan  # pairwise deletion: column 0 has fewer models
    t[[2, 3]] = np.nan  # two models without a release date
    return y, x, t


def _run(y, x, t, subsets=200, seed=3):
    k = y.shape[1]
    return correlation_signals(y, x, t, np.full(k, np.nan), np.full(k, np.nan), subsets, seed)


def test_slope_and_r2_match_linregress(data):
    y, x, t = data
    out = _run(y, x, t)
    for j in range(y.shape[1]):
        ok = np.isfinite(y[:, j])
        fit = linregress(x[ok], y[ok, j])
        assert out["slope"][j] == pytest.approx(fit.slope * np.std(x[ok]), rel=1e-12)
        assert out["r2"][j] == pytest.approx(fit.rvalue ** 2, rel=1e-12)
    # The first column's slope is about 2 units per axis unit times the axis SD (~1.5): a known value.
    assert 2.0 < out["slope"][0] < 4.5


def test_subset_band_is_the_percentiles_of_half_sample_spearman(data):
    y, x, t = data
    out = _run(y, x, t, subsets=150, seed=11)
    for j in range(y.shape[1]):
        rows = np.flatnonzero(np.isfinite(y[:, j]))
        n = len(rows)
        # The draws as documented: default_rng(seed), a random permutation per half-sample, its first n // 2.
        picks = np.argsort(np.random.default_rng(11).random((150, n)), axis=1)[:, : n // 2]
        rhos = [spearmanr(x[rows][p], y[rows, j][p]).statistic for p in picks]
        assert out["subset_low"][j] == pytest.approx(np.percentile(rhos, 5), abs=1e-12)
        assert out["subset_high"][j] == pytest.approx(np.percentile(rhos, 95), abs=1e-12)
        full = spearmanr(x[rows], y[rows, j]).statistic
        assert out["subset_low"][j] < full < out["subset_high"][j]


def test_subset_band_of_a_monotone_relation_is_one():
    x = np.arange(20.0)
    out = _run(np.column_stack([x ** 3]), x, np.full(20, np.nan), subsets=50)
    assert out["subset_low"][0] == pytest.approx(1.0) and out["subset_high"][0] == pytest.approx(1.0)


def test_partial_rho_time_matches_residual_spearman(data):
    y, x, t = data
    out = _run(y, x, t)
    for j in range(y.shape[1]):
        ok = np.isfinite(y[:, j]) & np.isfinite(t)
        rx, ry, rt = (rankdata(v[ok]) for v in (x, y[:, j], t))
        design = np.column_stack([np.ones(ok.sum()), rt])
        resid = [v - design @ np.linalg.lstsq(design, v, rcond=None)[0] for v in (rx, ry)]
        assert out["partial_rho_time"][j] == pytest.approx(pearsonr(*resid).statistic, abs=1e-12)
        assert out["n_time"][j] == ok.sum()


def test_time_alone_drives_rho_then_partial_is_near_zero():
    rng = np.random.default_rng(0)
    t = np.arange(200.0)
    x = t + rng.normal(0, 20, 200)
    y = t + rng.normal(0, 20, 200)  # safety and capability both follow the date, not each other
    out = _run(y[:, None], x, t)
    assert spearmanr(x, y).statistic > 0.8
    assert abs(out["partial_rho_time"][0]) < 0.2


def test_partial_rho_time_is_nan_without_dates(data):
    y, x, _ = data
    out = _run(y, x, np.full(N, np.nan))
    assert out["partial_rho_time"].isna().all() and (out["n_time"] == 0).all()


def test_saturation_counts_models_near_either_end():
    y = np.array([[99.0, -99.0], [96.0, -96.0], [50.0, -50.0], [2.0, -2.0], [94.9, -94.9]])
    x = np.arange(5.0)
    floor, ceiling = np.array([0.0, -100.0]), np.array([100.0, 0.0])
    out = correlation_signals(y, x, np.full(5, np.nan), floor, ceiling, 0, 0)
    assert out["saturation"].tolist() == [pytest.approx(0.6), pytest.approx(0.6)]  # 99, 96 and 2 of five


def test_saturation_is_nan_without_a_bounded_scale():
    out = correlation_signals(np.arange(5.0)[:, None], np.arange(5.0), np.full(5, np.nan),
                              np.array([np.nan]), np.array([np.nan]), 0, 0)
    assert np.isnan(out["saturation"][0])


def test_scale_bounds_and_orientation():
    assert scale_bounds("0-100") == (0.0, 100.0)
    assert scale_bounds("1-10") == (1.0, 10.0)
    assert all(np.isnan(scale_bounds(s)).all() for s in ("elo", "raw", "", None))
    registry = pd.DataFrame({"column": ["a", "b", "c"], "direction": [1, -1, 1], "scale": ["0-1", "0-100", "elo"]})
    bounds = oriented_bounds(registry)
    assert bounds.loc["a"].tolist() == [0.0, 1.0]
    assert bounds.loc["b"].tolist() == [-100.0, 0.0]
    assert bounds.loc["c"].isna().all()


def test_row_signals_aligns_models_and_dates_by_name():
    models = [f"m{i}" for i in range(12)]
    targets = pd.DataFrame({"b": np.arange(12.0) ** 2}, index=models)
    axis = pd.Series(np.arange(12.0)[::-1], index=models[::-1])  # same values per model, other order
    release = pd.Series(pd.to_datetime("2024-01-01") + pd.to_timedelta(np.arange(6) * 30, unit="D"),
                        index=models[:6])
    context = SignalContext(release=release,
                            bounds=pd.DataFrame({"floor": [0.0], "ceiling": [121.0]}, index=["b"]))
    out = row_signals(targets, axis, context, subsets=20, seed=0)
    assert out["r2"][0] == pytest.approx(pearsonr(np.arange(12.0), np.arange(12.0) ** 2).statistic ** 2)
    assert out["n_time"][0] == 6
    assert out["saturation"][0] == pytest.approx(4 / 12)  # 0, 1, 4 and 121 are within 6.05 of an end


def test_above_500_models_the_first_order_band_is_close_to_the_exact_one(monkeypatch):
    """The band's first-order path (as the bootstrap's, above EXACT_MAX_MODELS) against the exact one."""
    from benchwatch.analysis import signals

    rng = np.random.default_rng(5)
    n = 800
    x = rng.normal(size=n)
    y = np.round(np.column_stack([0.8 * x + rng.normal(0, 0.6, n), rng.normal(size=n)]), 2)  # ties
    first = _run(y, x, np.full(n, np.nan), subsets=100, seed=2)
    monkeypatch.setattr(signals, "EXACT_MAX_MODELS", 10 ** 9)
    exact = _run(y, x, np.full(n, np.nan), subsets=100, seed=2)
    for column in ("subset_low", "subset_high"):
        np.testing.assert_allclose(first[column], exact[column], atol=0.01)
    # The half-sample weights count each chosen model twice: one half-sample's first-order rho
    # equals its exact rho at first order, and the exact path is scipy's (tested above).
    assert first["subset_low"][0] > 0.5 > first["subset_high"][1]
