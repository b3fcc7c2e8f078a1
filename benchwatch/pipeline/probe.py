"""The sources check as a use case: probe the upstreams, and log what failed where the alert rules read.

A failed probe (unreachable, or a format that changed or is unknown) becomes a
failed row of the fetch log, so ``source-failing`` counts it and, when its error
names a column, ``schema-changed`` fires from it, as for a failed ingest. A
good probe is not logged: the check reads no data, and a success row between
two failed ingests would reset the failure streak that ``source-failing`` counts.
"""

from __future__ import annotations

from collections.abc import Iterable

from benchwatch.pipeline.session import writer_session
from benchwatch.settings import Settings
from benchwatch.sources import SOURCES
from benchwatch.sources.http import client_from
from benchwatch.sources.probe import CheckResult, check_sources
from benchwatch.storage.db import utcnow
from benchwatch.storage.observations import fetch_row, record_fetches

CHECK_LABEL = "sources check"


def run_sources_check(
    settings: Settings, names: Iterable[str] | None = None, record: bool = False,
) -> list[CheckResult]:
    """Probe ``names`` (every source by default); with ``record``, log the failures."""
    names = list(names or SOURCES)
    unknown = [name for name in names if name not in SOURCES]
    if unknown:
        raise ValueError(f"unknown source {unknown[0]!r}; known sources: {', '.join(SOURCES)}")
    started = utcnow()
    with client_from(settings) as http:
        results = check_sources(names, http, settings.upstream_base)
    failed = [result for result in results if not result.ok]
    if record and failed:
        with writer_session(settings) as session:
            record_fetches(session.con, [
                fetch_row(r.source, "live", "failed", started, error=f"{CHECK_LABEL}: {r.format}: {r.detail}",
                          http_status=r.http_status, location=r.url)
                for r in failed])
    return results
