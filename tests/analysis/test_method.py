"""The method's building blocks against independent, straightforward computations."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.stats import spearmanr

from benchwatch.analysis.intervals import fisher_interval
from benchwatch.analysis.method import (
    capability_axis,
    first_component,
    resample_counts,
    spearman_matrix,
    spearman_with_ci,
    weighted_ranks,
    zscore,
)


def test_zscore_uses_population_std_and_ignores_nan():
    x = np.array([[1.0, 2.0], [3.0, np.nan], [5.0, 4.0]])
    z = zscore(x)
    assert z[:, 0] == pytest.approx((x[:, 0] - 3.0) / np.std(x[:, 0]))
    assert z[[0, 2], 1] == pytest.approx([-1.0, 1.0])
    assert np.isnan(z[1, 1])


def test_first_component_sign_rule_and_variance():
    corr = np.array([[1.0, 0.8, 0.6], [0.8, 1.0, 0.7], [0.6, 0.7, 1.0]])
    pc1, explained = first_component(corr)
    eigenvalues, vectors = np.linalg.eigh(corr)
    assert explained == pytest.approx(eigenvalues[-1] / eigenvalues.sum())
    assert np.abs(pc1) == pytest.approx(np.abs(vectors[:, -1]))
    assert pc1[np.argmax(np.abs(pc1))] > 0


def test_spearman_with_ci_matches_scipy_with_pairwise_deletion():
    rng = np.random.default_rng(3)
    axis = rng.normal(size=40)
    bench = np.column_stack([axis + rng.normal(size=40), -axis + rng.normal(size=40), rng.normal(size=40)])
    bench[[1, 5, 9], 0] = np.nan
    bench[[2], 1] = np.nan
    axis[7] = np.nan
    out = spearman_with_ci(bench, axis, resamples=0, seed=0)
    for j in range(3):
        ok = np.isfinite(bench[:, j]) & np.isfinite(axis)
        assert out["rho"][j] == pytest.approx(spearmanr(bench[ok, j], axis[ok]).statistic, abs=1e-12)
        assert out["n"][j] == ok.sum()


def test_weighted_ranks_equal_ranks_of_the_materialized_resample():
    rng = np.random.default_rng(1)
    x = rng.integers(0, 6, 25).astype(float)  # many ties
    counts = resample_counts(25, 40, seed=11)
    draws = np.random.default_rng(11).integers(0, 25, size=(40, 25))
    ranks = weighted_ranks(x, counts)
    for b in range(40):
        materialized = pd.Series(x[draws[b]]).rank().to_numpy()
        assert ranks[b, draws[b]] == pytest.approx(materialized)


def test_bootstrap_interval_equals_a_python_loop_over_resamples():
    rng = np.random.default_rng(5)
    axis = rng.normal(size=30)
    bench = (axis + rng.normal(size=30))[:, None]
    out = spearman_with_ci(bench, axis, resamples=300, seed=42)
    draws = np.random.default_rng(42).integers(0, 30, size=(300, 30))
    loop = np.array([spearmanr(bench[d, 0], axis[d]).statistic for d in draws])
    expected = fisher_interval(out["rho"].to_numpy(), np.array([30]), loop[:, None], 0.95)
    assert out["ci_low"][0] == pytest.approx(expected.low[0], abs=1e-12)
    assert out["ci_high"][0] == pytest.approx(expected.high[0], abs=1e-12)
    assert out["ci_low"][0] < out["rho"][0] < out["ci_high"][0]


def test_capability_axis_drop_policy_drops_incomplete_models_and_records_it():
    rng = np.random.default_rng(0)
    base = rng.normal(size=20)
    caps = pd.DataFrame({f"c{i}": base + 0.3 * rng.normal(size=20) for i in range(4)},
                        index=[f"m{i}" for i in range(20)])
    caps.iloc[3, 1] = np.nan
    axis = capability_axis(caps, "drop")
    assert axis.n_dropped == 1 and "m3" not in axis.scores.index
    # z-scores use every model that has the value (step 4), then rows with a
    # gap leave (step 6, the paper's rule).
    z = ((caps - caps.mean()) / caps.std(ddof=0)).drop(index="m3")
    pc1, _ = first_component(spearmanr(z).statistic)
    assert axis.scores.to_numpy() == pytest.approx(z.to_numpy() @ pc1)
    imputed = capability_axis(caps, "knn")
    assert imputed.n_dropped == 0 and "m3" in imputed.scores.index and imputed.policy == "knn"


def test_constant_and_empty_capability_columns_are_dropped():
    caps = pd.DataFrame({"a": [1.0, 2, 3, 4], "b": [2.0, 1, 4, 3], "flat": [1.0] * 4,
                         "empty": [np.nan] * 4})
    axis = capability_axis(caps)
    assert list(axis.loadings.index) == ["a", "b"]


def test_spearman_matrix_equals_scipy():
    rng = np.random.default_rng(2)
    x = rng.normal(size=(15, 4))
    assert spearman_matrix(x) == pytest.approx(spearmanr(x).statistic)
