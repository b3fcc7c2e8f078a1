"""PC1 capability scores re-fitted inside every bootstrap resample, batched over resamples.

A source's PC1 (and the joint PC1) is estimated from the same models its
correlations are computed over, so an interval that holds the axis fixed
leaves the axis's own error out. Here every resample (given by its counts w
over the axis's models) repeats the fit: the Spearman matrix of the capability
columns over the resample's models (weighted average ranks, as a materialized
resample would rank them), PC1 by ``numpy.linalg.eigh`` on the (b, k, k)
stack, the same sign rule, and the z-scores' scale re-estimated on the
resample. The score a resample gives model i is
``sum_c filled_ic * pc1*_c * sd_c / sd*_c``: with w = 1 it is the published
score exactly, and the per-column rescaling is what z-scoring the resample
again would change (a shift common to all models moves no rank, so the
resample's means are left out).

``filled`` is the matrix the axis was fitted on: the complete rows (policy
"drop", the paper's rule), or every kept row after imputation. The imputers
(knn, iterative) are fitted once on the full sample, not per resample:
refitting them a thousand times would cost more than the rest of the
analysis, and the resample still re-estimates the z-scores and PC1 on the
imputed values. Their intervals therefore leave out the imputation's error.

Pure, vectorized: no Python loop over models or resamples.
"""

from __future__ import annotations

import numpy as np

from benchwatch.analysis.bootstrap import (
    LINEAR_BLOCK_CELLS,
    SortedColumns,
    block_size,
    count_blocks,
    linear_moments,
    rank_comoment_coefficients,
    rank_correlation,
    rho_in_resamples,
    sort_columns,
    sorted_ranks,
)


def weighted_spearman(filled: np.ndarray, w: np.ndarray) -> np.ndarray:
    """(b, k, k) Spearman matrices of the k columns of ``filled`` (n, k) in each resample (b, n)."""
    sort = sort_columns(filled)
    centre = (w.sum(axis=1) + 1.0) / 2.0
    ordered = w[:, sort.order]  # (b, k, n), each column's weights in its own sorted order
    ranks_sorted = (sorted_ranks(ordered, sort.first[None], sort.last[None]) if sort.ties
                    else sorted_ranks(ordered, None, None))
    ranks_sorted -= centre[:, None, None]
    ranks = np.empty_like(ranks_sorted)
    ranks.reshape(len(w), -1)[:, sort.flat.ravel()] = ranks_sorted.reshape(len(w), -1)
    cov = np.einsum("bn,bcn,bdn->bcd", w, ranks, ranks, optimize=True)
    scale = np.sqrt(np.einsum("bcc->bc", cov))
    with np.errstate(invalid="ignore", divide="ignore"):
        return cov / (scale[:, :, None] * scale[:, None, :])


def leading_vectors(corr: np.ndarray) -> np.ndarray:
    """(b, k) PC1 of each matrix, largest-magnitude loading positive; NaN rows where a matrix is not finite."""
    finite = np.isfinite(corr).all(axis=(1, 2))
    safe = np.where(finite[:, None, None], corr, np.eye(corr.shape[1]))
    pc1 = np.linalg.eigh(safe)[1][:, :, -1]
    largest = np.take_along_axis(pc1, np.abs(pc1).argmax(axis=1)[:, None], 1)
    pc1 *= np.where(largest < 0, -1.0, 1.0)
    pc1[~finite] = np.nan
    return pc1


