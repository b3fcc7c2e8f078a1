"""Bootstrap distributions of Spearman's rho without materializing resamples.

A bootstrap resample of n models is fully described by its counts w: how
often each model was drawn (the counts sum to n). Two ways to get every
resample's rho from the counts:

Exact. Within a resample, a model's average rank is the weight of strictly
smaller values plus (weight of its tie group + 1) / 2, so one sort of the
values and a cumulative sum of the counts in sorted order give every
resample's ranks: exactly what materializing the resample and calling
``scipy.stats.spearmanr`` gives (tests check 1e-12). The running sum is
taken walking the sorted positions once for all columns of a group, over
(columns x resamples) blocks that stay in cache (``_column_comoments``): per
cell a gather of the counts and of count x axis rank (whole rows: the
arrays are laid out models x resamples), one add and one product. The sum
of squared ranks is a constant of the resample where a column has no ties;
tie groups are summed as groups (sparse products over whole rows, in the
same blocks of resamples as the walk), to correct both sums. The
blocks of resamples are walked on every core (numpy releases the GIL).
The axis may be fixed (sorted once) or given per resample (a re-fitted
PC1, ``analysis.refit``: sorted per resample). O(B n) per column.

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
import hashlib
import os
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING, Generic, TypeVar

import numpy as np

if TYPE_CHECKING:
    from scipy import sparse

# Resampled cells (resamples x models x columns) held at once, to bound memory.
BLOCK_CELLS = 4_000_000
# Cells (columns x resamples) of one step of the exact path's walk along the sorted positions.
WALK_CELLS = 32_768
# The linearized path holds only resamples x models counts at once.
LINEAR_BLOCK_CELLS = 8_000_000
# Sorts and first-order coefficients kept for reuse (``_Memo``): one model set's columns are sorted
# for each axis and again by each axis's subset band (``analysis.signals``), the axis's matrix by
# the PC1 fit and by the re-fit: four sorts a date (the axis matrix, two axes, the columns), so the
# last two dates' are kept and no more (a sort of 20,000 x 500 holds about half a GiB).
MEMO_SORTS, MEMO_MOMENTS = 8, 4

Value = TypeVar("Value")


class _Memo(Generic[Value]):
    """A small least-recently-used store of pure results, safe to share between threads.

    The engine asks for the same sort of the same columns several times per model set and date
    (each axis, each axis's subset band); keyed by the values' digest, the second ask is free.
    """

    def __init__(self, size: int) -> None:
        self._items: OrderedDict[Hashable, Value] = OrderedDict()
        self._size = size
        self._lock = threading.Lock()

    def get(self, key: Hashable, compute: Callable[[], Value]) -> Value:
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                return self._items[key]
        value = compute()
        with self._lock:
            self._items[key] = value
            while len(self._items) > self._size:
                self._items.popitem(last=False)
        return value


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
    # A digest of the sorted values (``sort_columns``): equal keys, equal columns.
    key: Hashable = None

    @functools.cached_property
    def centred(self) -> np.ndarray:
        """(k, n) ranks less their mean (n + 1) / 2."""
        return self.ranks - (self.ranks.shape[1] + 1) / 2.0

    @functools.cached_property
    def squares(self) -> np.ndarray:
        """(k,) sum of squared centred ranks of each column."""
        return np.einsum("kn,kn->k", self.centred, self.centred)

    @functools.cached_property
    def order_by_position(self) -> np.ndarray:
        """(n, k) ``order`` transposed: the k columns' models at each sorted position."""
        return np.ascontiguousarray(self.order.T)

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


def sort_columns(values: np.ndarray, keep: bool = True) -> SortedColumns:
    """Sort each column of a finite (n, k) matrix once: order, tie groups, average ranks.

    With ``keep`` the result is kept (``MEMO_SORTS``, read-only arrays) under a digest of the
    values: the same columns asked for again (the next axis, the subset band) are not sorted
    again. A sort nobody asks for twice passes ``keep=False`` so as not to push those out.
    """
    rows = np.ascontiguousarray(np.asarray(values, dtype=float).T)
    if not keep:
        return _sort_rows(rows, None)
    key = (rows.shape, hashlib.blake2b(rows, digest_size=16).digest())
    return _SORTS.get(key, lambda: _sort_rows(rows, key))


def _sort_rows(rows: np.ndarray, key: Hashable) -> SortedColumns:
    k, n = rows.shape
    order = np.argsort(rows, axis=1)
    flat = order + (np.arange(k) * n)[:, None]
    first, last, ties = tie_bounds(np.take(rows, flat))
    ranks = np.empty((k, n))
    ranks.ravel()[flat] = (first + last) / 2.0 + 1.0
    for array in (order, first, last, ranks, flat):
        array.flags.writeable = False
    return SortedColumns(order, first, last, ranks, ties, flat, key)


_SORTS: _Memo[SortedColumns] = _Memo(MEMO_SORTS)


def average_ranks(values: np.ndarray) -> np.ndarray:
    """Average ranks (1..n, ties share their mean) of a vector, or of each column of a matrix;
    NaN for a column with a missing value. ``scipy.stats.rankdata``'s, without importing
    scipy.stats (seconds of every command's start)."""
    values = np.asarray(values, dtype=float)
    matrix = values.reshape(len(values), -1)
    finite = np.isfinite(matrix).all(axis=0)
    ranks = np.full(matrix.shape, np.nan)
    if finite.any():
        ranks[:, finite] = sort_columns(matrix[:, finite]).ranks.T
    return ranks.reshape(values.shape)


def rank_correlation(x: SortedColumns, y: SortedColumns) -> np.ndarray:
    """Spearman rho of each y column with x: Pearson r of their centered average ranks."""
    rx = x.centred[0]
    with np.errstate(invalid="ignore", divide="ignore"):
        return (y.centred @ rx) / np.sqrt((rx @ rx) * y.squares)


def count_blocks(n: int, resamples: int, seed: int, block: int) -> tuple[np.ndarray, ...]:
    """Counts of each model in each resample, ``block`` resamples at a time.

    The draws are ``default_rng(seed).integers(0, n, (resamples, n))`` read
    row block by row block: the generator's stream does not depend on how
    the rows are split, so every block size gives the same resamples. The
    blocks are read-only views of one (resamples, n) matrix, and the last two
    matrices are kept: the engine asks for the same resamples once per axis of
    a model set, whatever block size each path holds.
    """
    counts = _counts(int(n), int(resamples), int(seed))
    return tuple(counts[start:start + block] for start in range(0, resamples, max(1, int(block))))


@functools.lru_cache(maxsize=2)
def _counts(n: int, resamples: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    counts = np.empty((resamples, n), dtype=np.int32)  # at most n: half the memory of int64
    block = block_size(n, resamples)  # draws held at once
    for start in range(0, resamples, block):
        rows = min(block, resamples - start)
        draws = rng.integers(0, n, size=(rows, n))
        for row, drawn in enumerate(draws, start):  # row by row: the bins stay in cache
            counts[row] = np.bincount(drawn, minlength=n)
    counts.flags.writeable = False
    return counts


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
    """The tie groups (two or more equal values) of sorted columns, for the exact resample ranks.

    A resample's rank of every untied position is the tie-free formula; a group's copies share
    one rank, which depends on the group's total weight and the cumulative weight at its last
    position. So the walk along the sorted positions (``_column_comoments``) reads ``v`` through
    ``untied_order`` (a tied position reads a row of zeros) and records the cumulative weight at
    each group's end; ``group_models`` sums rows of (models, resamples) arrays into their groups,
    ``in_column`` groups into their columns and ``column_models`` models into their tied columns,
    each as one sparse product over whole rows.
    """

    untied_order: np.ndarray  # (m, k) ``order_by_position`` with every tied position set to m
    end_by_position: np.ndarray  # (g,) groups ordered by the sorted position of their last member
    end_start: np.ndarray  # (m + 1,) the groups ending at position i: end_by_position[end_start[i]:end_start[i+1]]
    group_column: np.ndarray  # (g,) each group's column
    columns: np.ndarray  # (c,) the columns with ties
    group_models: sparse.csr_matrix  # (g, m) 0/1: the models of each group
    in_column: sparse.csr_matrix  # (c, g) 0/1: the groups of each tied column
    column_models: sparse.csr_matrix  # (c, m) 0/1: the tied models of each tied column

    @classmethod
    def of(cls, y: SortedColumns) -> TieGroups:
        from scipy import sparse  # here: scipy's import is a second of every CLI command's start

        k, m = y.order.shape
        tied = y.first != y.last if y.ties else np.zeros((k, m), dtype=bool)
        index = np.flatnonzero(tied.ravel())  # row-major: a group's positions are contiguous
        column, position = index // m, index % m
        starts = np.flatnonzero(y.first.ravel()[index] == position)
        group_column = column[starts]
        end = y.last.ravel()[index[starts]] if len(starts) else starts
        column_start = np.flatnonzero(np.r_[True, group_column[1:] != group_column[:-1]]) if len(starts) else starts
        untied_order = np.where(tied, m, y.order).T.copy()
        by_end = np.argsort(end, kind="stable")
        # Built from their row pointers (the groups' positions and the columns' groups are contiguous).
        models = y.order.ravel()[index]
        return cls(
            untied_order, by_end, np.searchsorted(end[by_end], np.arange(m + 1)), group_column,
            group_column[column_start],
            sparse.csr_matrix((np.ones(len(index)), models, np.r_[starts, len(index)]), shape=(len(starts), m)),
            sparse.csr_matrix((np.ones(len(starts)), np.arange(len(starts)), np.r_[column_start, len(starts)]),
                              shape=(len(column_start), len(starts))),
            sparse.csr_matrix((np.ones(len(index)), models, np.r_[starts[column_start], len(index)]),
                              shape=(len(column_start), m)),
        )


def _tie_sums(wt: np.ndarray, vt: np.ndarray, end_through: np.ndarray, ties: TieGroups,
              ) -> tuple[np.ndarray, np.ndarray]:
    """(c, b) each tied column's correction to S_xy and to 12 S_yy (``_column_comoments``), from
    the counts and ``v`` laid out (models, resamples) and T at each group's end (one sparse
    product per sum)."""
    value, weight = vt[:-1].astype(np.float64), wt.astype(np.float64)
    group_v, group_w = ties.group_models @ value, ties.group_models @ weight
    moved = ties.in_column @ (group_v * (end_through - group_w / 2.0))
    moved += (ties.column_models @ (value * weight)) / 2.0
    merged = ties.column_models @ (weight * weight * weight - weight)
    merged -= ties.in_column @ (group_w * group_w * group_w - group_w)
    return moved, merged


def _walk(wt: np.ndarray, vt: np.ndarray, y: SortedColumns, exact32: bool) -> tuple[np.ndarray, np.ndarray]:
    """(k, b) ``sum v T`` over every column's untied positions and (g, b) T at every tie group's
    last position, from the counts and ``v`` laid out (models, resamples), ``vt`` with a last row
    of zeros: one step per sorted position (``_column_comoments``)."""
    k, b = y.order.shape[0], wt.shape[1]
    ties = y.tie_groups
    end_through = np.empty((len(ties.group_column), b), dtype=wt.dtype)
    through, step = np.zeros((k, b), dtype=wt.dtype), np.empty((k, b), dtype=wt.dtype)
    total_vt = np.zeros((k, b))
    product = np.empty((k, b), dtype=wt.dtype if exact32 else np.float64)
    for position, (rows, untied) in enumerate(zip(y.order_by_position, ties.untied_order, strict=True)):
        through += np.take(wt, rows, axis=0, out=step)
        np.multiply(np.take(vt, untied, axis=0, out=step), through, out=product, dtype=product.dtype)
        np.add(total_vt, product, out=total_vt)
        ended = ties.end_by_position[ties.end_start[position]:ties.end_start[position + 1]]
        if len(ended):
            end_through[ended] = through[ties.group_column[ended]]
    return total_vt, end_through


@functools.lru_cache(maxsize=1)
def _walk_pool() -> ThreadPoolExecutor:
    """Threads for the exact path's walk: its blocks of resamples are independent and numpy
    releases the GIL in each step's gathers and arithmetic, so every core walks its own blocks
    (each block's sums are computed as on one thread: the results do not depend on the split)."""
    return ThreadPoolExecutor(max_workers=max(1, len(os.sched_getaffinity(0))), thread_name_prefix="walk")


def _column_comoments(
    w: np.ndarray, v: np.ndarray, y: SortedColumns, total: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """(b, k) co-moments S_xy = sum_i w_i rx_i ry_i and S_yy = sum_i w_i ry_i^2 of every y column,
    from the counts ``w`` (b, m), ``v = w * rx`` (b, m) and each resample's total weight N.

    Without ties a copy's centered rank is ``T - (w - 1) / 2 - (N + 1) / 2`` (T: the cumulative
    weight in the column's order), so S_xy is ``sum v T`` plus terms that do not depend on the
    column, and S_yy is a constant of the resample: ``(N^3 - N) / 12`` less ``(w^3 - w) / 12``
    per model, the copies of one model being tied. ``sum v T`` is taken walking the sorted
    positions: at position i every column's model is one row of the counts laid out
    (models, resamples), so a step is a gather of k contiguous rows, one add into the running
    T and one product into the sum, over (k, b) blocks that stay in cache; no (b, k, m) array
    is built. The copies in a tie group of total weight W, ending where the cumulative weight
    is T_e, share the rank ``T_e - W / 2 + 1 / 2``: the walk leaves tied positions out and
    records T_e, and each group adds ``V (T_e - W / 2) + (sum w v) / 2`` to S_xy (V: its sum
    of v) and ``sum (w^3 - w) - (W^3 - W)`` to 12 S_yy. Every term is a multiple of 1/4 far
    below 2^53, so the sums are exact.
    """
    wide = np.float64
    b, k = len(w), y.order.shape[0]
    # (models + a row of zeros for the tied positions, resamples)
    wt, vt = np.ascontiguousarray(w.T), np.zeros((w.shape[1] + 1, b), dtype=w.dtype)
    vt[:-1] = v.T
    ties = y.tie_groups
    # v is a multiple of 1/2 and T an integer up to N: their product is exact in float32 below 2^23.
    exact32 = w.dtype == np.float32 and float(np.abs(v).max(initial=0.0)) * float(total.max(initial=0.0)) < 2.0**22
    total_vt = np.empty((k, b), dtype=wide)
    tied_xy, tied_yy = np.empty((len(ties.columns), b)), np.empty((len(ties.columns), b))
    width = max(64, WALK_CELLS // k)  # resamples walked at once: the (k, width) blocks stay in cache

    def walk(start: int) -> None:
        part = slice(start, min(b, start + width))
        block_w, block_v = np.ascontiguousarray(wt[:, part]), np.ascontiguousarray(vt[:, part])
        total_vt[:, part], end_through = _walk(block_w, block_v, y, exact32)
        if len(ties.columns):
            tied_xy[:, part], tied_yy[:, part] = _tie_sums(block_w, block_v, end_through, ties)

    _ = (y.tie_groups, y.order_by_position)  # built once, before the threads read them
    list(_walk_pool().map(walk, range(0, b, width)))
    sxy = total_vt.T.copy()
    centre = (total + 1.0) / 2.0
    sxy += ((0.5 - centre) * v.sum(axis=1, dtype=wide) - 0.5 * np.einsum("bm,bm->b", w, v, dtype=wide))[:, None]
    weights = w.astype(wide)
    cubes = weights * weights * weights - weights
    syy = np.repeat((((total**3 - total) - cubes.sum(axis=1)) / 12.0)[:, None], k, axis=1)
    if len(ties.columns):
        sxy[:, ties.columns] += tied_xy.T
        syy[:, ties.columns] += tied_yy.T / 12.0
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
    blocks = count_blocks(n, resamples, seed, block_size(n + k, resamples))
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

    Kept (``MEMO_MOMENTS``) for sorts with keys: the subset band asks for the bootstrap's.

    The product with them runs in float32 (counts - 1 are small integers,
    exact in float32; g's entries are at most ~n^2/4): its rounding moves a
    resample's rho by about 1e-7 (measured up to 20,000 models), far below
    the bootstrap's own Monte Carlo noise, and the full-sample sums
    (``base``) stay float64.
    """
    if x.key is None or y.key is None:
        return _linear_moments(x, y)
    return _MOMENTS.get((x.key, y.key), lambda: _linear_moments(x, y))


def _linear_moments(x: SortedColumns, y: SortedColumns) -> LinearMoments:
    k, n = y.order.shape
    rx = x.centred  # (1, n)
    ry = y.centred  # (k, n)
    by_x = _above_sums(x, np.vstack([rx, ry]))  # x's order, weights rx and each ry
    y_rx = _above_sums(y, rx)
    y_ry = _above_sums(y, ry)
    g = np.empty((1 + 2 * k, n), dtype=np.float32)
    g[0] = rx[0] * rx[0] + 2.0 * by_x[0]
    g[1:1 + k] = rx * ry + by_x[1:] + y_rx
    g[1 + k:] = ry * ry + 2.0 * y_ry
    base = np.concatenate([[rx[0] @ rx[0]], ry @ rx[0], y.squares])
    g.flags.writeable = False
    return LinearMoments(g, base)


_MOMENTS: _Memo[LinearMoments] = _Memo(MEMO_MOMENTS)


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
