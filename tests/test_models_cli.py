"""``benchwatch models``, ``benchwatch adjusted`` and the cross-source correlations, end to end
on the recorded HELM Safety, HELM Capabilities, LMArena, Epoch and paper data."""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path

import pandas as pd
import pytest
from scipy.stats import spearmanr
from typer.testing import CliRunner

from benchwatch.cli import app
from benchwatch.pipeline import analyze as analyze_module
from benchwatch.pipeline.analyze import run_analysis
from benchwatch.pipeline.ingest import ingest_source
from benchwatch.registry import load_registry
from benchwatch.settings import load_settings
from benchwatch.storage.db import connect
from benchwatch.storage.observations import sync_benchmarks

SOURCES = ["safetywashing-paper", "helm-safety", "helm-capabilities", "lmarena", "epoch"]
HELM_SAFETY = {"harm_bench_safety_score", "xstest_safety_score", "bbq_accuracy",
               "simple_safety_tests_safety_score", "anthropic_red_team_safety_score"}
NEWEST = "2026-04-19"  # Epoch's second snapshot: the newest data of any source


@pytest.fixture(scope="module")
def db(tmp_path_factory, data_dir) -> Path:
    path = tmp_path_factory.mktemp("models") / "bw.duckdb"
    settings = load_settings(db=path, replay_dir=data_dir, bootstrap_resamples=200)
    con = connect(path)
    sync_benchmarks(con, load_registry())
    for name in SOURCES:
        assert ingest_source(con, name, settings).status == "ok"
    assert run_analysis(con, settings) is not None
    con.close()
    return path


def cli(db: Path, *args: str) -> str:
    result = CliRunner().invoke(app, [*args, "--db", str(db)])
    assert result.exit_code == 0, result.output
    return result.output


def as_json(db: Path, *args: str):
    return json.loads(cli(db, *args, "--format", "json"))


def test_helm_safety_against_four_axes_at_the_latest_point(db):
    rows = [r for r in as_json(db, "correlations", "--source", "helm-safety")
            if r["category"] == "safety"]
    assert {r["as_of"] for r in rows} == {NEWEST}
    grid = {(r["benchmark"], r["axis"]): r for r in rows}
    assert set(grid) == {(b, a) for b in HELM_SAFETY for a in ("pc1-joint", "eci", "arena", "compute", "horizon")}
    for row in grid.values():
        # METR's time horizon covers 16 of HELM Safety's models in the recorded Epoch data.
        assert row["model_set"] == "chat" and (row["n"] == 16 if row["axis"] == "horizon" else row["n"] >= 30)
        assert row["ci_low"] <= row["rho"] <= row["ci_high"]
    assert {a: grid[("harm_bench_safety_score", a)]["n"] for a in ("eci", "arena", "compute", "pc1-joint")} == {
        "eci": 53, "arena": 55, "compute": 32, "pc1-joint": 45}  # eci: model groups (one point each)
    assert grid[("bbq_accuracy", "arena")]["rho"] == pytest.approx(0.7529, abs=5e-4)


def test_helm_safety_as_of_every_release(db):
    rows = [r for r in as_json(db, "correlations", "--source", "helm-safety", "--as-of", "all")
            if r["category"] == "safety"]
    by_date: dict[str, dict[str, set]] = {}
    for r in rows:
        by_date.setdefault(r["as_of"], {}).setdefault(r["axis"], set()).add(r["benchmark"])
    releases = sorted(by_date)[:-1]
    assert len(releases) == 18 and releases[0] == "2024-11-08" and releases[-1] == "2025-11-24"
    for day in releases:
        # Epoch's ECI and FLOP were first published 2026-03-09: before that, compute comes from
        # the paper's FLOP (5 models) and capability benchmarks from Epoch's dated runs.
        assert by_date[day]["arena"] == HELM_SAFETY and by_date[day]["compute"] == HELM_SAFETY
        assert "eci" not in by_date[day]
        assert len(by_date[day]) == (2 if day == "2024-11-08" else 3)


def known(con, source: str, benchmark: str, day: date) -> pd.DataFrame:
    """What was known on ``day``, straight from the observations and the stored identities."""
    cutoff = day + timedelta(days=1)
    frame = con.execute(
        """SELECT a.canonical_id, o.value, o.valid_from FROM observations o
           JOIN model_aliases a ON a.source = o.source AND a.model = o.model
           WHERE o.source = ? AND o.benchmark = ? AND o.valid_from < ?
             AND (o.valid_to IS NULL OR o.valid_to >= ?)""",
        [source, benchmark, cutoff, cutoff]).df()
    return frame.sort_values("valid_from").drop_duplicates("canonical_id", keep="last")


def group_points(con, merged: pd.DataFrame) -> pd.DataFrame:
    """ECI is one value per Epoch model group: one point per group, the mean over its versions
    (a model without a group is its own point)."""
    groups = con.execute(
        """SELECT a.canonical_id, min(json_extract_string(m.metadata, '$.model_group')) AS model_group
           FROM models m JOIN model_aliases a ON a.source = m.source AND a.model = m.model
           WHERE json_extract_string(m.metadata, '$.model_group') IS NOT NULL GROUP BY a.canonical_id""").df()
    point = merged["canonical_id"].map(groups.set_index("canonical_id")["model_group"])
    return merged.groupby(point.fillna(merged["canonical_id"]))[["value", "value_axis"]].mean()


