"""`benchwatch up` started and stopped like a user would: it starts a Prefect server on
loopback (none is configured), serves the deployments, starts the dashboard, runs a
served deployment on request, and on Ctrl-C leaves nothing running, with the
schedules paused in the Prefect database for the next start."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys

import duckdb
import pytest

from benchwatch.flows.deployments import deployment_specs
from benchwatch.storage.publish import published_path
from benchwatch.supervise import alive, answers, descendants
from tests.deploy.prefect_api import (
    STARTUP_TIMEOUT,
    PrefectApi,
    child_env,
    free_port,
    wait_for,
)

pytestmark = pytest.mark.slow


def test_up_serves_the_deployments_and_the_dashboard_and_stops_cleanly(tmp_path, data_dir):
    prefect_port, dashboard_port = free_port(), free_port()
    home, db, output = tmp_path / "prefect-home", tmp_path / "bw.duckdb", tmp_path / "up.out"
    env = child_env(home, BENCHWATCH_REPLAY_DIR=str(data_dir), PREFECT_RUNNER_POLL_FREQUENCY="2")
    with open(output, "wb") as out:
        up = subprocess.Popen([sys.executable, "-m", "benchwatch.cli", "up", "--db", str(db),
                               "--prefect-port", str(prefect_port), "--dashboard-port", str(dashboard_port)],
                              env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    tree: set[int] = set()
    api = PrefectApi(f"http://127.0.0.1:{prefect_port}/api")
    try:
        def logs() -> str:
            return output.read_text() + "".join(
                f"\n--- {log.name}\n{log.read_text()[-3000:]}" for log in (tmp_path / "logs").glob("*.log"))

        wait_for(lambda: "Ctrl-C stops everything." in output.read_text() or up.poll() is not None,
                 3 * STARTUP_TIMEOUT, "benchwatch up to start", logs)
        printed = output.read_text()
        assert f"Prefect UI  http://127.0.0.1:{prefect_port} (started here)" in printed, logs()
        assert f"Dashboard   http://127.0.0.1:{dashboard_port}" in printed
        assert answers(f"http://127.0.0.1:{prefect_port}/api/health")
        assert answers(f"http://127.0.0.1:{dashboard_port}/_stcore/health")

        run = api.wait_finished(api.run("ingest/safetywashing-paper"), logs)
        assert run["state_type"] == "COMPLETED", logs()
        assert run["parameters"]["mode"] == "replay" and run["parameters"]["db"] == str(db)
        with duckdb.connect(str(published_path(db)), read_only=True) as con:
            assert con.execute("SELECT count(*) FROM observations").fetchone()[0] == 9473

        tree = {up.pid} | descendants(up.pid)
        assert len(tree) >= 5  # up, the server, serve, the dashboard command and Streamlit
        up.send_signal(signal.SIGINT)  # Ctrl-C
        assert up.wait(180) == 0, logs()
        assert [pid for pid in tree if alive(pid)] == []
        assert not answers(f"http://127.0.0.1:{prefect_port}/api/health")
        assert not answers(f"http://127.0.0.1:{dashboard_port}/_stcore/health")
        assert output.read_text().rstrip().endswith("stopped")
        with sqlite3.connect(home / "prefect.db") as prefect_db:
            paused = dict(prefect_db.execute("SELECT name, paused FROM deployment").fetchall())
        assert len(paused) == len(deployment_specs()) and all(paused.values())  # pause_on_shutdown
    finally:
        api.close()
        for pid in {up.pid} | descendants(up.pid) | tree:
            if alive(pid):
                os.kill(pid, signal.SIGKILL)
        up.wait(10)
