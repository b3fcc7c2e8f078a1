"""The refresh flow under Prefect's test harness: a real (temporary) Prefect API."""

from __future__ import annotations

import duckdb
import pytest

from benchwatch.flows.refresh import refresh
from tests.prefect_harness import harness as shared_harness


@pytest.fixture(scope="module", autouse=True)
def harness(prefect_server):
    with shared_harness(prefect_server):
        yield


def test_flow_ingests_analyzes_and_alerts(settings, monkeypatch):
    monkeypatch.setenv("BENCHWATCH_BOOTSTRAP_RESAMPLES", "100")
    state = refresh(sources=["safetywashing-paper", "helm-safety"], db=str(settings.db),
                    replay_dir=str(settings.replay_dir), return_state=True)
    assert state.is_completed()
    result = state.result()
    assert [r.status for r in result.reports] == ["ok", "ok"]
    con = duckdb.connect(str(settings.db), read_only=True)
    assert con.execute("SELECT count(*) FROM observations").fetchone()[0] == 9473 + 522
    stored = con.execute("SELECT count(*) FROM correlations").fetchone()[0]
    assert stored > 300
    assert stored == con.execute("SELECT n_correlations FROM analysis_runs WHERE status = 'ok'").fetchone()[0]
    firing = con.execute("SELECT count(*) FROM alerts WHERE state = 'firing'").fetchone()[0]
    assert firing == len([t for t in result.transitions if t.state == "firing"])
    # Both sources are frozen: what tracks capabilities there is a finding, stored, never an alert.
    assert con.execute("SELECT count(*) FROM alerts WHERE rule = 'capability-tracking'").fetchone()[0] == 0
    assert con.execute("SELECT count(*) FROM findings WHERE source = 'safetywashing-paper'").fetchone()[0] > 0


def test_a_failing_source_does_not_stop_the_flow(settings, tmp_path):
    state = refresh(sources=["safetywashing-paper", "helm-safety"], db=str(settings.db),
                    replay_dir=str(tmp_path / "nothing-here"), return_state=True)
    assert state.is_completed()
    reports = state.result().reports
    assert [r.status for r in reports] == ["failed", "failed"]
    assert "recorded file is missing" in reports[0].error
