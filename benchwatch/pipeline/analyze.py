"""Analysis: every source's correlations at every as-of date, and against other sources' axes.

One driver, ``run_analysis``: plan the (source, as-of date) units in the
process holding the database, map ``analyze_unit`` over them, save one run.
The map is a parameter: a plain ``map`` in a plain process, the Prefect task
runner (threads or Dask) in a flow, so every caller runs the same code.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime

import duckdb
import pandas as pd

from benchwatch.analysis import cross
from benchwatch.analysis.adjusted import METHOD as RESIDUAL_METHOD
from benchwatch.analysis.adjusted import latest_residuals
from benchwatch.analysis.circularity import annotate, classify_pairs, shared_items
from benchwatch.analysis.drift import run_qvalues, series_changes
from benchwatch.analysis.engine import AXIS_COMPUTE, Params, Results, analyze_sets, plain_strings, set_matrices
from benchwatch.analysis.evidence import too_few, with_qvalues
from benchwatch.analysis.history import asof_dates, known_on
from benchwatch.analysis.signals import release_dates as model_release_dates
from benchwatch.identity.kinds import borrowed_kinds
from benchwatch.identity.match import matched_as_checked
from benchwatch.identity.resolve import identity_version, resolve
from benchwatch.settings import Settings
from benchwatch.sources import catalog, full_registry
from benchwatch.storage import identity as identity_store
from benchwatch.storage import observations as obs
from benchwatch.storage import results as result_store
from benchwatch.storage.db import utcnow

Progress = Callable[[str], None]


def params_of(settings: Settings) -> Params:
    return Params(
        policy=settings.missing_capability,
        resamples=settings.bootstrap_resamples,
        seed=settings.bootstrap_seed,
        ci_level=settings.ci_level,
        tracking=settings.capability_threshold,
        subsets=settings.subset_samples,
    )


@dataclass(frozen=True)
class AnalysisUnit:
    """One source at one as-of date: the rows known then, small enough to ship to a worker.

    The fan-out's unit of work. The model sets of a (source, date) stay in one
    unit because they share one pivot (the pooled set is their union).
    ``latest`` marks the source's last as-of date, the one residuals are kept for;
    ``release`` the release date of each of its models where one is known; ``previous`` the
    rows known at the source's previous as-of date (None at its first), for the drift test.
    """

    source: str
    as_of: date
    pooled: bool
    latest: bool
    known: pd.DataFrame
    release: pd.Series | None = None
    previous: pd.DataFrame | None = None


@dataclass(frozen=True)
class AnalysisPlan:
    """What a fan-out run computes, and what its run record needs."""

    started: datetime
    data_version: str
    params: Params
    units: list[AnalysisUnit]
    registry: pd.DataFrame  # the registry files and the custom sources' benchmarks
    pooled: dict[str, bool]  # every followed source: whether its pooled set is meaningful
    min_models: int  # below it a row is no result; the tracking family's floor
    identity: pd.DataFrame  # every stored model's canonical id (``identity.resolve``)
    release: pd.DataFrame  # source, model, canonical_id, release_date: models with a known release date


def plan_analysis(
    con: duckdb.DuckDBPyConnection, settings: Settings, progress: Progress = lambda _: None,
    force: bool = False,
) -> AnalysisPlan | None:
    """Split the recompute into (source, as-of date) units, or None when nothing changed.

    Same skip rule as ``analyze``: equal data version and parameters record a
    skipped run. Reading happens here, in the process holding the database;
    the units are pure inputs for ``analyze_unit`` wherever it runs.
    """
    started = utcnow()
    params = params_of(settings)
    version = obs.data_version(con)
    last = result_store.last_run(con)
    param_dict = _param_dict(params)
    if (not force and last is not None and last["data_version"] == version
            and all(last[k if k != "policy" else "missing_policy"] == v for k, v in param_dict.items())
            and identity_store.run_identity_version(con, last["run_id"]) == identity_version()
            and not result_store.lacks_signals(con, last["run_id"])
            and not result_store.lacks_drift_test(con, last["run_id"])):
        result_store.record_skipped_run(con, started, version, param_dict)
        progress("analysis: nothing new since the last run, skipped")
        return None
    units = []
    sources = catalog(settings)
    # A custom source's models resolve as ``check`` matched them, and a file that flags no kind
    # takes the one the other sources give its models: saving a file does not change its answer.
    customs = [c.name for c in settings.custom_sources]
    # Text as Python objects (``engine.plain_strings``): the units take and index these frames thousands
    # of times.
    identity = matched_as_checked(resolve(identity_store.stored_models(con)), customs)
    identity = plain_strings(borrowed_kinds(identity, customs) if customs else identity)
    # Each model's kind (base/chat, ``identity.kinds``): a source without its own split is split by it.
    kinds = identity[["source", "model", "kind"]]
    release = model_release_dates(identity_store.model_release_dates(con), identity)
    for name, cls in sources.items():
        span = obs.data_span(con, name)
        if span is None:
            continue
        dates = asof_dates(span[0].date(), span[1].date(), settings.asof_frequency)
        history = plain_strings(obs.history_frame(con, name)).merge(
            kinds.loc[kinds["source"] == name, ["model", "kind"]], on="model", how="left")
        own = release[release["source"] == name].set_index("model")["release_date"]
        known = [known_on(history, as_of) for as_of in dates]
        units += [AnalysisUnit(name, as_of, cls.pooled, as_of == dates[-1], known[i], own,
                               known[i - 1] if i else None)
                  for i, as_of in enumerate(dates)]
    progress(f"analysis: {len(units)} (source, as-of date) units")
    return AnalysisPlan(started, version, params, units, plain_strings(full_registry(settings)),
                        {name: cls.pooled for name, cls in sources.items()}, settings.min_models,
                        identity, release)


def analyze_unit(unit: AnalysisUnit, registry: pd.DataFrame, params: Params) -> Results:
    """Every model set and axis of one unit: pure, so it runs on any task runner's worker.

    Same results as ``analyze_source`` over all the source's dates: residuals
    only at its last date. The drift test reuses the unit's set matrices and axes.
    """
    own = registry[registry["source"] == unit.source]
    matrices = set_matrices(unit.known, own, unit.pooled)
    parts, axes = analyze_sets(unit.source, unit.as_of, matrices, own, params, unit.release, unit.latest)
    results = Results.concat(parts)
    if not results.correlations.empty and unit.previous is not None:
        tests = series_changes(unit.source, unit.previous, unit.known, registry, unit.pooled, params,
                               after=(matrices, axes))
        results.correlations = results.correlations.merge(tests, on=["model_set", "axis", "benchmark"], how="left")
    return results


def save_analysis(
    con: duckdb.DuckDBPyConnection, plan: AnalysisPlan, parts: list[Results],
    progress: Progress = lambda _: None,
) -> int:
    """Store the units' results (in plan order) and the cross-source analysis as one run."""
    identity = resolve_identities(con, progress, plan.identity)
    release = plan.release.drop_duplicates("canonical_id").set_index("canonical_id")["release_date"]
    results = Results.concat([*parts, cross_source_analysis(con, plan.params, identity, plan.registry,
                                                                    plan.pooled, progress, release)])
    results.correlations = evidence(classify_correlations(con, results.correlations, plan.registry),
                                    plan.registry, plan.min_models)
    frames = {"axes": results.axes, "loadings": results.loadings, "scores": results.scores,
              "correlations": results.correlations}
    run_id = result_store.save_run(con, plan.started, plan.data_version, _param_dict(plan.params), frames)
    save_identity_results(con, run_id, results, identity)
    progress(f"analysis: run {run_id}, {len(results.correlations)} correlations")
    return run_id


