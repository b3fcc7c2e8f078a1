"""How a refresh's steps run inside a Prefect flow: tasks, and the task runner's map.

``benchwatch.pipeline.refresh`` defines the sequence once; a flow passes these
hooks so each source's ingest is its own task (a failing source is visible in
Prefect and does not stop the others) and the analysis units fan out on the
configured task runner: threads (the default) on the cores of the machine
running the flow, or Dask (``task_runner = "dask"``, prefect-dask) over a
local cluster or the scheduler at ``dask_address``. Only pure inputs travel to
the workers; the flow process reads the database before and writes after.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import duckdb
import pandas as pd
from prefect import get_run_logger, task, unmapped
from prefect.cache_policies import NO_CACHE
from prefect.task_runners import TaskRunner, ThreadPoolTaskRunner

from benchwatch.alerting import service as alert_service
from benchwatch.analysis.engine import Params, Results
from benchwatch.pipeline.analyze import AnalysisUnit, analyze_unit
from benchwatch.pipeline.ingest import SourceReport, ingest_source
from benchwatch.pipeline.refresh import Hooks
from benchwatch.settings import Settings


def task_runner(settings: Settings) -> TaskRunner:
    """The task runner the settings ask for (prefect-dask is imported only when chosen)."""
    if settings.task_runner == "dask":
        from prefect_dask import DaskTaskRunner

        if settings.dask_address:
            return DaskTaskRunner(address=settings.dask_address)
        return DaskTaskRunner()
    return ThreadPoolTaskRunner()


T = TypeVar("T")


class Lent:
    """The writer's connection lent to one task, released when the task returns.

    Prefect keeps a task's parameters in its run context, and keeps that context alive after a
    task logged an error (a failed source) until the process exits: a connection passed as a
    parameter then outlives the writer door that closed it, and DuckDB's bindings report it
    leaked at exit. A task gets this holder instead; once released it holds nothing.
    """

    def __init__(self, con: duckdb.DuckDBPyConnection) -> None:
        self.con: duckdb.DuckDBPyConnection | None = con

    def __call__(self) -> duckdb.DuckDBPyConnection:
        if self.con is None:
            raise RuntimeError("a task used the writer's connection after it returned")
        return self.con


def lending(run_task: Callable[..., T]) -> Callable[..., T]:
    """``run_task`` called with the connection lent (``Lent``) for the call's duration."""
    def run(con: duckdb.DuckDBPyConnection, *args: Any, **kwargs: Any) -> T:
        lent = Lent(con)
        try:
            return run_task(lent, *args, **kwargs)
        finally:
            lent.con = None
    return run


@task(name="ingest-source", cache_policy=NO_CACHE, task_run_name="ingest {name}")
def ingest_task(lent: Lent, name: str, settings: Settings, mode: str, until, http, progress=None) -> SourceReport:
    logger = get_run_logger()
    report = ingest_source(lent(), name, settings, mode, until, http, progress=logger.info)
    if report.status == "failed":
        logger.error("%s failed: %s", name, report.error)
    return report


@task(name="analyze-unit", cache_policy=NO_CACHE, task_run_name="analyze {unit.source} {unit.as_of}")
def analyze_unit_task(unit: AnalysisUnit, registry: pd.DataFrame, params: Params) -> Results:
    return analyze_unit(unit, registry, params)


@task(name="evaluate-alerts", cache_policy=NO_CACHE)
def evaluate_task(lent: Lent, settings: Settings, run_id: int | None) -> list:
    return alert_service.evaluate(lent(), settings, run_id)


@task(name="notify", cache_policy=NO_CACHE)
def notify_task(lent: Lent, settings: Settings, run_id: int | None) -> alert_service.DeliveryReport:
    """Deliver what is pending; a channel that is down is logged (redacted), never fatal."""
    return alert_service.deliver(lent(), settings, run_id, progress=get_run_logger().info)


def prefect_hooks(settings: Settings) -> Hooks:
    """The refresh's steps as tasks of the current flow run; the units mapped on its task runner."""

    def map_units(units: list[AnalysisUnit], registry: pd.DataFrame, params: Params) -> list[Results]:
        with task_runner(settings) as runner:
            futures = runner.map(analyze_unit_task, {
                "unit": units, "registry": unmapped(registry), "params": unmapped(params)})
            return [future.result() for future in futures]

    return Hooks(ingest=lending(ingest_task), map_units=map_units, evaluate=lending(evaluate_task),
                 notify=lending(notify_task),
                 progress=get_run_logger().info)
