"""The one writer door (``storage/writer.py``): every writer waits on it, wherever it enters.

On a copy of the alert tests' backfilled database (``conftest.backfilled``:
scores-revised firing), another process holds the door (the lock and a
read-write DuckDB connection).
Each writer, run as a user runs it (the refresh use case, the CLI's alert
commands, backup, restore and rebuild, the dashboard's actions), gives up
with the door's message once ``writer_wait_seconds`` has passed; with a long
enough wait, a writer is seen waiting at the lock and goes in only after the
holder has left.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from datetime import date, datetime
from pathlib import Path

import pytest

from benchwatch.dashboard import actions
from benchwatch.pipeline.refresh import refresh
from benchwatch.settings import load_settings
from benchwatch.storage.backup import create_backup
from benchwatch.storage.db import connect
from benchwatch.storage.writer import WriterBusy, lock_path
from tests.alerts.support import SCORES
from tests.clirun import run
from tests.paths import REPO_ROOT

pytestmark = pytest.mark.slow

BUSY = "another Benchwatch process is writing"
SHORT = 0.5

HOLD = """
import sys, time
from pathlib import Path
from benchwatch.storage.db import utcnow
from benchwatch.storage.writer import writer_door
db, ready, release, left, open_db = sys.argv[1:6]
with writer_door(Path(db), 0.0, publish_copy=False) as door:
    if open_db == "open":
        door.con.execute("SELECT 1")
    Path(ready).write_text("in")
    while not Path(release).exists():
        time.sleep(0.05)
    Path(left).write_text(utcnow().isoformat())
"""


class Holder:
    """Another process inside the door of ``db`` until ``leave``."""

    def __init__(self, db: Path, tmp: Path, open_db: bool = True) -> None:
        self.ready, self.release, self.left = tmp / "ready", tmp / "release", tmp / "left"
        self.process = subprocess.Popen(
            [sys.executable, "-c", HOLD, str(db), str(self.ready), str(self.release), str(self.left),
             "open" if open_db else "lock"], cwd=REPO_ROOT)
        while not self.ready.exists():
            assert self.process.poll() is None, "the holder exited before it was in"
            time.sleep(0.05)

    def leave(self) -> datetime:
        """Let the holder out; when it left, by its clock (naive UTC, as the database stores)."""
        self.release.write_text("go")
        assert self.process.wait(timeout=120) == 0
        return datetime.fromisoformat(self.left.read_text())

    def __enter__(self) -> Holder:
        return self

    def __exit__(self, *exc: object) -> None:
        if self.process.poll() is None:
            self.leave()


def cli_env(tmp_path: Path, wait: float) -> dict:
    return {"BENCHWATCH_CONFIG": str(tmp_path / "no-config.toml"), "BENCHWATCH_WRITER_WAIT_SECONDS": str(wait),
            "BENCHWATCH_NOTIFY_URLS": "json://127.0.0.1:9/never"}


CLI_WRITERS = {
    "alerts ack": ("alerts", "ack", SCORES),
    "alerts silence": ("alerts", "silence", SCORES, "--until", "2030-01-01"),
    "alerts test-notify": ("alerts", "test-notify"),
    "backup": ("backup",),
}


@pytest.mark.parametrize("command", list(CLI_WRITERS))
def test_a_cli_writer_gives_up_with_the_doors_message(db, tmp_path, command):
    with Holder(db, tmp_path):
        result = run(*CLI_WRITERS[command], "--db", str(db), env=cli_env(tmp_path, SHORT), check=False)
    assert result.returncode == 1
    assert BUSY in result.stderr and "writer_wait_seconds" in result.stderr and str(db) in result.stderr


def test_restore_gives_up_with_the_doors_message(db, tmp_path):
    backups = tmp_path / "backups"
    create_backup(db, str(backups), 1, None, SHORT)
    with Holder(db, tmp_path):
        result = run("restore", str(backups), "--db", str(db), env=cli_env(tmp_path, SHORT), check=False)
    assert result.returncode == 1 and BUSY in result.stderr
    assert not list(tmp_path.glob("bw.duckdb.before-restore-*"))  # nothing was moved aside


def test_rebuild_gives_up_with_the_doors_message(backfilled, tmp_path, data_dir):
    target = tmp_path / "rebuilt.duckdb"
    archive = backfilled.parent / "archive"
    assert archive.is_dir()
    with Holder(target, tmp_path, open_db=False):
        result = run("rebuild", "--db", str(target), "--archive", str(archive), "--replay", str(data_dir),
                     env=cli_env(tmp_path, SHORT), check=False)
    assert result.returncode == 1 and BUSY in result.stderr
    assert not target.exists()


def test_the_refresh_gives_up_with_the_doors_message(db, tmp_path, data_dir):
    settings = load_settings(db=db, replay_dir=data_dir, bootstrap_resamples=20, writer_wait_seconds=SHORT)
    with Holder(db, tmp_path), pytest.raises(WriterBusy, match=BUSY):
        refresh(settings, [])


@pytest.mark.parametrize("action", ["ack", "silence"])
def test_a_dashboard_action_gives_up_with_the_doors_message(db, tmp_path, action):
    settings = load_settings(db=db, writer_wait_seconds=SHORT)
    with Holder(db, tmp_path), pytest.raises(actions.ActionFailed, match=BUSY):
        if action == "ack":
            actions.ack(settings, SCORES)
        else:
            actions.silence(settings, SCORES, date(2030, 1, 1))


def waiting_at_the_lock(pid: int, db: Path) -> bool:
    """Whether process ``pid`` has the door's lock file open (it is in the door's waiting loop)."""
    fds = Path(f"/proc/{pid}/fd")
    try:
        return any(os.readlink(fd) == str(lock_path(db)) for fd in fds.iterdir())
    except (FileNotFoundError, PermissionError):
        return False


def test_a_writer_waits_at_the_door_and_goes_in_when_the_holder_leaves(db, tmp_path):
    with Holder(db, tmp_path) as holder:
        ack = subprocess.Popen(
            [sys.executable, "-m", "benchwatch.cli", "alerts", "ack", SCORES, "--by", "second", "--db", str(db)],
            env={**os.environ, **cli_env(tmp_path, 300)}, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        while not waiting_at_the_lock(ack.pid, db):
            assert ack.poll() is None, ack.communicate()
            time.sleep(0.05)
        assert ack.poll() is None  # at the lock, and not through it while the holder is in
        left = holder.leave()
    out, err = ack.communicate(timeout=300)
    assert ack.returncode == 0, err
    con = connect(db, read_only=True)
    acked_at, by = con.execute("SELECT acked_at, acked_by FROM alerts WHERE alert_key = ?", [SCORES]).fetchone()
    con.close()
    assert by == "second" and acked_at >= left
