"""The ``refresh`` flow: ingest every source, analyze, evaluate alerts, summarize.

Thin orchestration: each task wraps one function of ``benchwatch.pipeline``.
Sources are separate tasks so one failing source is visible in Prefect and
does not stop the others.
"""

from __future__ import annotations

from datetime import date

from prefect import flow, get_run_logger, task
from prefect.artifacts import create_table_artifact
from prefect.cache_policies import NO_CACHE

from benchwatch import pipeline
from benchwatch.settings import Settings, load_settings
from flows.alerts import alerts_artifact, emit_alert_events, notify_task
from flows.fanout import run_analysis
from flows.session import writer_session
from sources import SOURCES
from sources.http import HttpClient
from storage.publish import publish


@task(name="ingest-source", cache_policy=NO_CACHE)
def ingest_task(con, name: str, settings: Settings, mode: str, until: date | None,
                http: HttpClient | None) -> pipeline.SourceReport:
    logger = get_run_logger()
    report = pipeline.ingest_source(con, name, settings, mode, until, http, progress=logger.info)
    if report.status == "failed":
        logger.error("%s failed: %s", name, report.error)
    return report


@task(name="evaluate-alerts", cache_policy=NO_CACHE)
def alerts_task(con, settings: Settings, run_id: int | None) -> list:
    return pipeline.evaluate_alerts(con, settings, run_id)


@flow(name="refresh", log_prints=True)
def refresh(
    sources: list[str] | None = None,
    mode: str = "replay",
    until: date | None = None,
    db: str | None = None,
    replay_dir: str | None = None,
) -> dict:
    """One pass: every source (or those named), then analysis and alerts."""
    settings = load_settings(db=db, replay_dir=replay_dir)
    names = sources or list(SOURCES)
    for name in names:
        if name not in SOURCES:
            raise ValueError(f"unknown source {name!r}; known sources: {', '.join(SOURCES)}")
    with writer_session(settings, live=mode == "live") as (con, http):
        reports = [ingest_task(con, name, settings, mode, until, http) for name in names]
        run_id = run_analysis(con, settings)
        transitions = alerts_task(con, settings, run_id)
        delivery = notify_task(con, settings, run_id)
        top = pipeline.summary(con, settings.min_models)
        publish(con, settings.db)
    emit_alert_events([*transitions, *delivery.transitions])
    alerts_artifact(transitions, delivery)
    create_table_artifact(
        key="refresh-summary",
        table=[{"source": r.source, "status": r.status, "snapshots": r.snapshots,
                "rows_added": r.rows_added, "rows_revised": r.rows_revised,
                "error": r.error or ""} for r in reports],
        description=f"Benchwatch refresh ({mode}): analysis run {run_id}, "
                    f"{len(transitions)} alert transition(s)",
    )
    return {
        "reports": reports,
        "run_id": run_id,
        "transitions": transitions,
        "delivery": delivery,
        "top": top,
    }
