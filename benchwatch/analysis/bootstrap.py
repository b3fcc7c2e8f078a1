"""Bootstrap distributions of Spearman's rho without materializing resamples.

A bootstrap resample of n models is fully described by its counts w: how
often each model was drawn (the counts sum to n). Two ways to get every
resample's rho from the counts:

Exact. Within a resample, a model's average rank is the weight of strictly
smaller values plus (weight of its tie group + 1) / 2, so one sort of the
values and a cumulative sum of the counts in sorted order give every
resample's ranks: exactly what materializing the resample and calling
``scipy.stats.spearmanr`` gives (tests check 1e-12). Vectorized over
resamples and columns, O(B n) per column, bound by memory bandwidth.

Linearized. A resample's rank of model i is *linear* in the counts:
``r_i(w) = sum_j w_j a_ij + 1/2`` with ``a_ij = [x_j < x_i] + [x_j = x_i]/2``.
So with centered ranks the resample's co-moment ``S_xy(w) = sum_i w_i rx_i ry_i``
is a cubic polynomial of w, and its first-order (delta-method) expansion about
w = 1 is linear in w::

    S_xy(w) ~= S_xy(1) + (w - 1) . (Rx Ry + A_x' Ry + A_y' Rx)

where R are the full-sample centered ranks and ``A_x' Ry`` is computed once
with a sort and suffix sums. Every resample of every column then costs one
matrix product ``(W - 1) @ G`` (BLAS). It gives rho exactly at w = 1 and has
Spearman's influence function, so its bootstrap distribution matches the
exact one up to O(1/n) terms. (A weighted Pearson correlation of fixed
full-sample ranks, the obvious matrix-product shortcut, ignores that ranks
move with the resample; above 500 models its bounds are about twice as far
from the exact ones on the recorded data.) ``spearman_with_ci`` uses the
linearized path only above ``EXACT_MAX_MODELS`` models: below, its O(1/n)
error is not small enough (0.01 to 0.02 around 100 models), and there the
exact path is cheap per column. Above, the bounds agree with the exact
ones to within 0.0025 on the recorded data (tests and
``benchmarks/bootstrap_agreement.py``).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np

# Resampled cells (resamples x models x columns) held at once, to bound memory.
BLOCK_CELLS = 4_000_000
# The linearized path holds only resamples x models counts at once.
LINEAR_BLOCK_CELLS = 8_000_000


@dataclass(frozen=True)
class SortedColumns:
    """One sort of each column, reused for ranks, resample ranks and suffix sums.

    Arrays are (k, n): one row per column, so that every per-column step
    reads contiguous memory. ``first``/``last`` give, for each sorted
    position, the sorted positions of the first and last member of its tie
    group (the position itself when the column has no ties).
    """

    order: np.ndarray  # (k, n) argsort of each column
    first: np.ndarray  # (k, n)
    last: np.ndarray  # (k, n)
    ranks: np.ndarray  # (k, n) average ranks 1..n in the original row order
    ties: bool
    # ``order`` as indices into the flattened (k, n) matrix (faster than *_along_axis)
    flat: np.ndarray


def sort_columns(values: np.ndarray) -> SortedColumns:
    """Sort each column of a finite (n, k) matrix once: order, tie groups, average ranks."""
    rows = np.ascontiguousarray(np.asarray(values, dtype=float).T)
    k, n = rows.shape
    order = np.argsort(rows, axis=1)
    flat = order + (np.arange(k) * n)[:, None]
    ordered = np.take(rows, flat)
    position = np.broadcast_to(np.arange(n), (k, n))
    starts = np.ones((k, n), dtype=bool)
    starts[:, 1:] = ordered[:, 1:] != ordered[:, :-1]
    ties = not bool(starts.all())
    if ties:
        first = np.maximum.accumulate(np.where(starts, position, 0), axis=1)
        ends = np.ones((k, n), dtype=bool)
        ends[:, :-1] = starts[:, 1:]
        last = np.minimum.accumulate(np.where(ends, position, n - 1)[:, ::-1], axis=1)[:, ::-1]
    else:
        first = last = position
    ranks = np.empty((k, n))
    ranks.ravel()[flat] = (first + last) / 2.0 + 1.0
    return SortedColumns(order, first, last, ranks, ties, flat)


def count_blocks(n: int, resamples: int, seed: int, block: int) -> tuple[np.ndarray, ...]:
    """Counts of each model in each resample, ``block`` resamples at a time.

    The draws are ``default_rng(seed).integers(0, n, (resamples, n))`` read
    row block by row block: the generator's stream does not depend on how
    the rows are split, so every block size gives the same resamples. The
    last two results are kept (read-only): the engine asks for the same
    resamples once per axis of a model set.
    """
    return _count_blocks(int(n), int(resamples), int(seed), int(block))


@functools.lru_cache(maxsize=2)
def _count_blocks(n: int, resamples: int, seed: int, block: int) -> tuple[np.ndarray, ...]:
    rng = np.random.default_rng(seed)
    blocks = []
    for start in range(0, resamples, block):
        rows = min(block, resamples - start)
        draws = rng.integers(0, n, size=(rows, n))
        counts = np.empty((rows, n), dtype=np.int32)  # at most n: half the memory of int64
        for row, drawn in enumerate(draws):  # row by row: the bins stay in cache
            counts[row] = np.bincount(drawn, minlength=n)
        counts.flags.writeable = False
        blocks.append(counts)
    return tuple(blocks)


def resample_ranks(weights: np.ndarray, first: np.ndarray, last: np.ndarray, ties: bool) -> np.ndarray:
    """Average ranks within each resample, for weights already in sorted order.

    ``weights`` is (..., n, B): axis -2 runs over the sorted models, axis -1
    over resamples. The copies of a tie group occupy the ranks after the
    weight of everything smaller, so their average is
    ``(weight before the group + weight through the group + 1) / 2``.
    """
    through = np.cumsum(weights, axis=-2)
    if not ties:
        return through - (weights - 1.0) / 2.0
    before = through - weights
    if weights.ndim == 2:
        ranks, upto = before[first], through[last]
    else:  # gather whole rows (one per resample block) per column
        columns = np.arange(len(weights))[:, None]
        ranks, upto = before[columns, first], through[columns, last]
    ranks += upto
    ranks += 1.0
    ranks /= 2.0
    return ranks


def _block_size(cells_per_resample: int, resamples: int, cells: int = BLOCK_CELLS) -> int:
    return int(min(resamples, max(1, cells // max(1, cells_per_resample))))


def exact_rho(x: SortedColumns, y: SortedColumns, resamples: int, seed: int) -> np.ndarray:
    """(resamples, k) Spearman rho of each y column with x in each resample, exactly.

    Works on transposed counts (models x resamples) so that reordering models
    moves contiguous rows, and on centered ranks (the resample mean rank is
    always (n + 1) / 2) so the sums need no mean correction. Below 4,096
    models, counts, their cumulative sums, the centered half-integer ranks
    and ``w * rx`` (a multiple of 1/2 below n^2/2) are all exact in float32,
    which halves the memory traffic; products and sums are taken in float64,
    so the result is the same to the last bit.
    """
    k, n = y.order.shape
    dtype = np.float32 if n < 4096 else np.float64
    centre = dtype((n + 1) / 2.0)
    ox = x.order[0]
    out = np.empty((resamples, k))
    block = _block_size(n * (k + 2), resamples)
    start = 0
    for counts in count_blocks(n, resamples, seed, block):
        w = np.ascontiguousarray(counts.T, dtype=dtype)  # (n, b)
        wx = w[ox]
        rx_sorted = resample_ranks(wx, x.first[0], x.last[0], x.ties)
        rx_sorted -= centre
        sxx = np.einsum("nb,nb,nb->b", wx, rx_sorted, rx_sorted, dtype=np.float64)
        rx = np.empty_like(rx_sorted)
        rx[ox] = rx_sorted
        wrx = w * rx
        wy = w[y.order]  # (k, n, b)
        ry = resample_ranks(wy, y.first, y.last, y.ties)
        ry -= centre
        syy = np.einsum("knb,knb,knb->kb", wy, ry, ry, dtype=np.float64)
        sxy = np.einsum("knb,knb->kb", wrx[y.order], ry, dtype=np.float64)
        with np.errstate(invalid="ignore", divide="ignore"):
            out[start:start + len(counts)] = (sxy / np.sqrt(sxx * syy)).T
        start += len(counts)
    return out


def _above_sums(sort: SortedColumns, weights: np.ndarray) -> np.ndarray:
    """``h_j = sum_i a_ij weights_i``: weight of the rows ranked above j, plus half its tie group.

    ``a_ij = [v_j < v_i] + [v_j = v_i]/2`` for the sorted column v, so in
    sorted order ``h = (S[first] + S[last + 1]) / 2`` with S the suffix sums.
    ``weights`` is (k, n), or (1, n) shared by the k sorted columns; ``sort``
    has k rows, or one row shared by the k weight rows.
    """
    k = max(len(sort.order), len(weights))
    n = weights.shape[1]
    shared_sort = len(sort.order) == 1
    if shared_sort:
        ordered = weights[:, sort.order[0]]
    elif len(weights) == 1:
        ordered = weights[0][sort.order]
    else:
        ordered = np.take(weights, sort.flat)
    suffix = np.zeros((k, n + 1))
    suffix[:, :n] = np.cumsum(ordered[:, ::-1], axis=1)[:, ::-1]
    if not sort.ties:
        h_sorted = suffix[:, :n] + suffix[:, 1:]
    elif shared_sort:
        h_sorted = suffix[:, sort.first[0]] + suffix[:, sort.last[0] + 1]
    else:
        rows = (np.arange(k) * (n + 1))[:, None]
        h_sorted = np.take(suffix, sort.first + rows) + np.take(suffix, sort.last + 1 + rows)
    h_sorted /= 2.0
    h = np.empty((k, n))
    if shared_sort:
        h[:, sort.order[0]] = h_sorted
    else:
        h.ravel()[sort.flat] = h_sorted
    return h


def linearized_rho(x: SortedColumns, y: SortedColumns, resamples: int, seed: int) -> np.ndarray:
    """(resamples, k) first-order rho of each y column with x in each resample.

    One matrix product per block of resamples: ``(W - 1) @ G`` with G's
    rows the first-order coefficients of S_xx, S_xy (k) and S_yy (k). The
    product runs in float32 (counts - 1 are small integers, exact in float32;
    G's entries are at most ~n^2/4): its rounding moves a resample's rho by
    about 1e-7 (measured up to 20,000 models), far below the bootstrap's own
    Monte Carlo noise, and the full-sample sums (``base``) stay float64.
    """
    k, n = y.order.shape
    centre = (n + 1) / 2.0
    rx = x.ranks - centre  # (1, n)
    ry = y.ranks - centre  # (k, n)
    by_x = _above_sums(x, np.vstack([rx, ry]))  # x's order, weights rx and each ry
    y_rx = _above_sums(y, rx)
    y_ry = _above_sums(y, ry)
    g = np.empty((1 + 2 * k, n), dtype=np.float32)
    g[0] = rx[0] * rx[0] + 2.0 * by_x[0]
    g[1:1 + k] = rx * ry + by_x[1:] + y_rx
    g[1 + k:] = ry * ry + 2.0 * y_ry
    base = np.concatenate([[rx[0] @ rx[0]], ry @ rx[0], np.einsum("kn,kn->k", ry, ry)])
    out = np.empty((resamples, k))
    start = 0
    for counts in count_blocks(n, resamples, seed, _block_size(n, resamples, LINEAR_BLOCK_CELLS)):
        shifted = counts.astype(np.float32)
        shifted -= 1.0
        moments = base + shifted @ g.T
        with np.errstate(invalid="ignore", divide="ignore"):
            out[start:start + len(counts)] = moments[:, 1:1 + k] / np.sqrt(
                moments[:, :1] * moments[:, 1 + k:])
        start += len(counts)
    return out
