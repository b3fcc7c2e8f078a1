"""The deployments' flows under Prefect's test harness: ``ingest`` marks a broken source
failed after recording it, and the analysis fan-out on a local Dask cluster computes
the very correlations the thread pool does, both equal to the serial ``run_analysis``."""

from __future__ import annotations

import shutil

import duckdb
import pandas as pd
import pytest
from distributed import LocalCluster
from prefect.task_runners import ThreadPoolTaskRunner
from prefect_dask import DaskTaskRunner

from benchwatch.flows.analysis import analyze_and_alert
from benchwatch.flows.ingest import SourceFailed, ingest
from benchwatch.flows.tasks import task_runner
from benchwatch.pipeline.analyze import plan_analysis, run_analysis
from benchwatch.pipeline.ingest import ingest_source
from benchwatch.settings import load_settings
from benchwatch.storage.db import connect
from benchwatch.storage.publish import publish, published_path
from tests.prefect_harness import harness as shared_harness

SOURCES = ["safetywashing-paper", "helm-safety"]
RESULT_TABLES = ["correlations", "capability_axes", "capability_loadings", "capability_scores",
                 "adjusted_residuals"]


@pytest.fixture(scope="module")
def ingested(tmp_path_factory, data_dir):
    """A database with two sources ingested and no analysis yet."""
    db = tmp_path_factory.mktemp("fanout") / "ingested.duckdb"
    settings = load_settings(db=db, replay_dir=data_dir)
    con = connect(db)
    for name in SOURCES:
        assert ingest_source(con, name, settings).status == "ok"
    con.close()
    return db


@pytest.fixture(scope="module")
def harness(prefect_server):
    with shared_harness(prefect_server):
        yield


@pytest.fixture(scope="module")
def cluster():
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as local:
        yield local


def results(db) -> dict[str, pd.DataFrame]:
    """Every result table of the database's analysis run, run id left out, in a stable order."""
    frames = {}
    with duckdb.connect(str(db), read_only=True) as con:
        for table in RESULT_TABLES:
            frame = con.execute(f"SELECT * EXCLUDE (run_id) FROM {table}").df()
            frames[table] = frame.sort_values(list(frame.columns)).reset_index(drop=True)
    return frames


def analyzed_copy(ingested, tmp_path, name: str):
    db = tmp_path / f"{name}.duckdb"
    shutil.copyfile(ingested, db)
    return db


def test_settings_choose_the_task_runner(tmp_path):
    assert isinstance(task_runner(load_settings(db=tmp_path / "x.duckdb")), ThreadPoolTaskRunner)
    dask = task_runner(load_settings(db=tmp_path / "x.duckdb", task_runner="dask"))
    assert isinstance(dask, DaskTaskRunner) and dask.address is None  # a local cluster of its own
    remote = task_runner(load_settings(db=tmp_path / "x.duckdb", task_runner="dask",
                                       dask_address="tcp://10.0.0.5:8786"))
    assert remote.address == "tcp://10.0.0.5:8786"


def test_a_failing_source_is_recorded_and_fails_the_run(tmp_path, harness):
    db = tmp_path / "bw.duckdb"
    state = ingest(source="helm-safety", mode="replay", db=str(db), replay_dir=str(tmp_path / "nothing"),
                   return_state=True)
    assert state.is_failed()
    with pytest.raises(SourceFailed, match="helm-safety: .*recorded file is missing"):
        state.result()
    with duckdb.connect(str(published_path(db)), read_only=True) as con:
        assert con.execute("SELECT source, status FROM fetches").fetchall() == [("helm-safety", "failed")]


def test_dask_and_threads_give_the_same_results_as_serial(ingested, tmp_path, harness, cluster,
                                                               monkeypatch):
    monkeypatch.setenv("BENCHWATCH_BOOTSTRAP_RESAMPLES", "30")
    serial_db = analyzed_copy(ingested, tmp_path, "serial")
    con = connect(serial_db)
    assert run_analysis(con, load_settings(db=serial_db)) is not None
    con.close()
    serial = results(serial_db)

    threads_db = analyzed_copy(ingested, tmp_path, "threads")
    result = analyze_and_alert(db=str(threads_db))
    assert result["run_id"] is not None
    threads = results(threads_db)

    monkeypatch.setenv("BENCHWATCH_TASK_RUNNER", "dask")
    monkeypatch.setenv("BENCHWATCH_DASK_ADDRESS", cluster.scheduler_address)
    dask_db = analyzed_copy(ingested, tmp_path, "dask")
    state = analyze_and_alert(db=str(dask_db), return_state=True)
    assert state.is_completed()
    dask = results(dask_db)

    # Every (source, as-of date) unit was computed on the cluster's worker processes:
    # the paper's one date and helm-safety's 13 monthly points.
    scratch = analyzed_copy(ingested, tmp_path, "plan")
    with connect(scratch) as con:
        units = plan_analysis(con, load_settings(db=scratch)).units
    assert [(u.source, u.latest) for u in units].count(("helm-safety", False)) == 12
    assert cluster.scheduler.task_prefixes["analyze_unit_task"].state_counts["memory"] == len(units) == 14
    for table in RESULT_TABLES:
        pd.testing.assert_frame_equal(threads[table], serial[table], obj=table)
        pd.testing.assert_frame_equal(dask[table], threads[table], obj=table)
    assert len(dask["adjusted_residuals"]) > 0  # kept at each source's last date only, as serially
    correlations = dask["correlations"]
    chat = correlations.set_index(["source", "model_set", "axis", "benchmark"]).loc[
        ("safetywashing-paper", "chat", "pc1", "truthfulqa_mc1")]
    assert 100 * chat["rho"] == pytest.approx(81.2, abs=0.05) and chat["n"] == 26
    assert len(correlations) > 300 and set(correlations["source"]) == set(SOURCES)


def test_the_published_copy_is_a_backup_that_restores_as_the_database(ingested, tmp_path):
    """The README's backup: copy the published copy at any time; restore it as the database."""
    live = analyzed_copy(ingested, tmp_path, "live")
    with connect(live) as con:
        publish(con, live)
        before = con.execute("SELECT count(*), max(observation_id) FROM observations").fetchone()
    backup = tmp_path / "backup.duckdb"
    shutil.copyfile(published_path(live), backup)
    restored = tmp_path / "restored" / "bw.duckdb"
    restored.parent.mkdir()
    shutil.copyfile(backup, restored)
    with connect(restored) as con:  # a writer: migrations (none pending) run on open
        assert con.execute("SELECT count(*), max(observation_id) FROM observations").fetchone() == before
        assert ingest_source(con, "safetywashing-paper", load_settings(db=restored)).rows_added == 0
