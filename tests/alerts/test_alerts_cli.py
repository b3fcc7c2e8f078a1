"""The real CLI and the real Prefect flow: a rehearsal through ``benchwatch refresh --until``, then the
flow; ``benchwatch alerts`` (list, ack, silence, history, test-notify) on the result.

The worker's temporary Prefect server, shared with the other modules that run flows (``tests/prefect_harness.py``).
"""

from __future__ import annotations

import json

import pytest
from prefect.artifacts import Artifact
from typer.testing import CliRunner

from benchwatch.cli import app
from benchwatch.flows.refresh import refresh as refresh_flow
from tests.alerts.receivers import Webhook, free_port
from tests.alerts.support import SCHEMA, SCORES, TOKEN, V2
from tests.prefect_harness import harness as shared_harness

REQUIRED_KEYS = {"key", "rule", "source", "benchmark", "model_set", "axis", "severity", "state", "fired_at",
                 "raised_at", "resolved_at", "value", "threshold", "notified"}


@pytest.fixture(scope="module", autouse=True)
def harness(prefect_server):
    with shared_harness(prefect_server):
        yield


def test_rehearsal_through_the_cli_and_the_flow_then_operate_the_alerts(tmp_path, data_dir, monkeypatch):
    hook = Webhook().start()
    url = f"json://127.0.0.1:{hook.port}/hooks/{TOKEN}"
    db = tmp_path / "bw.duckdb"
    env = {"BENCHWATCH_NOTIFY_URLS": url, "BENCHWATCH_BOOTSTRAP_RESAMPLES": "20",
           "BENCHWATCH_DASHBOARD_URL": "http://dash.example/bw"}
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    runner = CliRunner()
    try:
        backfill = runner.invoke(app, ["refresh", "--source", V2, "--until", "2024-09-30", "--db", str(db),
                                       "--replay", str(data_dir)])
        assert backfill.exit_code == 0, backfill.output
        assert "alert changes: 1 (1 backfill, recorded only; 0 new); notifications sent: 0" in backfill.output
        assert hook.received == []

        state = refresh_flow(sources=[V2], until=None, db=str(db), replay_dir=str(data_dir),
                             return_state=True)
        assert state.is_completed()
        result = state.result()
        told = [(t.state, t.key) for t in result.transitions if t.disposition == "notify"]
        assert told == [("firing", SCORES), ("firing", SCHEMA), ("resolved", SCORES), ("resolved", SCHEMA),
                        ("firing", SCORES), ("resolved", SCORES)]
        assert result.delivery.events_sent == 6
        assert [c for c in hook.changes()] == [(s.upper(), k) for s, k in told]
        artifact = Artifact.get("refresh-alerts")
        assert artifact is not None and "| firing | scores-revised | open-llm-leaderboard-v2 |" in artifact.data
        assert f"json://127.0.0.1:{hook.port}/hooks/****" in artifact.data and TOKEN not in artifact.data

        listed = runner.invoke(app, ["alerts", "--format", "json", "--db", str(db)])
        assert listed.exit_code == 0, listed.output
        rows = {row["key"]: row for row in json.loads(listed.output)}
        assert set(rows) == {SCORES, SCHEMA}
        assert REQUIRED_KEYS <= set(rows[SCORES])
        scores = rows[SCORES]
        assert (scores["state"], scores["fired_at"], scores["resolved_at"], scores["delivery"]) == (
            "resolved", "2025-02-24", "2025-03-21", "sent")
        assert scores["notified"] is not None and scores["details"]["material"] == ["MATH Lvl 5"]
        firing = runner.invoke(app, ["alerts", "--state", "firing", "--format", "json", "--db", str(db)])
        assert json.loads(firing.output) == []

        not_firing = runner.invoke(app, ["alerts", "ack", SCORES, "--db", str(db)])
        assert not_firing.exit_code == 1 and "not firing" in not_firing.output
        unknown = runner.invoke(app, ["alerts", "silence", "drift:nowhere:::", "--until", "2030-01-01",
                                      "--db", str(db)])
        assert unknown.exit_code == 1 and "no alert with key" in unknown.output
        silenced = runner.invoke(app, ["alerts", "silence", SCORES, "--until", "2030-01-01", "--db", str(db)])
        assert silenced.exit_code == 0 and "through 2030-01-01 (until 2030-01-02 00:00 UTC)" in silenced.output
        history = runner.invoke(app, ["alerts", "history", SCORES, "--format", "json", "--db", str(db)])
        states = [row["state"] for row in json.loads(history.output)]
        assert states == ["firing", "firing", "resolved", "firing", "resolved", "silenced"]
        # The read-only copy the dashboard reads was republished with the silence.
        published = runner.invoke(app, ["alerts", "--format", "json", "--db",
                                        str(db.with_name("bw.published.duckdb"))])
        assert {r["key"]: r["silenced_until"] for r in json.loads(published.output)}[SCORES] is not None

        dead = f"json://127.0.0.1:{free_port()}/hooks/{TOKEN}"
        monkeypatch.setenv("BENCHWATCH_NOTIFY_URLS", f"{url} {dead}")
        tested = runner.invoke(app, ["alerts", "test-notify", "--db", str(db)])
        assert tested.exit_code == 1
        assert hook.received[-1]["title"] == "[Benchwatch] test notification"
        assert "sent" in tested.output and "failed" in tested.output and TOKEN not in tested.output
        for out in (listed.output, history.output, backfill.output):
            assert TOKEN not in out
    finally:
        hook.stop()
