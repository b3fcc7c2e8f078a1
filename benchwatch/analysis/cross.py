"""Capability axes joined across sources: pc1-joint, eci, arena, arena-style, compute, horizon.

A safety leaderboard such as HELM Safety publishes no capability benchmarks
of its own, so its capabilities correlation needs another source's view of
the same models. Every frame here is keyed by canonical model id
(``identity``), so a model is one row whichever source named it.

Axes (``EXTERNAL_AXES`` and ``AXIS_PC1_JOINT``):
- ``eci``: Epoch's Capabilities Index;
- ``arena``: the Arena (formerly LMArena) text rating without style control
  (Bradley-Terry, Elo scale; the online Elo before 2024-06-19 is a different
  estimator and is not used);
- ``arena-style``: the Arena text rating with style control, the board arena.ai
  shows by default (live only: the recorded snapshots have no such column);
- ``compute``: training FLOP, from Epoch, else from the Safetywashing paper's
  FLOP column; used as published (log FLOP gives the same Spearman rho);
- ``horizon``: METR's 50% time horizon (the length, in minutes of human work, of the
  tasks a model completes half the time), from Epoch's ``metr_time_horizons_external.csv``;
  it spans four orders of magnitude and is read on a log scale (Spearman's rho is the same
  either way);
- ``pc1-joint``: the paper's PC1 over the capability benchmarks of every
  source, joined by canonical id. A column enters when it covers at least
  ``min_coverage`` of the model set; then the run's missing-value policy
  applies (``drop``: complete rows only, as the paper). It is reported only
  when it adds a column from another source, since otherwise it is ``pc1``.

Missing values: a model without a value on an external axis is left out of
that axis's correlations (pairwise deletion, recorded as ``pairwise``); n says
how many models remain. An axis with no value for any model of the set at a
date is not reported at that date.

As of a date, every source contributes only what was known on that date
(``analysis.history.known_on``); where one canonical id has several rows of a
source (LMArena's display name and key, Epoch's provider copies), the newest
published value is used.

Pure: frames in, frames out.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from datetime import date

import numpy as np
import pandas as pd

from benchwatch.analysis.circularity import left_out, same_benchmark
from benchwatch.analysis.engine import (
    Params,
    Results,
    first_values,
    model_sets,
    oriented_matrix,
    registry_column,
    safety_residuals,
    signal_context,
    split_by_kind,
    target_mask,
)
from benchwatch.analysis.history import known_mask
from benchwatch.analysis.intervals import PVALUES
from benchwatch.analysis.method import capability_axis, spearman_with_ci
from benchwatch.analysis.signals import SIGNAL_COLUMNS, SignalContext, row_signals
from benchwatch.analysis.units import GROUP_AXES, group_release, one_point_per_group

AXIS_PC1_JOINT = "pc1-joint"
# Axis -> (source, column) in priority order: the first source with a value wins.
EXTERNAL_AXES: dict[str, tuple[tuple[str, str], ...]] = {
    "eci": (("epoch", "eci"),),
    "arena": (("lmarena", "rating"),),
    "arena-style": (("lmarena", "style_control_rating"),),
    "compute": (("epoch", "training_compute_flop"), ("safetywashing-paper", "FLOP")),
    "horizon": (("epoch", "metr_time_horizons_external"),),
}
# Axes named in words, for every table, picker and message.
AXIS_LABELS = {"pc1": "PC1", "pc1-joint": "joint PC1", "eci": "ECI", "arena": "Arena", "compute": "compute",
               "horizon": "METR time horizon"}
MIN_COVERAGE = 0.5
PAIRWISE = "pairwise"


def with_identity(history: pd.DataFrame, identity: pd.DataFrame) -> pd.DataFrame:
    """A source's history with each row's canonical id and kind (from its identity rows)."""
    lookup = identity[["model", "canonical_id", "kind"]].drop_duplicates("model")
    return history.merge(lookup, on="model", how="inner")


def group_of(groups: pd.DataFrame, identity: pd.DataFrame) -> pd.Series:
    """Canonical id -> model group, from the (source, model, model_group) rows a source names
    (Epoch's ``model_metadata.csv``); a canonical id two groups claim keeps the first by name."""
    keyed = groups.merge(identity[["source", "model", "canonical_id"]], on=["source", "model"])
    first = keyed.sort_values(["canonical_id", "model_group"]).drop_duplicates("canonical_id")
    return first.set_index("canonical_id")["model_group"]


def newest_values(known: pd.DataFrame) -> pd.DataFrame:
    """One row per (canonical id, benchmark): the newest published value (ties: by source name)."""
    ordered = known.sort_values(["valid_from", "model"], kind="stable")
    return ordered.drop_duplicates(["canonical_id", "benchmark"], keep="last")


def by_model(values: pd.DataFrame) -> pd.DataFrame:
    """``newest_values``' rows as canonical ids x benchmarks (``engine.first_values``; one value per
    pair there), so a set's axis and capability columns are a reindex, not a filter and a pivot of
    the source's rows per set. A pair without a value is NaN, as one with no row."""
    return first_values(values, "canonical_id", "benchmark")


def axis_vector(
    latest: Mapping[str, pd.DataFrame], spec: tuple[tuple[str, str], ...], members: pd.Index
) -> tuple[pd.Series, list[str]]:
    """An external axis over ``members``: the first source in ``spec`` with a value wins.

    ``latest`` holds each source's values as of the date, one per (canonical
    id, benchmark) (``newest_values``). Returns the values (canonical id ->
    value, only models with one) and the "source:column" entries that contributed.
    """
    sources = {source for source, _ in spec}
    return axis_from({s: by_model(f) for s, f in latest.items() if s in sources}, spec, members)


def axis_from(
    wide: Mapping[str, pd.DataFrame], spec: tuple[tuple[str, str], ...], members: pd.Index
) -> tuple[pd.Series, list[str]]:
    """``axis_vector`` from each source's values as canonical ids x benchmarks (``by_model``)."""
    vector = pd.Series(np.nan, index=members, dtype=float)
    used = []
    for source, column in spec:
        frame = wide.get(source)
        if frame is None or column not in frame.columns:
            continue
        values = frame[column].reindex(members)
        fill = vector.isna() & values.notna()
        if fill.any():
            vector[fill] = values[fill]
            used.append(f"{source}:{column}")
    return vector.dropna(), used


def joint_capabilities(
    latest: Mapping[str, pd.DataFrame], registry: pd.DataFrame, members: pd.Index, min_coverage: float
) -> pd.DataFrame:
    """Members x "source:column" oriented capability values, columns covering >= ``min_coverage``.

    ``latest`` as for ``axis_vector``; every column is multiplied by its
    registry direction, so higher is more capable.
    """
    wide = {source: by_model(frame) for source, frame in latest.items()}
    return joint_from(capability_columns(wide, registry), members, min_coverage)


def capability_columns(wide: Mapping[str, pd.DataFrame], registry: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """Each source's capability columns of ``wide`` (``by_model``), oriented (times the registry
    direction, higher = more capable) and named "source:column": what ``joint_from`` joins."""
    capability = registry[registry["category"] == "capability"]
    out = {}
    for source, frame in wide.items():
        rows = capability[capability["source"] == source]
        if rows.empty or frame.empty:
            continue
        values = frame.loc[:, frame.columns.isin(rows["column"])]
        if values.shape[1]:
            out[source] = (values * registry_column(rows, "direction", values.columns).fillna(1)).add_prefix(
                f"{source}:")
    return out


def joint_from(capability: Mapping[str, pd.DataFrame], members: pd.Index, min_coverage: float) -> pd.DataFrame:
    """``joint_capabilities`` from each source's ``capability_columns``: a column enters where a
    member has a value in it and it covers at least ``min_coverage`` of the members."""
    frames = []
    for frame in capability.values():
        values = frame.loc[frame.index.isin(members)].dropna(axis=1, how="all")
        if values.shape[1]:
            frames.append(values)
    if not frames:
        return pd.DataFrame(index=members)
    joint = pd.concat(frames, axis=1).reindex(members)
    coverage = joint.notna().mean()
    return joint.loc[:, coverage >= min_coverage]


class NewestValues:
    """Every source's newest values (``newest_values``) as of any date, computed once per date.

    A full recompute asks for the same as-of dates again and again (every target source, every
    HELM release, every Arena date), so each source's history is sorted by publication once and
    keyed once; a date is then one mask and one take. What another source contributes (its axis
    and capability columns, ``axes_at``) is the same for every target, so it is kept per date and
    shared; a target's own rows (``of``) are asked for once per date and not kept.
    """

    def __init__(self, joined: Mapping[str, pd.DataFrame], registry: pd.DataFrame) -> None:
        wanted = {(source, column) for spec in EXTERNAL_AXES.values() for source, column in spec}
        capability = registry[registry["category"] == "capability"]
        wanted |= set(zip(capability["source"], capability["column"], strict=True))
        self._own = {source: _Timeline(frame) for source, frame in joined.items()}
        self._axes = {source: _Timeline(frame[frame["benchmark"].isin({c for s, c in wanted if s == source})])
                      for source, frame in joined.items()}
        self._shared: dict[date, dict[str, pd.DataFrame]] = {}
        self._wide: dict[date, dict[str, pd.DataFrame]] = {}
        self._capability: dict[date, dict[str, pd.DataFrame]] = {}
        # Each source's capability rows oriented and named as ``capability_columns`` gives them.
        self._capability_lines = {}
        for source, frame in joined.items():
            rows = capability[capability["source"] == source]
            picked = frame[frame["benchmark"].isin(rows["column"])]
            if len(picked):
                direction = registry_column(rows, "direction", pd.Index(picked["benchmark"])).fillna(1)
                self._capability_lines[source] = _Timeline(picked.assign(
                    value=picked["value"].to_numpy(dtype=float) * direction.to_numpy(dtype=float),
                    benchmark=f"{source}:" + picked["benchmark"]))

    def of(self, source: str, as_of: date) -> pd.DataFrame:
        """All of ``source``'s newest values as of ``as_of``."""
        return self._own[source].at(as_of)

    def axes_at(self, as_of: date) -> dict[str, pd.DataFrame]:
        """Every source's newest axis and capability values as of ``as_of`` (what a target reads
        from the other sources), in the order of ``joined``."""
        if as_of not in self._shared:
            self._shared[as_of] = {source: timeline.at(as_of) for source, timeline in self._axes.items()}
        return self._shared[as_of]

    def wide_at(self, as_of: date) -> dict[str, pd.DataFrame]:
        """``axes_at`` as canonical ids x benchmarks (``by_model``), kept per date like it."""
        if as_of not in self._wide:
            self._wide[as_of] = {source: timeline.wide(as_of) for source, timeline in self._axes.items()}
        return self._wide[as_of]

    def capability_at(self, as_of: date) -> dict[str, pd.DataFrame]:
        """``capability_columns`` of ``wide_at``, kept per date like it."""
        if as_of not in self._capability:
            wide = {source: line.wide(as_of) for source, line in self._capability_lines.items()}
            self._capability[as_of] = {source: frame for source, frame in wide.items() if frame.shape[1]}
        return self._capability[as_of]


class _Timeline:
    """One source's rows sorted as ``newest_values`` sorts them, each with its (canonical id,
    benchmark) key as an integer: ``at`` equals ``newest_values(known_on(rows, as_of))`` and
    ``wide`` equals ``by_model`` of it, from codes made once (sorted labels, as the pivot sorts)."""

    def __init__(self, rows: pd.DataFrame) -> None:
        self.rows = rows.sort_values(["valid_from", "model"], kind="stable")
        self.key = self.rows.groupby(["canonical_id", "benchmark"], sort=False, dropna=False).ngroup().to_numpy()
        self.id_code, self.ids = pd.factorize(self.rows["canonical_id"], sort=True)
        self.column_code, self.columns = pd.factorize(self.rows["benchmark"], sort=True)
        self.values = self.rows["value"].to_numpy(dtype=float)

    def positions(self, as_of: date) -> np.ndarray:
        """Positions in ``rows`` of each key's newest row known on ``as_of``, in row order."""
        known = np.flatnonzero(known_mask(self.rows, as_of))
        # The last known row of each key: the first of the reversed keys.
        last = np.unique(self.key[known][::-1], return_index=True)[1]
        return np.sort(known[len(known) - 1 - last])

    def at(self, as_of: date) -> pd.DataFrame:
        return self.rows.iloc[self.positions(as_of)]

    def wide(self, as_of: date) -> pd.DataFrame:
        at = self.positions(as_of)
        at = at[~np.isnan(self.values[at]) & (self.id_code[at] >= 0) & (self.column_code[at] >= 0)]
        ids, columns = np.unique(self.id_code[at]), np.unique(self.column_code[at])
        values = np.full((len(ids), len(columns)), np.nan)
        values[np.searchsorted(ids, self.id_code[at]), np.searchsorted(columns, self.column_code[at])] = \
            self.values[at]
        return pd.DataFrame(values, index=pd.Index(self.ids[ids], name="canonical_id"),
                            columns=pd.Index(self.columns[columns], name="benchmark"))


def cross_dates(
    release_dates: list[date], last: date, newest: date, has_own_axes: bool
) -> list[date]:
    """As-of dates for a source's cross-source axes.

    Every date the source published (each HELM release) and its last data
    date. A source with no capability axis of its own is only ever analysed
    through other sources, so its latest point is the newest date of any
    source: its newest data against the newest axes.
    """
    dates = {d for d in release_dates if d <= last} | {last}
    if not has_own_axes and newest > last:
        dates.add(newest)
    return sorted(dates)


def target_sets(models: pd.DataFrame, pooled: bool) -> dict[str, pd.Index]:
    """Model sets of canonical ids: the source's own base/chat split, or else the models' kinds
    (``engine.split_by_kind``); pooled only where nothing splits (``engine.model_sets``).

    ``models`` has canonical_id, model_set (the source's flag) and kind (``identity``).
    """
    return model_sets(split_by_kind(models.rename(columns={"canonical_id": "model"})), pooled)


def analyze_cross_source(
    target: str,
    joined: Mapping[str, pd.DataFrame],
    registry: pd.DataFrame,
    pooled: bool,
    dates: list[date],
    params: Params,
    skip_axes: frozenset[str] = frozenset(),
    min_coverage: float = MIN_COVERAGE,
    groups: pd.Series | None = None,
    release: pd.Series | None = None,
    newest: NewestValues | None = None,
) -> Results:
    """The target's safety (and other) columns against every cross-source axis, at each date.

    ``joined`` maps each source to its history with canonical ids
    (``with_identity``); it must include ``target``. ``skip_axes`` names axes
    the source already has of its own (e.g. the paper's in-source compute).
    ``groups`` (canonical id -> model group): against an axis scored once per group
    (``units.GROUP_AXES``) a group is one point. Residuals are computed at the last date.
    ``release`` (canonical id -> release date, where known) feeds the time-held-fixed rho
    (``analysis.signals``). ``newest``: the sources' values as of each date, shared by every
    target of a recompute (built from ``joined`` when not given).
    """
    own = registry[registry["source"] == target]
    context = signal_context(own, release)
    ids = _benchmark_ids(registry, target)
    shares = (dict(zip(own["column"], own["shares_items_with"].fillna(""), strict=True))
              if "shares_items_with" in own else {})
    safety = set(own.loc[own["category"] == "safety", "column"])
    newest = newest if newest is not None else NewestValues(joined, registry)
    parts = []
    for as_of in dates:
        mine = newest.of(target, as_of)
        if mine.empty or safety.isdisjoint(mine["benchmark"].unique()):
            # Nothing safety-related known yet (Arena before its factuality board): its other
            # columns alone are not worth a run of every axis at every date.
            continue
        wide_all = oriented_matrix(mine.assign(model=mine["canonical_id"]), own)
        names = mine.drop_duplicates("canonical_id").set_index("canonical_id")["model"]
        targets_all = wide_all.loc[:, target_mask(own, wide_all.columns).to_numpy()]
        category = own.set_index("column")["category"].reindex(wide_all.columns)
        if targets_all.shape[1] == 0 or not (category == "safety").any():
            continue
        # The target's own axis and capability values are among the shared ones (``axes_at``).
        latest, capability = newest.wide_at(as_of), newest.capability_at(as_of)
        models = mine.drop_duplicates("canonical_id")[["canonical_id", "model_set", "kind"]]
        for set_name, members in target_sets(models, pooled).items():
            # Sorted: the bootstrap resamples models by position, so a fixed order makes a rho's
            # interval reproducible from the stored axis (``benchwatch check`` recomputes it).
            members = members.intersection(targets_all.index).sort_values()
            keys = {"source": target, "model_set": set_name, "as_of": as_of}
            axes, facts = _axes(latest, capability, members, params, skip_axes, min_coverage, target)
            result = _set_results(keys, targets_all.loc[members], axes, facts, names, params, ids,
                                  groups=groups, shares=shares, context=context)
            if as_of == dates[-1]:
                result.residuals = _named(
                    safety_residuals(targets_all.loc[members], own, axes, keys), names)
            parts.append(result)
    return Results.concat(parts)


def _axes(
    latest: Mapping[str, pd.DataFrame], capability: Mapping[str, pd.DataFrame], members: pd.Index, params: Params,
    skip_axes: frozenset[str], min_coverage: float, target: str,
) -> tuple[dict[str, pd.Series], dict[str, dict]]:
    """Axis vectors over the set's members, and what each axis row records. ``latest``: each
    source's values as of the date as canonical ids x benchmarks (``by_model``); ``capability``:
    their ``capability_columns``."""
    axes: dict[str, pd.Series] = {}
    facts: dict[str, dict] = {}
    for name, spec in EXTERNAL_AXES.items():
        if name in skip_axes:
            continue
        vector, used = axis_from(latest, spec, members)
        if vector.empty:
            continue
        axes[name] = vector
        facts[name] = {"n_dropped": len(members) - len(vector), "n_benchmarks": 1,
                       "explained_variance": np.nan, "missing_policy": PAIRWISE,
                       "axis_sources": ", ".join(used), "min_coverage": np.nan}
    if AXIS_PC1_JOINT in skip_axes:
        return axes, facts
    joint = joint_from(capability, members, min_coverage)
    external = [c for c in joint.columns if not c.startswith(f"{target}:")]
    pc1 = capability_axis(joint, params.policy, params.seed) if external else None
    if pc1 is not None and any(not c.startswith(f"{target}:") for c in pc1.loadings.index):
        axes[AXIS_PC1_JOINT] = pc1.scores
        facts[AXIS_PC1_JOINT] = {
            "n_dropped": len(members) - len(pc1.scores),
            "n_benchmarks": len(pc1.loadings), "explained_variance": pc1.explained_variance,
            "missing_policy": params.policy, "axis_sources": ", ".join(pc1.loadings.index),
            "min_coverage": min_coverage, "loadings": pc1.loadings, "joint": joint, "filled": pc1.filled,
        }
    return axes, facts


def _named(frame: pd.DataFrame, names: pd.Series) -> pd.DataFrame:
    """Replace canonical ids in ``model`` by the target source's own model names."""
    if frame.empty:
        return frame
    return frame.assign(canonical_id=frame["model"], model=frame["model"].map(names))


def _benchmark_ids(registry: pd.DataFrame, target: str) -> dict[str, str]:
    """Canonical benchmark ids: "source:column" of every source, and the target's bare columns."""
    if "benchmark_id" not in registry:
        return {}
    ids = dict(zip(registry["source"] + ":" + registry["column"], registry["benchmark_id"], strict=True))
    own = registry[registry["source"] == target]
    ids.update(zip(own["column"], own["benchmark_id"], strict=True))
    return ids


def _leave_one_out(
    stats: pd.DataFrame, targets: pd.DataFrame, fact: dict, params: Params, ids: dict[str, str],
    shares: dict[str, str],
    context: SignalContext,
) -> pd.DataFrame:
    """Re-correlate each target that the joint PC1 holds as another source's column, or whose items
    one of its columns is measured on (``shares``: registry ``shares_items_with``), against PC1
    recomputed without those columns: the pair is then independent, and says so."""
    stats = stats.assign(relation_reason="")
    for i, column in enumerate(targets.columns):
        same = same_benchmark(fact["loadings"].index, ids.get(column), ids)
        shared = [c for c in left_out(fact["loadings"].index, shares.get(column, ""), ids) if c not in same]
        why = " and ".join(text for text, cols in (("the same benchmark", same),
                                                  ("measured on the same items", shared)) if cols)
        same = same + shared
        if not same:
            continue
        rest = fact["joint"].drop(columns=same)
        pc1 = capability_axis(rest, params.policy, params.seed) if rest.shape[1] else None
        if pc1 is None:
            stats.loc[i, ["rho", "ci_low", "ci_high", *PVALUES, *SIGNAL_COLUMNS]] = np.nan
            stats.loc[i, "interval"] = None
            stats.loc[i, ["n", "n_time"]] = 0
            stats.loc[i, "relation_reason"] = f"no pc1-joint is left without {', '.join(same)}"
            continue
        one = spearman_with_ci(targets[[column]].to_numpy(dtype=float),
                               pc1.scores.reindex(targets.index).to_numpy(dtype=float),
                               params.resamples, params.seed, params.ci_level, thresholds=params.thresholds,
                               refit=pc1.filled.reindex(targets.index).to_numpy(dtype=float)
                               ).join(row_signals(targets[[column]], pc1.scores, context, params.subsets,
                                                  params.seed))
        for field in one.columns:
            stats.loc[i, field] = one[field].iloc[0]
        stats.loc[i, "relation_reason"] = f"pc1-joint recomputed without {', '.join(same)} ({why})"
    return stats


def _set_results(
    keys: dict, targets: pd.DataFrame, axes: dict[str, pd.Series], facts: dict[str, dict],
    names: pd.Series, params: Params, ids: dict[str, str] | None = None, groups: pd.Series | None = None,
    shares: dict[str, str] | None = None, context: SignalContext | None = None,
) -> Results:
    axis_rows, correlations, scores, loadings = [], [], [], []
    context = context if context is not None else SignalContext()
    for name, vector in axes.items():
        fact = facts[name]
        axis_rows.append({**keys, "axis": name, "n_models": len(vector), **{
            k: fact[k] for k in ("n_dropped", "n_benchmarks", "explained_variance", "missing_policy",
                                 "axis_sources", "min_coverage")}})
        points, values, point_context = targets, vector, context
        if name in GROUP_AXES and groups is not None:
            points, values, _ = one_point_per_group(targets, vector, groups)
            point_context = replace(context, release=group_release(context.release, groups))
        stats = spearman_with_ci(
            points.to_numpy(dtype=float), values.reindex(points.index).to_numpy(dtype=float),
            params.resamples, params.seed, params.ci_level, thresholds=params.thresholds,
            refit=fact["filled"].reindex(points.index).to_numpy(dtype=float) if "filled" in fact else None,
        ).join(row_signals(points, values, point_context, params.subsets, params.seed))
        if "joint" in fact:
            stats = _leave_one_out(stats, targets, fact, params, ids or {}, shares or {}, context)
        stats.insert(0, "benchmark", targets.columns)
        stats.insert(0, "axis", name)
        correlations.append(stats.assign(**keys))
        scores.append(pd.DataFrame({"model": vector.index.map(names), "canonical_id": vector.index,
                                    "score": vector.to_numpy(), "axis": name, **keys}))
        if "loadings" in fact:
            loadings.append(fact["loadings"].rename_axis("benchmark").reset_index().assign(**keys))

    def frame(items: list) -> pd.DataFrame:
        return pd.concat(items, ignore_index=True) if items else pd.DataFrame()

    return Results(pd.DataFrame(axis_rows), frame(loadings), frame(scores), frame(correlations))
