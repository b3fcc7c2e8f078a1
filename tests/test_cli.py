"""The CLI contract, end to end: the README's first command on the recorded data,
then every read command's JSON shape against the database it wrote."""

from __future__ import annotations

import json

import duckdb
import pytest

from tests.clirun import run
from tests.dashboard.helpers import copy_database


def as_json(*args: str) -> list | dict:
    return json.loads(run(*args).stdout)


def test_refresh_stores_every_source_and_the_summary(full_db):
    con = duckdb.connect(str(full_db), read_only=True)
    sources = dict(con.execute("SELECT source, count(*) FROM observations GROUP BY 1").fetchall())
    assert sources["safetywashing-paper"] == 9473 and sources["open-llm-leaderboard-v1"] == 40368
    assert {"open-llm-leaderboard-v2", "helm-safety", "helm-capabilities", "lmarena", "epoch"} <= set(sources)
    sets = {r[0] for r in con.execute(
        "SELECT DISTINCT model_set FROM correlations WHERE source = 'open-llm-leaderboard-v1'").fetchall()}
    # Its own type split; the pooled set holds only the models of no type (issue 20).
    assert sets == {"all (no split)", "chat", "fine-tuned", "merges", "pretrained"}


def test_truthfulqa_history_on_the_v1_leaderboard(full_db):
    rows = as_json("correlations", "--source", "open-llm-leaderboard-v1", "--as-of", "all",
                   "--format", "json", "--db", str(full_db))
    assert {"source", "model_set", "axis", "benchmark", "as_of", "rho", "ci_low", "ci_high", "n"} <= set(rows[0])
    series = sorted((r["as_of"], r["rho"], r["n"]) for r in rows
                    if r["model_set"] == "fine-tuned" and r["benchmark"] == "truthfulqa" and r["n"] >= 100)
    assert len(series) >= 9
    assert series[-1][0] == "2024-06-19" and series[-1][2] == 3852
    # TruthfulQA drifted toward tracking capabilities over the leaderboard's life.
    assert series[0][1] < 0.6 < 0.75 < series[-1][1]


def test_correlations_default_to_each_sources_latest_point(full_db):
    rows = as_json("correlations", "--format", "json", "--db", str(full_db))
    latest = {r["source"]: r["as_of"] for r in rows}
    assert latest["safetywashing-paper"] == "2024-10-01"
    assert latest["open-llm-leaderboard-v1"] == "2024-06-19"
    assert len({(r["source"], r["as_of"]) for r in rows}) == len(latest)


def test_alerts_json_shape(full_db):
    alerts = as_json("alerts", "--format", "json", "--db", str(full_db))
    assert alerts, "the replay has data alerts (rescorings, layout changes)"
    needed = {"key", "rule", "what", "source", "benchmark", "name", "model_set", "axis", "severity", "state",
              "fired_at", "value", "threshold", "measured", "measured_threshold", "unit"}
    assert needed <= set(alerts[0])
    # TruthfulQA on the archived v1 leaderboard tracks capabilities: the leaderboard is frozen,
    # so that is a finding, dated when it would have fired, not an alert.
    assert not [a for a in alerts if a["source"] == "open-llm-leaderboard-v1"]
    found = as_json("findings", "--format", "json", "--db", str(full_db))
    truthful = [f for f in found if f["source"] == "open-llm-leaderboard-v1" and f["model_set"] == "fine-tuned"
                and f["rule"] == "capability-tracking"]
    assert truthful and truthful[0]["rho"] >= 0.70 and truthful[0]["name"] == "TruthfulQA MC2 (0-shot)"
    assert truthful[0]["since"] < "2024-06-19"  # dated when it would have fired


def test_second_refresh_adds_nothing_and_skips_analysis(full_db, tmp_path):
    full_db = copy_database(full_db, tmp_path)  # the shared replay stays untouched
    con = duckdb.connect(str(full_db), read_only=True)
    before = con.execute("SELECT count(*), max(fetch_id) FROM observations").fetchone()
    con.close()
    result = run("refresh", "--db", str(full_db), "--source", "open-llm-leaderboard-v1",
                 env={"BENCHWATCH_BOOTSTRAP_RESAMPLES": "200"})
    assert "skipped (nothing new)" in result.stdout
    con = duckdb.connect(str(full_db), read_only=True)
    assert con.execute("SELECT count(*), max(fetch_id) FROM observations").fetchone() == before


