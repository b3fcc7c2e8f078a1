"""Opening the database: migrations, and the single-writer lock.

DuckDB allows one read-write process per file. Writers take an exclusive
advisory lock beside the file first, so a second refresh waits for the first
(or gives up with a clear message) instead of failing inside DuckDB.
"""

from __future__ import annotations

import contextlib
import fcntl
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from importlib.resources import files
from pathlib import Path

import duckdb

MIGRATIONS_DIR = files("benchwatch.storage") / "migrations"


class StorageError(RuntimeError):
    """The database cannot be opened or written; the message says why and where."""


class WriterBusy(StorageError):
    """Another process holds the writer lock."""


def utcnow() -> datetime:
    """Naive UTC wall time, the convention of every TIMESTAMP column."""
    return datetime.now(UTC).replace(tzinfo=None)


def migrations() -> list[tuple[int, str, str]]:
    """(version, name, sql) for every migration file, in order."""
    found = []
    for entry in (e for e in MIGRATIONS_DIR.iterdir() if e.name.endswith(".sql")):
        version = int(entry.name.split("_", 1)[0])
        found.append((version, entry.name, entry.read_text(encoding="utf-8")))
    return sorted(found)


def migrate(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Apply pending migrations, each in its own transaction; returns their names."""
    con.execute(
        "CREATE TABLE IF NOT EXISTS schema_migrations ("
        " version INTEGER PRIMARY KEY, name VARCHAR NOT NULL, applied_at TIMESTAMP NOT NULL)"
    )
    done = {row[0] for row in con.execute("SELECT version FROM schema_migrations").fetchall()}
    applied = []
    for version, name, sql in migrations():
        if version in done:
            continue
        con.execute("BEGIN TRANSACTION")
        try:
            con.execute(sql)
            con.execute(
                "INSERT INTO schema_migrations VALUES (?, ?, ?)", [version, name, utcnow()]
            )
            con.execute("COMMIT")
        except Exception:
            con.execute("ROLLBACK")
            raise
        applied.append(name)
    return applied


def connect(path: Path, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    """Open the database file; a writer also brings the schema up to date."""
    path = Path(path)
    if read_only:
        if not path.exists():
            raise StorageError(f"database {path} does not exist yet: run `benchwatch refresh` first")
        return duckdb.connect(str(path), read_only=True)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        con = duckdb.connect(str(path))
    except (OSError, duckdb.Error) as exc:
        raise StorageError(f"cannot open database {path}: {exc}") from exc
    migrate(con)
    return con


@contextlib.contextmanager
def writer_lock(path: Path, wait_seconds: float = 0.0) -> Iterator[None]:
    """Hold the exclusive writer lock for ``path``; wait up to ``wait_seconds`` for it."""
    lock_path = Path(str(path) + ".lock")
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    with open(lock_path, "a+") as handle:
        deadline = time.monotonic() + wait_seconds
        while True:
            try:
                fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise WriterBusy(
                        f"another Benchwatch process is writing {path} "
                        f"(lock {lock_path}); try again when it has finished"
                    ) from None
                time.sleep(0.2)
        try:
            yield
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


@contextlib.contextmanager
def transaction(con: duckdb.DuckDBPyConnection) -> Iterator[duckdb.DuckDBPyConnection]:
    """All-or-nothing: commit on success, roll back on any error."""
    con.execute("BEGIN TRANSACTION")
    try:
        yield con
    except BaseException:
        con.execute("ROLLBACK")
        raise
    con.execute("COMMIT")
