"""The ``sources-check`` flow: probe every upstream daily, before the ingests.

A probe that finds a source down or its format changed is logged as a failed
fetch (``pipeline.probe``) and emits ``benchwatch.source.check-failed``, which
triggers analyze-and-alert: ``source-failing`` and ``schema-changed`` fire from
the logged failure (a skipped analysis still evaluates the rules), before an
ingest trips over the same change.
The run fails in Prefect too, so its run history shows the broken upstream.
"""

from __future__ import annotations

from prefect import flow
from prefect.events import emit_event

from benchwatch.pipeline.probe import run_sources_check
from benchwatch.settings import load_settings

CHECK_FAILED = "benchwatch.source.check-failed"


class UpstreamCheckFailed(RuntimeError):
    """At least one upstream is unreachable or no longer in a format Benchwatch recognises."""


@flow(name="sources-check", log_prints=True)
def sources_check(db: str | None = None) -> list[dict]:
    """One cheap request per source; failures into the fetch log; the results returned."""
    settings = load_settings(db=db)
    results = run_sources_check(settings, record=True)
    for result in results:
        print(f"{result.source}: {result.format} (HTTP {result.http_status}, newest data "
              f"{result.newest_data}): {result.detail}")
    failed = [result for result in results if not result.ok]
    for result in failed:
        # Triggers analyze-and-alert, whose rules read the failed fetch just logged.
        emit_event(CHECK_FAILED,
                   resource={"prefect.resource.id": f"benchwatch.source.{result.source}",
                             "prefect.resource.name": result.source},
                   payload={"format": result.format, "http_status": result.http_status,
                            "detail": result.detail})
    if failed:
        raise UpstreamCheckFailed("; ".join(f"{r.source}: {r.format}: {r.detail}" for r in failed))
    return [result.as_dict() for result in results]
