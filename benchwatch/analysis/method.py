"""The Safetywashing method (Ren et al., arXiv 2407.21792), as pure array code.

Steps, as DESIGN.md states them: orient every column so higher is safer;
z-score each column with the population std; PC1 of the Spearman matrix of
the capability columns (``eigh``, sign so the largest loading is positive);
a model's capabilities score is its capability z-scores dotted with PC1; a
benchmark's capabilities correlation is Spearman's rho with that score over
the models that have both (pairwise deletion).

No I/O here: arrays and frames in, frames out, so every number can be tested
against an independent computation.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

from benchwatch.analysis.bootstrap import (
    average_ranks,
    count_blocks,
    exact_rho,
    linearized_rho,
    rank_correlation,
    sort_columns,
    sorted_ranks,
)
from benchwatch.analysis.intervals import FISHER, Thresholds, fisher_interval, p_values
from benchwatch.analysis.refit import linearized_refit_rho, refit_rho

MissingPolicy = Literal["drop", "knn", "iterative"]
Bootstrap = Literal["auto", "exact", "linearized"]
MIN_PAIRS = 3
# Above this many models a group's bootstrap uses the linearized formulation
# (analysis/bootstrap.py): there the exact one costs most and the two agree
# to well under 0.01 (benchmarks/bootstrap_agreement.py).
EXACT_MAX_MODELS = 500
DEFAULT_THRESHOLDS = Thresholds()


def zscore(values: np.ndarray) -> np.ndarray:
    """Column z-scores with the population std (ddof=0), NaN-aware."""
    with np.errstate(invalid="ignore", divide="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN columns stay NaN
        mean = np.nanmean(values, axis=0)
        std = np.nanstd(values, axis=0)
        return (values - mean) / std


def informative_columns(values: np.ndarray) -> np.ndarray:
    """Mask of columns that are neither all-NaN nor constant (step 4 drops the rest)."""
    counts = np.isfinite(values).sum(axis=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        spread = np.nanmax(values, axis=0) - np.nanmin(values, axis=0)
    return (counts > 1) & (spread > 0)


def spearman_matrix(values: np.ndarray) -> np.ndarray:
    """Spearman correlation matrix of complete columns (average ranks for ties)."""
    ranks = average_ranks(values)
    return np.corrcoef(ranks, rowvar=False)


def first_component(corr: np.ndarray) -> tuple[np.ndarray, float]:
    """PC1 loadings (largest-magnitude loading positive) and its explained variance."""
    eigenvalues, eigenvectors = np.linalg.eigh(corr)
    pc1 = eigenvectors[:, -1]
    if pc1[np.argmax(np.abs(pc1))] < 0:
        pc1 = -pc1
    return pc1, float(eigenvalues[-1] / eigenvalues.sum())


@dataclass(frozen=True)
class CapabilityAxis:
    """A PC1 capabilities axis: per-model scores and how they were made."""

    scores: pd.Series
    loadings: pd.Series
    explained_variance: float
    n_dropped: int
    policy: str
    # The matrix PC1 was fitted on (models x capability columns, z-scored, imputed where the
    # policy imputes): what a bootstrap resample re-fits the axis from (``analysis.refit``).
    filled: pd.DataFrame


def impute(z: np.ndarray, policy: MissingPolicy, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Fill or drop missing capability z-scores; returns (matrix, kept-row mask).

    "drop" is the paper's rule (complete rows only). The imputers keep every
    model with at least one capability value.
    """
    complete = np.isfinite(z).all(axis=1)
    if policy == "drop" or complete.all():
        return z[complete], complete
    keep = np.isfinite(z).any(axis=1)
    if policy == "knn":
        from sklearn.impute import KNNImputer

        filled = KNNImputer(n_neighbors=5).fit_transform(z[keep])
    else:
        from sklearn.experimental import enable_iterative_imputer  # noqa: F401
        from sklearn.impute import IterativeImputer

        filled = IterativeImputer(random_state=seed, max_iter=20).fit_transform(z[keep])
    return filled, keep


def capability_axis(
    capabilities: pd.DataFrame, policy: MissingPolicy = "drop", seed: int = 0
) -> CapabilityAxis | None:
    """PC1 capabilities score of each model from its (oriented) capability columns.

    Columns are z-scored over every model of the set that has the value, then
    the missing-value policy applies (the paper's "drop" keeps complete rows).
    Returns None when there are too few informative columns or models for a
    principal component to mean anything.
    """
    values = capabilities.to_numpy(dtype=float)
    z = zscore(values)
    columns = informative_columns(values)
    z = z[:, columns]
    names = capabilities.columns[columns]
    if z.shape[1] < 2:
        return None
    filled, kept = impute(z, policy, seed)
    if filled.shape[0] < MIN_PAIRS:
        return None
    pc1, explained = first_component(spearman_matrix(filled))
    scores = pd.Series(filled @ pc1, index=capabilities.index[kept], name="score")
    return CapabilityAxis(
        scores=scores,
        loadings=pd.Series(pc1, index=names, name="loading"),
        explained_variance=explained,
        n_dropped=int((~kept).sum()),
        policy=policy,
        filled=pd.DataFrame(filled, index=scores.index, columns=names),
    )


