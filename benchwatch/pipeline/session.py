"""The refresh's side of the writer door: the door, the benchmark registry, and for a live run the HTTP client.

Every writer goes through ``storage.writer.writer_door`` (lock with the one
configured wait, open and migrate, act, publish, close). A refresh also needs
the benchmark registry brought into the database before it ingests, and for a
live run an HTTP client closed on the way out, whatever happened: that is what
this session adds.
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
from benchwatch.storage.observations import sync_benchmarks
from benchwatch.storage.writer import writer_door


@dataclass
class WriterSession:
    """An open writer connection (inside the door) and, for a live run, the HTTP client."""

    con: duckdb.DuckDBPyConnection
    db: Path
    http: HttpClient | None = None


@contextlib.contextmanager
def writer_session(settings: Settings, live: bool = False) -> Iterator[WriterSession]:
    """Through the writer door, sync the registry; the door publishes the readers' copy when the run succeeds."""
    with contextlib.ExitStack() as stack:
        door = stack.enter_context(writer_door(settings.db, settings.writer_wait_seconds))
        http = stack.enter_context(client_from(settings)) if live else None
        sync_benchmarks(door.con, full_registry(settings))
        yield WriterSession(door.con, settings.db, http)
