"""Readers never hold the writer back: a ``check`` reading while a refresh runs, in real processes.

The check is held open inside its read (after its report is computed, before its connection
closes) until the test releases it; the refresh is given no wait at all
(``writer_wait_seconds = 0``), so it succeeds only if the reader is not on the writer's file.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import time

import duckdb
import pytest

from benchwatch.storage.publish import published_path
from benchwatch.storage.writer import WriterBusy, reader_path, writer_door

# HELM Safety and Epoch replayed and analysed, and HarmBench's latest values: the check tests' fixtures.
from tests.test_benchmark_check import db, latest  # noqa: F401

RESAMPLES = "50"

# ``benchwatch check`` whose read is held open until the file argv[2] exists.
HELD_CHECK = textwrap.dedent("""
    import sys, time
    from pathlib import Path
    import benchwatch.cli
    from benchwatch.cli import benchmark_check as command
    from benchwatch.cli.app import app

    computed = command.check_benchmark
    def held(con, *args, **kwargs):
        report = computed(con, *args, **kwargs)
        Path(sys.argv[1]).write_text("reading")
        deadline = time.monotonic() + 300
        while not Path(sys.argv[2]).exists() and time.monotonic() < deadline:
            time.sleep(0.1)
        return report
    command.check_benchmark = held
    app(sys.argv[3:], prog_name="benchwatch")
""")


def test_a_refresh_goes_in_while_a_check_reads(db, latest, data_dir, tmp_path):
    reading, release, mine = tmp_path / "reading", tmp_path / "release", tmp_path / "mine.csv"
    latest.to_csv(mine, index=False)
    env = {**os.environ, "BENCHWATCH_BOOTSTRAP_RESAMPLES": RESAMPLES, "BENCHWATCH_WRITER_WAIT_SECONDS": "0"}
    check = subprocess.Popen(
        [sys.executable, "-c", HELD_CHECK, str(reading), str(release), "check",
         str(mine), "--format", "json", "--out", str(tmp_path / "report.json"),
         "--db", str(db)], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 300
        while not reading.exists():
            assert check.poll() is None, check.communicate()
            assert time.monotonic() < deadline
            time.sleep(0.1)
        before = os.stat(published_path(db)).st_ino
        result = subprocess.run(
            [sys.executable, "-m", "benchwatch.cli", "refresh", "--source", "helm-safety", "--replay", str(data_dir),
             "--db", str(db)], env=env, capture_output=True, text=True, timeout=600)
        assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
        assert check.poll() is None, "the check was to be still reading while the refresh ran"
        assert os.stat(published_path(db)).st_ino != before, "the refresh republished the readers' copy"
    finally:
        release.write_text("go")
        stdout, stderr = check.communicate(timeout=300)
    assert check.returncode == 0, stderr
    assert "Traceback" not in stderr


HOLD = ("import duckdb, sys, time; c = duckdb.connect(sys.argv[1], read_only=True); print('holding', flush=True);"
        " time.sleep(float(sys.argv[2]))")


def test_a_writer_waits_for_a_reader_of_the_file_itself(tmp_path):
    db = tmp_path / "bw.duckdb"
    with writer_door(db, 0) as door:
        door.con.execute("CREATE TABLE t (a INTEGER)")
    holder = subprocess.Popen([sys.executable, "-c", HOLD, str(db), "3"], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "holding"
        with pytest.raises(WriterBusy, match=r"is locked: process \d+ has it open.*Waited 0 s"):
            with writer_door(db, 0) as door:
                door.con.execute("INSERT INTO t VALUES (1)")
        with writer_door(db, 60) as door:
            door.con.execute("INSERT INTO t VALUES (2)")
        assert holder.poll() is not None, "the writer went in only once the reader had closed"
    finally:
        holder.kill()
        holder.wait()
    with duckdb.connect(str(published_path(db)), read_only=True) as con:
        assert con.execute("SELECT list(a) FROM t").fetchone()[0] == [2]


def test_a_reader_opens_the_copy_unless_the_file_changed_outside_the_door(tmp_path):
    db = tmp_path / "bw.duckdb"
    assert reader_path(db) == db
    with writer_door(db, 0) as door:
        door.con.execute("CREATE TABLE t (a INTEGER)")
    assert reader_path(db) == published_path(db)
    time.sleep(0.01)
    with duckdb.connect(str(db)) as con:
        con.execute("INSERT INTO t VALUES (1)")
    assert reader_path(db) == db
    with writer_door(db, 0):
        assert reader_path(db) == published_path(db), "while a writer is in, readers read the copy"
