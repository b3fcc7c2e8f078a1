"""The ``analyze-and-alert`` flow: recompute correlations, evaluate the alert rules, publish.

Its deployment is triggered by the ingest flows' ``benchwatch.source.updated``
event (see ``deploy/prefect.yaml``), with a daily schedule as a backstop. A run
with nothing new since the last one records a skipped analysis and costs
milliseconds, so extra triggers are harmless.
"""

from __future__ import annotations

from prefect import flow

from benchwatch.settings import load_settings
from flows.alerts import alerts_artifact, emit_alert_events, notify_task
from flows.fanout import run_analysis
from flows.refresh import alerts_task
from flows.session import writer_session
from storage.publish import publish


@flow(name="analyze-and-alert", log_prints=True)
def analyze_and_alert(db: str | None = None, force: bool = False) -> dict:
    """Analysis fan-out on the configured task runner, then the alert rules and notifications."""
    settings = load_settings(db=db)
    with writer_session(settings) as (con, _):
        run_id = run_analysis(con, settings, force=force)
        transitions = alerts_task(con, settings, run_id)
        delivery = notify_task(con, settings, run_id)
        publish(con, settings.db)
    emit_alert_events([*transitions, *delivery.transitions])
    alerts_artifact(transitions, delivery)
    return {"run_id": run_id, "transitions": len(transitions),
            "notifications": len(delivery.attempts)}
