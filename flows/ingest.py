"""The ``ingest`` flow: one source into the database, the unit each scheduled deployment runs.

One deployment per source lets each follow its upstream's cadence. When a run
adds or revises rows it emits the ``benchwatch.source.updated`` event, which
triggers the analysis-and-alerts deployment; a run that found nothing new
emits nothing, so an unchanged upstream costs no recompute.
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import date
from typing import Literal

from prefect import flow
from prefect.events import emit_event

from benchwatch.flows.tasks import prefect_hooks
from benchwatch.pipeline.refresh import refresh
from benchwatch.settings import load_settings

SOURCE_UPDATED = "benchwatch.source.updated"


class SourceFailed(RuntimeError):
    """The source's fetch failed; it is recorded in the database and the run is marked failed."""


@flow(name="ingest", flow_run_name="ingest {source} ({mode})", log_prints=True)
def ingest(
    source: str,
    mode: Literal["replay", "live"] = "replay",
    until: date | None = None,
    db: str | None = None,
    replay_dir: str | None = None,
) -> dict:
    """Fetch (live) or replay one source, store what is new, publish the read copy."""
    settings = load_settings(db=db, replay_dir=replay_dir)
    [report] = refresh(settings, [source], mode, until, analyze=False, hooks=prefect_hooks(settings)).reports
    if report.rows_added or report.rows_revised or report.rows_withdrawn:
        emit_event(
            SOURCE_UPDATED,
            resource={"prefect.resource.id": f"benchwatch.source.{source}",
                      "prefect.resource.name": source},
            payload={"rows_added": report.rows_added, "rows_revised": report.rows_revised,
                     "rows_withdrawn": report.rows_withdrawn,
                     "snapshots": report.snapshots, "mode": mode},
        )
    if report.status == "failed":
        # Failed in Prefect too, so the deployment's run history shows the broken source.
        raise SourceFailed(f"{source}: {report.error}")
    return asdict(report)
