"""One model, one point, on the full replay (the README's first command): Epoch's withdrawn and
moved rows are not current, a group ECI scores once is one point, and no pooled set of a source
that splits base from chat is alerted, found or summarized. Expected figures are computed here
from the recorded CSVs with pandas, independently of the code under test."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import datetime

import duckdb
import pandas as pd
import pytest

from benchwatch.pipeline.refresh import summary
from tests.paths import DATA_DIR

EPOCH = DATA_DIR / "epoch"
MARCH, APRIL = EPOCH / "benchmark_data_2026-03-09", EPOCH / "benchmark_data_2026-04-19"
INDEX = "epoch_capabilities_index.csv"

pytestmark = pytest.mark.skipif(not APRIL.is_dir(), reason="recorded Epoch data not available")


def csv(path) -> pd.DataFrame:
    frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    return frame.assign(**{"Model version": frame["Model version"].str.strip()})


def with_eci(folder) -> pd.DataFrame:
    index = csv(folder / INDEX)
    return index[index["ECI Score"] != ""]


@pytest.fixture(scope="module")
def con(replayed_db):
    connection = duckdb.connect(str(replayed_db), read_only=True)
    yield connection
    connection.close()


def current(con, benchmark: str) -> set[str]:
    return {m for (m,) in con.execute("SELECT model FROM observations WHERE source = 'epoch' AND benchmark = ? "
                                      "AND valid_to IS NULL", [benchmark]).fetchall()}


def test_a_row_moved_to_another_model_is_current_only_under_its_new_name(con):
    moved = []
    for path in sorted(APRIL.glob("*.csv")):
        before, after = MARCH / path.name, csv(path)
        if "id" not in after.columns or not before.exists():
            continue
        old = csv(before).set_index("id")["Model version"]
        new = after.set_index("id")["Model version"]
        both = old.index.intersection(new.index).difference([""])
        changed = both[old[both].to_numpy() != new[both].to_numpy()]
        listed = set(after["Model version"])
        moved += [(path.stem, old[i], new[i], old[i] in listed) for i in changed]
    # Three rows moved; in mmlu the old name keeps a row of its own (another record id).
    assert [(b, listed) for b, _, _, listed in moved] == [
        ("cybench_external", False), ("mmlu_external", True), ("video_mme_external", False)]
    for benchmark, old_name, new_name, still_listed in moved:
        rows = current(con, benchmark)
        assert new_name in rows and (old_name in rows) == still_listed, (benchmark, old_name, new_name)


def test_eci_values_the_april_file_dropped_are_withdrawn(con, replayed_db):
    dropped = set(with_eci(MARCH)["Model version"]) - set(with_eci(APRIL)["Model version"])
    assert len(dropped) == 7
    assert current(con, "eci") == set(with_eci(APRIL)["Model version"])
    ended = con.execute(
        "SELECT model, valid_to, closed_reason FROM observations WHERE source = 'epoch' AND benchmark = 'eci' "
        "AND closed_reason = 'withdrawn'").fetchall()
    assert {m for m, _, _ in ended} == dropped
    assert {to for _, to, _ in ended} == {datetime(2026, 4, 19)}
    shown = subprocess.run([sys.executable, "-m", "benchwatch.cli", "history", "--source", "epoch",
                            "--benchmark", "eci", "--withdrawn", "--format", "json", "--db", str(replayed_db)],
                           capture_output=True, text=True, check=True)
    rows = json.loads(shown.stdout)
    assert {r["model"] for r in rows} == dropped and {r["status"] for r in rows} == {"withdrawn"}
    assert {r["ended_by"] for r in rows} == {"2026-04-19"}


def groups_with(stem: str, column: str) -> int:
    """Epoch's April files alone: model groups (the index's Model name) with a value and an ECI."""
    rows = csv(APRIL / f"{stem}.csv")
    scored = rows.loc[rows[column] != "", "Model version"]
    index = with_eci(APRIL).set_index("Model version")["Model name"]
    return index.reindex(scored).dropna().nunique()


def latest(con, benchmark: str, axis: str) -> pd.DataFrame:
    return con.execute(
        """
        SELECT model_set, n FROM correlations
        WHERE run_id = (SELECT max(run_id) FROM analysis_runs WHERE status = 'ok')
          AND source = 'epoch' AND benchmark = ? AND axis = ?
          AND as_of = (SELECT max(as_of) FROM correlations WHERE source = 'epoch' AND axis = ?)
        """, [benchmark, axis, axis]).df()


@pytest.mark.parametrize(("benchmark", "stem", "column", "groups"), [
    ("cybench_external", "cybench_external", "Unguided % Solved", 20),
    ("hle_calibration_error", "hle_external", "Calibration Error", 28),
])
def test_against_eci_a_model_group_is_one_point(con, benchmark, stem, column, groups):
    assert groups_with(stem, column) == groups
    rows = latest(con, benchmark, "eci").set_index("model_set")["n"]
    assert rows.get("chat") == groups and rows.drop("chat", errors="ignore").sum() == 0


def test_no_pooled_set_of_a_split_source_is_alerted_found_or_summarized(con):
    split = {s for (s,) in con.execute(
        "SELECT DISTINCT source FROM correlations WHERE model_set NOT IN ('all', 'all (no split)')").fetchall()}
    assert {"epoch", "safetywashing-paper", "open-llm-leaderboard-v1"} <= split
    for table in ("alerts", "findings"):
        pooled = con.execute(f"SELECT source, model_set FROM {table} WHERE model_set IN ('all', 'all (no split)')"
                             ).fetchall()
        assert [row for row in pooled if row[0] in split] == [], table
    assert con.execute("SELECT count(*) FROM alerts").fetchone()[0] > 0  # the rules did run
    top = summary(con, min_models=10)
    assert len(top) and top[top["source"].isin(split) & top["model_set"].isin(["all", "all (no split)"])].empty


def test_models_shows_the_rule_that_gave_each_kind(replayed_db):
    shown = subprocess.run([sys.executable, "-m", "benchwatch.cli", "models", "--source", "epoch", "--format", "json",
                            "--db", str(replayed_db)], capture_output=True, text=True, check=True)
    rows = {r["model"]: r for r in json.loads(shown.stdout)["models"]}
    assert (rows["Llama-2-70b-hf"]["kind"], rows["Llama-2-70b-hf"]["kind_rule"]) == (
        "base", "name pattern: bare name of a pre-trained open-weight checkpoint")
    assert (rows["gpt-oss-120b"]["kind"], rows["gpt-oss-120b"]["kind_rule"]) == (
        "chat", "name pattern: post-trained or API model name")
    # Epoch moved three rows of gemini-1.5-pro-001 to -feb24 but kept the model: not a rename.
    assert rows["gemini-1.5-pro-001"]["match_rule"] != "record id"
