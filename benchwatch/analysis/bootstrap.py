"""Bootstrap distributions of Spearman's rho without materializing resamples.

A bootstrap resample of n models is fully described by its counts w: how
often each model was drawn (the counts sum to n). Two ways to get every
resample's rho from the counts:

Exact. Within a resample, a model's average rank is the weight of strictly
smaller values plus (weight of its tie group + 1) / 2, so one sort of the
values and a cumulative sum of the counts in sorted order give every
resample's ranks: exactly what materializing the resample and calling
``scipy.stats.spearmanr`` gives (tests check 1e-12). Arrays are laid out
resamples x columns x models, so the cumulative sum runs along the
contiguous last axis. Per cell a column costs two gathers (the counts and
count x axis rank in its order), one cumulative sum and one product
(``_column_comoments``): the sum of its squared ranks is a constant of the
resample where it has no ties, and only tied positions are gathered to
correct both sums. The axis may be fixed (sorted once) or given per resample
(a re-fitted PC1, ``analysis.refit``: sorted per resample). O(B n) per column.

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

    @functools.cached_property
    def tie_groups(self) -> TieGroups:
        """The tied positions, for the exact resample ranks (``TieGroups``)."""
        return TieGroups.of(self)


def tie_bounds(ordered: np.ndarray) -> tuple[np.ndarray, np.ndarray, bool]:
    """For values sorted along the last axis: each position's first and last tied position, and any ties."""
    n = ordered.shape[-1]
    position = np.broadcast_to(np.arange(n), ordered.shape)
    starts = np.ones(ordered.shape, dtype=bool)
    starts[..., 1:] = ordered[..., 1:] != ordered[..., :-1]
    if starts.all():
        return position, position, False
    first = np.maximum.accumulate(np.where(starts, position, 0), axis=-1)
    ends = np.ones(ordered.shape, dtype=bool)
    ends[..., :-1] = starts[..., 1:]
    last = np.flip(np.minimum.accumulate(np.flip(np.where(ends, position, n - 1), -1), axis=-1), -1)
    return first, last, True


def sort_columns(values: np.ndarray) -> SortedColumns:
    """Sort each column of a finite (n, k) matrix once: order, tie groups, average ranks."""
    rows = np.ascontiguousarray(np.asarray(values, dtype=float).T)
    k, n = rows.shape
    order = np.argsort(rows, axis=1)
    flat = order + (np.arange(k) * n)[:, None]
    first, last, ties = tie_bounds(np.take(rows, flat))
    ranks = np.empty((k, n))
    ranks.ravel()[flat] = (first + last) / 2.0 + 1.0
    return SortedColumns(order, first, last, ranks, ties, flat)


def rank_correlation(x: SortedColumns, y: SortedColumns) -> np.ndarray:
    """Spearman rho of each y column with x: Pearson r of their centered average ranks."""
    centre = (x.ranks.shape[1] + 1) / 2.0
    rx, ry = x.ranks[0] - centre, y.ranks - centre
    with np.errstate(invalid="ignore", divide="ignore"):
        return (ry @ rx) / np.sqrt((rx @ rx) * np.einsum("kn,kn->k", ry, ry))


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


