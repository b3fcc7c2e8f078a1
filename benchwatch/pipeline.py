"""The plain functions the Prefect flows orchestrate, and the tests call directly.

sources -> storage -> analysis -> alerts: each step reads what the previous
one wrote to the database, so any step can be rerun on its own.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Literal

import duckdb
import pandas as pd

from alerts import service as alert_service
from alerts.rules import Transition
from alerts.service import DeliveryReport
from analysis import axes as cross
from analysis.adjusted import METHOD as RESIDUAL_METHOD
from analysis.adjusted import latest_residuals
from analysis.engine import AXIS_COMPUTE, Params, Results, analyze_source
from analysis.history import asof_dates, known_on
from benchwatch.registry import load_registry
from benchwatch.settings import Settings
from identity.resolve import identity_version, resolve
from sources import SOURCES, build
from sources.base import Snapshot, Source, enforce_scales
from sources.http import HttpClient
from storage import identity as identity_store
from storage import observations as obs
from storage import results as result_store
from storage.archive import archive_snapshot, archived_snapshots
from storage.db import utcnow

Mode = Literal["replay", "live", "reparse"]
Progress = Callable[[str], None]


@dataclass
class SourceReport:
    """What one source's refresh did, for the summary and the flow's artifact."""

    source: str
    status: str
    snapshots: int = 0
    rows_added: int = 0
    rows_revised: int = 0
    warnings: list[str] = field(default_factory=list)
    error: str | None = None


def params_of(settings: Settings) -> Params:
    return Params(
        policy=settings.missing_capability,
        resamples=settings.bootstrap_resamples,
        seed=settings.bootstrap_seed,
        ci_level=settings.ci_level,
    )


def _snapshots(
    con: duckdb.DuckDBPyConnection, source: Source, settings: Settings, mode: Mode,
    until: date | None, http: HttpClient | None,
) -> Iterator[Snapshot]:
    if mode == "replay":
        return source.replay(settings.replay_dir, until)
    if mode == "reparse":
        return archived_snapshots(settings.archive_path, source.name)
    assert http is not None
    return source.fetch(http, obs.previous_fetches(con, source.name))


# Parsed rows held before a write: bounds memory on a long replay.
PENDING_ROWS = 1_000_000


def ingest_source(
    con: duckdb.DuckDBPyConnection,
    name: str,
    settings: Settings,
    mode: Mode = "replay",
    until: date | None = None,
    http: HttpClient | None = None,
    progress: Progress = lambda _: None,
) -> SourceReport:
    """Read a source and write what is new; a failure is recorded, never raised.

    Parsed snapshots are written together (one transaction per run of them),
    and what parsed before a failure is written before the failure is
    recorded: a broken fifth snapshot keeps the first four.
    """
    report = SourceReport(name, "unchanged")
    source = build(name, settings.upstream_base)
    registry = load_registry()
    scales = dict(registry.loc[registry["source"] == name, ["column", "scale"]].itertuples(index=False))
    fetch_mode = "replay" if mode == "replay" else "live"
    seen = obs.ingested_hashes(con, name) if mode != "reparse" else set()
    pending: list[obs.Pending] = []
    started = utcnow()
    try:
        for snapshot in _snapshots(con, source, settings, mode, until, http):
            started = utcnow()
            if snapshot.not_modified:
                obs.record_fetch(con, name, fetch_mode, "unchanged", started, snapshot=snapshot)
                continue
            if snapshot.content_hash in seen:
                continue
            if mode == "live":
                archive_snapshot(settings.archive_path, snapshot)
            batch = enforce_scales(source.parse(snapshot), scales, name, snapshot.location)
            pending.append(obs.Pending(snapshot, batch, started))
            if mode != "reparse":
                seen.add(snapshot.content_hash)
            if sum(p.rows for p in pending) >= PENDING_ROWS:
                _write(con, name, pending, report, progress)
        _write(con, name, pending, report, progress)
    except Exception as exc:  # a source's failure must not stop the others
        report.status, report.error = "failed", f"{type(exc).__name__}: {exc}"
        try:
            _write(con, name, pending, report, progress)
        except Exception as write_exc:  # the database itself refused: keep the first error
            report.error += f"; writing the snapshots parsed before it also failed: {write_exc}"
        obs.record_fetch(con, name, fetch_mode, "failed", started, error=report.error,
                         http_status=getattr(exc, "status", None),
                         location=getattr(exc, "location", None) or getattr(exc, "url", None))
        progress(f"{name}: FAILED {report.error}")
        return report
    if report.status == "unchanged" and mode == "replay":
        obs.record_fetch(con, name, fetch_mode, "unchanged", started,
                         location=str(settings.replay_dir))
    return report


def _write(
    con: duckdb.DuckDBPyConnection, name: str, pending: list[obs.Pending], report: SourceReport,
    progress: Progress,
) -> None:
    """Write the pending snapshots, count them in the report, and empty the list."""
    results = obs.ingest_many(con, name, pending)
    for item, result in zip(pending, results, strict=True):
        label = item.snapshot.label
        report.snapshots += 1
        report.rows_added += result.rows_added
        report.rows_revised += result.rows_revised
        report.warnings += [f"{label}: {w}" for w in result.warnings]
        if report.status != "failed":
            report.status = "ok"
        progress(f"{name} {label}: +{result.rows_added} rows, {result.rows_revised} revised")
    pending.clear()


def analyze(
    con: duckdb.DuckDBPyConnection, settings: Settings, progress: Progress = lambda _: None,
    force: bool = False,
) -> int | None:
    """Recompute every source's correlations at every as-of date, unless nothing changed.

    The serial form of the flow's fan-out: the same plan, units and save.
    Every model is resolved to its canonical id, every source is analysed on
    its own and against the other sources' axes. Returns the new run id, or
    None when the data, parameters and identity rules (aliases.csv) equal the
    last run's (recorded as a skipped run).
    """
    plan = plan_analysis(con, settings, progress, force)
    if plan is None:
        return None
    registry = load_registry()
    parts = [analyze_unit(unit, registry, plan.params) for unit in plan.units]
    return save_analysis(con, plan, parts, progress)


def evaluate_alerts(
    con: duckdb.DuckDBPyConnection, settings: Settings, run_id: int | None
) -> list[Transition]:
    """Walk every alert rule over the whole history; record what changed, each stamped
    backfill (history, never sent), notify or silenced (see ``alerts.lifecycle``)."""
    return alert_service.evaluate(con, settings, run_id)


def notify_alerts(
    con: duckdb.DuckDBPyConnection, settings: Settings, run_id: int | None,
    progress: Progress = lambda _: None,
) -> DeliveryReport:
    """Deliver pending alert changes to every channel; failures are recorded and retried next run."""
    return alert_service.deliver(con, settings, run_id, progress)


def summary(con: duckdb.DuckDBPyConnection, min_models: int, per_source: int = 5) -> pd.DataFrame:
    """The most capability-correlated safety benchmarks of each source at its latest point,
    among correlations over at least ``min_models`` models (the alert rules' floor)."""
    latest = result_store.correlations(con)
    latest = latest[(latest["category"] == "safety") & latest["rho"].notna() & (latest["n"] >= min_models)]
    ranked = latest.sort_values("rho", ascending=False)
    return ranked.groupby("source", sort=False).head(per_source).sort_values(["source", "rho"],
                                                                            ascending=[True, False])


@dataclass(frozen=True)
class AnalysisUnit:
    """One source at one as-of date: the rows known then, small enough to ship to a worker.

    The fan-out's unit of work. The model sets of a (source, date) stay in one
    unit because they share one pivot (the pooled set is their union).
    ``latest`` marks the source's last as-of date, the one residuals are kept for.
    """

    source: str
    as_of: date
    pooled: bool
    latest: bool
    known: pd.DataFrame


@dataclass(frozen=True)
class AnalysisPlan:
    """What a fan-out run computes, and what its run record needs."""

    started: datetime
    data_version: str
    params: Params
    units: list[AnalysisUnit]


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
            and identity_store.run_identity_version(con, last["run_id"]) == identity_version()):
        result_store.record_skipped_run(con, started, version, param_dict)
        progress("analysis: nothing new since the last run, skipped")
        return None
    units = []
    for name, cls in SOURCES.items():
        span = obs.data_span(con, name)
        if span is None:
            continue
        dates = asof_dates(span[0].date(), span[1].date(), settings.asof_frequency)
        history = obs.history_frame(con, name)
        units += [AnalysisUnit(name, as_of, cls.pooled, as_of == dates[-1], known_on(history, as_of))
                  for as_of in dates]
    progress(f"analysis: {len(units)} (source, as-of date) units")
    return AnalysisPlan(started, version, params, units)


