"""The refresh flow's alert steps: deliver notifications, emit events, write the artifact.

Thin wrappers over ``benchwatch.pipeline`` (delivery) and ``alerts.messages``
(the artifact's text), kept apart from the flow so the flow stays a list of steps.
"""

from __future__ import annotations

from prefect import get_run_logger, task
from prefect.artifacts import create_markdown_artifact
from prefect.cache_policies import NO_CACHE
from prefect.events import emit_event

from alerts.lifecycle import BACKFILL
from alerts.messages import run_summary
from alerts.rules import Transition
from alerts.service import DeliveryReport
from benchwatch import pipeline
from benchwatch.settings import Settings


@task(name="notify", cache_policy=NO_CACHE)
def notify_task(con, settings: Settings, run_id: int | None) -> DeliveryReport:
    """Deliver what is pending; a channel that is down is logged (redacted), never fatal."""
    return pipeline.notify_alerts(con, settings, run_id, progress=get_run_logger().info)


def emit_alert_events(transitions: list[Transition]) -> None:
    """One Prefect event per recorded alert change, for automations.

    ``benchwatch.alert.firing`` / ``benchwatch.alert.resolved`` for news;
    ``benchwatch.alert.backfilled`` for history recorded by a backfill, so an
    automation on firing never reacts to a replay of the past.
    """
    for t in transitions:
        name = "benchwatch.alert.backfilled" if t.disposition == BACKFILL else f"benchwatch.alert.{t.state}"
        resource = {"prefect.resource.id": f"benchwatch.alert.{t.key}", "prefect.resource.name": t.key,
                    "benchwatch.rule": t.rule, "benchwatch.source": t.source}
        for field in ("benchmark", "axis", "model_set"):
            if getattr(t, field):
                resource[f"benchwatch.{field}"] = str(getattr(t, field))
        emit_event(event=name, resource=resource, payload={
            "state": t.state, "severity": t.severity, "data_time": t.data_time.isoformat(),
            "value": t.value, "threshold": t.threshold, "ci_low": t.ci_low, "ci_high": t.ci_high, "n": t.n,
            "disposition": t.disposition, "message": t.message,
        })


def alerts_artifact(transitions: list[Transition], delivery: DeliveryReport) -> None:
    """A markdown artifact: this run's alert changes and deliveries (channels redacted)."""
    everything = [*transitions, *delivery.transitions]
    create_markdown_artifact(
        key="refresh-alerts", markdown=run_summary(everything, delivery.attempts),
        description=f"{len(everything)} alert change(s), {len(delivery.attempts)} delivery attempt(s)",
    )
