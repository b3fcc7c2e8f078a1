"""Issue 15 after the README's first command: findings apart from alerts, no circular
correlation shown or alerted as evidence, readable and unambiguous CLI output."""

from __future__ import annotations

import csv
import io
import json
import re

import duckdb
import pandas as pd
import pytest

from benchwatch.alerting import rules
from benchwatch.analysis.circularity import INDEPENDENT, PART, SAME
from benchwatch.pipeline.analyze import classify_correlations
from benchwatch.registry import load_registry
from benchwatch.storage.results import correlations as read_correlations
from tests.clirun import run

PAPER = "safetywashing-paper"
COUNTS = {"machiavelli-samples", "machiavelli-games", "machiavelli-steps"}
NARROW = {"COLUMNS": "80"}


def as_json(*args: str) -> list | dict:
    return json.loads(run(*args).stdout)


def test_firing_alerts_are_few_and_none_is_on_the_papers_matrices(full_db):
    firing = as_json("alerts", "--state", "firing", "--format", "json", "--db", str(full_db))
    assert len(firing) <= 25
    assert not [a for a in firing if a["source"] == PAPER]
    # Every firing alert is about what can still change: a live source, or a data problem.
    frozen = {"safetywashing-paper", "open-llm-leaderboard-v1", "open-llm-leaderboard-v2", "helm-safety",
              "helm-capabilities"}
    assert not [a for a in firing if a["rule"] in (rules.CAPABILITY_TRACKING, rules.DRIFT)
                and a["source"] in frozen]
    for alert in firing:
        assert alert["what"] and "nan" not in alert["what"]


def test_findings_hold_the_decided_capability_tracking_results_with_their_numbers(full_db):
    """Issue 21: a finding is decided by its interval and survives the false-discovery control. The
    archived Open LLM Leaderboard v1's TruthfulQA (thousands of models) is one; none of the paper's
    (27 models a set: its TruthfulQA MC1 on chat models, rho 81.2, is only possibly capability-tracking)."""
    found = as_json("findings", "--format", "json", "--db", str(full_db))
    tracking = [f for f in found if f["rule"] == rules.CAPABILITY_TRACKING]
    assert {(f["source"], f["benchmark"]) for f in tracking} == {("open-llm-leaderboard-v1", "truthfulqa")}
    con = duckdb.connect(str(full_db), read_only=True)
    stored = read_correlations(con).set_index(["source", "benchmark", "axis", "model_set"])
    con.close()
    for finding in tracking:
        row = stored.loc[(finding["source"], finding["benchmark"], finding["axis"], finding["model_set"])]
        assert finding["rho"] == pytest.approx(row["rho"]) and finding["ci_low"] == pytest.approx(row["ci_low"])
        assert finding["q"] == pytest.approx(row["q"], abs=1e-9) and finding["class"] == rules.CAPABILITY_TRACKING
        assert finding["n"] == row["n"] and finding["name"] and "frozen" in finding["why"]
    rows = as_json("correlations", "--source", PAPER, "--axis", "pc1", "--model-set", "chat", "--format", "json",
                   "--db", str(full_db))
    truthful = [r for r in rows if r["benchmark"] == "truthfulqa_mc1"]
    assert len(truthful) == 1 and 100 * truthful[0]["rho"] == pytest.approx(81.2, abs=0.05)
    assert truthful[0]["class"] == "possibly capability-tracking" and not truthful[0]["decided"]
    table = run("findings", "--db", str(full_db), env=NARROW).stdout
    assert "Findings on frozen data" in table


