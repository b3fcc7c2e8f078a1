"""Ingest: read one source (replay, live, a re-parse of the archive, or a rebuild from it)
and write what is new.

A source's failure is recorded in the fetch log and reported, never raised,
so one broken upstream never stops the others. Every live fetch and every
replayed snapshot is recorded in the raw archive's index as it is read
(``storage.archive``), so a lost database can be rebuilt by replaying it.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date
from typing import Literal

import duckdb

from benchwatch.records import Snapshot
from benchwatch.settings import Settings
from benchwatch.sources import configured, full_registry
from benchwatch.sources.base import Source, enforce_scales
from benchwatch.sources.errors import SourceError
from benchwatch.sources.every_eval_ever import EveryEvalEver
from benchwatch.sources.http import HttpClient
from benchwatch.storage import archive, eee
from benchwatch.storage import observations as obs
from benchwatch.storage.db import utcnow
from benchwatch.storage.revisions import MassWithdrawal

Mode = Literal["replay", "live", "reparse", "rebuild"]
Progress = Callable[[str], None]
Scales = dict[str, str]


@dataclass(frozen=True)
class Writing:
    """How a source's snapshots are written: whole states (withdrawing what they drop) or not."""

    full: bool
    max_withdrawn_share: float


@dataclass
class SourceReport:
    """What one source's refresh did, for the summary and the flow's artifact: the sum of the
    ``IngestResult`` of every snapshot it wrote, and the failure that ended it, if any."""

    source: str
    status: str
    snapshots: int = 0
    rows_added: int = 0
    rows_revised: int = 0
    rows_withdrawn: int = 0
    warnings: list[str] = field(default_factory=list)
    error: str | None = None

    def add(self, label: str, written: obs.IngestResult) -> None:
        """Count one written snapshot; its warnings are kept under its ``label``."""
        self.snapshots += 1
        self.rows_added += written.rows_added
        self.rows_revised += written.rows_revised
        self.rows_withdrawn += written.rows_withdrawn
        self.warnings += [f"{label}: {w}" for w in written.warnings]
        if self.status != "failed":
            self.status = "ok"


class ArchivedFailure(SourceError):
    """A fetch the archive index records as failed, replayed by a rebuild as the same failure."""

    def __init__(self, entry: archive.Entry) -> None:
        super().__init__(entry.error or "failed")
        self.status, self.location = entry.http_status, entry.location


def _snapshots(
    con: duckdb.DuckDBPyConnection, source: Source, settings: Settings, mode: Mode,
    until: date | None, http: HttpClient | None,
) -> Iterator[Snapshot]:
    if mode == "replay":
        return source.replay(settings.require_replay_dir(), until)
    if mode == "reparse":
        return archive.archived_snapshots(settings.archive_path, source.name)
    assert http is not None
    if isinstance(source, EveryEvalEver):  # fetches only the records it has not stored
        source.known = eee.known_records(con)
    return source.fetch(http, obs.previous_fetches(con, source.name))


def _recorded(run: list[archive.Entry], source: Source, settings: Settings) -> Iterator[Snapshot]:
    """The recorded snapshots a replay run read, found again in the replay data by their hashes."""
    if settings.replay_dir is None:
        raise SourceError(f"{source.name}: the archive index names {len(run)} replayed recorded snapshot(s) "
                          "and no replay data is configured: set replay_dir (BENCHWATCH_REPLAY_DIR)")
    wanted = {entry.content_hash for entry in run}
    until = date.fromisoformat(run[0].until) if run[0].until else None
    for snapshot in source.replay(settings.replay_dir, until):
        if snapshot.content_hash in wanted:
            wanted.discard(snapshot.content_hash)
            yield snapshot
    if wanted:
        labels = ", ".join(entry.label or "?" for entry in run if entry.content_hash in wanted)
        raise SourceError(f"{source.name}: {len(wanted)} recorded snapshot(s) the database was built from "
                          f"are not in {settings.replay_dir} as they were (missing or changed): {labels}")


