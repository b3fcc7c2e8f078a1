"""The bootstrap that re-fits the PC1 axis in every resample, against a Python loop over
materialized resamples that repeats the method step by step (z-scores, Spearman matrix,
eigh, sign rule, score, rho)."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from scipy.stats import spearmanr

from benchwatch.analysis.engine import AXIS_COMPUTE, AXIS_PC1, Params, analyze_matrix
from benchwatch.analysis.intervals import fisher_interval
from benchwatch.analysis.method import capability_axis, first_component, spearman_matrix, spearman_with_ci
from benchwatch.analysis.refit import resampled_scores

SEED = 17


def capabilities(n: int, rng: np.random.Generator, ties: bool = False) -> pd.DataFrame:
    skill = rng.normal(size=n)
    caps = {f"c{j}": skill + rng.normal(scale=0.4 + 0.4 * j, size=n) for j in range(4)}
    frame = pd.DataFrame(caps, index=[f"m{i:02d}" for i in range(n)])
    return frame.round(1) if ties else frame


def loop_scores(filled: np.ndarray, draws: np.ndarray) -> np.ndarray:
    """Each materialized resample's PC1 scores of its drawn rows, the method done again from scratch:
    z-scores of the resample (on the published scale: times the full sample's SD), Spearman matrix,
    eigh and sign rule."""
    out = []
    for d in draws:
        sample = filled[d]
        z = (sample - sample.mean(axis=0)) / sample.std(axis=0) * filled.std(axis=0)
        pc1, _ = first_component(spearman_matrix(sample))
        out.append(z @ pc1)
    return np.array(out)


@pytest.mark.parametrize("ties", [False, True])
def test_resampled_scores_rank_like_the_method_done_again_on_the_materialized_resample(ties):
    rng = np.random.default_rng(3)
    raw = capabilities(30, rng, ties).to_numpy()
    filled = (raw - raw.mean(axis=0)) / raw.std(axis=0)  # what the axis is fitted on: z-scores
    draws = np.random.default_rng(SEED).integers(0, 30, size=(40, 30))
    counts = np.stack([np.bincount(d, minlength=30) for d in draws])
    scores = resampled_scores(filled, counts)
    expected = loop_scores(filled, draws)
    for b, d in enumerate(draws):
        # Same ranks: the resample's scores differ from z-scoring again by a shift common to all models.
        shift = scores[b, d] - expected[b]
        assert shift == pytest.approx(np.full(30, shift[0]), abs=1e-9)


def test_with_every_model_once_the_resampled_score_is_the_published_one():
    caps = capabilities(25, np.random.default_rng(4))
    caps.iloc[2, 1] = np.nan  # z-scores over every model with the value, PC1 over complete rows
    axis = capability_axis(caps)
    scores = resampled_scores(axis.filled.to_numpy(), np.ones((1, 24)))
    assert scores[0] == pytest.approx(axis.scores.to_numpy(), abs=1e-12)


def test_refit_interval_equals_a_loop_with_pairwise_deletion():
    rng = np.random.default_rng(6)
    caps = capabilities(36, rng)
    caps.iloc[[1, 8], 2] = np.nan  # two models leave the axis (policy drop)
    axis = capability_axis(caps)
    skill = caps["c0"].to_numpy()
    bench = np.column_stack([skill + rng.normal(size=36), -skill + rng.normal(size=36) * 2])
    bench[[3, 4, 5], 0] = np.nan
    score = axis.scores.reindex(caps.index).to_numpy()
    filled = axis.filled.reindex(caps.index).to_numpy()
    out = spearman_with_ci(bench, score, 200, SEED, refit=filled)
    population = np.flatnonzero(np.isfinite(score))
    draws = np.random.default_rng(SEED).integers(0, len(population), size=(200, len(population)))
    scores = loop_scores(filled[population], draws)
    for j in range(2):
        loop = []
        for b, d in enumerate(draws):
            y = bench[population[d], j]
            ok = np.isfinite(y)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                loop.append(spearmanr(scores[b][ok], y[ok]).statistic)
        expected = fisher_interval(out["rho"][j:j + 1], out["n"][j:j + 1].to_numpy(), np.array(loop)[:, None], 0.95)
        assert out["ci_low"][j] == pytest.approx(expected.low[0], abs=1e-10)
        assert out["ci_high"][j] == pytest.approx(expected.high[0], abs=1e-10)
    assert out["axis_refit"].all()
    assert list(out["n"]) == [31, 34]


def test_an_uncertain_axis_widens_the_interval():
    # Two independent capability columns and a noisy third that joins them: PC1's direction
    # between a and b moves from resample to resample, and the benchmark follows a only.
    for seed in range(5):
        rng = np.random.default_rng(seed)
        n = 40
        a, b = rng.normal(size=n), rng.normal(size=n)
        caps = pd.DataFrame({"a": a, "b": b, "c": a + b + 2.5 * rng.normal(size=n)})
        axis = capability_axis(caps)
        bench = (a + 0.3 * rng.normal(size=n))[:, None]
        fixed = spearman_with_ci(bench, axis.scores.to_numpy(), 1000, SEED)
        refit = spearman_with_ci(bench, axis.scores.to_numpy(), 1000, SEED, refit=axis.filled.to_numpy())
        assert refit["rho"][0] == fixed["rho"][0]
        assert refit["ci_high"][0] - refit["ci_low"][0] > 1.2 * (fixed["ci_high"][0] - fixed["ci_low"][0]), seed


def test_engine_rows_say_which_axes_were_re_fitted():
    rng = np.random.default_rng(9)
    caps = capabilities(30, rng)
    wide = caps.assign(safe=caps["c0"] + rng.normal(size=30), flop=np.exp(caps["c1"]))
    registry = pd.DataFrame({"source": "s", "column": list(wide.columns),
                             "category": ["capability"] * 4 + ["safety", "compute"], "direction": 1})
    _, correlations, _ = analyze_matrix(wide, registry, Params(resamples=100, seed=1))
    refit = correlations.set_index("axis")["axis_refit"]
    assert bool(refit[AXIS_PC1]) and not bool(refit[AXIS_COMPUTE])
    assert (correlations["interval"] == "fisher-z").all()
    assert correlations[["p_tracking", "p_positive", "p_inverse"]].notna().all().all()


def test_the_linearized_refit_agrees_with_the_exact_one_on_a_large_set():
    rng = np.random.default_rng(12)
    n = 1200
    caps = capabilities(n, rng, ties=True)
    axis = capability_axis(caps)
    skill = caps["c0"].to_numpy()
    bench = np.round(np.column_stack([skill + rng.normal(size=n), -0.3 * skill + rng.normal(size=n),
                                      caps["c3"] + 0.2 * rng.normal(size=n)]), 1)
    bench[:100, 1] = np.nan
    score, filled = axis.scores.to_numpy(), axis.filled.to_numpy()
    exact = spearman_with_ci(bench, score, 400, SEED, refit=filled, bootstrap="exact")
    linear = spearman_with_ci(bench, score, 400, SEED, refit=filled)  # auto: linearized above 500 models
    fixed = spearman_with_ci(bench, score, 400, SEED)
    pd.testing.assert_series_equal(exact["rho"], linear["rho"])
    gap = np.abs(np.r_[exact["ci_low"] - linear["ci_low"], exact["ci_high"] - linear["ci_high"]])
    assert gap.max() < 0.005, gap
    # The third column loads on one capability column only: the axis's own error matters there.
    width = (exact["ci_high"] - exact["ci_low"]) / (fixed["ci_high"] - fixed["ci_low"])
    assert width[2] > 1.1