def analyze_unit(unit: AnalysisUnit, registry: pd.DataFrame, params: Params) -> Results:
    """Every model set and axis of one unit: pure, so it runs on any task runner's worker.

    Same results as ``analyze_source`` over all the source's dates: residuals
    only at its last date.
    """
    results = analyze_source(unit.source, unit.known, registry, unit.pooled, [unit.as_of], params)
    if not unit.latest:
        results.residuals = pd.DataFrame()
    return results


def save_analysis(
    con: duckdb.DuckDBPyConnection, plan: AnalysisPlan, parts: list[Results],
    progress: Progress = lambda _: None,
) -> int:
    """Store the units' results (in plan order) and the cross-source analysis as one run."""
    identity = resolve_identities(con, progress)
    results = Results.concat([*parts, cross_source_analysis(con, plan.params, identity, progress)])
    frames = {"axes": results.axes, "loadings": results.loadings, "scores": results.scores,
              "correlations": results.correlations}
    run_id = result_store.save_run(con, plan.started, plan.data_version, _param_dict(plan.params), frames)
    save_identity_results(con, run_id, results, identity)
    progress(f"analysis: run {run_id}, {len(results.correlations)} correlations")
    return run_id


def _param_dict(params: Params) -> dict:
    return {"policy": params.policy, "resamples": params.resamples, "seed": params.seed,
            "ci_level": params.ci_level}


