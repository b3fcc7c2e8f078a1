"""Drift as a test: the bootstrap distribution of the change in rho between two as-of dates.

Two points of one series (benchmark, axis, model set) are not independent:
most of their models are the same. Comparing their two intervals (the rule
before) ignores that pairing and, over hundreds of series and dates, fires by
chance. Here one resample draws models from the union of both dates' models;
a model present at both dates enters both rhos with the same draw (paired), a
model known at one date only enters that date's rho. Each resample gives
rho_to - rho_from; the one-sided p-value of "rho rose" is the share of
resampled changes at or below zero (add-one smoothed), and q-values across
the tested series (``analysis.multiplicity``) control the false discovery rate.
Pure: arrays in, numbers out.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd

from benchwatch.analysis.method import MIN_PAIRS, resample_counts, weighted_ranks
from benchwatch.analysis.multiplicity import bh_qvalues

COLUMNS = ["change", "change_low", "change_high", "n_paired", "p"]


@dataclass(frozen=True)
class Change:
    """The change in rho from one date to a later one, with its bootstrap interval and p-value."""

    rho_from: float
    rho_to: float
    change: float
    change_low: float
    change_high: float
    n_paired: int
    p: float


def _weighted_rho(x: np.ndarray, y: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """Spearman rho of (x, y) in every resample described by its per-model ``counts`` (B, n)."""
    rx, ry = weighted_ranks(x, counts), weighted_ranks(y, counts)
    centre = (counts.sum(axis=1, keepdims=True) + 1) / 2.0
    dx, dy = rx - centre, ry - centre
    with np.errstate(invalid="ignore", divide="ignore"):
        return (counts * dx * dy).sum(axis=1) / np.sqrt((counts * dx * dx).sum(axis=1) * (counts * dy * dy).sum(axis=1))


def _rho(x: np.ndarray, y: np.ndarray) -> float:
    return float(_weighted_rho(x, y, np.ones((1, len(x))))[0]) if len(x) >= MIN_PAIRS else float("nan")


def rho_change(
    x_from: np.ndarray, y_from: np.ndarray, x_to: np.ndarray, y_to: np.ndarray,
    resamples: int, seed: int, level: float = 0.95,
) -> Change:
    """The change of Spearman rho(x, y) from one date to the next, tested by a paired bootstrap.

    The four arrays are aligned over the union of both dates' models: NaN where a
    model has no value at that date. Resamples draw that union with
    ``default_rng(seed)`` (``method.resample_counts``).
    """
    arrays = [np.asarray(a, dtype=float) for a in (x_from, y_from, x_to, y_to)]
    at_from = np.isfinite(arrays[0]) & np.isfinite(arrays[1])
    at_to = np.isfinite(arrays[2]) & np.isfinite(arrays[3])
    used = at_from | at_to
    a_from, b_from, a_to, b_to = (a[used] for a in arrays)
    at_from, at_to = at_from[used], at_to[used]
    rho_from = _rho(a_from[at_from], b_from[at_from])
    rho_to = _rho(a_to[at_to], b_to[at_to])
    change = rho_to - rho_from
    paired = int((at_from & at_to).sum())
    if not np.isfinite(change) or resamples <= 0:
        return Change(rho_from, rho_to, change, np.nan, np.nan, paired, np.nan)
    counts = resample_counts(int(used.sum()), resamples, seed).astype(float)
    before = _weighted_rho(a_from[at_from], b_from[at_from], counts[:, at_from])
    after = _weighted_rho(a_to[at_to], b_to[at_to], counts[:, at_to])
    deltas = after - before
    deltas = deltas[np.isfinite(deltas)]
    if not len(deltas):
        return Change(rho_from, rho_to, change, np.nan, np.nan, paired, np.nan)
    tail = (1.0 - level) / 2.0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        low, high = np.quantile(deltas, [tail, 1.0 - tail])
    p = (1.0 + float((deltas <= 0).sum())) / (len(deltas) + 1.0)
    return Change(rho_from, rho_to, change, float(low), float(high), paired, p)


def drift_qvalues(tests: pd.DataFrame) -> pd.Series:
    """q-values of the drift tests' ``p`` across every series tested (one family per run)."""
    return pd.Series(bh_qvalues(tests["p"].to_numpy(dtype=float)), index=tests.index, name="q")
