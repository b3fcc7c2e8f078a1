"""A damaged, foreign or locked database: one clear message from every command and the dashboard,
never a traceback, a non-zero exit, and nothing written to the file."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import duckdb
import pytest

from benchwatch.pipeline.refresh import refresh
from benchwatch.settings import load_settings
from benchwatch.storage.publish import published_path
from tests.dashboard.helpers import app_test

HOLD = "import duckdb, sys, time; c = duckdb.connect(sys.argv[1]); print('holding', flush=True); time.sleep(600)"


@pytest.fixture(scope="module")
def good_db(tmp_path_factory: pytest.TempPathFactory, data_dir: Path) -> Path:
    """Epoch's two recorded snapshots, analyzed, alerts evaluated, published."""
    db = tmp_path_factory.mktemp("good") / "bw.duckdb"
    result = refresh(load_settings(db=db, replay_dir=data_dir, bootstrap_resamples=0), ["epoch"])
    assert not result.failed
    return db


def random_bytes(path: Path, good: Path) -> None:
    path.write_bytes(os.urandom(256 * 1024))


def truncated(path: Path, good: Path) -> None:
    data = good.read_bytes()
    path.write_bytes(data[: len(data) // 2])


def foreign(path: Path, good: Path) -> None:
    con = duckdb.connect(str(path))
    con.execute("CREATE TABLE customers AS SELECT range AS id FROM range(10)")
    con.close()


@pytest.fixture
def holder() -> Iterator[Callable[[Path], None]]:
    """Another process holding a database file open for writing, as a running writer does."""
    started: list[subprocess.Popen] = []

    def hold(path: Path) -> None:
        process = subprocess.Popen([sys.executable, "-c", HOLD, str(path)], stdout=subprocess.PIPE, text=True)
        started.append(process)
        assert process.stdout.readline().strip() == "holding"

    yield hold
    for process in started:
        process.kill()
        process.wait()


def benchwatch(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "benchwatch.cli", *args], capture_output=True, text=True,
                          timeout=300)


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


CASES = {
    "random bytes": (random_bytes, "is not a DuckDB database file"),
    "truncated": (truncated, "is damaged: it is shorter than its own metadata says"),
    "foreign": (foreign, "is a DuckDB file but not Benchwatch's"),
}
READS = [["sources", "--format", "json"], ["correlations", "--format", "json"], ["alerts", "--format", "json"],
         ["models"]]


def assert_one_message(run: subprocess.CompletedProcess, *phrases: str) -> None:
    assert run.returncode == 1, (run.stdout, run.stderr)
    assert "Traceback" not in run.stderr + run.stdout
    assert run.stdout == ""
    assert len(run.stderr.strip().splitlines()) == 1, run.stderr
    for phrase in phrases:
        assert phrase in run.stderr, run.stderr


@pytest.mark.parametrize("case", CASES)
def test_each_command_gives_one_message_and_writes_nothing(case, good_db, tmp_path):
    make, problem = CASES[case]
    db = tmp_path / "bw.duckdb"
    make(db, good_db)
    before = digest(db)
    advice = "Point --db" if case == "foreign" else "benchwatch restore BACKUP"
    for command in [*READS, ["refresh", "--source", "epoch"], ["alerts", "ack", "some-key"], ["serve"],
                    ["backup", "--to", str(tmp_path / "backups")]]:
        assert_one_message(benchwatch(*command, "--db", str(db)), f"database {db} {problem}", advice)
    # Nothing was written: same bytes, no write-ahead log, no migration, no backup.
    assert digest(db) == before and not Path(f"{db}.wal").exists()
    assert not list((tmp_path / "backups").glob("benchwatch-*"))


def test_a_locked_database_says_wait_for_the_writer(good_db, tmp_path, holder):
    db = tmp_path / "bw.duckdb"
    shutil.copyfile(good_db, db)
    holder(db)
    for command in READS:
        run = benchwatch(*command, "--db", str(db))
        assert_one_message(run, f"database {db} is locked: process ", "Wait for that process to finish")


@pytest.mark.parametrize("case", ["random bytes", "truncated"])
def test_the_dashboard_gives_one_message_for_a_damaged_copy(case, good_db, tmp_path, monkeypatch):
    make, problem = CASES[case]
    db = tmp_path / "bw.duckdb"
    shutil.copyfile(good_db, db)
    make(published_path(db), good_db)
    at = app_test(db, monkeypatch)
    assert not at.exception, [e.value for e in at.exception]
    [error] = at.error
    assert f"database {published_path(db)} {problem}" in error.value
    assert "the next refresh" in error.value and "benchwatch restore" in error.value


def test_the_dashboard_gives_one_message_for_a_locked_copy(good_db, tmp_path, monkeypatch, holder):
    db = tmp_path / "bw.duckdb"
    shutil.copyfile(good_db, db)
    shutil.copyfile(published_path(good_db), published_path(db))
    holder(published_path(db))
    at = app_test(db, monkeypatch)
    assert not at.exception, [e.value for e in at.exception]
    [error] = at.error
    assert f"database {published_path(db)} is locked: process " in error.value