def _group_columns_by_mask(mask: np.ndarray) -> dict[bytes, list[int]]:
    """Columns that share the same set of usable rows share their rank work."""
    groups: dict[bytes, list[int]] = {}
    packed = np.packbits(mask, axis=0)
    for j in range(mask.shape[1]):
        groups.setdefault(packed[:, j].tobytes(), []).append(j)
    return groups


def weighted_ranks(values: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Average ranks of ``values`` within each bootstrap resample, from its counts.

    A resample that draws item i w_i times ranks all its copies together, so
    each copy's average rank is (weight of strictly smaller items) +
    (w_i + 1) / 2, with tied values pooled into one group. This gives exactly
    the ranks of the materialized resample, from one sort, in O(B n).
    """
    sort = sort_columns(np.asarray(values, dtype=float)[:, None])
    order = sort.order[0]
    ordered = np.asarray(weights, dtype=float)[:, order]
    ranks = np.empty_like(ordered)
    ranks[:, order] = sorted_ranks(ordered, sort.first[:1], sort.last[:1]) if sort.ties else sorted_ranks(
        ordered, None, None)
    return ranks


def resample_counts(n: int, resamples: int, seed: int) -> np.ndarray:
    """(resamples, n) counts of each model in each bootstrap resample.

    The draws are ``default_rng(seed).integers(0, n, (resamples, n))``, the
    same index draws a straightforward loop would materialize.
    """
    return np.concatenate(count_blocks(n, resamples, seed, max(1, resamples)), dtype=np.int64)


def spearman_with_ci(
    benchmarks: np.ndarray,
    axis: np.ndarray,
    resamples: int,
    seed: int,
    level: float = 0.95,
    *,
    bootstrap: Bootstrap = "auto",
    thresholds: Thresholds = DEFAULT_THRESHOLDS,
    refit: np.ndarray | None = None,
) -> pd.DataFrame:
    """Spearman rho of each benchmark column with ``axis``, pairwise deletion, with a
    bootstrap interval over models, the pair count n and the one-sided p-values.

    A fixed axis (``refit`` None: ECI, Arena, compute, accuracy, taken as
    published): columns with the same usable models are ranked and resampled
    together; each such group resamples its n models with
    ``default_rng(seed).integers(0, n, (resamples, n))``. ``bootstrap="auto"``
    computes the resamples' rho exactly up to ``EXACT_MAX_MODELS`` models and
    by the linearized formulation above (see ``analysis/bootstrap.py``);
    ``"exact"`` and ``"linearized"`` force one.

    A fitted axis (``refit``: the matrix it was fitted on, one row per row of
    ``benchmarks``, NaN where the axis is): every resample draws from the
    axis's models, re-fits the axis on them (``analysis.refit``) and
    correlates every column over the drawn models that have it: exactly up
    to ``EXACT_MAX_MODELS`` axis models, to first order in the counts above
    (``refit.linearized_refit_rho``; ``bootstrap`` forces either).

    The point estimate is always exact. The interval and the p-values are
    ``analysis.intervals``'s (one method, the p-values invert it); both are
    NaN where there is no resample.
    """
    n_cols = benchmarks.shape[1]
    usable = np.isfinite(benchmarks) & np.isfinite(axis)[:, None]
    rho = np.full(n_cols, np.nan)
    counts = usable.sum(axis=0)
    groups = []
    for columns in _group_columns_by_mask(usable).values():
        rows = np.flatnonzero(usable[:, columns[0]])
        if len(rows) < MIN_PAIRS:
            continue
        x = sort_columns(axis[rows][:, None])
        y = sort_columns(benchmarks[np.ix_(rows, columns)])
        rho[columns] = rank_correlation(x, y)
        groups.append((columns, rows, x, y))
    boots = _bootstrap(groups, axis, refit, resamples, seed, bootstrap) if resamples > 0 and groups else []
    low, high, se = np.full(n_cols, np.nan), np.full(n_cols, np.nan), np.full(n_cols, np.nan)
    for (columns, rows, _, _), boot in zip(groups if boots else [], boots, strict=True):
        interval = fisher_interval(rho[columns], np.full(len(columns), len(rows)), boot, level)
        low[columns], high[columns], se[columns] = interval.low, interval.high, interval.se
    method = np.where(np.isfinite(se), FISHER, None)
    return pd.DataFrame({"rho": rho, "ci_low": low, "ci_high": high, "n": counts, "interval": method,
                         "axis_refit": refit is not None, **p_values(rho, se, thresholds)})


def _bootstrap(
    groups: list, axis: np.ndarray, refit: np.ndarray | None, resamples: int, seed: int, bootstrap: Bootstrap,
) -> list[np.ndarray]:
    """Each group's (resamples, k) bootstrap rho: the axis re-fitted per resample, or held fixed."""
    def exact(n: int) -> bool:
        return bootstrap == "exact" or (bootstrap == "auto" and n <= EXACT_MAX_MODELS)

    if refit is not None:
        population = np.flatnonzero(np.isfinite(axis))
        position = np.full(len(axis), -1)
        position[population] = np.arange(len(population))
        filled = np.asarray(refit, dtype=float)[population]
        if exact(len(population)):
            return refit_rho(filled, [(position[rows], y) for _, rows, _, y in groups], resamples, seed)
        return linearized_refit_rho(filled, [(position[rows], x, y) for _, rows, x, y in groups], resamples, seed)
    return [(exact_rho if exact(len(rows)) else linearized_rho)(x, y, resamples, seed) for _, rows, x, y in groups]
