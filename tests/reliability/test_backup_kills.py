"""A killed backup or restore leaves nothing behind, and the database and its published copy agree
(a few seeded kills; ``tools/reliability_report.py`` runs more)."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime

from benchwatch.storage.backup import create_backup, restore_backup
from benchwatch.storage.writer import writer_door
from tests.reliability.backup_kills import kill_trials


def test_killed_backups_and_restores_leave_nothing_and_stay_usable(tmp_path, data_dir):
    reports = kill_trials(tmp_path, data_dir, kills=2, seed=27)
    for report in reports:
        assert report.kills == 2, report
        assert (report.leftovers, report.unusable, report.failures) == (0, 0, []), report


def test_the_next_backup_removes_dead_runs_leftovers_and_old_interrupted_backups(tmp_path):
    db, backups = tmp_path / "db" / "bw.duckdb", tmp_path / "backups"
    with writer_door(db, 0) as door:
        door.con.execute("CREATE TABLE t AS SELECT 1 AS a")
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True,
                          text=True, check=True).stdout.strip()
    stale = [db.parent / f"benchwatch-backup-{dead}-x1y2", db.with_name(f"{db.name}.restore{dead}")]
    stale[0].mkdir()
    stale[1].write_bytes(b"half a download")
    mine = db.with_name(f"{db.name}.restore{os.getppid()}")  # a live process's: kept
    mine.write_bytes(b"in use")
    old = backups / "benchwatch-20200101T000000000000Z"
    young = backups / f"benchwatch-{datetime.now(UTC):%Y%m%dT%H%M%S%f}Z"
    for folder in (old, young):
        folder.mkdir(parents=True)
        (folder / "benchwatch.duckdb").write_bytes(b"part")
    result = create_backup(db, str(backups), 2, None, 0, grace_seconds=3600)
    assert result.removed == [str(old)]
    assert young.exists() and not stale[0].exists()
    assert stale[1].exists(), "a restore's leftover is the next restore's to remove"
    restore_backup(result.location, db, None, 0)
    assert not stale[1].exists() and mine.read_bytes() == b"in use"
