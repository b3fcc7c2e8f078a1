"""The writer's side of every flow run: the lock, the database, and for a live run the HTTP client.

DuckDB allows one writer, so each flow takes the writer lock before opening
the file (waiting for a run in progress rather than failing inside DuckDB),
brings the benchmark registry into the database, and closes everything on
the way out, whatever happened.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import duckdb

from benchwatch.registry import load_registry
from benchwatch.settings import Settings
from sources.http import HttpClient
from storage.db import connect, writer_lock
from storage.observations import sync_benchmarks

# A run that finds the writer lock taken waits this long for it.
WRITER_WAIT_SECONDS = 600.0


@contextlib.contextmanager
def writer_session(
    settings: Settings, live: bool = False
) -> Iterator[tuple[duckdb.DuckDBPyConnection, HttpClient | None]]:
    with contextlib.ExitStack() as stack:
        stack.enter_context(writer_lock(settings.db, WRITER_WAIT_SECONDS))
        con = connect(settings.db)
        stack.callback(con.close)
        http = stack.enter_context(HttpClient(settings.http_timeout, settings.http_retries)) if live else None
        sync_benchmarks(con, load_registry())
        yield con, http
