"""The files of deploy/, checked without a container engine: prefect.yaml against the
flows and sources, ``serve``'s deployments against prefect.yaml, the compose file's
wiring, and the image's install step against the README."""

from __future__ import annotations

import re

import pandas as pd
import pytest
import yaml
from prefect.client.schemas.objects import ConcurrencyLimitStrategy
from prefect.client.schemas.schedules import CronSchedule
from prefect.flows import load_flow_from_entrypoint

from benchwatch.flows.deployments import (
    PREFECT_FILE,
    deployment_specs,
    runner_deployments,
)
from benchwatch.flows.analysis import ANALYSIS_CHANGED
from benchwatch.flows.ingest import SOURCE_UPDATED
from benchwatch.flows.probe import CHECK_FAILED
from benchwatch.sources import SOURCES
from tests.paths import REPO_ROOT

DEPLOY = REPO_ROOT / "deploy"
DAILY = {"lmarena", "epoch", "sources-check"}
# Frozen upstreams (Liveness): weekly at most; the v1 archive never on a schedule.
WEEKLY = {"open-llm-leaderboard-v2", "helm-safety", "helm-capabilities"}
UNSCHEDULED = {"open-llm-leaderboard-v1"}


@pytest.fixture(scope="module")
def specs() -> dict[str, dict]:
    return {spec["name"]: spec for spec in deployment_specs()}


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load((DEPLOY / "compose.yaml").read_text())


def test_one_ingest_deployment_per_source_and_the_analysis(specs):
    ingest = {name for name, spec in specs.items() if spec["entrypoint"] == "benchwatch.flows.ingest.ingest"}
    assert ingest == set(SOURCES)
    assert all(specs[name]["parameters"] == {"source": name, "mode": "live"} for name in ingest)
    assert specs["analyze-and-alert"]["entrypoint"] == "benchwatch.flows.analysis.analyze_and_alert"
    assert specs["backup"]["entrypoint"] == "benchwatch.flows.backup.backup"
    assert specs["sources-check"]["entrypoint"] == "benchwatch.flows.probe.sources_check"
    assert specs["publish"]["entrypoint"] == "benchwatch.flows.publish.publish"
    assert len(specs) == len(SOURCES) + 4


def test_the_database_is_backed_up_daily(specs):
    [schedule] = specs["backup"]["schedules"]
    _, _, day, month, weekday = CronSchedule(cron=schedule["cron"], timezone=schedule["timezone"]).cron.split()
    assert (day, month, weekday) == ("*", "*", "*")
    assert specs["backup"]["concurrency_limit"] == 1


def test_frozen_sources_are_weekly_at_most_and_the_check_runs_before_the_ingests(specs):
    frozen = {name for name, cls in SOURCES.items() if cls.liveness.frozen}
    assert frozen - {"safetywashing-paper"} == WEEKLY | UNSCHEDULED
    for name in frozen:
        for schedule in specs[name]["schedules"]:
            _, _, day, _, weekday = schedule["cron"].split()
            assert weekday != "*" or day != "*", name
    assert specs["open-llm-leaderboard-v1"]["schedules"] == []
    check = specs["sources-check"]["schedules"][0]
    live = [specs[name]["schedules"][0] for name, cls in SOURCES.items() if not cls.liveness.frozen]
    # Same day, earlier: compare in UTC (the ingests keep their upstream's own time zone).
    day = pd.Timestamp("2026-11-25")
    when = [day.tz_localize(s["timezone"]) + pd.Timedelta(hours=int(s["cron"].split()[1]),
                                                            minutes=int(s["cron"].split()[0]))
            for s in (check, *live)]
    assert all(when[0] < ingest for ingest in when[1:])


def test_every_entrypoint_is_a_flow_accepting_its_parameters(specs):
    for spec in specs.values():
        flow = load_flow_from_entrypoint(spec["entrypoint"], use_placeholder_flow=False)
        flow.validate_parameters(spec["parameters"])
        if "mode" in spec["parameters"]:
            flow.validate_parameters({**spec["parameters"], "mode": "replay"})


def test_cron_schedules_with_time_zones_fit_each_upstream(specs):
    for name, spec in specs.items():
        if name in UNSCHEDULED:
            continue
        [schedule] = spec["schedules"]
        parsed = CronSchedule(cron=schedule["cron"], timezone=schedule["timezone"])  # validates both
        _, _, day, month, weekday = parsed.cron.split()
        if name in DAILY:
            assert (day, month, weekday) == ("*", "*", "*"), name
        if name in WEEKLY:
            assert (day, month) == ("*", "*") and weekday != "*", name


