"""What a flow tells Prefect about alerts: one event per change, and the run's artifact.

Thin wrappers over ``benchwatch.alerting.messages`` (the artifact's text),
kept apart from the flows so each flow stays a list of steps.
"""

from __future__ import annotations

from prefect.artifacts import create_markdown_artifact
from prefect.events import emit_event

from benchwatch.alerting.lifecycle import BACKFILL
from benchwatch.alerting.messages import run_summary
from benchwatch.alerting.rules import Transition
from benchwatch.alerting.service import DeliveryReport


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