@pytest.mark.parametrize("day, axis, source, column", [
    (NEWEST, "eci", "epoch", "eci"), (NEWEST, "arena", "lmarena", "rating"),
    (NEWEST, "compute", "epoch", "training_compute_flop"), ("2025-06-11", "arena", "lmarena", "rating"),
])
def test_joined_correlations_equal_a_pandas_merge_and_scipy(db, day, axis, source, column):
    rows = as_json(db, "correlations", "--source", "helm-safety", "--as-of", day, "--axis", axis)
    con = connect(db, read_only=True)
    try:
        when = date.fromisoformat(day)
        axis_values = known(con, source, column, when)
        for benchmark in HELM_SAFETY:
            merged = known(con, "helm-safety", benchmark, when).merge(
                axis_values, on="canonical_id", suffixes=("", "_axis"))
            if axis == "eci":
                merged = group_points(con, merged)
            row = next(r for r in rows if r["benchmark"] == benchmark)
            assert row["n"] == len(merged)
            # JSON carries 10 significant digits
            assert row["rho"] == pytest.approx(spearmanr(merged["value"], merged["value_axis"]).statistic,
                                               abs=1e-9)
    finally:
        con.close()


def test_models_report_matches_rules_and_coverage(db):
    report = as_json(db, "models", "--source", "helm-safety")
    coverage = {c["other_source"]: (c["matched"], c["models"]) for c in report["coverage"]}
    assert coverage == {"epoch": (65, 87), "lmarena": (56, 87), "helm-capabilities": (31, 87),
                        "safetywashing-paper": (7, 87)}
    models = {m["model"]: m for m in report["models"]}
    assert len(models) == 87
    for m in models.values():
        assert m["match_rule"] in ("exact", "normalized", "alias")
        assert m["match_rule"] == "exact" or m["match_detail"], m
    turbo = models["Llama 3.1 Instruct Turbo (8B)"]
    assert turbo["match_rule"] == "alias" and "Turbo" in turbo["match_detail"]
    assert models["GPT-4o (2024-05-13)"]["matched_in"] == ["epoch", "lmarena"]
    assert "helm-safety" in next(m for m in as_json(db, "models", "--source", "lmarena")["models"]
                                 if m["model"] == "Claude 3.5 Sonnet")["matched_in"]


def test_unmatched_models_come_with_suggestions_never_applied(db):
    report = as_json(db, "models", "--unmatched", "--source", "helm-safety")
    unmatched = {m["model"]: m for m in report["models"]}
    assert all(not m["matched_in"] for m in unmatched.values())
    thinking = unmatched["Claude 4 Sonnet (20250514, extended thinking)"]
    assert thinking["canonical_id"] == "claude-sonnet-4-20250514:thinking"
    assert thinking["suggestions"][0]["canonical_id"].startswith("claude-sonnet-4-20250514:")
    assert thinking["suggestions"][0]["source"] == "epoch"
    assert f"{len(unmatched)} model(s)" in cli(db, "models", "--unmatched", "--source", "helm-safety")


def test_adjusted_lists_who_is_safer_than_capabilities_predict(db):
    rows = as_json(db, "adjusted", "--benchmark", "harmbench", "--axis", "eci")
    con = connect(db, read_only=True)
    try:
        both = known(con, "helm-safety", "harm_bench_safety_score", date.fromisoformat(NEWEST)).merge(
            known(con, "epoch", "eci", date.fromisoformat(NEWEST)), on="canonical_id")
    finally:
        con.close()
    # Residuals are per model (who is safer than capabilities predict), not per ECI group.
    assert {r["model_set"] for r in rows} == {"chat"} and len(rows) == len(both) == 55
    residuals = [r["residual"] for r in rows]
    assert residuals == sorted(residuals, reverse=True)
    assert sum(residuals) == pytest.approx(0.0, abs=1e-9)
    assert all(r["canonical_id"] and r["method"] == "rank-ols" and r["as_of"] == NEWEST for r in rows)
    top = rows[0]
    assert top["residual"] == pytest.approx(top["value_rank"] - top["fitted"])
    paper = as_json(db, "adjusted", "--benchmark", "HarmBench-DirectRequest-all", "--model-set", "chat")
    # In-source axes and Arena; no pc1-joint: without the Open LLM Leaderboards here, no other
    # source covers half of the paper's models.
    assert {r["axis"] for r in paper} == {"pc1", "compute", "arena"}
    assert "residual" in cli(db, "adjusted", "--benchmark", "harmbench", "--axis", "arena")


def test_missing_policy_of_every_axis_is_recorded(db):
    con = connect(db, read_only=True)
    try:
        axes = con.execute("SELECT axis, missing_policy, axis_sources, min_coverage FROM capability_axes "
                           "WHERE source = 'helm-safety'").df()
    finally:
        con.close()
    policies = axes.groupby("axis")["missing_policy"].agg(set).to_dict()
    assert policies == {"arena": {"pairwise"}, "compute": {"pairwise"}, "eci": {"pairwise"},
                        "horizon": {"pairwise"}, "pc1-joint": {"drop"}}
    assert axes["axis_sources"].notna().all()
    assert set(axes.loc[axes["axis"] == "pc1-joint", "min_coverage"]) == {0.5}


def test_unchanged_data_and_aliases_skip_a_changed_alias_file_recomputes(tmp_path, monkeypatch, data_dir):
    settings = load_settings(db=tmp_path / "small.duckdb", replay_dir=data_dir, bootstrap_resamples=20)
    con = connect(settings.db)
    try:
        ingest_source(con, "helm-capabilities", settings)
        first = run_analysis(con, settings)
        assert first is not None and run_analysis(con, settings) is None
        monkeypatch.setattr(analyze_module, "identity_version", lambda: "edited-alias-file")
        run = run_analysis(con, settings)
        assert run is not None and run != first
        assert con.execute("SELECT identity_version FROM analysis_runs WHERE run_id = ?",
                           [run]).fetchone()[0] == "edited-alias-file"
        assert con.execute("SELECT count(*) FROM model_aliases").fetchone()[0] == 45
    finally:
        con.close()