def test_process_pool_no_pull_steps_and_one_analysis_at_a_time(specs):
    raw = yaml.safe_load(PREFECT_FILE.read_text())
    assert raw["pull"] == []  # code comes from the installed package
    assert {spec["work_pool"]["name"] for spec in specs.values()} == {"benchwatch"}
    assert specs["analyze-and-alert"]["concurrency_limit"] == {"limit": 1, "collision_strategy": "ENQUEUE"}


def test_analysis_is_triggered_by_the_ingest_event(specs):
    [trigger] = specs["analyze-and-alert"]["triggers"]
    assert trigger["expect"] == [SOURCE_UPDATED, CHECK_FAILED]
    assert trigger["match"] == {"prefect.resource.id": "benchwatch.source.*"}
    assert (trigger["posture"], trigger["threshold"]) == ("Reactive", 1)


def test_publish_is_triggered_by_an_analysis_that_changed_something(specs):
    [trigger] = specs["publish"]["triggers"]
    assert trigger["expect"] == [ANALYSIS_CHANGED]
    assert trigger["match"] == {"prefect.resource.id": "benchwatch.analysis"}
    assert specs["publish"]["concurrency_limit"] == {"limit": 1, "collision_strategy": "ENQUEUE"}


def test_served_deployments_are_the_file_with_overrides(specs, tmp_path):
    served = {d.name: d for d in runner_deployments(mode="replay", db=tmp_path / "bw.duckdb")}
    assert set(served) == set(specs)
    for name, deployment in served.items():
        spec = specs[name]
        assert deployment.entrypoint == spec["entrypoint"]
        assert [(s.schedule.cron, s.schedule.timezone) for s in deployment.schedules] == [
            (s["cron"], s["timezone"]) for s in spec["schedules"]]
        assert deployment.parameters["db"] == str(tmp_path / "bw.duckdb")
        assert deployment.work_pool_name is None
    assert served["epoch"].parameters == {"source": "epoch", "mode": "replay", "db": str(tmp_path / "bw.duckdb")}
    analysis = served["analyze-and-alert"]
    assert [t.expect for t in analysis.triggers] == [{SOURCE_UPDATED, CHECK_FAILED}]
    assert analysis.concurrency_limit == 1
    assert analysis.concurrency_options.collision_strategy == ConcurrencyLimitStrategy.ENQUEUE


def test_compose_wires_server_postgres_worker_dashboard_and_a_data_volume(compose):
    services = compose["services"]
    assert {"postgres", "prefect-server", "deploy", "worker", "dashboard"} <= set(services)
    server_env = services["prefect-server"]["environment"]
    assert server_env["PREFECT_API_DATABASE_CONNECTION_URL"].startswith("postgresql+asyncpg://")
    assert "@postgres:5432/" in server_env["PREFECT_API_DATABASE_CONNECTION_URL"]
    assert "prefect-postgres:/var/lib/postgresql/data" in services["postgres"]["volumes"]
    assert "deploy/prefect.yaml" in " ".join(services["deploy"]["command"])
    assert services["worker"]["command"][:4] == ["prefect", "worker", "start", "--pool"]
    assert services["worker"]["command"][4] == "benchwatch"
    for name in ("worker", "dashboard"):
        assert "benchwatch-data:/data" in services[name]["volumes"]
        assert services[name]["environment"]["BENCHWATCH_DB"] == "/data/benchwatch.duckdb"
    assert services["worker"]["environment"]["PREFECT_API_URL"] == "http://prefect-server:4200/api"
    assert set(compose["volumes"]) == {"prefect-postgres", "benchwatch-data"}
    for name in ("prefect-server", "deploy", "worker", "dashboard"):
        assert services[name]["build"] == {"context": "..", "dockerfile": "deploy/Dockerfile"}


def test_the_image_installs_with_the_readme_command():
    dockerfile = (DEPLOY / "Dockerfile").read_text()
    installs = [line.removeprefix("RUN ").strip() for line in dockerfile.splitlines()
                if line.startswith("RUN ") and "pip install" in line]
    assert installs == ["python3 -m venv .venv && .venv/bin/pip install -e ."]
    readme = (REPO_ROOT / "README.md").read_text()
    assert all(re.search(re.escape(command) + r"(\s|$)", readme) for command in installs)
    assert "COPY . ." in dockerfile and "WORKDIR /opt/benchwatch" in dockerfile
