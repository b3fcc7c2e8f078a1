"""A killed or timed-out ``benchwatch refresh`` leaves no process behind.

The refresh starts a temporary Prefect API server; a SIGKILL (or the SIGTERM a
scheduler sends on a timeout) must take that server down with it instead of
leaving it running, reparented to init.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from benchwatch.supervise import alive, descendants

pytestmark = pytest.mark.slow

SERVER_MARK = "prefect.server.api.server:create_app"


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


def _wait_for(predicate, what: str, patience: float = 240.0):
    """Poll until ``predicate`` returns a truthy value (a readiness wait, not a timing check)."""
    deadline = time.monotonic() + patience
    while time.monotonic() < deadline:
        found = predicate()
        if found:
            return found
        time.sleep(0.2)
    raise AssertionError(f"gave up waiting for {what}")


@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGTERM], ids=["killed", "timed-out"])
def test_a_killed_refresh_takes_its_prefect_server_with_it(tmp_path, data_dir, sig):
    refresh = subprocess.Popen(
        [sys.executable, "-m", "benchwatch.cli", "refresh", "--source", "safetywashing-paper",
         "--db", str(tmp_path / "bw.duckdb"), "--replay", str(data_dir)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        servers = _wait_for(lambda: [p for p in descendants(refresh.pid) if SERVER_MARK in _cmdline(p)],
                            "the refresh's temporary Prefect server")
        refresh.send_signal(sig)
        refresh.wait(timeout=60)
        _wait_for(lambda: not any(alive(p) for p in servers), "the server to exit after its parent", 60)
        assert not any(alive(p) for p in servers)
    finally:
        if refresh.poll() is None:
            refresh.kill()
            refresh.wait()