def test_no_circular_pair_fires_or_is_shown_unmarked(full_db):
    con = duckdb.connect(str(full_db), read_only=True)
    history = read_correlations(con, as_of="all")
    alerts = con.execute("SELECT source, benchmark, axis, state FROM alerts").df()
    con.close()
    # The paper's LMSYS Chatbot Arena column is the Arena rating: same construct, with its reason.
    lmsys = history[(history["benchmark"] == "LMSYS_Chatbot_Arena") & (history["axis"] == "arena")]
    assert len(lmsys) and (lmsys["relation"] == SAME).all()
    assert lmsys["relation_reason"].str.contains("same construct").all()
    # Every declared member of an axis, and every Arena board, is marked on that axis.
    registry = load_registry()
    declared = [(r.source, r.column, axis) for r in registry.itertuples()
                for axis in (r.in_axis + " " + r.same_construct).split()]
    boards = history[(history["source"] == "lmarena") & (history["axis"] == "arena")]
    assert (boards["relation"] == PART).all()
    for source, column, axis in declared:
        rows = history[(history["source"] == source) & (history["benchmark"] == column) & (history["axis"] == axis)]
        assert (rows["relation"] != INDEPENDENT).all(), (source, column, axis)
    marked = history[history["relation"] != INDEPENDENT]
    assert (marked["relation_reason"] != "").all()
    keys = set(zip(marked["source"], marked["benchmark"], marked["axis"], strict=True))
    assert not [a for a in alerts.itertuples() if (a.source, a.benchmark, a.axis) in keys]
    # The JSON says it too, and the table marks it instead of classing it.
    rows = as_json("correlations", "--source", PAPER, "--axis", "arena", "--format", "json", "--db", str(full_db))
    lmsys_rows = [r for r in rows if r["benchmark"] == "LMSYS_Chatbot_Arena"]
    assert lmsys_rows and all(r["class"] == SAME and r["relation"] == SAME for r in lmsys_rows)


def test_an_epoch_benchmark_that_feeds_eci_is_never_evidence_on_eci(full_db, tmp_path):
    """Cybench feeds ECI: once the registry says so (in_axis = eci), its ECI rows are part of the
    axis, with the reason that ECI cannot be recomputed without it, and they can never fire."""
    copy = tmp_path / "bw.duckdb"
    copy.write_bytes(full_db.read_bytes())
    con = duckdb.connect(str(copy))
    con.execute("UPDATE benchmarks SET in_axis = 'eci' WHERE source = 'epoch' AND \"column\" = 'cybench_external'")
    history = read_correlations(con, source="epoch", as_of="all")
    classified = classify_correlations(con, history.drop(columns=["relation", "relation_reason"]), load_registry())
    con.close()
    on_eci = classified[(classified["benchmark"] == "cybench_external") & (classified["axis"] == "eci")]
    assert len(on_eci) and (on_eci["relation"] == PART).all()
    assert on_eci["relation_reason"].str.contains("ECI is Epoch's own fit").all()
    elsewhere = classified[(classified["benchmark"] == "cybench_external") & (classified["axis"] != "eci")]
    assert (elsewhere["relation"] == INDEPENDENT).all()
    # Even a decided rho above the threshold with a tiny q never fires.
    forced = on_eci.assign(rho=0.99, ci_low=0.98, ci_high=1.0, q=0.0, category="safety")
    assert rules.capability_tracking(forced, 0.70, 0.05, 3, 0.05) == []


def test_pc1_joint_is_recomputed_without_the_same_benchmark(full_db):
    con = duckdb.connect(str(full_db), read_only=True)
    rows = read_correlations(con, source=PAPER, axis="pc1-joint", as_of="all")
    con.close()
    recomputed = rows[rows["relation_reason"].str.startswith("pc1-joint recomputed without")]
    assert set(recomputed["benchmark"]) >= {"ifeval"}
    assert (recomputed["relation"] == INDEPENDENT).all()


def test_reproduce_paper_leaves_out_counts_and_keeps_the_rewards_sign(data_dir):
    result = as_json("reproduce-paper", "--format", "json", "--data", str(data_dir))
    for model_set in ("base", "chat"):
        columns = result[model_set]["correlations"]
        assert not COUNTS & set(columns)
        assert "machiavelli-points" in columns and "machiavelli-violations.Σ" in columns
    raw = pd.read_csv(data_dir / "safetywashing" / "benchmarks_chat_models.csv", index_col=0)
    assert raw["machiavelli-points"].notna().sum() >= 3  # the reward column is there to be listed


