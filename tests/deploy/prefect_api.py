"""What the deployment tests share: free ports, a child environment, and the Prefect REST API.

The tests talk to the Prefect server over HTTP like the UI does, so the test
process never points its own Prefect client at the server under test.
"""

from __future__ import annotations

import os
import socket
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

STARTUP_TIMEOUT = 180.0
RUN_TIMEOUT = 240.0
TERMINAL = {"COMPLETED", "FAILED", "CRASHED", "CANCELLED"}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def child_env(home: Path, **extra: str) -> dict[str, str]:
    """The test process's environment for a child, with its own Prefect home and no API URL."""
    env = {k: v for k, v in os.environ.items() if k != "PREFECT_API_URL"}
    env.update({
        "PREFECT_HOME": str(home),
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "PREFECT_LOGGING_LEVEL": "INFO",
        "BENCHWATCH_BOOTSTRAP_RESAMPLES": "100",
        "BENCHWATCH_HTTP_RETRIES": "0",
    })
    env.update(extra)
    return env


def wait_for(check: Callable[[], Any], timeout: float, what: str, on_timeout: Callable[[], str] = str) -> Any:
    """Poll ``check`` until it returns something truthy; fail naming ``what`` (and logs) otherwise."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(1.0)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}\n{on_timeout()}")


class PrefectApi:
    def __init__(self, url: str) -> None:
        self.url = url
        self.http = httpx.Client(base_url=url, timeout=30.0)

    def deployment(self, name: str) -> dict:
        response = self.http.get(f"/deployments/name/{name}")
        response.raise_for_status()
        return response.json()

    def deployments(self) -> dict[str, dict]:
        found = self.http.post("/deployments/filter", json={}).json()
        flows = {f["id"]: f["name"] for f in self.http.post("/flows/filter", json={}).json()}
        return {f"{flows[d['flow_id']]}/{d['name']}": d for d in found}

    def run(self, deployment: str, **parameters: Any) -> str:
        """Create a flow run of a deployment now; returns its id."""
        deployment_id = self.deployment(deployment)["id"]
        response = self.http.post(f"/deployments/{deployment_id}/create_flow_run",
                                  json={"parameters": parameters})
        response.raise_for_status()
        return response.json()["id"]

    def flow_run(self, run_id: str) -> dict:
        return self.http.get(f"/flow_runs/{run_id}").json()

    def flow_runs(self, deployment: str) -> list[dict]:
        deployment_id = self.deployment(deployment)["id"]
        return self.http.post("/flow_runs/filter", json={
            "deployments": {"id": {"any_": [deployment_id]}}}).json()

    def wait_finished(self, run_id: str, on_timeout: Callable[[], str] = str) -> dict:
        def finished() -> dict | None:
            run = self.flow_run(run_id)
            return run if run["state_type"] in TERMINAL else None

        return wait_for(finished, RUN_TIMEOUT, f"flow run {run_id}", on_timeout)

    def pause(self, deployment: str) -> None:
        deployment_id = self.deployment(deployment)["id"]
        self.http.post(f"/deployments/{deployment_id}/pause_deployment").raise_for_status()

    def close(self) -> None:
        self.http.close()
