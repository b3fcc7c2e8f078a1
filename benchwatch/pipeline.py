"""The plain functions the Prefect flows orchestrate, and the tests call directly.

sources -> storage -> analysis -> alerts: each step reads what the previous
one wrote to the database, so any step can be rerun on its own.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date
from typing import Literal

import duckdb
import pandas as pd

from alerts.rules import Transition, capability_tracking
from analysis.engine import Params, Results, analyze_source
from analysis.history import asof_dates
from benchwatch.registry import load_registry
from benchwatch.settings import Settings
from sources import SOURCES, build
from sources.base import Snapshot, Source
from sources.http import HttpClient
from storage import alerts as alert_store
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

    Each snapshot is its own all-or-nothing write, so a failure on the fifth
    snapshot keeps the first four and records the fifth as failed.
    """
    report = SourceReport(name, "unchanged")
    source = build(name, settings.upstream_base)
    fetch_mode = "replay" if mode == "replay" else "live"
    started = utcnow()
    try:
        for snapshot in _snapshots(con, source, settings, mode, until, http):
            started = utcnow()
            if snapshot.not_modified:
                obs.record_fetch(con, name, fetch_mode, "unchanged", started, snapshot)
                continue
            if mode != "reparse" and obs.already_ingested(con, name, snapshot.content_hash):
                continue
            if mode == "live":
                archive_snapshot(settings.archive_path, snapshot)
            batch = source.parse(snapshot)
            result = obs.ingest(con, name, snapshot, batch, started)
            report.snapshots += 1
            report.rows_added += result.rows_added
            report.rows_revised += result.rows_revised
            report.warnings += [f"{snapshot.label}: {w}" for w in result.warnings]
            report.status = "ok"
            progress(f"{name} {snapshot.label}: +{result.rows_added} rows, "
                     f"{result.rows_revised} revised")
    except Exception as exc:  # a source's failure must not stop the others
        report.status, report.error = "failed", f"{type(exc).__name__}: {exc}"
        obs.record_fetch(con, name, fetch_mode, "failed", started, error=report.error,
                         http_status=getattr(exc, "status", None),
                         location=getattr(exc, "location", None) or getattr(exc, "url", None))
        progress(f"{name}: FAILED {report.error}")
        return report
    if report.status == "unchanged" and mode == "replay":
        obs.record_fetch(con, name, fetch_mode, "unchanged", started,
                         location=str(settings.replay_dir))
    return report


def analyze(
    con: duckdb.DuckDBPyConnection, settings: Settings, progress: Progress = lambda _: None,
    force: bool = False,
) -> int | None:
    """Recompute every source's correlations at every as-of date, unless nothing changed.

    Returns the new run id, or None when the data and parameters equal the
    last run's (recorded as a skipped run).
    """
    started = utcnow()
    params = params_of(settings)
    version = obs.data_version(con)
    last = result_store.last_run(con)
    param_dict = {"policy": params.policy, "resamples": params.resamples, "seed": params.seed,
                  "ci_level": params.ci_level}
    if (not force and last is not None and last["data_version"] == version
            and all(last[k if k != "policy" else "missing_policy"] == v for k, v in param_dict.items())):
        result_store.record_skipped_run(con, started, version, param_dict)
        progress("analysis: nothing new since the last run, skipped")
        return None
    registry = load_registry()
    parts = []
    for name, cls in SOURCES.items():
        span = obs.data_span(con, name)
        if span is None:
            continue
        dates = asof_dates(span[0].date(), span[1].date(), settings.asof_frequency)
        progress(f"analysis: {name}, {len(dates)} as-of date(s)")
        history = obs.history_frame(con, name)
        parts.append(analyze_source(name, history, registry, cls.pooled, dates, params))
    results = Results.concat(parts)
    frames = {"axes": results.axes, "loadings": results.loadings, "scores": results.scores,
              "correlations": results.correlations}
    run_id = result_store.save_run(con, started, version, param_dict, frames)
    progress(f"analysis: run {run_id}, {len(results.correlations)} correlations")
    return run_id


def evaluate_alerts(
    con: duckdb.DuckDBPyConnection, settings: Settings, run_id: int | None
) -> list[Transition]:
    """Walk the latest run's history through the rules; record transitions not seen before."""
    history = result_store.correlations(con, as_of="all")
    if history.empty:
        return []
    history["as_of"] = pd.to_datetime(history["as_of"]).dt.date
    transitions = capability_tracking(
        history, settings.capability_threshold, settings.hysteresis, settings.min_models
    )
    return alert_store.record_transitions(con, transitions, run_id)


def summary(con: duckdb.DuckDBPyConnection, per_source: int = 5) -> pd.DataFrame:
    """The most capability-correlated safety benchmarks of each source at its latest point."""
    latest = result_store.correlations(con)
    latest = latest[(latest["category"] == "safety") & latest["rho"].notna()]
    ranked = latest.sort_values("rho", ascending=False)
    return ranked.groupby("source", sort=False).head(per_source).sort_values(["source", "rho"],
                                                                            ascending=[True, False])
