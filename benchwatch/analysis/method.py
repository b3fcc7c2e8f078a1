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
from scipy.stats import rankdata

from benchwatch.analysis.bootstrap import (
    SortedColumns,
    count_blocks,
    exact_rho,
    linearized_rho,
    resample_ranks,
    sort_columns,
)

MissingPolicy = Literal["drop", "knn", "iterative"]
Bootstrap = Literal["auto", "exact", "linearized"]
MIN_PAIRS = 3
# Above this many models a group's bootstrap uses the linearized formulation
# (analysis/bootstrap.py): there the exact one costs most and the two agree
# to well under 0.01 (benchmarks/bootstrap_agreement.py).
EXACT_MAX_MODELS = 500


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
    ranks = rankdata(values, axis=0)
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
    ordered = np.ascontiguousarray(np.asarray(weights).T, dtype=float)[order]
    ranks = np.empty_like(ordered)
    ranks[order] = resample_ranks(ordered, sort.first[0], sort.last[0], sort.ties)
    return ranks.T


def resample_counts(n: int, resamples: int, seed: int) -> np.ndarray:
    """(resamples, n) counts of each model in each bootstrap resample.

    The draws are ``default_rng(seed).integers(0, n, (resamples, n))``, the
    same index draws a straightforward loop would materialize.
    """
    return np.concatenate(count_blocks(n, resamples, seed, max(1, resamples)), dtype=np.int64)


def _rank_correlation(x: SortedColumns, y: SortedColumns) -> np.ndarray:
    """Spearman rho of each y column with x: Pearson r of their centered average ranks."""
    centre = (x.ranks.shape[1] + 1) / 2.0
    rx, ry = x.ranks[0] - centre, y.ranks - centre
    with np.errstate(invalid="ignore", divide="ignore"):
        return (ry @ rx) / np.sqrt((rx @ rx) * np.einsum("kn,kn->k", ry, ry))


def spearman_with_ci(
    benchmarks: np.ndarray,
    axis: np.ndarray,
    resamples: int,
    seed: int,
    level: float = 0.95,
    *,
    bootstrap: Bootstrap = "auto",
) -> pd.DataFrame:
    """Spearman rho of each benchmark column with ``axis``, pairwise deletion,
    with a percentile bootstrap interval over models and the pair count n.

    Columns with the same usable models are ranked and resampled together;
    each such group resamples its n models with
    ``default_rng(seed).integers(0, n, (resamples, n))``. ``bootstrap="auto"``
    computes the resamples' rho exactly up to ``EXACT_MAX_MODELS`` models and
    by the linearized formulation above (see ``analysis/bootstrap.py``);
    ``"exact"`` and ``"linearized"`` force one. The point estimate is always exact.
    """
    n_cols = benchmarks.shape[1]
    usable = np.isfinite(benchmarks) & np.isfinite(axis)[:, None]
    rho = np.full(n_cols, np.nan)
    low = np.full(n_cols, np.nan)
    high = np.full(n_cols, np.nan)
    counts = usable.sum(axis=0)
    tail = (1.0 - level) / 2.0
    for columns in _group_columns_by_mask(usable).values():
        rows = np.flatnonzero(usable[:, columns[0]])
        n = len(rows)
        if n < MIN_PAIRS:
            continue
        x = sort_columns(axis[rows][:, None])
        y = sort_columns(benchmarks[np.ix_(rows, columns)])
        rho[columns] = _rank_correlation(x, y)
        if resamples <= 0:
            continue
        exact = bootstrap == "exact" or (bootstrap == "auto" and n <= EXACT_MAX_MODELS)
        boot = (exact_rho if exact else linearized_rho)(x, y, resamples, seed)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            low[columns], high[columns] = np.nanquantile(boot, [tail, 1.0 - tail], axis=0)
    return pd.DataFrame({"rho": rho, "ci_low": low, "ci_high": high, "n": counts})
