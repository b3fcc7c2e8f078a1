"""The ``analyze-and-alert`` flow: recompute correlations, evaluate the alert rules, publish.

Its deployment is triggered by the ingest flows' ``benchwatch.source.updated``
event (see ``deploy/prefect.yaml``), with a daily schedule as a backstop. A run
with nothing new since the last one records a skipped analysis and costs
milliseconds, so extra triggers are harmless.
"""

from __future__ import annotations

from prefect import flow
from prefect.events import emit_event

from benchwatch.flows.alerts import alerts_artifact, emit_alert_events
from benchwatch.flows.tasks import prefect_hooks
from benchwatch.pipeline.refresh import refresh
from benchwatch.settings import load_settings

# Emitted when a run stored new results or an alert changed state: the publish deployment's trigger.
ANALYSIS_CHANGED = "benchwatch.analysis.changed"


@flow(name="analyze-and-alert", log_prints=True)
def analyze_and_alert(db: str | None = None, force: bool = False) -> dict:
    """Analysis fan-out on the configured task runner, then the alert rules and notifications."""
    settings = load_settings(db=db)
    result = refresh(settings, [], force=force, hooks=prefect_hooks(settings))
    emit_alert_events([*result.transitions, *result.delivery.transitions])
    alerts_artifact(result.transitions, result.delivery)
    if result.run_id is not None or result.transitions:
        emit_event(ANALYSIS_CHANGED, resource={"prefect.resource.id": "benchwatch.analysis",
                                               "prefect.resource.name": "analysis"},
                   payload={"run_id": result.run_id, "transitions": len(result.transitions)})
    return {"run_id": result.run_id, "transitions": len(result.transitions),
            "notifications": len(result.delivery.attempts)}
