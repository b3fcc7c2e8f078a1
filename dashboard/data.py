"""Reading the published copy: one pinned copy per render, cached by version.

The writer publishes a complete, checkpointed copy with an atomic rename
(``storage.publish``). A render pins the copy's version (inode, mtime, size)
when it starts; every frame it shows is either cached under that version or
read through a connection verified to be that version. If a refresh replaces
the copy mid-render, the first read that notices raises ``StaleCopy`` and
the app reruns on the new copy, so a page never mixes two refreshes.

Caching is keyed on the version, so a new refresh is seen on the next render
without any TTL wait; the TTL only bounds memory.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import streamlit as st

from benchwatch.storage.db import DatabaseUnusable, check_length, unusable
from benchwatch.storage.publish import published_path

CACHE_TTL_SECONDS = 3600
CACHE_ENTRIES = 512


class StaleCopy(RuntimeError):
    """The published copy changed since this render started; rerun on the new one."""


# Reading a damaged file fails with these when a query reaches the damage, not only on opening.
READ_ERRORS = (duckdb.IOException, duckdb.InternalException, duckdb.SerializationException)


def recover_copy(db: Path) -> str:
    """What to do about a damaged published copy: it is replaced by the next refresh."""
    return (f"It is the copy of {db} the last refresh published for the dashboard; the next refresh "
            "(`benchwatch refresh`, or the scheduled run) replaces it. If the database itself is damaged "
            "too, restore the newest backup (`benchwatch restore BACKUP`) or rebuild it (`benchwatch rebuild`).")


def unreadable(path: Path, db: Path, exc: BaseException) -> DatabaseUnusable:
    """Why the published copy cannot be read, and what to do."""
    return unusable(path, exc, recover=recover_copy(db))


def version_of(path: Path) -> str | None:
    """Identity of the file now at ``path`` (a new publish always changes it), or None."""
    try:
        stat = os.stat(path)
    except FileNotFoundError:
        return None
    return f"{stat.st_ino}-{stat.st_mtime_ns}-{stat.st_size}"


@dataclass
class PinnedCopy:
    """The published copy as it was when this render started."""

    path: Path
    version: str
    db: Path
    _con: duckdb.DuckDBPyConnection | None = None

    @classmethod
    def of(cls, db: Path) -> PinnedCopy | None:
        path = published_path(Path(db))
        version = version_of(path)
        return None if version is None else cls(path, version, Path(db))

    def connection(self) -> duckdb.DuckDBPyConnection:
        """A read-only connection to this version; raises StaleCopy if it was replaced."""
        if self._con is None:
            try:
                con = duckdb.connect(str(self.path), read_only=True)
            except duckdb.Error as exc:
                raise unreadable(self.path, self.db, exc) from None
            try:
                check_length(con, self.path, recover_copy(self.db))
            except DatabaseUnusable:
                con.close()
                raise
            if version_of(self.path) != self.version:
                con.close()
                raise StaleCopy(f"{self.path} was republished during this render")
            self._con = con
        return self._con

    def read(self, view: Callable[..., Any], *args: Any) -> Any:
        """``view(con, *args)`` (a read of ``storage.views``) for this version, cached."""
        return _cached_view(str(self.path), self.version, f"{view.__module__}.{view.__qualname__}", args,
                            self, view)

    def close(self) -> None:
        if self._con is not None:
            self._con.close()
            self._con = None


@st.cache_data(ttl=CACHE_TTL_SECONDS, max_entries=CACHE_ENTRIES, show_spinner=False)
def _cached_view(path: str, version: str, name: str, args: tuple, _pinned: PinnedCopy,
                 _view: Callable[..., Any]) -> Any:
    # path, version, the view's name and its arguments are the cache key; _pinned and _view
    # (unhashed) supply the connection and the function.
    return _view(_pinned.connection(), *args)
