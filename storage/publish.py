"""The read side: an immutable copy of the database for readers.

DuckDB lets one process write a file, and a read-only open fails while a
writer holds it. So readers (the dashboard) never open the writer's file:
after every refresh the writer checkpoints and publishes a copy with an
atomic rename. A reader holding the old copy keeps reading it undisturbed
(the old inode lives until closed); the next open sees the new one. A flow
run can never block or blank the dashboard, and the dashboard can never
block a flow run.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import duckdb


def published_path(db: Path) -> Path:
    return db.with_name(db.stem + ".published" + db.suffix)


def publish(con: duckdb.DuckDBPyConnection, db: Path) -> Path:
    """Checkpoint and atomically replace the published copy; the caller holds the writer lock."""
    con.execute("CHECKPOINT")
    target = published_path(db)
    tmp = target.with_name(target.name + f".tmp{os.getpid()}")
    shutil.copyfile(db, tmp)
    with open(tmp, "rb+") as handle:
        os.fsync(handle.fileno())
    os.replace(tmp, target)
    return target
