"""Properties the method must have whatever the data (hypothesis)."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from benchwatch.analysis.engine import Params, analyze_matrix, oriented_matrix
from benchwatch.analysis.method import spearman_with_ci

RESAMPLES = 50
finite = st.floats(-1e6, 1e6, allow_nan=False, allow_infinity=False)


@st.composite
def paired(draw, min_n: int = 5, max_n: int = 40):
    n = draw(st.integers(min_n, max_n))
    x = draw(arrays(np.float64, n, elements=finite))
    y = draw(arrays(np.float64, n, elements=finite))
    holes = draw(arrays(np.bool_, n))
    y = np.where(holes & (np.arange(n) % 3 == 0), np.nan, y)
    return x, y


@settings(max_examples=40, deadline=None)
@given(paired(), st.sampled_from([np.exp, np.cbrt, lambda v: 3 * v + 7, np.arctan]))
def test_a_monotone_transform_leaves_rho_and_interval_unchanged(data, transform):
    x, y = data
    scaled = np.clip(y / 1e5, -50, 50)  # keep exp finite and strictly increasing in floats
    before = spearman_with_ci(scaled[:, None], x, RESAMPLES, seed=1)
    with np.errstate(over="ignore"):
        after = spearman_with_ci(transform(scaled)[:, None], x, RESAMPLES, seed=1)
    if np.unique(transform(scaled)[np.isfinite(scaled)]).size == np.unique(scaled[np.isfinite(scaled)]).size:
        pd.testing.assert_frame_equal(before, after)


@settings(max_examples=40, deadline=None)
@given(paired())
def test_flipping_direction_flips_the_sign(data):
    x, y = data
    up = spearman_with_ci(y[:, None], x, RESAMPLES, seed=2)
    down = spearman_with_ci(-y[:, None], x, RESAMPLES, seed=2)
    np.testing.assert_allclose(down["rho"], -up["rho"], atol=1e-12)
    np.testing.assert_allclose(down["ci_low"], -up["ci_high"], atol=1e-12)
    assert (down["n"] == up["n"]).all()


def long_frame(values: np.ndarray) -> tuple[pd.DataFrame, pd.DataFrame]:
    n, k = values.shape
    columns = [f"cap{j}" for j in range(k - 2)] + ["safe_a", "safe_b"]
    long = pd.DataFrame(values, index=[f"model-{i}" for i in range(n)], columns=columns)
    long = long.rename_axis("model").reset_index().melt("model", var_name="benchmark").dropna()
    registry = pd.DataFrame({
        "source": "s", "column": columns, "category": ["capability"] * (k - 2) + ["safety", "safety"],
        "direction": [1] * (k - 1) + [-1],
    })
    return long, registry


matrices = arrays(np.float64, st.tuples(st.integers(6, 25), st.integers(4, 7)), elements=finite)


def analyzed(long: pd.DataFrame, registry: pd.DataFrame) -> pd.DataFrame:
    _, correlations, _ = analyze_matrix(oriented_matrix(long, registry), registry,
                                        Params(resamples=RESAMPLES, seed=3))
    if correlations.empty:  # constant capability columns: no axis to correlate with
        return correlations
    return correlations.sort_values(["axis", "benchmark"]).reset_index(drop=True)


@settings(max_examples=30, deadline=None)
@given(matrices, st.randoms(use_true_random=False))
def test_results_do_not_depend_on_model_or_column_order(values, rnd):
    long, registry = long_frame(values)
    shuffled = long.sample(frac=1.0, random_state=rnd.randint(0, 10_000))
    pd.testing.assert_frame_equal(analyzed(long, registry), analyzed(shuffled, registry))


@settings(max_examples=30, deadline=None)
@given(matrices)
def test_a_model_with_every_value_missing_changes_nothing(values):
    long, registry = long_frame(values)
    with_ghost = np.vstack([values, np.full(values.shape[1], np.nan)])
    ghost_long, _ = long_frame(with_ghost)
    # the ghost has no observation at all once NaNs are dropped; keep one NaN row
    ghost_long = pd.concat([ghost_long, pd.DataFrame(
        {"model": ["zz-ghost"], "benchmark": ["safe_a"], "value": [np.nan]})], ignore_index=True)
    pd.testing.assert_frame_equal(analyzed(long, registry), analyzed(ghost_long, registry))
