"""The ``refresh`` flow: every source, then analysis, alerts and notifications, as one run.

Thin orchestration over ``benchwatch.pipeline.refresh``: the flow only chooses
how the steps run (``flows.tasks.prefect_hooks``) and reports what happened
as Prefect events and artifacts.
"""

from __future__ import annotations

from datetime import date

from prefect import flow
from prefect.artifacts import create_table_artifact

from benchwatch.flows.alerts import alerts_artifact, emit_alert_events
from benchwatch.flows.tasks import prefect_hooks
from benchwatch.pipeline import refresh as use_case
from benchwatch.settings import load_settings


@flow(name="refresh", log_prints=True)
def refresh(
    sources: list[str] | None = None,
    mode: str = "replay",
    until: date | None = None,
    db: str | None = None,
    replay_dir: str | None = None,
) -> use_case.RefreshResult:
    """One pass: every source (or those named), then analysis and alerts."""
    settings = load_settings(db=db, replay_dir=replay_dir)
    result = use_case.refresh(settings, sources, mode, until, hooks=prefect_hooks(settings))
    emit_alert_events([*result.transitions, *result.delivery.transitions])
    alerts_artifact(result.transitions, result.delivery)
    create_table_artifact(
        key="refresh-summary",
        table=[{"source": r.source, "status": r.status, "snapshots": r.snapshots,
                "rows_added": r.rows_added, "rows_revised": r.rows_revised,
                "rows_withdrawn": r.rows_withdrawn, "error": r.error or ""} for r in result.reports],
        description=f"Benchwatch refresh ({mode}): analysis run {result.run_id}, "
                    f"{len(result.transitions)} alert transition(s)",
    )
    return result
