"""The bootstrap machinery: the same resamples however they are blocked, the exact
path equal to a Python loop over materialized resamples, and the linearized path
(used above EXACT_MAX_MODELS models) within 0.01 of the exact one on recorded data."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from scipy.stats import rankdata, spearmanr

from benchwatch.analysis.bootstrap import (
    average_ranks,
    count_blocks,
    _linear_moments,
    exact_rho,
    linear_moments,
    linearized_rho,
    sort_columns,
)
from benchwatch.analysis.engine import oriented_matrix
from benchwatch.analysis.intervals import fisher_interval
from benchwatch.analysis.method import (
    EXACT_MAX_MODELS,
    capability_axis,
    resample_counts,
    spearman_with_ci,
)
from benchwatch.registry import load_registry
from benchwatch.sources.open_llm_v1 import OpenLLMLeaderboardV1

RESAMPLES = 1000
SEED = 20240731


def test_counts_are_the_loop_draws_whatever_the_block_size():
    draws = np.random.default_rng(7).integers(0, 37, size=(50, 37))
    expected = np.stack([np.bincount(row, minlength=37) for row in draws])
    for block in (1, 3, 50, 64):
        assert (np.concatenate(count_blocks(37, 50, 7, block)) == expected).all()
    assert (resample_counts(37, 50, 7) == expected).all()


def test_the_counts_of_every_block_size_are_views_of_one_read_only_matrix():
    # The fixed and the re-fitted axis hold different block sizes; they must not draw twice.
    small, large = count_blocks(41, 30, 3, 7), count_blocks(41, 30, 3, 30)
    assert small[0].base is large[0].base is not None
    assert not small[0].flags.writeable


def test_a_sort_asked_for_again_is_the_kept_one_and_new_values_are_sorted_anew():
    rng = np.random.default_rng(8)
    values = np.round(rng.normal(size=(50, 6)), 1)
    first = sort_columns(values)
    again = sort_columns(values.copy())
    assert again is first and not first.ranks.flags.writeable
    np.testing.assert_array_equal(first.ranks.T, rankdata(values, axis=0))
    changed = values.copy()
    changed[0, 0] = changed[:, 0].max() + 1.0
    other = sort_columns(changed)
    assert other is not first
    np.testing.assert_array_equal(other.ranks.T, rankdata(changed, axis=0))
    x = sort_columns(values[:, :1])
    kept = linear_moments(x, first)
    assert linear_moments(x, sort_columns(values.copy())) is kept
    fresh = _linear_moments(x, first)
    np.testing.assert_array_equal(kept.g, fresh.g)
    np.testing.assert_array_equal(kept.base, fresh.base)


def test_exact_bootstrap_equals_a_loop_with_ties_and_missing_values():
    rng = np.random.default_rng(4)
    axis = rng.integers(0, 8, 45).astype(float)  # heavy ties on both sides
    bench = np.column_stack([axis + rng.integers(0, 4, 45), -axis + rng.integers(0, 6, 45),
                             rng.integers(0, 3, 45)]).astype(float)
    bench[[0, 4], 0] = np.nan
    bench[[2], 1] = np.nan
    out = spearman_with_ci(bench, axis, resamples=200, seed=9, bootstrap="exact")
    for j in range(3):
        ok = np.isfinite(bench[:, j])
        y, x = bench[ok, j], axis[ok]
        draws = np.random.default_rng(9).integers(0, len(y), size=(200, len(y)))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # scipy warns on constant resamples (rho is NaN)
            loop = np.array([spearmanr(y[d], x[d]).statistic for d in draws])
        expected = fisher_interval(out["rho"][j:j + 1], np.array([ok.sum()]), loop[:, None], 0.95)
        assert out["ci_low"][j] == pytest.approx(expected.low[0], abs=1e-12)
        assert out["ci_high"][j] == pytest.approx(expected.high[0], abs=1e-12)


def test_exact_walk_equals_materialized_resamples_over_many_columns_and_resample_blocks():
    # 600 columns: the walk takes 64 resamples at a time, so 150 resamples cross two block edges.
    # Columns without ties, with a few, with heavy ties, ties at either end, and a constant column.
    rng = np.random.default_rng(11)
    n, k, resamples = 70, 600, 150
    x = np.round(rng.normal(size=n), 1)
    y = rng.normal(size=(n, k))
    y[:, 200:400] = np.round(y[:, 200:400], 1)
    y[:, 400:] = rng.integers(0, 5, (n, 200))
    y[:10, 5] = y[:10, 5].min() - 1.0
    y[-10:, 6] = y[-10:, 6].max() + 1.0
    y[:, 7] = 3.0
    boot = exact_rho(sort_columns(x[:, None]), sort_columns(y), resamples, seed=5)
    draws = np.random.default_rng(5).integers(0, n, size=(resamples, n))
    for row, drawn in zip(boot, draws, strict=True):
        rx = rankdata(x[drawn]) - (n + 1) / 2.0
        ry = rankdata(y[drawn], axis=0) - (n + 1) / 2.0
        with np.errstate(invalid="ignore", divide="ignore"):
            expected = (rx @ ry) / np.sqrt((rx @ rx) * (ry * ry).sum(axis=0))
        assert np.isnan(row[7]) and np.isnan(expected[7])
        assert np.delete(row, 7) == pytest.approx(np.delete(expected, 7), abs=1e-12)


def test_average_ranks_are_scipys_with_ties_and_a_missing_value():
    values = np.array([[3.0, 1.0], [1.0, np.nan], [3.0, 2.0], [2.0, 2.0]])
    ranks = average_ranks(values)
    assert ranks[:, 0].tolist() == [3.5, 1.0, 3.5, 2.0]
    assert np.isnan(ranks[:, 1]).all()  # scipy propagates a NaN to the column
    assert average_ranks(values[:, 0]).tolist() == rankdata(values[:, 0]).tolist()


@pytest.mark.parametrize("n", [4095, 4200])  # float32 sums below 4,096 models, float64 above
def test_exact_resamples_equal_scipy_on_either_side_of_the_float32_limit(n):
    rng = np.random.default_rng(n)
    x = np.round(rng.normal(size=n), 2)
    y = np.round(x + rng.normal(size=n), 1)
    boot = exact_rho(sort_columns(x[:, None]), sort_columns(y[:, None]), 20, seed=3)[:, 0]
    draws = np.random.default_rng(3).integers(0, n, size=(20, n))
    loop = [spearmanr(y[d], x[d]).statistic for d in draws]
    assert boot == pytest.approx(loop, abs=1e-12)


def test_linearized_resamples_give_one_when_the_benchmark_is_a_monotone_function_of_the_axis():
    rng = np.random.default_rng(2)
    x = np.round(rng.normal(size=600), 1)  # ties
    y = np.exp(x)[:, None]
    boot = linearized_rho(sort_columns(x[:, None]), sort_columns(y), 300, seed=1)
    assert boot == pytest.approx(np.ones_like(boot), abs=1e-6)


def test_linearized_is_first_order_exact_on_a_large_sample():
    rng = np.random.default_rng(8)
    x = rng.normal(size=3000)
    y = np.round(np.column_stack([x + rng.normal(size=3000), -0.3 * x + rng.normal(size=3000)]), 2)
    sx, sy = sort_columns(x[:, None]), sort_columns(y)
    exact = exact_rho(sx, sy, 400, seed=5)
    linear = linearized_rho(sx, sy, 400, seed=5)
    # Per resample the difference is second order: ~1/n against a spread of ~1/sqrt(n).
    assert np.abs(linear - exact).max() < 0.003
    assert np.abs(exact.std(axis=0) - linear.std(axis=0)).max() < 0.1 * exact.std(axis=0).min()


def test_auto_is_exact_up_to_the_threshold_and_linearized_above():
    rng = np.random.default_rng(3)
    for n, expected in ((EXACT_MAX_MODELS, "exact"), (EXACT_MAX_MODELS + 1, "linearized")):
        x = rng.normal(size=n)
        y = (x + rng.normal(size=n))[:, None]
        auto = spearman_with_ci(y, x, 100, seed=1)
        forced = spearman_with_ci(y, x, 100, seed=1, bootstrap=expected)
        pd.testing.assert_frame_equal(auto, forced)


@pytest.fixture(scope="module")
def v1_sets(data_dir) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Open LLM Leaderboard v1 as recorded: per model set, TruthfulQA and the PC1 score."""
    source = OpenLLMLeaderboardV1()
    batch = source.parse(next(source.replay(data_dir)))
    registry = load_registry()
    registry = registry[registry["source"] == source.name]
    long = batch.observations.merge(batch.models[["model", "model_set"]], on="model")
    category = registry.set_index("column")["category"]
    out = {}
    for model_set, rows in [("all", long), *long.groupby("model_set")]:
        wide = oriented_matrix(rows, registry)
        kind = category.reindex(wide.columns).to_numpy()
        axis = capability_axis(wide.loc[:, kind == "capability"])
        if axis is None or len(axis.scores) <= EXACT_MAX_MODELS:
            continue
        targets = wide.loc[:, kind == "safety"]
        out[str(model_set)] = (targets.to_numpy(float), axis.scores.reindex(targets.index).to_numpy(float))
    return out


def test_linearized_bounds_agree_with_the_exact_bootstrap_on_recorded_data(v1_sets):
    assert len(v1_sets) >= 3  # all, pretrained, fine-tuned, chat... each above the threshold
    for model_set, (targets, axis) in v1_sets.items():
        exact = spearman_with_ci(targets, axis, RESAMPLES, SEED, bootstrap="exact")
        linear = spearman_with_ci(targets, axis, RESAMPLES, SEED, bootstrap="linearized")
        assert (exact["rho"] == linear["rho"]).all()
        assert (exact["n"] > EXACT_MAX_MODELS).all()
        gap = np.abs(np.r_[exact["ci_low"] - linear["ci_low"], exact["ci_high"] - linear["ci_high"]])
        assert gap.max() < 0.01, (model_set, gap)
