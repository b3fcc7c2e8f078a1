"""deploy/prefect.yaml for real: a `prefect server start` on loopback, the process work
pool, `prefect deploy --all`, a worker, flow runs on recorded data and against a
loopback upstream, and a schedule firing on its own.

One server, pool and worker for the module; every process is stopped (its whole
group, and any descendant) even when a test fails.
"""

from __future__ import annotations

import subprocess
import sys
from datetime import datetime
from zoneinfo import ZoneInfo

import duckdb
import pytest

from benchwatch.flows.deployments import deployment_specs
from benchwatch.pipeline.ingest import ingest_source
from benchwatch.settings import load_settings
from benchwatch.sources.http import HttpClient
from benchwatch.storage.db import connect
from benchwatch.storage.publish import published_path
from benchwatch.supervise import Supervisor, answers
from tests.deploy.prefect_api import (
    STARTUP_TIMEOUT,
    PrefectApi,
    child_env,
    free_port,
    wait_for,
)
from tests.loopback import Upstream
from tests.paths import REPO_ROOT
from tests.sources.test_epoch import APRIL, ZIP_PATH, folder_files, zip_of

pytestmark = pytest.mark.slow

PAPER_OBSERVATIONS = 9473


class Stack:
    def __init__(self, api: PrefectApi, env: dict[str, str], db, upstream: Upstream,
                 supervisor: Supervisor) -> None:
        self.api, self.env, self.db, self.upstream, self.supervisor = api, env, db, upstream, supervisor

    def prefect(self, *args: str) -> str:
        done = subprocess.run([sys.executable, "-m", "prefect", *args], env=self.env, cwd=REPO_ROOT,
                              check=False, capture_output=True, text=True, timeout=180)
        assert done.returncode == 0, f"prefect {' '.join(args)}:\n{done.stdout}\n{done.stderr}"
        return done.stdout

    def logs(self) -> str:
        return "\n".join(f"--- {s.name}\n{s.tail(40)}" for s in self.supervisor.services)

    def published(self) -> duckdb.DuckDBPyConnection:
        return duckdb.connect(str(published_path(self.db)), read_only=True)


@pytest.fixture(scope="module")
def stack(tmp_path_factory, data_dir):
    tmp = tmp_path_factory.mktemp("deploy-server")
    upstream = Upstream().start()
    upstream.mount(ZIP_PATH, zip_of(folder_files(APRIL)), "application/zip")
    supervisor = Supervisor(tmp / "logs")
    api_url = f"http://127.0.0.1:{free_port()}/api"
    db = tmp / "bw.duckdb"
    env = child_env(
        tmp / "prefect-home",
        PREFECT_API_URL=api_url,
        PREFECT_SERVER_SERVICES_SCHEDULER_LOOP_SECONDS="2",
        PREFECT_WORKER_QUERY_SECONDS="2",
        PREFECT_RUNNER_POLL_FREQUENCY="2",
        BENCHWATCH_DB=str(db),
        BENCHWATCH_REPLAY_DIR=str(data_dir),
        BENCHWATCH_UPSTREAM_BASE=upstream.url,
    )
    api = PrefectApi(api_url)
    try:
        port = api_url.split(":")[2].split("/")[0]
        server = supervisor.start("prefect-server", [
            sys.executable, "-m", "prefect", "server", "start", "--host", "127.0.0.1", "--port", port], env)
        assert supervisor.wait_until(lambda: answers(f"{api_url}/health"), server, STARTUP_TIMEOUT), server.tail()
        stack = Stack(api, env, db, upstream, supervisor)
        stack.prefect("work-pool", "create", "benchwatch", "--type", "process")
        stack.prefect("deploy", "--all", "--prefect-file", "deploy/prefect.yaml")
        supervisor.start("worker", [sys.executable, "-m", "prefect", "worker", "start",
                                    "--pool", "benchwatch", "--type", "process"], env)
        yield stack
    finally:
        api.close()
        supervisor.stop_all()
        upstream.stop()


