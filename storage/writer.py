"""The one writer door: every write to the database goes in through ``writer_door``.

DuckDB allows one read-write process per file, and a failure inside DuckDB
("could not set lock on file") tells an operator nothing. So every writer (a
refresh and the rebuild it runs, an ack, a silence or a test notification from
the CLI, the dashboard's actions, a backup, a restore) goes through the same
sequence, written here once: take the exclusive advisory lock beside the file,
waiting at most the configured ``writer_wait_seconds`` for a writer already in
(then ``WriterBusy``, naming the file); open the database and bring it to this
release's schema; let the caller act; publish the readers' copy; close,
whatever happened. The lock is an ``flock`` on ``<db>.lock``: the kernel
releases it when its holder dies, so a killed refresh never leaves the door shut.
"""

from __future__ import annotations

import contextlib
import fcntl
import time
from collections.abc import Iterator
from pathlib import Path

import duckdb

from benchwatch.storage.db import StorageError, connect
from benchwatch.storage.publish import publish

# How often a waiting writer tries the lock again.
POLL_SECONDS = 0.2


class WriterBusy(StorageError):
    """Another process held the writer lock for longer than this writer would wait."""


def lock_path(db: Path) -> Path:
    """The file whose ``flock`` is the writer lock of ``db``."""
    return Path(f"{db}.lock")


@contextlib.contextmanager
def _locked(db: Path, wait_seconds: float) -> Iterator[None]:
    path = lock_path(db)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a+") as handle:
        deadline = time.monotonic() + wait_seconds
        while True:
            try:
                fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise WriterBusy(
                        f"another Benchwatch process is writing {db} (lock {path}); waited {wait_seconds:g} s "
                        "(writer_wait_seconds): try again when it has finished"
                    ) from None
                time.sleep(POLL_SECONDS)
        try:
            yield
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


class Door:
    """Inside the door: the writer connection, opened (and migrated) when first asked for.

    Lazily, because a restore puts the file in place under the lock before
    anything may open it.
    """

    def __init__(self, db: Path, upgrade: bool) -> None:
        self.db = db
        self._upgrade = upgrade
        self._con: duckdb.DuckDBPyConnection | None = None

    @property
    def con(self) -> duckdb.DuckDBPyConnection:
        """The writer connection to ``db``."""
        if self._con is None:
            self._con = connect(self.db, upgrade=self._upgrade)
        return self._con

    def close(self) -> None:
        if self._con is not None:
            self._con.close()
            self._con = None


@contextlib.contextmanager
def writer_door(db: Path, wait_seconds: float, *, publish_copy: bool = True, upgrade: bool = True
                ) -> Iterator[Door]:
    """Lock (waiting at most ``wait_seconds``), open and migrate, act, publish, close.

    ``publish_copy``: republish the readers' copy when the caller's block
    succeeds, so every reader sees the change at once (a backup, which copies
    the file as it is, publishes nothing). ``upgrade``: bring the file to this
    release's schema on opening (a backup keeps the file as it was).
    """
    db = Path(db)
    with _locked(db, wait_seconds):
        door = Door(db, upgrade)
        try:
            yield door
            if publish_copy:
                publish(door.con, db)
        finally:
            door.close()


def preflight(db: Path) -> None:
    """Refuse at once a database nobody can use (damaged, foreign, locked by a non-Benchwatch
    process); a file another Benchwatch writer holds is left to the door, which waits."""
    db = Path(db)
    if not db.exists():
        return
    try:
        with _locked(db, 0.0):
            connect(db, read_only=True).close()
    except WriterBusy:
        return
