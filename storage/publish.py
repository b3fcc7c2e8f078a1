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

import json
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


def swap_journal(db: Path) -> Path:
    """The journal of a restore's swap: present from just before its renames until both are done."""
    return db.with_name(f"{db.name}.restore.journal")


def _sync_folder(folder: Path) -> None:
    """Make the renames in ``folder`` durable (a power cut cannot undo them out of order)."""
    handle = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(handle)
    finally:
        os.close(handle)


def swap_in(db: Path, new_db: Path, new_copy: Path, wal_aside: Path) -> None:
    """Put a new database and its published copy (both prepared and synced) in place of ``db`` and its
    copy, as one step: a journal naming them is written first (atomically), then the renames, then the
    journal goes. A process killed anywhere leaves either no journal (the old pair in place) or the
    journal, which the next writer through the door completes (``finish_swap``): never the new
    database beside the old copy for longer than that."""
    journal = swap_journal(db)
    pending = new_db.with_name(f"{new_db.name}.journal")  # the restore's .restore<pid> prefix: swept if cut
    pending.write_text(json.dumps({"db": str(new_db), "published": str(new_copy), "wal_aside": str(wal_aside)}),
                       encoding="utf-8")
    with open(pending, "rb+") as handle:
        os.fsync(handle.fileno())
    os.replace(pending, journal)
    _sync_folder(db.parent)
    finish_swap(db)


def finish_swap(db: Path) -> bool:
    """Complete a swap a killed restore journaled (``swap_in``); every step is skipped once done, so
    a kill here is completed by the next call too. The caller holds the writer lock; True when a
    journal was found."""
    journal = swap_journal(db)
    if not journal.exists():
        return False
    plan = json.loads(journal.read_text(encoding="utf-8"))
    new_db, new_copy, wal = Path(plan["db"]), Path(plan["published"]), Path(f"{db}.wal")
    if new_db.exists():
        if wal.exists():  # the old file's log (a killed writer's) goes aside with it, never onto the new file
            os.replace(wal, plan["wal_aside"])
        os.replace(new_db, db)
    if new_copy.exists():
        os.replace(new_copy, published_path(db))
    _sync_folder(db.parent)
    journal.unlink()
    return True