def block_size(cells_per_resample: int, resamples: int, cells: int = BLOCK_CELLS) -> int:
    return int(min(resamples, max(1, cells // max(1, cells_per_resample))))


def sorted_ranks(weights: np.ndarray, first: np.ndarray | None, last: np.ndarray | None) -> np.ndarray:
    """Average ranks within each resample, for weights in sorted order along the last axis.

    The copies of a tie group occupy the ranks after the weight of everything
    smaller, so their average is ``(weight before the group + weight through
    the group + 1) / 2``; without ties (``first`` None) that is
    ``through - (w - 1) / 2`` and no gather is needed. The cumulative sum runs
    along the last (contiguous) axis.
    """
    through = np.cumsum(weights, axis=-1)
    if first is None:
        through -= weights
        through += (weights + 1.0) / 2.0
        return through
    before = through - weights
    if weights.ndim == 3:  # (b, k, m) with one (k, m) tie map: one flat gather per resample row
        k, m = first.shape[-2:]
        offset = (np.arange(k) * m)[:, None]
        flat_before, flat_through = before.reshape(len(before), -1), through.reshape(len(through), -1)
        ranks = flat_before[:, (first.reshape(k, m) + offset).ravel()]
        ranks += flat_through[:, (last.reshape(k, m) + offset).ravel()]
        ranks = ranks.reshape(weights.shape)
    else:
        ranks = np.take_along_axis(before, np.broadcast_to(first, before.shape), -1)
        ranks += np.take_along_axis(through, np.broadcast_to(last, through.shape), -1)
    ranks += 1.0
    ranks /= 2.0
    return ranks


@dataclass(frozen=True)
class TieGroups:
    """Where the tie groups of sorted columns sit, flattened over their (k, m) positions.

    Only positions in a group of two or more are listed (``index``, row-major, so a group's
    positions and a column's groups are contiguous): a resample's exact ranks are the tie-free
    formula everywhere else, so only these positions are gathered.
    """

    index: np.ndarray  # (p,) flat (column, sorted position) of every tied position
    model: np.ndarray  # (p,) the row (model) at that position
    group_start: np.ndarray  # (g,) where each group starts in ``index``
    column_start: np.ndarray  # (c,) where each tied column's first group is in ``group_start``
    columns: np.ndarray  # (c,) the tied columns

    @classmethod
    def of(cls, y: SortedColumns) -> TieGroups:
        m = y.order.shape[1]
        index = np.flatnonzero((y.first != y.last).ravel()) if y.ties else np.empty(0, dtype=np.intp)
        starts = np.flatnonzero(y.first.ravel()[index] == index % m)
        column = index[starts] // m
        column_start = np.flatnonzero(np.r_[True, column[1:] != column[:-1]]) if len(starts) else starts
        return cls(index, y.order.ravel()[index], starts, column_start, column[column_start])


def _segment_sums(values: np.ndarray, starts: np.ndarray) -> np.ndarray:
    """Sums of the row segments of ``values`` that begin at ``starts`` (each to the next start), as
    differences of one cumulative sum: ``np.add.reduceat`` pays a call per segment. Exact here, the
    values being integers or half-integers far below 2^53."""
    through = np.cumsum(values, axis=0)
    ends = np.r_[starts[1:], len(values)] - 1
    sums = through[ends]
    sums[1:] -= through[ends[:-1]]
    return sums


def _column_comoments(
    w: np.ndarray, v: np.ndarray, y: SortedColumns, total: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """(b, k) co-moments S_xy = sum_i w_i rx_i ry_i and S_yy = sum_i w_i ry_i^2 of every y column,
    from the counts ``w`` (b, m), ``v = w * rx`` (b, m) and each resample's total weight N.

    Without ties a copy's centered rank is ``T - (w - 1) / 2 - (N + 1) / 2`` (T: the cumulative
    weight in the column's order), so S_xy costs one cumulative sum and one product per cell
    (``sum v T``; its other terms do not depend on the column) and S_yy is a constant of the
    resample: ``(N^3 - N) / 12`` less ``(w^3 - w) / 12`` per model, the copies of one model
    being tied. A tie group of total weight W shares one rank: only its positions are gathered,
    to correct both sums. Every term is an integer or a half-integer, so the sums are exact.
    """
    wide = np.float64
    b, (k, m) = len(w), y.order.shape
    through = np.take(w, y.order, axis=1)  # (b, k, m)
    np.cumsum(through, axis=-1, out=through)
    sxy = np.einsum("bkm,bkm->bk", np.take(v, y.order, axis=1), through, dtype=wide)
    centre = (total + 1.0) / 2.0
    sxy += ((0.5 - centre) * v.sum(axis=1, dtype=wide) - 0.5 * np.einsum("bm,bm->b", w, v, dtype=wide))[:, None]
    weights = w.astype(wide)
    cubes = (weights * weights * weights - weights).sum(axis=1)
    syy = np.repeat((((total**3 - total) - cubes) / 12.0)[:, None], k, axis=1)
    ties = y.tie_groups
    if len(ties.index):
        # Laid out (positions, resamples), so every sum over a group or a column is over whole rows.
        weight, value = weights.T[ties.model], v.T[ties.model].astype(wide)
        flat = through.reshape(b, k * m)
        rank = flat[:, ties.index].T - (weight - 1.0) / 2.0  # each copy's tie-free rank, uncentered
        group = _segment_sums(weight, ties.group_start)
        shared = flat[:, ties.index[ties.group_start]].T - weight[ties.group_start] + (group + 1.0) / 2.0
        sizes = np.diff(np.r_[ties.group_start, len(ties.index)])
        moved = _segment_sums(value * (np.repeat(shared, sizes, axis=0) - rank), ties.group_start)
        cubes = _segment_sums(weight * weight * weight - weight, ties.group_start)
        merged = cubes - (group * group * group - group)
        sxy[:, ties.columns] += _segment_sums(moved, ties.column_start).T
        syy[:, ties.columns] += _segment_sums(merged, ties.column_start).T / 12.0
    return sxy, syy


def rho_in_resamples(x: SortedColumns | np.ndarray, y: SortedColumns, counts: np.ndarray) -> np.ndarray:
    """(b, k) Spearman rho of each y column with x in each resample, exactly, from the (b, m) counts.

    ``x`` is fixed (``SortedColumns`` of one column) or (b, m): its values in each
    resample (an axis re-fitted per resample), then sorted per resample. A model
    with count 0 is absent from that resample; the centre of the ranks is
    (total weight + 1) / 2, so groups of rows with any count work.
    """
    # Below 4,096 models counts, their cumulative sums and the centered half-integer ranks are
    # exact in float32 (half the memory traffic); the sums of products are taken in float64.
    w = counts.astype(np.float32 if counts.shape[1] < 4096 else np.float64)
    total = w.sum(axis=1, dtype=np.float64)
    centre = ((total + 1.0) / 2.0).astype(w.dtype)
    if isinstance(x, SortedColumns):
        order = np.broadcast_to(x.order[0], w.shape)
        first, last, ties = x.first[:1], x.last[:1], x.ties
    else:
        order = np.argsort(x, axis=1)
        first, last, ties = tie_bounds(np.take_along_axis(x, order, 1))
    wx = np.take_along_axis(w, order, 1)
    rx_sorted = sorted_ranks(wx, first, last) if ties else sorted_ranks(wx, None, None)
    rx_sorted -= centre[:, None]
    sxx = np.einsum("bm,bm->b", wx * rx_sorted, rx_sorted, dtype=np.float64)
    v = np.empty_like(rx_sorted)
    np.put_along_axis(v, order, wx * rx_sorted, 1)  # w_i rx_i in the models' order
    sxy, syy = _column_comoments(w, v, y, total)
    with np.errstate(invalid="ignore", divide="ignore"):
        return sxy / np.sqrt(sxx[:, None] * syy)


def exact_rho(x: SortedColumns, y: SortedColumns, resamples: int, seed: int) -> np.ndarray:
    """(resamples, k) Spearman rho of each y column with the fixed x in each resample, exactly."""
    k, n = y.order.shape
    blocks = count_blocks(n, resamples, seed, block_size(n * (k + 2), resamples))
    return np.concatenate([rho_in_resamples(x, y, counts) for counts in blocks])


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


@dataclass(frozen=True)
class LinearMoments:
    """First-order expansion of a resample's rank co-moments in its counts w about w = 1.

    ``moments(w) ~= base + (w - 1) @ g.T``, the moments ordered S_xx, S_xy (k), S_yy (k).
    """

    g: np.ndarray  # (1 + 2k, n) float32
    base: np.ndarray  # (1 + 2k,)

    def rho(self, shifted: np.ndarray) -> np.ndarray:
        """(b, k) rho from the (b, n) float32 counts minus one."""
        k = (len(self.base) - 1) // 2
        moments = self.base + shifted @ self.g.T
        with np.errstate(invalid="ignore", divide="ignore"):
            return moments[:, 1:1 + k] / np.sqrt(moments[:, :1] * moments[:, 1 + k:])


def linear_moments(x: SortedColumns, y: SortedColumns) -> LinearMoments:
    """The co-moment coefficients of each y column with x (see the module docstring).

    The product with them runs in float32 (counts - 1 are small integers,
    exact in float32; g's entries are at most ~n^2/4): its rounding moves a
    resample's rho by about 1e-7 (measured up to 20,000 models), far below
    the bootstrap's own Monte Carlo noise, and the full-sample sums
    (``base``) stay float64.
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
    return LinearMoments(g, base)


def rank_comoment_coefficients(sort: SortedColumns) -> np.ndarray:
    """(k, k, n) first-order coefficients of the rank co-moments S_cd of every pair of columns."""
    k, n = sort.order.shape
    centred = sort.ranks - (n + 1) / 2.0
    above = np.stack([_above_sums(sort, centred[d:d + 1]) for d in range(k)], axis=1)  # (c, d, n)
    return centred[:, None, :] * centred[None, :, :] + above + above.transpose(1, 0, 2)


def linearized_rho(x: SortedColumns, y: SortedColumns, resamples: int, seed: int) -> np.ndarray:
    """(resamples, k) first-order rho of each y column with x in each resample.

    One matrix product per block of resamples: ``(W - 1) @ G`` with G's
    rows the first-order coefficients of S_xx, S_xy (k) and S_yy (k).
    """
    k, n = y.order.shape
    linear = linear_moments(x, y)
    out = np.empty((resamples, k))
    start = 0
    for counts in count_blocks(n, resamples, seed, block_size(n, resamples, LINEAR_BLOCK_CELLS)):
        shifted = counts.astype(np.float32)
        shifted -= 1.0
        out[start:start + len(counts)] = linear.rho(shifted)
        start += len(counts)
    return out
