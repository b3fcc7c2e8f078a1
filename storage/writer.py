"""The one writer door: every write to the database goes in through ``writer_door``.

DuckDB allows one read-write process per file, and a failure inside DuckDB
("could not set lock on file") tells an operator nothing. So every writer (a
refresh and the rebuild it runs, an ack, a silence or a test notification from
the CLI, the dashboard's actions, a backup, a restore) goes through the same
sequence, written here once: take the exclusive advisory lock beside the file,
waiting at most the configured ``writer_wait_seconds`` for a writer already in
(then ``WriterBusy``, naming the file); complete the swap of a restore killed
half-way (``publish.finish_swap``); open the database and bring it to this
release's schema; let the caller act; publish the readers' copy; close,
whatever happened. The lock is an ``flock`` on ``<db>.lock``: the kernel
releases it when its holder dies, so a killed refresh never leaves the door shut.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import time
from collections.abc import Iterator
from pathlib import Path

import duckdb

from benchwatch.storage.db import DatabaseLocked, StorageError, connect
from benchwatch.storage.publish import finish_swap, publish, published_path

log = logging.getLogger(__name__)

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

    def __init__(self, db: Path, upgrade: bool, wait_seconds: float = 0.0) -> None:
        self.db = db
        self._upgrade = upgrade
        self._wait_seconds = wait_seconds
        self._deadline = time.monotonic() + wait_seconds
        self._con: duckdb.DuckDBPyConnection | None = None

    @property
    def con(self) -> duckdb.DuckDBPyConnection:
        """The writer connection to ``db``.

        A process still reading the file itself (a reader that found no current
        published copy, or another program) keeps DuckDB from opening it for
        writing: the writer waits for it as it waits for another writer, within
        the same ``writer_wait_seconds``, rather than fail at once.
        """
        told = False
        while self._con is None:
            try:
                self._con = connect(self.db, upgrade=self._upgrade)
            except DatabaseLocked as exc:
                if time.monotonic() >= self._deadline:
                    raise WriterBusy(f"{exc} Waited {self._wait_seconds:g} s (writer_wait_seconds).") from None
                if not told:
                    log.warning("waiting for a reader of %s to close it (at most %g s): %s", self.db,
                                self._wait_seconds, exc)
                    told = True
                time.sleep(POLL_SECONDS)
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
        finish_swap(db)  # a restore killed between its renames: completed before anything opens the file
        door = Door(db, upgrade, wait_seconds)
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


def writer_in(db: Path) -> bool:
    """A writer holds the lock of ``db`` now. Probed with a shared lock, released at once: a
    writer arriving in that instant retries after ``POLL_SECONDS``, within its wait."""
    path = lock_path(Path(db))
    if not path.exists():
        return False
    with open(path, "a+") as handle:
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
    return False


def _mtime(path: Path) -> int:
    try:
        return os.stat(path).st_mtime_ns
    except FileNotFoundError:
        return 0


def reader_path(db: Path) -> Path:
    """The file a read-only command opens: the published copy, so that no reader ever holds the
    writer's file (a refresh starting while a long ``check`` reads goes in at once).

    The database itself only when no copy is published yet, or when the file was changed after
    its copy was published by something other than a writer now inside the door (a writer in
    progress: the copy is the last committed state, which is what a reader should see).
    """
    db = Path(db)
    copy = published_path(db)
    if not copy.exists():
        return db
    if _mtime(copy) >= max(_mtime(db), _mtime(Path(f"{db}.wal"))) or writer_in(db):
        return copy
    return db
