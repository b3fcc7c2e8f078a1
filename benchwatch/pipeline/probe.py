"""The sources check as a use case: probe the upstreams, and log what failed where the alert rules read.

A failed probe (unreachable, or a format that changed or is unknown) becomes a
failed row of the fetch log, so ``source-failing`` counts it and, when its error
names a column, ``schema-changed`` fires from it, as for a failed ingest. A
good probe is not logged: the check reads no data, and a success row between
two failed ingests would reset the failure streak that ``source-failing`` counts.

Beside the probe, the check says which files the newest ingested Epoch ZIP declares
(``benchmark_metadata.csv``, stored as ``upstream_benchmarks``) that the registry does not
map: they are stored as ``other`` and never correlated until someone maps them. Files
whose name or Epoch's own name for them says safety (``SAFETY_WORDS``) are listed first.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import replace

from benchwatch.pipeline.session import writer_session
from benchwatch.settings import Settings
from benchwatch.sources import SOURCES
from benchwatch.sources.http import client_from
from benchwatch.sources import full_registry
from benchwatch.sources.probe import CheckResult, check_sources
from benchwatch.storage.db import DatabaseUnusable, connect, utcnow
from benchwatch.storage.observations import fetch_row, record_fetches, upstream_benchmarks

CHECK_LABEL = "sources check"
# Sources whose upstream declares its own benchmark list (stored at ingest in upstream_benchmarks).
DECLARING = ("epoch",)
# Words in a file's or benchmark's name that make an unmapped file worth a reviewer's look first.
SAFETY_WORDS = re.compile(
    r"safe|harm|jailbreak|refus|hallucinat|truth|factual|honest|decept|sandbag|bias|toxic|cyber|exploit|"
    r"bio|chem|weapon|calibrat|misuse|schem|sycophan|persua|manipul|wmdp|machiavelli|red.?team|adversar",
    re.IGNORECASE)


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
    results = [_with_unmapped(settings, result) for result in results]
    failed = [result for result in results if not result.ok]
    if record and failed:
        with writer_session(settings) as session:
            record_fetches(session.con, [
                fetch_row(r.source, "live", "failed", started, error=f"{CHECK_LABEL}: {r.format}: {r.detail}",
                          http_status=r.http_status, location=r.url)
                for r in failed])
    return results


def _with_unmapped(settings: Settings, result: CheckResult) -> CheckResult:
    """``result`` with the declared files the registry does not map (safety-relevant ones first)."""
    if result.source not in DECLARING or not settings.db.exists():
        return result
    try:
        with connect(settings.db, read_only=True) as con:
            declared = upstream_benchmarks(con, result.source)
    except DatabaseUnusable:
        return result
    registry = full_registry(settings)
    mapped = set(registry.loc[registry["source"] == result.source, "column"])
    missing = declared[~declared["column"].isin(mapped)]
    if missing.empty:
        return result
    words = missing["column"] + " " + missing["upstream_name"].fillna("")
    safety = sorted(missing.loc[words.str.contains(SAFETY_WORDS).to_numpy(), "column"])
    others = sorted(set(missing["column"]) - set(safety))
    detail = (f"; unmapped in the registry ({len(missing)} of the newest ZIP's files, stored as other): "
              f"safety-relevant: {', '.join(safety) or 'none'}; others: {', '.join(others) or 'none'}")
    return replace(result, detail=result.detail + detail, unmapped=tuple(safety + others),
                   unmapped_safety=tuple(safety))
