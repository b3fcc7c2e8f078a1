"""Ingest: read one source (replay, live or re-parse of the archive) and write what is new.

A source's failure is recorded in the fetch log and reported, never raised,
so one broken upstream never stops the others.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date
from typing import Literal

import duckdb

from benchwatch.settings import Settings
from benchwatch.sources import configured, full_registry
from benchwatch.sources.base import Snapshot, Source, enforce_scales
from benchwatch.sources.http import HttpClient
from benchwatch.storage import observations as obs
from benchwatch.storage.archive import archive_snapshot, archived_snapshots
from benchwatch.storage.db import utcnow

Mode = Literal["replay", "live", "reparse"]
Progress = Callable[[str], None]


@dataclass
class SourceReport:
    """What one source's refresh did, for the summary and the flow's artifact."""

    source: str
    status: str
    snapshots: int = 0
    rows_added: int = 0
    rows_revised: int = 0
    warnings: list[str] = field(default_factory=list)
    error: str | None = None


def _snapshots(
    con: duckdb.DuckDBPyConnection, source: Source, settings: Settings, mode: Mode,
    until: date | None, http: HttpClient | None,
) -> Iterator[Snapshot]:
    if mode == "replay":
        return source.replay(settings.require_replay_dir(), until)
    if mode == "reparse":
        return archived_snapshots(settings.archive_path, source.name)
    assert http is not None
    return source.fetch(http, obs.previous_fetches(con, source.name))


# Parsed rows held before a write: bounds memory on a long replay.
PENDING_ROWS = 1_000_000


def ingest_source(
    con: duckdb.DuckDBPyConnection,
    name: str,
    settings: Settings,
    mode: Mode = "replay",
    until: date | None = None,
    http: HttpClient | None = None,
    progress: Progress = lambda _: None,
) -> SourceReport:
    """Read a source and write what is new; a failure is recorded, never raised.

    Parsed snapshots are written together (one transaction per run of them),
    and what parsed before a failure is written before the failure is
    recorded: a broken fifth snapshot keeps the first four.
    """
    report = SourceReport(name, "unchanged")
    source = configured(name, settings)
    registry = full_registry(settings)
    scales = dict(registry.loc[registry["source"] == name, ["column", "scale"]].itertuples(index=False))
    fetch_mode = "replay" if mode == "replay" else "live"
    seen = obs.ingested_hashes(con, name) if mode != "reparse" else set()
    pending: list[obs.Pending] = []
    started = utcnow()
    try:
        for snapshot in _snapshots(con, source, settings, mode, until, http):
            started = utcnow()
            if snapshot.not_modified:
                obs.record_fetch(con, name, fetch_mode, "unchanged", started, snapshot=snapshot)
                continue
            if snapshot.content_hash in seen:
                continue
            if mode == "live":
                archive_snapshot(settings.archive_path, snapshot)
            batch = enforce_scales(source.parse(snapshot), scales, name, snapshot.location)
            pending.append(obs.Pending(snapshot, batch, started))
            if mode != "reparse":
                seen.add(snapshot.content_hash)
            if sum(p.rows for p in pending) >= PENDING_ROWS:
                _write(con, name, pending, report, progress)
        _write(con, name, pending, report, progress)
    except Exception as exc:  # a source's failure must not stop the others
        report.status, report.error = "failed", f"{type(exc).__name__}: {exc}"
        try:
            _write(con, name, pending, report, progress)
        except Exception as write_exc:  # the database itself refused: keep the first error
            report.error += f"; writing the snapshots parsed before it also failed: {write_exc}"
        obs.record_fetch(con, name, fetch_mode, "failed", started, error=report.error,
                         http_status=getattr(exc, "status", None),
                         location=getattr(exc, "location", None) or getattr(exc, "url", None))
        progress(f"{name}: FAILED {report.error}")
        return report
    if report.status == "unchanged" and mode == "replay":
        obs.record_fetch(con, name, fetch_mode, "unchanged", started,
                         location=str(settings.replay_dir))
    return report


def _write(
    con: duckdb.DuckDBPyConnection, name: str, pending: list[obs.Pending], report: SourceReport,
    progress: Progress,
) -> None:
    """Write the pending snapshots, count them in the report, and empty the list."""
    results = obs.ingest_many(con, name, pending)
    for item, result in zip(pending, results, strict=True):
        label = item.snapshot.label
        report.snapshots += 1
        report.rows_added += result.rows_added
        report.rows_revised += result.rows_revised
        report.warnings += [f"{label}: {w}" for w in result.warnings]
        if report.status != "failed":
            report.status = "ok"
        progress(f"{name} {label}: +{result.rows_added} rows, {result.rows_revised} revised")
    pending.clear()


