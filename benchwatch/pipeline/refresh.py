"""The refresh use case: the one definition of a writer's pass over the data.

lock and open -> ingest each named source -> analyse -> evaluate the alert
rules -> notify -> publish the readers' copy. The Prefect flows, the CLI,
the crash harness, the benchmarks and the tests all call ``refresh``; what
differs between them is only *how* steps run (``Hooks``): plain calls here,
Prefect tasks and the Prefect task runner in ``benchwatch.flows``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date

import duckdb
import pandas as pd

from benchwatch.alerting import service as alert_service
from benchwatch.alerting.rules import Transition
from benchwatch.alerting.service import DeliveryReport
from benchwatch.analysis.circularity import INDEPENDENT
from benchwatch.analysis.engine import is_pooled_remainder
from benchwatch.pipeline.analyze import UnitMap, run_analysis, serial_map
from benchwatch.pipeline.ingest import Mode, Progress, SourceReport, ingest_source
from benchwatch.pipeline.session import writer_session
from benchwatch.settings import Settings
from benchwatch.sources import catalog
from benchwatch.storage import results as result_store

Ingest = Callable[..., SourceReport]
Evaluate = Callable[[duckdb.DuckDBPyConnection, Settings, "int | None"], list[Transition]]
Notify = Callable[[duckdb.DuckDBPyConnection, Settings, "int | None"], DeliveryReport]


def _quiet(_: str) -> None:
    return None


@dataclass(frozen=True)
class Hooks:
    """How the steps of a refresh run. The defaults are plain calls in this process.

    ``stage`` is told each stage as it begins (start, ingest, analysis,
    alerts, publish): the crash harness aims its kills with it.
    """

    ingest: Ingest = ingest_source
    map_units: UnitMap = serial_map
    evaluate: Evaluate = alert_service.evaluate
    notify: Notify = alert_service.deliver
    progress: Progress = _quiet
    stage: Callable[[str], None] = _quiet


@dataclass
class RefreshResult:
    """What a refresh did: per-source reports, the analysis run, alert changes and deliveries."""

    reports: list[SourceReport] = field(default_factory=list)
    run_id: int | None = None
    transitions: list[Transition] = field(default_factory=list)
    delivery: DeliveryReport = field(default_factory=DeliveryReport)
    top: pd.DataFrame = field(default_factory=pd.DataFrame)

    @property
    def failed(self) -> list[SourceReport]:
        return [r for r in self.reports if r.status == "failed"]


def source_names(sources: Sequence[str] | None, settings: Settings) -> list[str]:
    """The named sources (all when None, custom sources included); an unknown name is an error
    listing the known ones."""
    known = catalog(settings)
    names = list(known) if sources is None else list(sources)
    unknown = [name for name in names if name not in known]
    if unknown:
        raise ValueError(f"unknown source {unknown[0]!r}; known sources: {', '.join(known)}")
    return names


def refresh(
    settings: Settings,
    sources: Sequence[str] | None = None,
    mode: Mode = "replay",
    until: date | None = None,
    *,
    analyze: bool = True,
    force: bool = False,
    hooks: Hooks = Hooks(),
) -> RefreshResult:
    """One writer pass: ingest ``sources`` (every one when None, none when empty), then,
    with ``analyze``, the analysis, the alert rules and notifications; always publish.

    A scheduled ingest is ``refresh(settings, [name], "live", analyze=False)``;
    the analysis deployment is ``refresh(settings, [])``.
    """
    names = source_names(sources, settings)
    if mode == "replay" and names:
        settings.require_replay_dir()
    result = RefreshResult()
    hooks.stage("start")
    with writer_session(settings, live=mode == "live") as session:
        hooks.stage("ingest")
        result.reports = [hooks.ingest(session.con, name, settings, mode, until, session.http,
                                       progress=hooks.progress) for name in names]
        if analyze:
            hooks.stage("analysis")
            result.run_id = run_analysis(session.con, settings, hooks.map_units, hooks.progress, force)
            hooks.stage("alerts")
            result.transitions = hooks.evaluate(session.con, settings, result.run_id)
            result.delivery = hooks.notify(session.con, settings, result.run_id)
            result.top = summary(session.con, settings.min_models)
        hooks.stage("publish")
    return result


def summary(con: duckdb.DuckDBPyConnection, min_models: int, per_source: int = 5) -> pd.DataFrame:
    """The most capability-correlated safety benchmarks of each source at its latest point,
    among correlations over at least ``min_models`` models (the alert rules' floor) of
    independent pairs (never one that holds by construction, ``analysis.circularity``)."""
    latest = result_store.correlations(con)
    latest = latest[(latest["category"] == "safety") & latest["rho"].notna() & (latest["n"] >= min_models)
                    & (latest["relation"] == INDEPENDENT) & ~is_pooled_remainder(latest["model_set"])]
    ranked = latest.sort_values("rho", ascending=False)
    return ranked.groupby("source", sort=False).head(per_source).sort_values(["source", "rho"],
                                                                            ascending=[True, False])
