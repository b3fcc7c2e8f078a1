"""The analysis fan-out: one Prefect task per (source, as-of date), on the configured task runner.

Threads (the default) use the cores of the machine running the flow. Dask
(``task_runner = "dask"``, prefect-dask) spreads the same tasks over a local
cluster, or over the scheduler at ``dask_address`` when the work outgrows one
machine. Only pure inputs travel to the workers; the flow process reads the
database before and writes the results after, so a worker never needs it.
"""

from __future__ import annotations

import duckdb
from prefect import get_run_logger, task, unmapped
from prefect.cache_policies import NO_CACHE
from prefect.task_runners import TaskRunner, ThreadPoolTaskRunner

from analysis.engine import Params, Results
from benchwatch import pipeline
from benchwatch.registry import load_registry
from benchwatch.settings import Settings


def task_runner(settings: Settings) -> TaskRunner:
    """The task runner the settings ask for (prefect-dask is imported only when chosen)."""
    if settings.task_runner == "dask":
        from prefect_dask import DaskTaskRunner

        if settings.dask_address:
            return DaskTaskRunner(address=settings.dask_address)
        return DaskTaskRunner()
    return ThreadPoolTaskRunner()


@task(name="analyze-unit", cache_policy=NO_CACHE, task_run_name="analyze {unit.source} {unit.as_of}")
def analyze_unit_task(unit: pipeline.AnalysisUnit, registry, params: Params) -> Results:
    return pipeline.analyze_unit(unit, registry, params)


def run_analysis(con: duckdb.DuckDBPyConnection, settings: Settings, force: bool = False) -> int | None:
    """Plan, fan the units out, store one run; None when nothing changed since the last run.

    Called from inside a flow run: the tasks belong to that run.
    """
    logger = get_run_logger()
    plan = pipeline.plan_analysis(con, settings, progress=logger.info, force=force)
    if plan is None:
        return None
    registry = load_registry()
    with task_runner(settings) as runner:
        futures = runner.map(analyze_unit_task, {
            "unit": plan.units, "registry": unmapped(registry), "params": unmapped(plan.params),
        })
        parts = [future.result() for future in futures]
    return pipeline.save_analysis(con, plan, parts, progress=logger.info)