def _archived(run: list[archive.Entry], source: Source, settings: Settings) -> Iterator[Snapshot]:
    """One recorded run of the archive index, in its order: payloads, 304s and failures."""
    if run[0].mode == "replay":
        yield from _recorded(run, source, settings)
        return
    for entry in run:
        if entry.status == "failed":
            raise ArchivedFailure(entry)
        yield entry.snapshot(settings.archive_path)


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

    ``rebuild`` replays the archive index's runs of the source, each as it
    happened (a run that failed then, or fails now, does not stop the later ones).
    """
    report = SourceReport(name, "unchanged")
    source = configured(name, settings)
    registry = full_registry(settings)
    scales = dict(registry.loc[registry["source"] == name, ["column", "scale"]].itertuples(index=False))
    writing = Writing(source.full_snapshot, source.withdraw_max_share(settings))
    if mode == "rebuild":
        for run in archive.runs(settings.archive_path, name):
            _ingest_run(con, source, scales, writing, run[0].mode, lambda run=run: _archived(run, source, settings),
                        report, progress, skip_seen=True, recorder=None)
        return report
    recorder = None if mode == "reparse" else archive.Recorder(
        settings.archive_path, uuid.uuid4().hex, until.isoformat() if until else None)
    fetch_mode = "replay" if mode == "replay" else "live"
    _ingest_run(con, source, scales, writing, fetch_mode,
                lambda: _snapshots(con, source, settings, mode, until, http),
                report, progress, skip_seen=mode != "reparse", recorder=recorder)
    if report.status == "unchanged" and mode == "replay":
        obs.record_fetch(con, name, fetch_mode, "unchanged", utcnow(),
                         location=str(settings.replay_dir))
    return report


def _ingest_run(
    con: duckdb.DuckDBPyConnection, source: Source, scales: Scales, writing: Writing, fetch_mode: str,
    snapshots: Callable[[], Iterator[Snapshot]], report: SourceReport, progress: Progress,
    skip_seen: bool, recorder: archive.Recorder | None,
) -> None:
    """One pass over ``snapshots``: record each in the archive index, parse, write; a failure is
    recorded in the fetch log (and, if it came before any payload, in the index) and ends the run."""
    name = source.name
    seen = obs.ingested_hashes(con, name) if skip_seen else set()
    pending: list[obs.Pending] = []
    started = utcnow()
    stage = "fetch"
    try:
        for snapshot in snapshots():
            started = utcnow()
            new = snapshot.not_modified or snapshot.content_hash not in seen
            if recorder is not None and new:
                recorder.snapshot(snapshot, started)
            if snapshot.not_modified:
                obs.record_fetch(con, name, fetch_mode, "unchanged", started, snapshot=snapshot)
                continue
            if not new:
                continue
            stage = "parse"
            batch = enforce_scales(source.parse(snapshot), scales, name, snapshot.location)
            pending.append(obs.Pending(snapshot, batch, started))
            if skip_seen:
                seen.add(snapshot.content_hash)
            stage = "write"
            if sum(p.rows for p in pending) >= PENDING_ROWS:
                _write(con, name, pending, report, progress, recorder, writing)
            stage = "fetch"
        stage = "write"
        _write(con, name, pending, report, progress, recorder, writing)
    except Exception as exc:  # a source's failure must not stop the others
        # A failure the archive recorded is history replayed (kept in the fetch log), not a new one.
        replayed = isinstance(exc, ArchivedFailure)
        error = str(exc) if replayed else f"{type(exc).__name__}: {exc}"
        if not replayed:
            report.status = "failed"
            report.error = error if report.error is None else f"{report.error}; {error}"
        http_status = getattr(exc, "status", None)
        location = getattr(exc, "location", None) or getattr(exc, "url", None)
        if recorder is not None and stage == "fetch":
            recorder.failure(name, started, error, http_status, location)
        try:
            _write(con, name, pending, report, progress, recorder, writing)
        except Exception as write_exc:  # the database itself refused: keep the first error
            report.status = "failed"
            report.error = f"{report.error or error}; writing the snapshots parsed before it also failed: {write_exc}"
        obs.record_fetch(con, name, fetch_mode, "failed", started, error=error,
                         http_status=http_status, location=location)
        progress(f"{name}: {'recorded failure' if replayed else 'FAILED'} {error}")


def _write(
    con: duckdb.DuckDBPyConnection, name: str, pending: list[obs.Pending], report: SourceReport,
    progress: Progress, recorder: archive.Recorder | None, writing: Writing,
) -> None:
    """Write the pending snapshots (once the archive index naming them is durable), count them in
    the report, and empty the list.

    A snapshot refused for withdrawing too much (``MassWithdrawal``) is dropped with every one
    after it; those before it are written, then the refusal is raised naming the snapshot.
    """
    if recorder is not None:
        recorder.sync()
    try:
        results = obs.ingest_many(con, name, pending, writing.full, writing.max_withdrawn_share)
    except MassWithdrawal as exc:
        refused = pending[exc.part].snapshot
        del pending[exc.part:]
        _write(con, name, pending, report, progress, None, writing)
        raise SourceError(f"{name} snapshot {refused.label} ({refused.location}): {exc}") from exc
    for item, result in zip(pending, results, strict=True):
        label = item.snapshot.label
        report.add(label, result)
        progress(f"{name} {label}: +{result.rows_added} rows, {result.rows_revised} revised, "
                 f"{result.rows_withdrawn} withdrawn")
    pending.clear()


