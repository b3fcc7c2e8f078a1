"""Opening the database: migrations, the damaged-file checks, transactions.

Opening for writing is the writer door's job (``storage.writer``): it takes the
single-writer lock before it calls ``connect`` here.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator, Mapping, Sequence
from datetime import UTC, datetime
from importlib.resources import files
from pathlib import Path

import duckdb

MIGRATIONS_DIR = files("benchwatch.storage") / "migrations"


class StorageError(RuntimeError):
    """The database cannot be opened or written; the message says why and where."""


class DatabaseUnusable(StorageError):
    """The file is damaged, foreign, too new or locked by another process: nothing was written to it.

    The message says what is wrong with which file and what to do, because this
    is what an operator sees instead of DuckDB's traceback.
    """


class DatabaseLocked(DatabaseUnusable):
    """Another process has the file open: a writer may wait for it to close (``storage.writer``)."""


RECOVER = (
    "Benchwatch has not written to it. Move it aside, then restore the newest backup "
    "(`benchwatch restore BACKUP --db {path}`) or rebuild it from the raw archive "
    "(`benchwatch rebuild --db {path}`)."
)


def unusable(path: Path, exc: BaseException, recover: str | None = None) -> DatabaseUnusable:
    """DuckDB's error on opening or reading ``path``, as one message naming the file and the fix
    (``recover``, for a damaged file; restore or rebuild by default)."""
    text = str(exc)
    if "Could not set lock" in text or "Conflicting lock" in text:
        pid = re.search(r"PID (\d+)", text)
        holder = f"process {pid.group(1)}" if pid else "another process"
        return DatabaseLocked(
            f"database {path} is locked: {holder} has it open (a running refresh, ack or backup, "
            "a command reading it, or another program). Wait for that process to finish, then try again.")
    if "not a valid DuckDB database file" in text:
        size = path.stat().st_size if path.exists() else 0
        what = ("is empty (0 bytes)" if size == 0 else
                f"is not a DuckDB database file: its {size} bytes do not start with DuckDB's header "
                "(random or foreign bytes)")
    elif "Could not read enough bytes" in text or "truncated" in text.lower():
        what = "is damaged: it is shorter than its own metadata says (cut short, e.g. by a full disk)"
    elif "version" in text.lower() and "storage" in text.lower():
        what = f"was written by another DuckDB version that this one cannot read ({text.splitlines()[0]})"
    else:
        what = f"cannot be read: {text.splitlines()[0] if text else type(exc).__name__}"
    return DatabaseUnusable(f"database {path} {what}. " + (recover or RECOVER.format(path=path)))


# DuckDB's file starts with three 4 KiB headers, then its blocks.
HEADERS_BYTES = 3 * 4096


def check_length(con: duckdb.DuckDBPyConnection, path: Path, recover: str | None = None,
                 wal_pending: bool = False) -> None:
    """A file shorter than the blocks its header counts was cut short (a full disk, a partial copy).

    DuckDB itself notices only when a query reaches a missing block, and a
    table in the first half of the file still reads: so the length is checked
    on opening. Skipped when a write-ahead log was pending as the file was
    opened (a writer killed mid-run): replaying it allocates blocks that are
    not in the file yet, so the count runs ahead of the length by design.
    ``wal_pending`` must be looked at before connecting, since opening replays the log.
    """
    if wal_pending or Path(f"{path}.wal").exists():
        return
    cursor = con.execute("PRAGMA database_size")
    row = dict(zip([d[0] for d in cursor.description], cursor.fetchone(), strict=True))
    expected = HEADERS_BYTES + int(row["total_blocks"]) * int(row["block_size"])
    actual = path.stat().st_size
    if row["total_blocks"] and actual < expected and not _reads_whole(con):
        raise DatabaseUnusable(
            f"database {path} is damaged: it is shorter than its own metadata says ({actual} bytes of "
            f"{expected}; cut short, e.g. by a full disk). " + (recover or RECOVER.format(path=path)))


def _reads_whole(con: duckdb.DuckDBPyConnection) -> bool:
    """Every row of every table can be read. A file shorter than its block count whose data all
    reads is whole where it matters (a writer killed between a checkpoint's truncation and its
    header leaves blocks counted that hold nothing); a file cut short fails on a missing block."""
    try:
        for (name,) in con.execute(
                "SELECT table_name FROM duckdb_tables() WHERE schema_name = 'main'").fetchall():
            con.table(name).to_arrow_table()
    except duckdb.Error:
        return False
    return True


def schema_version(con: duckdb.DuckDBPyConnection) -> int:
    """The newest migration applied (0 for a new, empty database)."""
    tables = {row[0] for row in con.execute(
        "SELECT table_name FROM duckdb_tables() WHERE schema_name = 'main'").fetchall()}
    if "schema_migrations" not in tables:
        return 0
    return con.execute("SELECT coalesce(max(version), 0) FROM schema_migrations").fetchone()[0]


def check_schema(con: duckdb.DuckDBPyConnection, path: Path) -> int:
    """The database's schema version, after making sure it is Benchwatch's and not newer than this code.

    A DuckDB file holding other tables and no ``schema_migrations`` is someone
    else's database: Benchwatch must not create its tables inside it.
    """
    tables = sorted(row[0] for row in con.execute(
        "SELECT table_name FROM duckdb_tables() WHERE schema_name = 'main'").fetchall())
    if tables and "schema_migrations" not in tables:
        shown = ", ".join(tables[:5]) + (", ..." if len(tables) > 5 else "")
        raise DatabaseUnusable(
            f"database {path} is a DuckDB file but not Benchwatch's: it has no schema_migrations table "
            f"(its tables: {shown}). Point --db (BENCHWATCH_DB) at Benchwatch's database; "
            "Benchwatch has not written to this one.")
    version = schema_version(con)
    known = migrations()[-1][0]
    if version > known:
        raise DatabaseUnusable(
            f"database {path} has schema version {version}, newer than this Benchwatch knows ({known}): "
            "it was written by a newer release. Upgrade Benchwatch (`pip install -U benchwatch`); "
            "Benchwatch has not written to it.")
    return version


def utcnow() -> datetime:
    """Naive UTC wall time, the convention of every TIMESTAMP column."""
    return datetime.now(UTC).replace(tzinfo=None)


def where(
    optional: Mapping[str, object], fixed: Sequence[str] = (), params: Sequence[object] = ()
) -> tuple[str, list[object]]:
    """A read's WHERE clause and its parameters: the ``fixed`` conditions (taking ``params``), then
    ``column = ?`` for each ``optional`` value given. Every read's optional filters narrow the same
    way (None narrows nothing), so they are built here once; empty when nothing narrows."""
    given = {column: value for column, value in optional.items() if value is not None}
    conditions = [*fixed, *(f"{column} = ?" for column in given)]
    return (f"WHERE {' AND '.join(conditions)}" if conditions else ""), [*params, *given.values()]


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


def connect(path: Path, read_only: bool = False, upgrade: bool = True) -> duckdb.DuckDBPyConnection:
    """Open the database file after checking it is a readable Benchwatch database;
    a writer also brings the schema up to date (unless ``upgrade`` is False).

    A damaged, foreign, too new or locked file raises ``DatabaseUnusable``
    before anything is written to it: no migration ever runs on such a file.
    """
    path = Path(path)
    if read_only and not path.exists():
        raise StorageError(f"database {path} does not exist yet: run `benchwatch refresh` first")
    if not read_only:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StorageError(f"cannot create the folder of database {path}: {exc}") from exc
    wal_pending = Path(f"{path}.wal").exists()
    try:
        con = duckdb.connect(str(path), read_only=read_only)
    except duckdb.Error as exc:
        raise unusable(path, exc) from None
    except OSError as exc:
        raise StorageError(f"cannot open database {path}: {exc}") from exc
    try:
        check_length(con, path, wal_pending=wal_pending)
        check_schema(con, path)
    except DatabaseUnusable:
        con.close()
        raise
    except duckdb.Error as exc:
        con.close()
        raise unusable(path, exc) from None
    if not read_only and upgrade:
        migrate(con)
    return con


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