def test_the_file_deploys_and_every_cron_is_scheduled_in_its_time_zone(stack):
    deployments = stack.api.deployments()
    specs = {spec["name"]: spec for spec in deployment_specs()}
    assert {name.split("/")[1] for name in deployments} == set(specs)
    for name, deployment in deployments.items():
        spec = specs[deployment["name"]]
        assert deployment["work_pool_name"] == "benchwatch"
        assert deployment["parameters"] == spec["parameters"]
        if not spec["schedules"]:  # the v1 archive: run by hand only
            assert deployment["schedules"] == [] and not stack.api.flow_runs(name)
            continue
        [schedule] = deployment["schedules"]
        assert (schedule["schedule"]["cron"], schedule["schedule"]["timezone"]) == (
            spec["schedules"][0]["cron"], spec["schedules"][0]["timezone"])

        # The scheduler has put the next runs on the calendar, at the cron's local time.
        def next_run(name=name):
            runs = [r for r in stack.api.flow_runs(name) if r["auto_scheduled"]]
            return min(runs, key=lambda r: r["expected_start_time"]) if runs else None

        run = wait_for(next_run, 60, f"the scheduler to plan {name}", stack.logs)
        local = datetime.fromisoformat(run["expected_start_time"]).astimezone(ZoneInfo(schedule["schedule"]["timezone"]))
        minute, hour = spec["schedules"][0]["cron"].split()[:2]
        assert (local.minute, local.hour) == (int(minute), int(hour)), name
    automations = stack.api.http.post("/automations/filter", json={}).json()
    assert sorted(sorted(a["trigger"]["expect"]) for a in automations) == [
        ["benchwatch.analysis.changed"], ["benchwatch.source.check-failed", "benchwatch.source.updated"]]


def test_a_replay_run_ingests_and_its_new_data_triggers_the_analysis(stack):
    run_id = stack.api.run("ingest/safetywashing-paper", mode="replay")
    run = stack.api.wait_finished(run_id, stack.logs)
    assert run["state_type"] == "COMPLETED", stack.logs()

    def triggered_analysis():
        runs = [r for r in stack.api.flow_runs("analyze-and-alert/analyze-and-alert")
                if not r["auto_scheduled"] and r["state_type"] in ("COMPLETED", "FAILED", "CRASHED")]
        return runs[0] if runs else None

    analysis = wait_for(triggered_analysis, 240, "the analysis triggered by the ingest", stack.logs)
    assert analysis["state_type"] == "COMPLETED", stack.logs()
    with stack.published() as con:
        assert con.execute("SELECT count(*) FROM observations WHERE source = 'safetywashing-paper'"
                           ).fetchone()[0] == PAPER_OBSERVATIONS
        rho, n = con.execute(
            "SELECT rho, n FROM correlations WHERE source = 'safetywashing-paper' AND model_set = 'chat' "
            "AND axis = 'pc1' AND benchmark = 'truthfulqa_mc1' "
            "AND run_id = (SELECT max(run_id) FROM analysis_runs WHERE status = 'ok')").fetchone()
    assert 100 * rho == pytest.approx(81.2, abs=0.05) and n == 26


def test_a_schedule_fires_on_its_own_and_fetches_live_from_the_loopback_upstream(stack, data_dir, tmp_path):
    stack.prefect("deployment", "schedule", "create", "ingest/epoch", "--interval", "5")

    def scheduled_run_finished():
        runs = [r for r in stack.api.flow_runs("ingest/epoch")
                if r["auto_scheduled"] and r["state_type"] in ("COMPLETED", "FAILED", "CRASHED")]
        return runs[0] if runs else None

    run = wait_for(scheduled_run_finished, 120, "a scheduled run of ingest/epoch", stack.logs)
    stack.api.pause("ingest/epoch")
    assert run["state_type"] == "COMPLETED", stack.logs()
    assert run["parameters"] == {"source": "epoch", "mode": "live"}
    assert 200 in stack.upstream.requests_to(ZIP_PATH)

    # The same bytes fetched live in this process give the rows the deployment stored.
    expected = connect(tmp_path / "expected.duckdb")
    settings = load_settings(db=tmp_path / "expected.duckdb", upstream_base=stack.upstream.url)
    with HttpClient(retries=0) as http:
        report = ingest_source(expected, "epoch", settings, mode="live", http=http)
    with stack.published() as con:
        stored = con.execute("SELECT count(*) FROM observations WHERE source = 'epoch'").fetchone()[0]
        [(mode, status)] = con.execute("SELECT DISTINCT mode, status FROM fetches WHERE source = 'epoch' "
                                       "AND status = 'ok'").fetchall()
    assert stored == report.rows_added > 1000
    assert (mode, status) == ("live", "ok")



def test_a_cli_refresh_with_a_configured_api_is_a_flow_run_on_that_server(stack, data_dir, tmp_path):
    before = {r["id"] for r in stack.api.http.post("/flow_runs/filter", json={}).json()}
    done = subprocess.run(
        [sys.executable, "-m", "benchwatch.cli", "refresh", "--source", "safetywashing-paper",
         "--db", str(tmp_path / "cli.duckdb"), "--replay", str(data_dir)],
        env=stack.env, cwd=tmp_path, check=False, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    assert f"ran as a Prefect flow run on {stack.api.url}" in done.stdout
    flows = {f["id"]: f["name"] for f in stack.api.http.post("/flows/filter", json={}).json()}
    new = [r for r in stack.api.http.post("/flow_runs/filter", json={}).json() if r["id"] not in before]
    assert [r["state_type"] for r in new if flows[r["flow_id"]] == "refresh"] == ["COMPLETED"]
