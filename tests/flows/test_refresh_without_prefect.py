"""A one-shot ``benchwatch refresh`` with no Prefect API configured starts no Prefect server.

It used to start a temporary Prefect API server (and guard it against outliving a
killed refresh); it now runs the refresh use case as plain calls, so there is no
server to start, to wait for, or to leave behind. Observed from outside: the
refresh's process tree, and the Prefect home a server would create its database in.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest

from benchwatch.supervise import descendants
from tests.paths import REPO_ROOT

pytestmark = pytest.mark.slow

PAPER_OBSERVATIONS = 9473


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


def test_a_refresh_without_a_prefect_api_starts_no_server(tmp_path, data_dir):
    home = tmp_path / "prefect-home"
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
    env.update(PREFECT_HOME=str(home), BENCHWATCH_BOOTSTRAP_RESAMPLES="100",
               PYTHONPATH=str(REPO_ROOT))
    db = tmp_path / "bw.duckdb"
    refresh = subprocess.Popen(
        [sys.executable, "-m", "benchwatch.cli", "refresh", "--source", "safetywashing-paper",
         "--db", str(db), "--replay", str(data_dir)],
        cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    children: dict[int, str] = {}
    try:
        while refresh.poll() is None:  # watch every process the refresh starts, until it ends
            children.update({p: _cmdline(p) for p in descendants(refresh.pid)})
            time.sleep(0.05)
        stdout, stderr = refresh.communicate(timeout=60)
    finally:
        if refresh.poll() is None:
            refresh.kill()
            refresh.wait()
    assert refresh.returncode == 0, stderr
    assert "ran without Prefect (no Prefect API configured)" in stdout
    assert not [c for c in children.values() if "uvicorn" in c or "prefect.server" in c or "-m prefect" in c], children
    assert not (home / "prefect.db").exists() and not home.exists()
    with duckdb.connect(str(db), read_only=True) as con:
        assert con.execute("SELECT count(*) FROM observations WHERE source = 'safetywashing-paper'"
                           ).fetchone()[0] == PAPER_OBSERVATIONS
