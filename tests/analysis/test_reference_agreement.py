"""benchmarks/analysis_vs_reference.py's notebook reference against the engine, on a synthetic unit:
identical intervals where the engine's bootstrap is exact, and the script's rule for which path the
engine took (a re-fitted PC1's resamples draw from the axis's models, not from a column's pairs)."""

from __future__ import annotations

import sys
import warnings

import numpy as np
import pandas as pd

from benchwatch.analysis.method import EXACT_MAX_MODELS, capability_axis, spearman_with_ci
from tests.paths import REPO_ROOT

sys.path.insert(0, str(REPO_ROOT / "benchmarks"))
import analysis_vs_reference as reference  # noqa: E402

RESAMPLES, SEED = 40, 7


def unit(models: int, pairs: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Capability columns driven by one factor, and a safety column known for ``pairs`` models."""
    rng = np.random.default_rng(3)
    ability = rng.normal(size=models)
    index = pd.Index([f"m{k}" for k in range(models)])
    capabilities = pd.DataFrame({f"c{j}": np.round(ability + rng.normal(size=models), 2) for j in range(4)},
                                index=index)
    safety = np.round(0.5 * ability + rng.normal(size=models), 2)
    safety[pairs:] = np.nan
    return capabilities, pd.DataFrame({"s": safety}, index=index)


def both(models: int, pairs: int) -> tuple[tuple, pd.DataFrame]:
    capabilities, targets = unit(models, pairs)
    scores, z = reference.reference_pc1(capabilities)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        mine = reference.reference_refit(targets, z, scores, RESAMPLES, SEED, 0.95)["s"]
    axis = capability_axis(capabilities)
    engine = spearman_with_ci(targets.to_numpy(float), axis.scores.reindex(targets.index).to_numpy(float),
                              RESAMPLES, SEED, refit=axis.filled.reindex(targets.index).to_numpy(float))
    return mine, engine


def test_exact_path_intervals_are_identical():
    (rho, low, high, n, population), engine = both(120, 90)
    assert (n, population) == (90, 120)
    assert abs(rho - engine["rho"][0]) < 1e-12
    assert abs(low - engine["ci_low"][0]) < 1e-9 and abs(high - engine["ci_high"][0]) < 1e-9


def test_a_column_of_few_pairs_on_a_large_axis_is_linearized_and_counted_so():
    (rho, low, high, n, population), engine = both(EXACT_MAX_MODELS + 100, 300)
    assert n == 300 <= EXACT_MAX_MODELS < population  # the script's rule: linearized, by the axis's models
    assert abs(rho - engine["rho"][0]) < 1e-12
    gap = max(abs(low - engine["ci_low"][0]), abs(high - engine["ci_high"][0]))
    assert gap <= 0.01  # the linearized target (the interval's SE may be Bonett-Wright's, then they agree)
