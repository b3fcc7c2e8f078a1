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
``series_changes`` runs the test on one source's series between two as-of dates
(``pipeline.analyze`` calls it per unit), ``run_qvalues`` gives a run's q_drift.
Pure: arrays and frames in, numbers and frames out.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd

from benchwatch.analysis.circularity import INDEPENDENT
from benchwatch.analysis.engine import (
    AXIS_COMPUTE,
    AXIS_PC1,
    Params,
    registry_column,
    set_matrices,
    target_mask,
)
from benchwatch.analysis.method import MIN_PAIRS, capability_axis, resample_counts, weighted_ranks
from benchwatch.analysis.multiplicity import bh_qvalues, family_qvalues

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


def _centred_ranks(values: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """Ranks of ``values`` in every resample (``counts`` (B, n)), minus each resample's mean rank."""
    return weighted_ranks(values, counts) - (counts.sum(axis=1, keepdims=True) + 1) / 2.0


def _rho_of_ranks(counts: np.ndarray, dx: np.ndarray, dy: np.ndarray) -> np.ndarray:
    """Pearson correlation of centred ranks weighted by the counts: Spearman rho per resample."""
    def weighted(a: np.ndarray, b: np.ndarray) -> np.ndarray:
        return np.einsum("ij,ij,ij->i", counts, a, b)  # no (B, n) temporaries: thousands of models
    with np.errstate(invalid="ignore", divide="ignore"):
        return weighted(dx, dy) / np.sqrt(weighted(dx, dx) * weighted(dy, dy))


def _weighted_rho(x: np.ndarray, y: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """Spearman rho of (x, y) in every resample described by its per-model ``counts`` (B, n)."""
    return _rho_of_ranks(counts, _centred_ranks(x, counts), _centred_ranks(y, counts))


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
    return _change(*(np.asarray(a, dtype=float) for a in (x_from, y_from, x_to, y_to)), resamples, seed, level, {})


def rho_changes(
    x_from: np.ndarray, y_from: np.ndarray, x_to: np.ndarray, y_to: np.ndarray,
    resamples: int, seed: int, level: float = 0.95,
) -> list[Change]:
    """``rho_change`` of every column of the (n, k) ``x_from``/``x_to`` against one axis ``y_from``/``y_to``.

    Equal to calling ``rho_change`` column by column. Columns with the same missing
    values (a leaderboard's columns are mostly complete) share one draw and the axis's
    resampled ranks, about half the work: the ranks are the cost on thousands of models.
    """
    y_from, y_to = np.asarray(y_from, dtype=float), np.asarray(y_to, dtype=float)
    x_from, x_to = np.asarray(x_from, dtype=float), np.asarray(x_to, dtype=float)
    shared: dict[bytes, tuple[np.ndarray, ...]] = {}
    return [_change(x_from[:, j], y_from, x_to[:, j], y_to, resamples, seed, level, shared)
            for j in range(x_from.shape[1])]


def _change(
    x_from: np.ndarray, y_from: np.ndarray, x_to: np.ndarray, y_to: np.ndarray,
    resamples: int, seed: int, level: float, shared: dict[bytes, tuple[np.ndarray, ...]],
) -> Change:
    """One column's test; ``shared`` keeps each pattern of missing values' resampled counts (before,
    after) and the axis's ranks (before, after)."""
    at_from = np.isfinite(x_from) & np.isfinite(y_from)
    at_to = np.isfinite(x_to) & np.isfinite(y_to)
    used = at_from | at_to
    a_from, b_from, a_to, b_to = (a[used] for a in (x_from, y_from, x_to, y_to))
    at_from, at_to = at_from[used], at_to[used]
    rho_from = _rho(a_from[at_from], b_from[at_from])
    rho_to = _rho(a_to[at_to], b_to[at_to])
    change = rho_to - rho_from
    paired = int((at_from & at_to).sum())
    if not np.isfinite(change) or resamples <= 0:
        return Change(rho_from, rho_to, change, np.nan, np.nan, paired, np.nan)
    key = used.tobytes() + at_from.tobytes() + at_to.tobytes()
    if key not in shared:
        counts = resample_counts(int(used.sum()), resamples, seed).astype(float)
        c_from, c_to = counts[:, at_from], counts[:, at_to]
        shared[key] = (c_from, c_to, _centred_ranks(b_from[at_from], c_from), _centred_ranks(b_to[at_to], c_to))
    c_from, c_to, dy_from, dy_to = shared[key]
    before = _rho_of_ranks(c_from, _centred_ranks(a_from[at_from], c_from), dy_from)
    after = _rho_of_ranks(c_to, _centred_ranks(a_to[at_to], c_to), dy_to)
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


DRIFT_COLUMNS = ["drift_change", "p_drift"]


def _set_axes(wide: pd.DataFrame, registry: pd.DataFrame, params: Params) -> dict[str, pd.Series]:
    """The source's own axes over one set's models at one date: PC1 fitted on that date's models
    (as the row's rho is), and the compute column where the source has one."""
    category = registry_column(registry, "category", wide.columns)
    axes = {}
    pc1 = capability_axis(wide.loc[:, category == "capability"], params.policy, params.seed)
    if pc1 is not None:
        axes[AXIS_PC1] = pc1.scores
    compute = wide.loc[:, category == "compute"]
    if compute.shape[1]:
        axes[AXIS_COMPUTE] = compute.iloc[:, 0].dropna()
    return axes


def series_changes(
    source: str, known_from: pd.DataFrame, known_to: pd.DataFrame, registry: pd.DataFrame, pooled: bool, params: Params,
    after: tuple[dict[str, pd.DataFrame], dict[str, dict[str, pd.Series]]] | None = None,
) -> pd.DataFrame:
    """The paired drift test of every (model_set, axis, benchmark) series of one source between two dates.

    ``known_from``/``known_to``: the rows known at the previous and at this as-of date
    (``history.known_on``). Own axes only (PC1 and compute). PC1 is the axis each date's rho
    uses, fitted on that date's models, and held fixed inside the resamples: re-fitting it per
    resample, as the rho's interval does, would multiply the cost by the number of series for
    an axis whose noise the pairing already mostly cancels. ``after``: this date's set matrices
    and axes where the caller has them (``engine.analyze_sets``), the same ones computed again
    otherwise. Returns model_set, axis, benchmark, drift_change, p_drift; empty when a date has nothing.
    """
    registry = registry[registry["source"] == source]
    before = set_matrices(known_from, registry, pooled)
    if after is None:
        matrices = set_matrices(known_to, registry, pooled)
        after = matrices, {name: _set_axes(wide, registry, params) for name, wide in matrices.items()}
    rows = []
    for name in sorted(before.keys() & after[0].keys()):
        rows += _set_changes(name, before[name], after[0][name], _set_axes(before[name], registry, params),
                             after[1][name], registry, params)
    return pd.DataFrame(rows, columns=["model_set", "axis", "benchmark", *DRIFT_COLUMNS])


def _set_changes(
    name: str, before: pd.DataFrame, after: pd.DataFrame, axes_from: dict[str, pd.Series],
    axes_to: dict[str, pd.Series], registry: pd.DataFrame, params: Params,
) -> list[dict]:
    """One model set's tests: every target column present at both dates against every axis of both."""
    targets = after.columns[target_mask(registry, after.columns).to_numpy()].intersection(before.columns)
    models = before.index.union(after.index)
    rows = []
    for axis in sorted(axes_from.keys() & axes_to.keys()):
        changes = rho_changes(before[targets].reindex(models).to_numpy(float), axes_from[axis].reindex(models),
                              after[targets].reindex(models).to_numpy(float), axes_to[axis].reindex(models),
                              params.resamples, params.seed)
        rows += [{"model_set": name, "axis": axis, "benchmark": benchmark, "drift_change": change.change,
                  "p_drift": change.p} for benchmark, change in zip(targets, changes, strict=True)]
    return rows


def run_qvalues(correlations: pd.DataFrame, category: pd.Series, min_models: int) -> pd.Series:
    """q_drift: BH over each as-of date's drift family, NaN outside it.

    The family is every row of the run at one as-of date that could fire the drift rule: a safety
    benchmark (``category``), independent of its axis, over at least ``min_models`` models, with a
    ``p_drift`` (all sources, sets and own axes). One family per date, as for the tracking claim
    (``analysis.evidence``), because the rule acts on each date's tests as they arrive.
    """
    if "p_drift" not in correlations:
        return pd.Series(np.nan, index=correlations.index, name="q_drift")
    relation = correlations["relation"].fillna(INDEPENDENT) if "relation" in correlations else INDEPENDENT
    family = ((category.reindex(correlations.index) == "safety") & (relation == INDEPENDENT)
              & (correlations["n"].fillna(0) >= min_models) & np.isfinite(correlations["p_drift"].astype(float)))
    return family_qvalues(correlations, family, ["as_of"], "p_drift").rename("q_drift")
