"""What a reviewer asks for beside rho, on every correlation row (issue 21, item 5).

rho says how monotone the relation is, not how much it matters or how robust
it is. Four more numbers, each over the same models as the row's rho:

- ``slope`` and ``r2``: least squares of the benchmark's *oriented* score
  (higher = safer, as correlated; for a lower-is-better benchmark the published
  metric moves by the same amount in the other direction) on the capability
  axis, in the benchmark's own units per capability-axis SD (population SD,
  ddof=0, over the row's models); ``r2`` is the share of the score's spread
  the axis explains (Pearson r squared).
- ``subset_low`` / ``subset_high``: the 5th and 95th percentile of rho over
  random half-samples of the row's models (drawn without replacement, as IBM's
  BenchBench reports agreement over model subsets): a wide band means the
  finding depends on which models were listed.
- ``saturation``: the share of the row's models within ``SATURATION_MARGIN``
  of the range of the benchmark's scale at its ceiling or floor; a saturated
  benchmark cannot separate models, so its rho says little. NaN when the scale
  has no stated bounds (Elo, raw counts) or the row has too few models for a rho.
- ``partial_rho_time`` (over ``n_time`` models with a known release date): the
  partial Spearman correlation of benchmark and axis with release date held
  fixed. Newer models are more capable *and* trained with newer safety
  recipes, so time can make a benchmark look capability-tracking; NaN where
  fewer than ``MIN_TIME_MODELS`` models are dated.

Pure: arrays and frames in, a frame out (one row per benchmark column).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from benchwatch import numbers
from benchwatch.analysis.bootstrap import average_ranks, linear_moments, rho_in_resamples, sort_columns
from benchwatch.analysis.intervals import column_quantiles
from benchwatch.analysis.method import EXACT_MAX_MODELS, MIN_PAIRS, _group_columns_by_mask

SIGNAL_COLUMNS = ["slope", "r2", "subset_low", "subset_high", "saturation", "partial_rho_time", "n_time"]
SATURATION_MARGIN = 0.05
SUBSET_PERCENTILES = (5.0, 95.0)
# A half-sample needs MIN_PAIRS models for a rho at all.
MIN_SUBSET_MODELS = 2 * MIN_PAIRS
# One control variable takes a degree of freedom: a partial rho needs one model more than a rho.
MIN_TIME_MODELS = MIN_PAIRS + 1
SCALE_RANGE = re.compile(r"^\s*(-?\d+(?:\.\d+)?)\s*-\s*(-?\d+(?:\.\d+)?)\s*$")


@dataclass(frozen=True)
class SignalContext:
    """What the signals need beside the two vectors.

    ``release``: release date per model (index as the rows' model names or
    canonical ids), as datetimes; models without one are left out. ``bounds``:
    per benchmark column, ``floor`` and ``ceiling`` of its scale, already
    oriented like the values (``oriented_bounds``).
    """

    release: pd.Series = field(default_factory=lambda: pd.Series(dtype="datetime64[ns]"))
    bounds: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=["floor", "ceiling"]))


def scale_bounds(scale: str | None) -> tuple[float, float]:
    """(floor, ceiling) of a registry scale written "lo-hi" ("0-1", "0-100", "1-10"); NaN otherwise."""
    match = SCALE_RANGE.match(scale or "")
    if match is None:
        return np.nan, np.nan
    low, high = float(match.group(1)), float(match.group(2))
    return (low, high) if high > low else (np.nan, np.nan)


def oriented_bounds(registry: pd.DataFrame) -> pd.DataFrame:
    """Per registry column, the floor and ceiling of its scale in the oriented values' terms
    (a lower-is-better column is multiplied by -1, so its bounds swap and change sign)."""
    registry = registry.drop_duplicates("column")
    if registry.empty:
        return pd.DataFrame(columns=["floor", "ceiling"])
    raw = np.array([scale_bounds(s) for s in registry.get("scale", pd.Series("", index=registry.index))],
                   dtype=float).reshape(-1, 2)
    direction = registry["direction"].fillna(1).to_numpy(dtype=float)[:, None]
    flipped = np.sort(raw * direction, axis=1)
    return pd.DataFrame(flipped, index=registry["column"].to_numpy(), columns=["floor", "ceiling"])


def row_signals(targets: pd.DataFrame, axis: pd.Series, context: SignalContext, subsets: int,
                seed: int) -> pd.DataFrame:
    """The signals of each ``targets`` column against ``axis`` (reindexed to the targets' rows),
    one row per column in the columns' order (RangeIndex, to join onto ``spearman_with_ci``'s rows)."""
    values = targets.to_numpy(dtype=float)
    vector = axis.reindex(targets.index).to_numpy(dtype=float)
    dates = context.release.reindex(targets.index) if len(context.release) else pd.Series(
        pd.NaT, index=targets.index)
    days = (pd.to_datetime(dates) - pd.Timestamp("1970-01-01")).dt.days.to_numpy(dtype=float)
    bounds = context.bounds.reindex(targets.columns)
    return correlation_signals(values, vector, days, bounds["floor"].to_numpy(dtype=float),
                               bounds["ceiling"].to_numpy(dtype=float), subsets, seed)


def correlation_signals(
    benchmarks: np.ndarray, axis: np.ndarray, release: np.ndarray, floor: np.ndarray, ceiling: np.ndarray,
    subsets: int, seed: int,
) -> pd.DataFrame:
    """``SIGNAL_COLUMNS`` for each (n, k) benchmark column against the (n,) axis, pairwise deletion.

    ``release``: (n,) release date as a number (days), NaN where unknown.
    ``floor``/``ceiling``: (k,) bounds of each column's scale, NaN where unknown.
    ``subsets`` half-samples per group of columns with the same models, drawn by
    ``default_rng(seed)``: the same models give the same half-samples.
    """
    benchmarks = np.asarray(benchmarks, dtype=float)
    axis = np.asarray(axis, dtype=float)
    usable = np.isfinite(benchmarks) & np.isfinite(axis)[:, None]
    slope, r2 = _least_squares(benchmarks, axis, usable)
    low, high = _subset_band(benchmarks, axis, usable, subsets, seed)
    partial, n_time = _partial_time(benchmarks, axis, np.asarray(release, dtype=float), usable)
    return pd.DataFrame({
        "slope": slope, "r2": r2, "subset_low": low, "subset_high": high,
        "saturation": _saturation(benchmarks, usable, np.asarray(floor, float), np.asarray(ceiling, float)),
        "partial_rho_time": partial, "n_time": n_time,
    })


def _least_squares(y: np.ndarray, x: np.ndarray, usable: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Slope per axis SD (ddof=0) and R^2 of each column on x, over its usable rows, all columns at once."""
    w = usable.astype(float)
    n = w.sum(axis=0)
    xs = np.where(usable, x[:, None], 0.0)
    ys = np.where(usable, y, 0.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        mx, my = xs.sum(axis=0) / n, ys.sum(axis=0) / n
        dx, dy = (xs - mx) * w, (ys - my) * w
        sxx, syy, sxy = (dx * dx).sum(axis=0), (dy * dy).sum(axis=0), (dx * dy).sum(axis=0)
        slope = sxy / np.sqrt(sxx * n)  # (sxy / sxx) * sqrt(sxx / n)
        r2 = sxy * sxy / (sxx * syy)
    few = n < MIN_PAIRS
    slope[few | (sxx <= 0)] = np.nan
    r2[few | (sxx <= 0) | (syy <= 0)] = np.nan
    return slope, r2


def _rank_rho(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Spearman rho of x with each column of y (rows: models): Pearson r of their average ranks."""
    rx = average_ranks(x) - (len(x) + 1) / 2.0
    ry = average_ranks(y) - (len(x) + 1) / 2.0
    with np.errstate(invalid="ignore", divide="ignore"):
        return (rx @ ry) / np.sqrt((rx @ rx) * np.einsum("nk,nk->k", ry, ry))


def half_samples(n: int, subsets: int, seed: int) -> np.ndarray:
    """(n, subsets) 0/1 weights: each column picks n // 2 of the n models without replacement,
    the n // 2 smallest of ``default_rng(seed).random((subsets, n))`` in its row. float32: the
    weights, their cumulative sums and the centred half-integer ranks are exact in it, and the
    sums are taken in float64 (as ``bootstrap.exact_rho`` does)."""
    draws = np.random.default_rng(seed).random((subsets, n))
    cut = np.partition(draws, n // 2 - 1, axis=1)[:, n // 2 - 1:n // 2]
    return np.ascontiguousarray((draws <= cut).T, dtype=np.float32)


def _subset_band(y: np.ndarray, x: np.ndarray, usable: np.ndarray, subsets: int, seed: int
                 ) -> tuple[np.ndarray, np.ndarray]:
    """5th/95th percentile of rho over ``subsets`` half-samples of each column's usable rows.

    A half-sample is a 0/1 weight per model, so its ranks follow from one sort of each column
    (``bootstrap.rho_in_resamples``, as the bootstrap's counts do): nothing is re-sorted per half-sample.
    Above ``EXACT_MAX_MODELS`` models, as the bootstrap does, each half-sample's rho is taken to first
    order (``_linear_half_rho``).
    """
    k = y.shape[1]
    low, high = np.full(k, np.nan), np.full(k, np.nan)
    if subsets <= 0:
        return low, high
    for columns in _group_columns_by_mask(usable).values():
        rows = np.flatnonzero(usable[:, columns[0]])
        n = len(rows)
        if n < MIN_SUBSET_MODELS:
            continue
        w = half_samples(n, subsets, seed)
        if n > EXACT_MAX_MODELS:
            rho = _linear_half_rho(x[rows], y[np.ix_(rows, columns)], w)
        else:
            rho = _exact_half_rho(x[rows], y[np.ix_(rows, columns)], w)
        # a constant half-sample has no rho: NaN, skipped (``np.nanpercentile``'s numbers, one sort)
        low[columns], high[columns] = column_quantiles(rho, tuple(np.true_divide(SUBSET_PERCENTILES, 100)))
    return low, high


def _exact_half_rho(x: np.ndarray, y: np.ndarray, w: np.ndarray) -> np.ndarray:
    """(subsets, k) Spearman rho of each y column with x over each half-sample (0/1 columns of w):
    the bootstrap's exact kernel (``bootstrap.rho_in_resamples``), a weight of 0 leaving a model out."""
    return rho_in_resamples(sort_columns(x[:, None]), sort_columns(y), np.ascontiguousarray(w.T))


def _linear_half_rho(x: np.ndarray, y: np.ndarray, w: np.ndarray) -> np.ndarray:
    """(subsets, k) first-order rho of each y column with x over each half-sample.

    Counting each model of a half-sample twice (weights 2 w, summing to n like a bootstrap
    resample's counts) maps its average ranks linearly, so its Spearman rho is the half-sample's;
    those weights then go through the bootstrap's first-order expansion of the rank co-moments
    (``bootstrap.linear_moments``), one matrix product for all.
    """
    moments = linear_moments(sort_columns(x[:, None]), sort_columns(y))
    return moments.rho((2.0 * w.T - 1.0).astype(np.float32))


def _saturation(y: np.ndarray, usable: np.ndarray, floor: np.ndarray, ceiling: np.ndarray) -> np.ndarray:
    """Share of each column's usable rows within the margin of its floor or ceiling."""
    margin = SATURATION_MARGIN * (ceiling - floor)
    with np.errstate(invalid="ignore"):
        near = ((y >= ceiling - margin) | (y <= floor + margin)) & usable
        share = near.sum(axis=0) / usable.sum(axis=0)
    share[~np.isfinite(margin) | (usable.sum(axis=0) < MIN_PAIRS)] = np.nan
    return share


def _partial_time(y: np.ndarray, x: np.ndarray, t: np.ndarray, usable: np.ndarray
                  ) -> tuple[np.ndarray, np.ndarray]:
    """Partial Spearman rho of each column and x given t, over rows where all three are known:
    ``(r_xy - r_xt r_yt) / sqrt((1 - r_xt^2)(1 - r_yt^2))`` of the rank correlations."""
    dated = usable & np.isfinite(t)[:, None]
    k = y.shape[1]
    partial = np.full(k, np.nan)
    counts = dated.sum(axis=0)
    for columns in _group_columns_by_mask(dated).values():
        rows = np.flatnonzero(dated[:, columns[0]])
        if len(rows) < MIN_TIME_MODELS:
            continue
        ys = y[np.ix_(rows, columns)]
        xt = _rank_rho(x[rows], t[rows][:, None])[0]
        xy = _rank_rho(x[rows], ys)
        yt = _rank_rho(t[rows], ys)
        with np.errstate(invalid="ignore", divide="ignore"):
            partial[columns] = (xy - xt * yt) / np.sqrt((1.0 - xt * xt) * (1.0 - yt * yt))
    return partial, counts


def release_dates(dated: pd.DataFrame, identity: pd.DataFrame) -> pd.DataFrame:
    """Every stored model whose model is known to have a release date, in any source.

    ``dated``: (source, model, release_date) as the sources published them (Epoch's model
    metadata); ``identity``: (source, model, canonical_id, base_id). A model gets the earliest
    date published for its canonical id, else for its base id (a reasoning-effort variant was
    released with its model). Returns (source, model, canonical_id, release_date).
    """
    columns = ["source", "model", "canonical_id", "release_date"]
    if dated.empty or identity.empty:
        return pd.DataFrame(columns=columns)
    known = dated.assign(release_date=pd.to_datetime(dated["release_date"], errors="coerce")).dropna(
        subset=["release_date"]).merge(identity[["source", "model", "canonical_id", "base_id"]],
                                       on=["source", "model"])
    by_id = known.groupby("canonical_id")["release_date"].min()
    by_base = known.groupby("base_id")["release_date"].min()
    found = identity["canonical_id"].map(by_id).fillna(identity["base_id"].map(by_base))
    out = identity.assign(release_date=found)[columns]
    return out[out["release_date"].notna()].reset_index(drop=True)


def is_saturated(saturation: float | None, flag: float) -> bool:
    """Above ``flag`` (setting ``saturation_flag``) of the models sit at an end of the scale."""
    return saturation is not None and bool(np.isfinite(saturation)) and saturation > flag


def time_note(rho: float | None, partial: float | None, threshold: float) -> str:
    """Said when rho is at or above the tracking threshold but falls below it with release date
    held fixed: time, not capability alone, carries part of the correlation."""
    if rho is None or partial is None or not (np.isfinite(rho) and np.isfinite(partial)):
        return ""
    if rho >= threshold > partial:
        return (f"rho x100 {numbers.rho(rho)} falls to {numbers.rho(partial)}, below the "
                f"{numbers.rho(threshold)} threshold, once release "
                "date is held fixed: newer models score higher on both, so time carries part of it")
    return ""


def _number(row: Mapping, key: str) -> float | None:
    value = row.get(key)
    return float(value) if value is not None and pd.notna(value) else None


def in_words(row: Mapping, threshold: float, flag: float) -> list[str]:
    """The signals of one correlation row as sentences, for the Benchmark page and ``check``'s report.

    ``row`` carries rho, n, scale and ``SIGNAL_COLUMNS`` (missing or NaN ones are skipped).
    """
    lines = []
    slope, r2 = _number(row, "slope"), _number(row, "r2")
    if slope is not None and r2 is not None:
        scale = row.get("scale") or "its own"
        lines.append(f"capabilities explain {numbers.share(r2)} of the spread; the score (oriented higher = safer) "
                     "moves "
                     f"{slope:+.3g} on its {scale} scale per SD of the capability axis")
    low, high = _number(row, "subset_low"), _number(row, "subset_high")
    if low is not None and high is not None:
        lines.append(f"over random halves of the models, rho x100 ranges {numbers.rho(low)} to {numbers.rho(high)} "
                     "(5th to 95th percentile)")
    saturation = _number(row, "saturation")
    if saturation is not None:
        share = f"{numbers.share(saturation)} of the models are within 5% of the scale's floor or ceiling"
        lines.append(f"saturated: the correlation says little ({share})" if is_saturated(saturation, flag)
                     else share)
    partial, n_time = _number(row, "partial_rho_time"), _number(row, "n_time")
    if partial is None:
        lines.append("release dates unknown for too many models: no rho with time held fixed")
    else:
        lines.append(f"with release date held fixed ({n_time:.0f} dated models), rho x100 is {numbers.rho(partial)}")
        note = time_note(_number(row, "rho"), partial, threshold)
        if note:
            lines.append(note)
    return lines