def resampled_scores(filled: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """(b, n) capabilities score of every model in each resample, PC1 re-fitted on the resample.

    A resample where a capability column is constant has no PC1: its scores are NaN.
    """
    w = np.asarray(counts, dtype=float)
    pc1 = leading_vectors(weighted_spearman(filled, w))
    total = w.sum(axis=1, keepdims=True)
    mean = (w @ filled) / total
    with np.errstate(invalid="ignore", divide="ignore"):
        sd = np.sqrt(np.maximum((w @ filled**2) / total - mean**2, 0.0))
        weights = pc1 * filled.std(axis=0) / sd
    weights[~np.isfinite(weights).all(axis=1)] = np.nan
    return weights @ filled.T


def refit_rho(
    filled: np.ndarray, groups: list[tuple[np.ndarray, SortedColumns]], resamples: int, seed: int
) -> list[np.ndarray]:
    """Per group, (resamples, k) rho of its columns with the axis re-fitted in each resample.

    Resamples draw from the axis's models (the rows of ``filled``) with
    ``default_rng(seed).integers(0, n, (resamples, n))``, so the resample that
    refits the axis is the one every column group is correlated in. Each group
    is (positions of its models among the rows of ``filled``, its sorted columns).
    """
    n = len(filled)
    out = [np.empty((resamples, y.order.shape[0])) for _, y in groups]
    start = 0
    # The re-fit holds (b, capability columns + 2, n) at once; the correlations only (b, n) and (b, k).
    for counts in count_blocks(n, resamples, seed, block_size(n * (filled.shape[1] + 2), resamples)):
        scores = resampled_scores(filled, counts)
        for (rows, y), boot in zip(groups, out, strict=True):
            boot[start:start + len(counts)] = rho_in_resamples(scores[:, rows], y, counts[:, rows])
        start += len(counts)
    return out


def axis_influence(filled: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The published score weights u = PC1 and their first-order change per unit of (w_i - 1), (n, k).

    A resample's weights ``u* = pc1* * sd / sd*`` (``resampled_scores``) to first
    order in the counts: the Spearman matrix's change from the rank co-moments'
    coefficients, PC1's from the eigenvector perturbation
    ``sum_j v_j v_j' dC v_1 / (lambda_1 - lambda_j)``, and the scale's from the
    variance's ``((f_i - mean)^2 - sd^2) / n``.
    """
    n = len(filled)
    sort = sort_columns(filled)
    d_comoment = rank_comoment_coefficients(sort)  # (k, k, n)
    centred = sort.ranks - (n + 1) / 2.0
    comoment = centred @ centred.T
    diagonal = np.diag(comoment)
    corr = comoment / np.sqrt(np.outer(diagonal, diagonal))
    d_diag = np.einsum("ccn->cn", d_comoment) / diagonal[:, None]  # relative change of each S_cc
    d_corr = d_comoment / np.sqrt(np.outer(diagonal, diagonal))[:, :, None]
    d_corr -= corr[:, :, None] * (d_diag[:, None, :] + d_diag[None, :, :]) / 2.0
    values, vectors = np.linalg.eigh(corr)
    pc1 = vectors[:, -1] * (1.0 if vectors[np.abs(vectors[:, -1]).argmax(), -1] > 0 else -1.0)
    others = vectors[:, :-1]
    resolvent = (others / (values[-1] - values[:-1])) @ others.T
    d_pc1 = np.einsum("ab,bcn,c->na", resolvent, d_corr, pc1)
    sd = filled.std(axis=0)
    d_sd = ((filled - filled.mean(axis=0)) ** 2 - sd**2) / (2.0 * n * sd)
    return pc1, d_pc1 - pc1 * d_sd / sd


def score_gradient(filled: np.ndarray, u: np.ndarray, step: np.ndarray, y: SortedColumns) -> np.ndarray:
    """(k_y, k) change of each column's rho per unit change of each score weight, by central differences.

    ``filled`` holds the group's rows. The step of weight c is its bootstrap
    SD: rho moves in rank swaps, so the secant over the resamples' own range of
    u is the slope the resamples see.
    """
    k = len(u)
    shifts = np.concatenate([np.eye(k) * step, -np.eye(k) * step]) + u  # (2k, k)
    rho = np.stack([rank_correlation(sort_columns((filled @ weights)[:, None], keep=False), y)
                    for weights in shifts])  # (2k, k_y)
    return ((rho[:k] - rho[k:]) / (2.0 * step[:, None])).T


def linearized_refit_rho(
    filled: np.ndarray, groups: list[tuple[np.ndarray, SortedColumns, SortedColumns]], resamples: int, seed: int,
) -> list[np.ndarray]:
    """``refit_rho`` to first order in the counts, for large model sets.

    Each resample's rho is the fixed-axis linearized rho (``bootstrap.linear_moments``)
    plus the axis's own first-order move: ``(w - 1) @ H @ grad``, H the score
    weights' influence (``axis_influence``) and grad each column's rho per unit
    of weight (``score_gradient``). Groups are (positions among the rows of
    ``filled``, the sorted published axis over them, the sorted columns).
    """
    n = len(filled)
    u, influence = axis_influence(filled)
    step = np.sqrt((influence**2).sum(axis=0))
    step = np.where(step > 0, step, 1e-3)
    linear = [linear_moments(x, y) for _, x, y in groups]
    moves = [(influence @ score_gradient(filled[rows], u, step, y).T).astype(np.float32) for rows, _, y in groups]
    out = [np.empty((resamples, y.order.shape[0])) for _, _, y in groups]
    for_block = sum(1 + 2 * y.order.shape[0] for _, _, y in groups)
    start = 0
    for counts in count_blocks(n, resamples, seed, block_size(n + for_block, resamples, LINEAR_BLOCK_CELLS)):
        shifted = counts.astype(np.float32)
        shifted -= 1.0
        for (rows, _, _), fixed, move, boot in zip(groups, linear, moves, out, strict=True):
            boot[start:start + len(counts)] = fixed.rho(shifted[:, rows]) + shifted @ move
        start += len(counts)
    return out
