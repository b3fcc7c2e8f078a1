"""``benchwatch serve`` and ``benchwatch up``: Benchwatch as a long-running service on one machine.

``serve`` runs every deployment of ``deploy/prefect.yaml`` (the ingest of each
source on its schedule, analysis-and-alerts on new data) from one process,
against a Prefect server. ``up`` is the whole one-machine service in one
command: a Prefect server on loopback unless one is configured, ``serve``,
and the dashboard, each its own process group, all stopped on Ctrl-C.
"""

from __future__ import annotations

import os
import socket
import sys
from collections.abc import Callable
from typing import Annotated

import httpx
import typer

from benchwatch.cli.app import DbOption, app, err, out, settings_or_exit, usable_or_exit
from benchwatch.cli.prefect_env import prefect_api_url, prefect_defaults
from benchwatch.supervise import Service, Supervisor, answers

LiveOption = Annotated[bool, typer.Option(
    "--live", help="Ingest deployments fetch the real upstreams (default: replay the recorded snapshots).")]
# Seconds to wait for a service to answer its health check on a slow 2-core machine.
STARTUP_TIMEOUT = 180.0


@app.command()
def serve(
    live: LiveOption = False,
    limit: Annotated[int, typer.Option("--limit", min=1, help="Flow runs at the same time.")] = 1,
    db: DbOption = None,
) -> None:
    """Serve every deployment (one ingest per source, analyze-and-alert) against a Prefect server.

    Stopping pauses the schedules (pause_on_shutdown): while nothing serves them,
    the Prefect UI shows them paused instead of piling up late runs that would all
    start at once on the next start; starting again resumes them.
    """
    settings = settings_or_exit(db=db)
    usable_or_exit(settings.db)
    prefect_defaults()
    api = prefect_api_url()
    if api is None:
        err.print("benchwatch serve needs a Prefect server: set PREFECT_API_URL "
                  "(e.g. http://127.0.0.1:4200/api), or run `benchwatch up`, which starts one.")
        raise typer.Exit(2)
    from prefect import serve as prefect_serve

    from benchwatch.flows.deployments import runner_deployments

    deployments = runner_deployments(mode="live" if live else "replay", db=settings.db.resolve(),
                                     custom=settings.custom_sources)
    out.print(f"serving {len(deployments)} deployments ({'live' if live else 'replay'}) against {api}; "
              f"database {settings.db}", markup=False, highlight=False)
    # A runner run is a child process; one at a time, as the database has one writer anyway.
    prefect_serve(*deployments, pause_on_shutdown=True, limit=limit, print_starting_message=False)


@app.command()
def up(
    live: LiveOption = False,
    prefect_port: Annotated[int, typer.Option(
        "--prefect-port", help="Port of the local Prefect server started when none is configured.")] = 4200,
    dashboard_port: Annotated[int | None, typer.Option(
        "--dashboard-port", help="Dashboard port (dashboard_port).")] = None,
    db: DbOption = None,
) -> None:
    """Prefect server (unless PREFECT_API_URL is set), served deployments and dashboard; Ctrl-C stops all."""
    settings = settings_or_exit(db=db, dashboard_port=dashboard_port)
    usable_or_exit(settings.db)
    prefect_defaults()
    db_path = settings.db.resolve()
    supervisor = Supervisor(db_path.parent / "logs")
    supervisor.handle_signals()
    env = dict(os.environ)
    api = prefect_api_url()
    started_server = api is None
    if started_server:
        _require_free(prefect_port, "--prefect-port", "is a Prefect server already running there? "
                      f"Use it with PREFECT_API_URL=http://127.0.0.1:{prefect_port}/api")
    _require_free(settings.dashboard_port, "--dashboard-port", "pick another dashboard port")
    code = 0
    try:
        if started_server:
            api = f"http://127.0.0.1:{prefect_port}/api"
            server = supervisor.start("prefect-server", [
                sys.executable, "-m", "prefect", "server", "start",
                "--host", "127.0.0.1", "--port", str(prefect_port)], env)
            _await(supervisor, server, lambda: answers(f"{api}/health"), "the Prefect server")
        elif not answers(f"{api}/health"):
            err.print(f"the configured Prefect server {api} does not answer", markup=False)
            raise typer.Exit(1)
        env["PREFECT_API_URL"] = api
        runner = supervisor.start("serve", [
            sys.executable, "-m", "benchwatch.cli", "serve", "--db", str(db_path),
            *(["--live"] if live else [])], env)
        _await(supervisor, runner, lambda: _served(api, "analyze-and-alert/analyze-and-alert"),
               "the served deployments")
        dashboard = supervisor.start("dashboard", [
            sys.executable, "-m", "benchwatch.cli", "dashboard", "--db", str(db_path),
            "--host", settings.dashboard_host, "--port", str(settings.dashboard_port)], env)
        dashboard_url = f"http://{settings.dashboard_host}:{settings.dashboard_port}"
        _await(supervisor, dashboard, lambda: answers(f"{dashboard_url}/_stcore/health"), "the dashboard")
        ui = api.removesuffix("/api")
        out.print(
            f"Benchwatch is up ({'live' if live else 'replay'}), database {db_path}\n"
            f"  Prefect UI  {ui}{' (started here)' if started_server else ''}\n"
            f"  Dashboard   {dashboard_url}\n"
            f"  Logs        {supervisor.log_dir}\n"
            "Ctrl-C stops everything.", markup=False, highlight=False)
        while not supervisor.stopping.wait(1.0):
            died = supervisor.exited()
            if died is not None:
                err.print(f"{died.name} stopped (exit {died.process.returncode}); stopping the rest. "
                          f"Last lines of {died.log}:\n{died.tail()}", markup=False, highlight=False)
                code = 1
                break
    finally:
        out.print("stopping...", markup=False)
        supervisor.stop_all()
    out.print("stopped", markup=False)
    raise typer.Exit(code)


def _require_free(port: int, flag: str, hint: str) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        if probe.connect_ex(("127.0.0.1", port)) == 0:
            err.print(f"port {port} ({flag}) is in use: {hint}", markup=False)
            raise typer.Exit(2)


def _served(api: str, name: str) -> bool:
    """The runner has registered its deployments: the last one exists and is not paused."""
    try:
        response = httpx.get(f"{api}/deployments/name/{name}", timeout=2.0)
    except httpx.HTTPError:
        return False
    return response.status_code == 200 and not response.json().get("paused", True)


def _await(supervisor: Supervisor, service: Service, ready: Callable[[], bool], what: str) -> None:
    """Wait for a service to be ready; on failure stop (the caller's ``finally`` stops the rest)."""
    if supervisor.wait_until(ready, service, STARTUP_TIMEOUT):
        return
    if supervisor.stopping.is_set():
        raise typer.Exit(0)
    err.print(f"{what} did not start (log {service.log}):\n{service.tail()}", markup=False, highlight=False)
    raise typer.Exit(1)
