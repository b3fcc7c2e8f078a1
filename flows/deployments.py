"""The deployments ``benchwatch serve`` runs, built from ``deploy/prefect.yaml``.

One definition for both ways of running: workers get the deployments with
``prefect deploy --prefect-file deploy/prefect.yaml``, and ``serve`` reads the
same file, so schedules, time zones, triggers and concurrency cannot drift
apart. Only the parameters a one-machine install chooses (live or replay, the
database file) are overridden here.
"""

from __future__ import annotations

from collections.abc import Sequence
from importlib.resources import files
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any, Literal

import yaml
from prefect.client.schemas.objects import ConcurrencyLimitConfig
from prefect.deployments.runner import RunnerDeployment
from prefect.events.schemas.deployment_triggers import DeploymentEventTrigger
from prefect.flows import load_flow_from_entrypoint
from prefect.schedules import Cron, Schedule
from prefect.types.entrypoint import EntrypointType

from benchwatch.settings import CustomSource

PREFECT_FILE = files("benchwatch.deploy") / "prefect.yaml"


def deployment_specs(path: Traversable = PREFECT_FILE) -> list[dict[str, Any]]:
    """The ``deployments`` entries of a prefect.yaml, YAML anchors resolved."""
    return yaml.safe_load(path.read_text(encoding="utf-8"))["deployments"]


def _schedules(spec: dict[str, Any]) -> list[Schedule]:
    return [Cron(s["cron"], timezone=s.get("timezone"), active=s.get("active", True))
            for s in spec.get("schedules") or []]


def _concurrency(spec: dict[str, Any]) -> int | ConcurrencyLimitConfig | None:
    limit = spec.get("concurrency_limit")
    return ConcurrencyLimitConfig(**limit) if isinstance(limit, dict) else limit


def custom_source_specs(custom: Sequence[CustomSource]) -> list[dict[str, Any]]:
    """An ingest deployment per custom source of the settings, shaped like the file's entries:
    its schedule (UTC cron) from the entry, one run at a time."""
    return [{"name": spec.name, "description": f"custom source {spec.name}: {spec.path or spec.url}",
             "entrypoint": "benchwatch.flows.ingest.ingest",
             "parameters": {"source": spec.name, "mode": "live"},
             "schedules": [{"cron": spec.schedule, "timezone": "UTC"}],
             "concurrency_limit": 1, "tags": ["benchwatch", "ingest", "custom"]} for spec in custom]


def runner_deployments(
    mode: Literal["replay", "live"] | None = None,
    db: Path | None = None,
    path: Traversable = PREFECT_FILE,
    custom: Sequence[CustomSource] = (),
) -> list[RunnerDeployment]:
    """Every deployment of the file and one per custom source, for ``prefect.serve``; ``mode``
    and ``db`` override parameters.

    The work pool of the file is left out: a served deployment runs in the
    serving process's runner, not on a worker.
    """
    deployments = []
    for spec in [*deployment_specs(path), *custom_source_specs(custom)]:
        flow = load_flow_from_entrypoint(spec["entrypoint"], use_placeholder_flow=False)
        parameters = dict(spec.get("parameters") or {})
        accepted = flow.parameters.properties
        if mode is not None and "mode" in accepted:
            parameters["mode"] = mode
        if db is not None and "db" in accepted:
            parameters["db"] = str(db)
        deployments.append(flow.to_deployment(
            name=spec["name"],
            description=spec.get("description"),
            tags=spec.get("tags"),
            parameters=parameters,
            schedules=_schedules(spec),
            triggers=[DeploymentEventTrigger(**trigger) for trigger in spec.get("triggers") or []],
            concurrency_limit=_concurrency(spec),
            entrypoint_type=EntrypointType.MODULE_PATH,
        ))
    return deployments