def resolve_identities(con: duckdb.DuckDBPyConnection, progress: Progress = lambda _: None
                       ) -> pd.DataFrame:
    """Resolve every stored model to its canonical id and store the resolution (model_aliases)."""
    identity = resolve(identity_store.stored_models(con))
    identity_store.save_identities(con, identity, identity_version())
    rules = identity["match_rule"].value_counts().to_dict()
    progress(f"identity: {len(identity)} models, {identity['canonical_id'].nunique()} canonical ids "
             f"({', '.join(f'{n} {rule}' for rule, n in sorted(rules.items()))})")
    return identity


def cross_source_analysis(
    con: duckdb.DuckDBPyConnection, params: Params, identity: pd.DataFrame,
    progress: Progress = lambda _: None,
) -> Results:
    """Every source with safety benchmarks against the axes other sources give (``analysis.axes``).

    As-of dates: the source's releases and last data date; a source without
    a capability axis of its own also gets the newest date of any source.
    """
    registry = load_registry()
    spans = {name: obs.data_span(con, name) for name in SOURCES}
    spans = {name: span for name, span in spans.items() if span is not None}
    if not spans:
        return Results.concat([])
    newest = max(span[1] for span in spans.values()).date()
    joined = {name: cross.with_identity(obs.history_frame(con, name),
                                        identity[identity["source"] == name]) for name in spans}
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
        parts.append(cross.analyze_cross_source(target, cross.inputs_for(target, joined, registry),
                                                registry, SOURCES[target].pooled, dates, params, skip))
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
