"""The writer's side of every run: the lock, the database, and for a live run the HTTP client.

DuckDB allows one writer, so every writer (a refresh, an ack or silence from
the CLI or the dashboard, a rebuild) takes the writer lock before opening the
file, waiting for a run in progress rather than failing inside DuckDB; brings
the benchmark registry into the database; and closes everything on the way
out, whatever happened. This is the one place that sequence is written.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import duckdb

from benchwatch.settings import Settings
from benchwatch.sources import full_registry
from benchwatch.sources.http import HttpClient, client_from
from benchwatch.storage.db import connect, writer_lock
from benchwatch.storage.observations import sync_benchmarks
from benchwatch.storage.publish import publish

# A run that finds the writer lock taken waits this long for it.
WRITER_WAIT_SECONDS = 600.0


@dataclass
class WriterSession:
    """An open writer connection (under the lock) and, for a live run, the HTTP client."""

    con: duckdb.DuckDBPyConnection
    db: Path
    http: HttpClient | None = None

    def publish(self) -> Path:
        """Checkpoint and atomically replace the readers' copy (``storage.publish``)."""
        return publish(self.con, self.db)


@contextlib.contextmanager
def writer_session(
    settings: Settings, live: bool = False, wait_seconds: float = WRITER_WAIT_SECONDS,
) -> Iterator[WriterSession]:
    """Hold the writer lock, open (and migrate) the database, sync the registry."""
    with contextlib.ExitStack() as stack:
        stack.enter_context(writer_lock(settings.db, wait_seconds))
        con = connect(settings.db)
        stack.callback(con.close)
        http = None
        if live:
            http = stack.enter_context(client_from(settings))
        sync_benchmarks(con, full_registry(settings))
        yield WriterSession(con, settings.db, http)