def test_reproduce_paper_json(data_dir):
    result = as_json("reproduce-paper", "--data", str(data_dir), "--format", "json")
    assert result["base"]["n_models"] == 27 and result["chat"]["n_models"] == 26
    assert round(100 * result["chat"]["correlations"]["truthfulqa_mc1"], 1) == 81.2
    assert round(100 * result["chat"]["explained_variance"], 1) == 70.8
    # 166 of the paper's non-capability columns, less MACHIAVELLI's three counts (samples, games, steps).
    assert len(result["chat"]["correlations"]) == 163


def test_bad_setting_is_named(tmp_path):
    result = run("correlations", "--db", str(tmp_path / "x.duckdb"), check=False,
                 env={"BENCHWATCH_CAPABILITY_THRESHOLD": "1.7"})
    assert result.returncode == 2
    assert "capability_threshold" in result.stderr and "BENCHWATCH_CAPABILITY_THRESHOLD" in result.stderr


def test_unknown_source_is_a_clear_error(tmp_path):
    result = run("refresh", "--db", str(tmp_path / "x.duckdb"), "--source", "nope", check=False)
    assert result.returncode == 2 and "unknown source 'nope'" in result.stderr


@pytest.mark.parametrize(("env", "setting"), [
    ({"BENCHWATCH_DB": "/proc/1/x/benchwatch.duckdb"}, "BENCHWATCH_DB"),
    ({"BENCHWATCH_HYSTERESIS": "0.9"}, "hysteresis"),
    ({"BENCHWATCH_MISSING_CAPABILITY": "mean"}, "BENCHWATCH_MISSING_CAPABILITY"),
    ({"BENCHWATCH_BOOTSTRAP_RESAMPLES": "lots"}, "BENCHWATCH_BOOTSTRAP_RESAMPLES"),
])
def test_bad_configuration_is_a_clear_error_at_start(env, setting):
    result = run("sources", check=False, env=env)
    assert result.returncode == 2 and setting in result.stderr and "Traceback" not in result.stderr


def test_sources_json_shows_every_source_and_the_v2_rescorings(full_db):
    rows = {r["name"]: r for r in as_json("sources", "--format", "json", "--db", str(full_db))}
    needed = {"name", "fetches", "last_status", "last_fetched_at", "last_error", "observations",
              "revisions", "models", "benchmarks"}
    assert needed <= set(rows["epoch"])
    assert set(rows) == {"safetywashing-paper", "open-llm-leaderboard-v1", "open-llm-leaderboard-v2",
                         "helm-safety", "helm-capabilities", "lmarena", "epoch", "every-eval-ever"}
    assert all(r["observations"] > 0 and r["last_status"] in ("ok", "unchanged") for r in rows.values())
    # Live or frozen, since when, why, the upstream's own statement, and the newest data date.
    assert {n for n, r in rows.items() if r["liveness"] == "live"} == {"lmarena", "epoch", "every-eval-ever"}
    helm = rows["helm-safety"]
    assert (helm["liveness"], helm["frozen_since"], helm["evidence"]) == (
        "frozen", "2026-06-01", "https://crfm.stanford.edu/helm/")
    assert "maintenance mode" in helm["liveness_why"]
    assert rows["lmarena"]["attribution"].startswith("Arena (formerly LMArena")
    # The boards each source is read from and the capability axes it gives (issue 23).
    assert {"search_factuality", "agent_tool_hallucination"} <= set(rows["lmarena"]["boards"].split(", "))
    assert rows["epoch"]["axes"] == "eci, compute, horizon" and rows["helm-safety"]["axes"] == ""
    assert rows["open-llm-leaderboard-v1"]["latest_data"].startswith("2024-06")
    v2 = rows["open-llm-leaderboard-v2"]
    # the two MATH rescorings: hundreds of models revised, not zero and not every row
    assert 1000 < v2["revisions"] < v2["observations"] / 2
