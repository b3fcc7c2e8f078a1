"""A restore killed at every step of its swap leaves the old database and its published copy, or
the new ones (after the next writer through the door completes a journaled swap), and the next
restore leaves nothing behind.

The kill points are every file-system step a restore takes (each ``os.replace``, ``os.link``,
``os.unlink`` and ``fsync``, counted in an uncut run): a restore in a subprocess SIGKILLs itself
just before the k-th step, for every k. Nothing in the restore's code knows about the test.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from benchwatch.storage.backup import create_backup, restore_backup
from benchwatch.storage.publish import published_path, swap_journal
from benchwatch.storage.writer import writer_door
from tests.reliability.backup_kills import counts, leftovers

# Runs one restore, SIGKILLing itself before file-system step ``kill_at`` (0: never); prints the steps.
RESTORE = """
import os, signal, sys
from pathlib import Path
from benchwatch.storage.backup import restore_backup
backup, db, kill_at = sys.argv[1], Path(sys.argv[2]), int(sys.argv[3])
steps = 0
def counted(real):
    def step(*args, **kwargs):
        global steps
        steps += 1
        if steps == kill_at:
            os.kill(os.getpid(), signal.SIGKILL)
        return real(*args, **kwargs)
    return step
for name in ("replace", "link", "unlink", "fsync"):
    setattr(os, name, counted(getattr(os, name)))
restore_backup(backup, db, None, 0)
print(steps)
"""


def _database(path: Path, rows: int) -> None:
    with writer_door(path, 0) as door:
        door.con.execute(f"CREATE TABLE t AS SELECT range AS a FROM range({rows})")


def _restore(backup: str, db: Path, kill_at: int) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", RESTORE, backup, str(db), str(kill_at)],
                          capture_output=True, text=True, timeout=300)


@pytest.fixture(scope="module")
def setup(tmp_path_factory) -> tuple[Path, str, dict, dict]:
    """An old database (1 row, published) and a backup of a new one (2 rows)."""
    root = tmp_path_factory.mktemp("swap")
    old, new = root / "old" / "bw.duckdb", root / "new" / "bw.duckdb"
    _database(old, 1)
    _database(new, 2)
    backup = create_backup(new, str(root / "backups"), 2, None, 0).location
    return old, backup, counts(old), counts(new)


def test_a_restore_killed_at_any_step_leaves_a_matching_pair(setup, tmp_path):
    old, backup, before, after = setup
    uncut = tmp_path / "uncut" / "bw.duckdb"
    shutil.copytree(old.parent, uncut.parent)
    result = _restore(backup, uncut, 0)
    assert result.returncode == 0, result.stderr
    steps = int(result.stdout.split()[-1])
    assert steps >= 6 and counts(uncut) == counts(published_path(uncut)) == after
    seen = {"old": 0, "new": 0, "journal": 0}
    for kill_at in range(1, steps + 1):
        db = tmp_path / f"kill{kill_at}" / "bw.duckdb"
        shutil.copytree(old.parent, db.parent)
        killed = _restore(backup, db, kill_at)
        assert killed.returncode == -9, (kill_at, killed.returncode, killed.stderr[-2000:])
        seen["journal"] += swap_journal(db).exists()
        with writer_door(db, 0, publish_copy=False):  # the next writer: completes a journaled swap
            pass
        found, copy = counts(db), counts(published_path(db))
        assert found == copy and found in (before, after), (kill_at, found, copy)
        seen["old" if found == before else "new"] += 1
        again = _restore(backup, db, 0)  # the next restore removes what the killed one left
        assert again.returncode == 0, again.stderr
        assert counts(db) == counts(published_path(db)) == after
        assert leftovers(db, db.parent / "none") == [], kill_at
    # Kills fell before the swap (old pair), inside it (journal completed: new pair) and after it.
    assert seen["old"] and seen["new"] and seen["journal"], seen


def test_an_interrupted_swap_is_completed_by_the_next_writer_not_undone(setup, tmp_path):
    """Cut between the two renames (a journal, the new file in place, the old copy still published):
    the next writer puts the new copy in place, and readers of both see the restored data."""
    old, backup, before, after = setup
    db = tmp_path / "cut" / "bw.duckdb"
    shutil.copytree(old.parent, db.parent)
    steps = int(_restore(backup, tmp_path / "probe" / "bw.duckdb", 0).stdout.split()[-1])
    for kill_at in range(1, steps + 1):
        shutil.rmtree(db.parent)
        shutil.copytree(old.parent, db.parent)
        _restore(backup, db, kill_at)
        if swap_journal(db).exists() and counts(db) == after and counts(published_path(db)) == before:
            break
    else:
        pytest.fail("no kill point fell between the two renames")
    restore_backup(backup, db, None, 0)  # the next restore goes through the door too
    assert counts(db) == counts(published_path(db)) == after and not swap_journal(db).exists()