def test_reproduce_paper_csv_parses_from_its_first_line(data_dir):
    text = run("reproduce-paper", "--format", "csv", "--data", str(data_dir)).stdout
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == ["benchmark", "base", "chat"]
    frame = pd.read_csv(io.StringIO(text))
    assert len(frame) == len(rows) - 1 > 100
    assert frame.set_index("benchmark").loc["truthfulqa_mc1", "chat"] == pytest.approx(0.812, abs=5e-4)


def _cut(text: str) -> list[str]:
    return [line for line in text.splitlines() if len(line) > 80 or "…" in line]


def test_tables_fit_80_columns_without_cutting_a_benchmark_name(full_db):
    table = run("correlations", "--db", str(full_db), env=NARROW).stdout
    rows = as_json("correlations", "--format", "json", "--db", str(full_db))
    names = {r["name"] for r in rows if r["category"] == "safety"}
    words = set(re.findall(r"\S+", table))
    assert not _cut(table)
    for name in names:
        assert set(name.split()) <= words, name  # every word of every name, whole
    assert "rho×100" in table and "rho %" not in table
    alerts = run("alerts", "--db", str(full_db), env=NARROW).stdout
    assert not _cut(alerts)
    for what in (a["what"] for a in as_json("alerts", "--format", "json", "--db", str(full_db))):
        assert set(what.split()) <= set(re.findall(r"\S+", alerts)), what
    # The measured share next to its threshold, in one unit (a percentage, as every share).
    revised = [a for a in as_json("alerts", "--state", "firing", "--format", "json", "--db", str(full_db))
               if a["rule"] == rules.SCORES_REVISED]
    assert revised and revised[0]["unit"] == "share of a benchmark's values revised"
    shown = {f"{100 * revised[0]['measured']:.1f}%", "(threshold", f"{100 * revised[0]['measured_threshold']:.1f}%)"}
    assert shown <= set(re.findall(r"\S+", alerts))
    assert "None" not in table + alerts and "<NA>" not in table + alerts and "e+0" not in table


@pytest.mark.parametrize(("flag", "value", "valid"), [
    ("--source", "helm", "helm-safety"), ("--axis", "elo", "arena"), ("--model-set", "instruct", "chat")])
def test_an_unknown_filter_exits_2_naming_the_valid_values(full_db, flag, value, valid):
    result = run("correlations", flag, value, "--db", str(full_db), check=False)
    assert result.returncode == 2
    assert repr(value) in result.stderr and valid in result.stderr and "Traceback" not in result.stderr


def test_alert_links_never_read_nan(full_db):
    alerts = as_json("alerts", "--format", "json", "--db", str(full_db))
    assert alerts
    for alert in alerts:
        assert alert["link"] is None or "nan" not in alert["link"]
        assert alert["unit"] is not None


def test_as_of_means_the_latest_point_on_or_before_the_date(full_db):
    rows = as_json("correlations", "--source", "open-llm-leaderboard-v1", "--as-of", "2024-06-25",
                   "--format", "json", "--db", str(full_db))
    assert rows and {r["as_of"] for r in rows} == {"2024-06-19"}


def test_every_correlation_row_says_its_class_direction_name_and_small_n(full_db):
    rows = as_json("correlations", "--format", "json", "--db", str(full_db))
    for row in rows:
        assert {"class", "meaning", "direction", "name", "small_n", "relation", "relation_reason"} <= set(row)
        assert row["name"] and row["direction"] in ("higher = safer", "lower = safer (negated)", "")
        assert row["small_n"] == (row["n"] < 10)
    inverse = [r for r in rows if r["class"] == "inverse"]
    assert inverse and all("grows with capabilities" in r["meaning"] for r in inverse)