def classify_correlations(con: duckdb.DuckDBPyConnection, correlations: pd.DataFrame,
                          registry: pd.DataFrame) -> pd.DataFrame:
    """Each correlation row with its relation to the axis and why (``analysis.circularity``)."""
    if correlations.empty:
        return correlations
    names = registry[["source", "column", "benchmark_id", "name"]]
    pairs = (correlations[["source", "benchmark"]].drop_duplicates()
             .merge(names.rename(columns={"column": "benchmark"}), on=["source", "benchmark"], how="left"))
    axes, members = correlations["axis"].unique(), obs.axis_members(con)
    classes = classify_pairs(pairs, axes, members, shared=shared_items(registry, members, axes))
    return annotate(correlations, classes)


def evidence(correlations: pd.DataFrame, registry: pd.DataFrame, min_models: int) -> pd.DataFrame:
    """Rows below ``min_models`` without interval (``analysis.evidence``), then each row's q-value
    and, where the unit tested drift, its q_drift (``drift.run_qvalues``)."""
    if correlations.empty:
        return correlations
    category = correlations[["source", "benchmark"]].merge(
        registry[["source", "column", "category"]].drop_duplicates(["source", "column"])
        .rename(columns={"column": "benchmark"}), on=["source", "benchmark"], how="left")["category"]
    category.index = correlations.index
    rows = with_qvalues(too_few(correlations, min_models), category, min_models)
    return rows.assign(q_drift=run_qvalues(rows, category, min_models))


def _param_dict(params: Params) -> dict:
    return {"policy": params.policy, "resamples": params.resamples, "seed": params.seed,
            "ci_level": params.ci_level}


def resolve_identities(con: duckdb.DuckDBPyConnection, progress: Progress = lambda _: None,
                       identity: pd.DataFrame | None = None) -> pd.DataFrame:
    """Resolve every stored model to its canonical id (unless ``identity`` is that resolution,
    made when the run was planned) and store the resolution (model_aliases)."""
    if identity is None:
        identity = resolve(identity_store.stored_models(con))
    identity_store.save_identities(con, identity, identity_version())
    rules = identity["match_rule"].value_counts().to_dict()
    progress(f"identity: {len(identity)} models, {identity['canonical_id'].nunique()} canonical ids "
             f"({', '.join(f'{n} {rule}' for rule, n in sorted(rules.items()))})")
    return identity


def cross_source_analysis(
    con: duckdb.DuckDBPyConnection, params: Params, identity: pd.DataFrame, registry: pd.DataFrame,
    pooled: dict[str, bool], progress: Progress = lambda _: None, release: pd.Series | None = None,
) -> Results:
    """Every source with safety benchmarks against the axes other sources give (``analysis.cross``).

    As-of dates: the source's releases and last data date; a source without
    a capability axis of its own also gets the newest date of any source.
    ``release``: canonical id -> model release date, where known.
    """
    spans = {name: obs.data_span(con, name) for name in pooled}
    spans = {name: span for name, span in spans.items() if span is not None}
    if not spans:
        return Results.concat([])
    newest = max(span[1] for span in spans.values()).date()
    joined = {name: cross.with_identity(plain_strings(obs.history_frame(con, name)),
                                        identity[identity["source"] == name]) for name in spans}
    groups = cross.group_of(plain_strings(identity_store.model_groups(con)), identity)
    shared = cross.NewestValues(joined, registry)  # every target reads it: one computation per date
    parts = []
    for target, span in spans.items():
        own = registry[registry["source"] == target]
        if not (own["category"] == "safety").any():
            continue
        has_pc1, has_compute = ((own["category"] == c).any() for c in ("capability", "compute"))
        dates = cross.cross_dates(identity_store.release_dates(con, target), span[1].date(), newest,
                                  has_pc1 or has_compute)
        skip = frozenset({AXIS_COMPUTE} if has_compute else ())
        progress(f"analysis: {target} against other sources' axes, {len(dates)} as-of date(s)")
        parts.append(cross.analyze_cross_source(target, joined, registry, pooled[target], dates, params, skip,
                                                groups=groups, release=release, newest=shared))
    return Results.concat(parts)


def save_identity_results(
    con: duckdb.DuckDBPyConnection, run_id: int, results: Results, identity: pd.DataFrame
) -> None:
    """A run's residuals (latest as-of point of each series) and cross-source axis facts."""
    residuals = latest_residuals(results.residuals)
    if len(residuals):
        names = identity.set_index(["source", "model"])["canonical_id"]
        known = residuals.get("canonical_id", pd.Series(index=residuals.index, dtype=object))
        looked_up = pd.Series(names.reindex(pd.MultiIndex.from_frame(residuals[["source", "model"]]))
                              .to_numpy(), index=residuals.index)
        residuals = residuals.assign(canonical_id=known.fillna(looked_up), method=RESIDUAL_METHOD)
    identity_store.save_run_extras(con, run_id, results.axes, residuals, identity_version())


UnitMap = Callable[[list[AnalysisUnit], pd.DataFrame, Params], list[Results]]


def serial_map(units: list[AnalysisUnit], registry: pd.DataFrame, params: Params) -> list[Results]:
    """The plain map: every unit in this process, in plan order."""
    return [analyze_unit(unit, registry, params) for unit in units]


def run_analysis(
    con: duckdb.DuckDBPyConnection, settings: Settings, map_units: UnitMap = serial_map,
    progress: Progress = lambda _: None, force: bool = False,
) -> int | None:
    """Plan, map ``analyze_unit`` over the units, store one run; None when nothing changed.

    Every model is resolved to its canonical id, every source is analysed on
    its own and against the other sources' axes. Returns the new run id, or
    None when the data, parameters and identity rules (aliases.csv) equal the
    last run's (recorded as a skipped run).
    """
    plan = plan_analysis(con, settings, progress, force)
    if plan is None:
        return None
    parts = map_units(plan.units, plan.registry, plan.params)
    return save_analysis(con, plan, parts, progress)
