"""Epoch's ZIP in today's layout (since mid-2026), served from loopback: the recorded April 2026
rows re-packed with ``benchmark_metadata.csv``, ``model_metadata.csv`` and
``epoch_capabilities_index/eci_scores.csv`` (``tests/sources/epoch_current.py``).

The live path must read it end to end (through the CLI too), give every model version its
group's ECI, keep what Epoch's metadata says (headline column, scale, in_eci), survive one broken
file with a schema-changed alert naming it, and cost one 304 when nothing changed.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import datetime

import pandas as pd
import pytest

from benchwatch.pipeline.ingest import ingest_source
from benchwatch.pipeline.refresh import refresh
from benchwatch.records import Snapshot
from benchwatch.registry import load_registry
from benchwatch.sources.epoch import EpochBenchmarks
from benchwatch.sources.http import HttpClient
from benchwatch.storage.db import connect
from benchwatch.storage.observations import axis_members, sync_benchmarks, upstream_benchmarks
from tests.sources.epoch_current import APRIL, RECORDED_ECI, current_layout, read
from tests.sources.test_epoch import ZIP_PATH, serve, zip_of

pytestmark = pytest.mark.skipif(not APRIL.is_dir(), reason="recorded Epoch data not available")
BENCHWATCH = [sys.executable, "-m", "benchwatch.cli"]


@pytest.fixture(scope="module")
def files() -> dict[str, bytes]:
    return current_layout()


@pytest.fixture(scope="module")
def batches(files):
    source = EpochBenchmarks()
    old = source.parse(next(s for s in source.replay(APRIL.parents[1]) if s.label == "2026-04-19"))
    new = source.parse(Snapshot("epoch", "2026-04-19", datetime(2026, 4, 19), "/zip", files))
    return old, new


def values(batch, benchmark: str) -> pd.Series:
    rows = batch.observations
    return rows[rows["benchmark"] == benchmark].set_index("model")["value"]


def test_current_layout_gives_every_version_its_groups_eci(batches, files) -> None:
    old, new = batches
    assert not [w for w in new.warnings if "failed, not ingested" in w]
    assert not any(w.startswith("old layout mapped") for w in new.warnings)
    # Every version that had an ECI in the old layout has the same one through its group.
    before, after = values(old, "eci"), values(new, "eci")
    assert after.reindex(before.index).to_numpy() == pytest.approx(before.to_numpy())
    groups = new.models.set_index("model")["model_group"]
    sonnet = groups.index[groups == "Claude 3.7 Sonnet"]
    assert len(sonnet) == 10 and after.reindex(sonnet).nunique() == 1
    # Versions without an ECI row of their own get their group's (a version listed later than its group's fit).
    gained = after.index.difference(before.index)
    assert len(gained) > 0 and groups.reindex(gained).notna().all()
    # The interval: the recorded 2025-12-19 copy's distances, around April's ECI.
    recorded = pd.read_csv(RECORDED_ECI).set_index("Model")
    model = groups.index[groups == "Gemini 3 Pro"][0]
    low, high = values(new, "eci_ci_low")[model], values(new, "eci_ci_high")[model]
    assert after[model] - low == pytest.approx(recorded.loc["Gemini 3 Pro", "eci"]
                                               - recorded.loc["Gemini 3 Pro", "eci_ci_low"])
    assert low < after[model] < high
    # Compute comes from model_metadata.csv now, with the same values.
    assert values(new, "training_compute_flop")["DeepSeek-R1"] == pytest.approx(3.5e24)


def test_metadata_speaks_for_the_headline_column_scale_and_in_eci(batches) -> None:
    old, new = batches
    # benchmark_metadata.csv names "Best score (across scorers)" for Epoch's runs: where it
    # differs from mean_score (5 GPQA rows) the stored value is the best score.
    gpqa = pd.read_csv(APRIL / "gpqa_diamond.csv")
    differ = gpqa[gpqa["mean_score"] != gpqa["Best score (across scorers)"]].iloc[0]
    assert values(new, "gpqa_diamond")[differ["Model version"]] == differ["Best score (across scorers)"]
    assert values(old, "gpqa_diamond")[differ["Model version"]] == differ["mean_score"]
    declared = new.declared.set_index("benchmark")
    assert declared.loc["gpqa_diamond", "in_axis"] == "eci" and declared.loc["bool_q_external", "in_axis"] == ""
    assert declared.loc["aider_polyglot_external", "scale"] == "0-100"
    assert declared.loc["cybench_external", "upstream_name"] == "Cybench"
    # HLE's calibration error, beside its accuracy: 43 rows, 38 model versions.
    calibration = values(new, "hle_calibration_error")
    assert len(calibration) == 38 and calibration["gemini-3-pro-preview"] == 57
    assert calibration.equals(values(old, "hle_calibration_error"))


def ingest(settings, con):
    with HttpClient(retries=0) as http:
        return ingest_source(con, "epoch", settings, mode="live", http=http)


def test_unchanged_zip_is_one_304_and_adds_nothing(settings, upstream, files) -> None:
    settings = settings.model_copy(update={"upstream_base": upstream.url})
    serve(upstream, zip_of(files))
    con = connect(settings.db)
    sync_benchmarks(con, load_registry())
    first = ingest(settings, con)
    assert first.status == "ok" and first.rows_added > 3000
    stored = con.execute("SELECT count(*) FROM observations").fetchone()
    again = ingest(settings, con)
    assert again.status == "unchanged" and again.rows_added == 0
    assert upstream.requests_to(ZIP_PATH) == [200, 304]
    assert con.execute("SELECT count(*) FROM observations").fetchone() == stored
    # Epoch's own in_eci is what axis_members reports, and it survives the registry sync.
    sync_benchmarks(con, load_registry())
    members = axis_members(con)
    epoch = members[members["source"] == "epoch"].set_index("column")
    assert epoch.loc["gpqa_diamond", "origin"] == "upstream" and epoch.loc["gpqa_diamond", "axis"] == "eci"
    assert "bool_q_external" not in epoch.index
    assert len(epoch[epoch["origin"] == "upstream"]) == 42
    assert upstream_benchmarks(con, "epoch").set_index("column").loc["gpqa_diamond", "score_column"] \
        == "Best score (across scorers)"
    con.close()


def test_upstreams_in_eci_overrides_the_registry(settings, upstream, files) -> None:
    settings = settings.model_copy(update={"upstream_base": upstream.url})
    metadata = read(files, "benchmark_metadata.csv")
    metadata.loc[metadata["source_file"] == "cybench_external.csv", "in_eci"] = "False"
    serve(upstream, zip_of({**files, "benchmark_metadata.csv": metadata.to_csv(index=False).encode()}))
    con = connect(settings.db)
    sync_benchmarks(con, load_registry())
    assert ingest(settings, con).status == "ok"
    members = axis_members(con)
    epoch = members[members["source"] == "epoch"]
    assert "cybench_external" not in set(epoch["column"])  # the registry says eci, Epoch says no
    con.close()


def test_one_broken_file_stores_the_rest_and_raises_one_schema_alert(settings, upstream, files) -> None:
    settings = settings.model_copy(update={"upstream_base": upstream.url, "bootstrap_resamples": 0})
    broken = read(files, "gpqa_diamond.csv").rename(columns={"Best score (across scorers)": "best"})
    serve(upstream, zip_of({**files, "gpqa_diamond.csv": broken.to_csv(index=False).encode()}))
    result = refresh(settings, ["epoch"], "live")
    [report] = result.reports
    assert report.status == "ok" and report.error is None
    [failure] = [w for w in report.warnings if "failed, not ingested" in w]
    assert "file failed, not ingested: gpqa_diamond.csv, column 'Best score (across scorers)': missing column" \
        in failure
    con = connect(settings.db)
    stored = {b for (b,) in con.execute("SELECT DISTINCT benchmark FROM observations").fetchall()}
    con.close()
    good = set(EpochBenchmarks().parse(Snapshot("epoch", "x", datetime(2026, 4, 19), "/zip", files))
               .observations["benchmark"])
    assert stored == good - {"gpqa_diamond"}
    [alert] = [t for t in result.transitions if t.rule == "schema-changed"]
    assert alert.state == "firing" and "gpqa_diamond.csv" in alert.message


def test_live_refresh_through_the_cli_correlates_cybench_and_calibration_with_eci(tmp_path, upstream, files):
    serve(upstream, zip_of(files))
    db = tmp_path / "bw.duckdb"
    env = {**os.environ, "BENCHWATCH_UPSTREAM_BASE": upstream.url, "BENCHWATCH_BOOTSTRAP_RESAMPLES": "50"}

    def run(*args: str) -> str:
        done = subprocess.run([*BENCHWATCH, *args, "--db", str(db)], capture_output=True, text=True, env=env,
                              timeout=600)
        assert done.returncode == 0, done.stderr[-2000:]
        return done.stdout

    run("refresh", "--live", "--source", "epoch")
    rows = pd.DataFrame(json.loads(run("correlations", "--source", "epoch", "--format", "json")))
    pooled = rows[rows["model_set"] == "chat"].set_index(["benchmark", "axis"])  # every one a chat model
    assert pooled.loc[("cybench_external", "eci"), "n"] >= 15
    for benchmark in ("cybench_external", "hle_calibration_error"):
        for axis in ("eci", "compute"):
            assert (benchmark, axis) in pooled.index, (benchmark, axis)
    assert ("hle_calibration_error", "accuracy") in pooled.index  # the paper's calibration view
    assert upstream.requests_to(ZIP_PATH) == [200]


def test_registry_in_eci_is_epochs_own_fit_list() -> None:
    """The registry's in_axis = eci (the old layout's only source of it) is the list of Epoch's ECI
    fit in the April 2026 copy, mapped to files, and the re-pack's in_eci says the same."""
    from tests.sources.epoch_current import ECI_FIT, FIT_FILES

    fit = pd.read_csv(ECI_FIT)
    assert sorted(fit["benchmark_name"]) == sorted(FIT_FILES)
    registry = load_registry()
    epoch = registry[registry["source"] == "epoch"]
    assert set(epoch.loc[epoch["in_axis"] == "eci", "column"]) == set(FIT_FILES.values())


def test_exploitbench_is_read_with_the_column_and_scale_epoch_declares(settings, upstream, files) -> None:
    """A benchmark only today's ZIP has: its file, headline column and 0-100 scale come from
    benchmark_metadata.csv, which wins over the registry's 0-1 in the ingest's scale check."""
    settings = settings.model_copy(update={"upstream_base": upstream.url})
    cyber = read(files, "cybench_external.csv")
    exploit = pd.DataFrame({"Model version": cyber["Model version"],
                            "Exploits solved (%)": pd.to_numeric(cyber["Unguided % Solved"]) * 100})
    metadata = read(files, "benchmark_metadata.csv")
    row = {**dict.fromkeys(metadata.columns, ""), "benchmark": "ExploitBench", "in_eci": "False",
           "source_file": "exploitbench_external.csv", "score_column": "Exploits solved (%)", "scale": "0.01"}
    metadata = pd.concat([metadata, pd.DataFrame([row])], ignore_index=True)
    serve(upstream, zip_of({**files, "exploitbench_external.csv": exploit.to_csv(index=False).encode(),
                            "benchmark_metadata.csv": metadata.to_csv(index=False).encode()}))
    con = connect(settings.db)
    sync_benchmarks(con, load_registry())
    assert ingest(settings, con).status == "ok"
    stored = con.execute("SELECT model, value FROM observations WHERE benchmark = 'exploitbench_external'").df()
    category = con.execute("SELECT category, safety_area, direction FROM benchmarks "
                           "WHERE source = 'epoch' AND \"column\" = 'exploitbench_external'").fetchone()
    declared = upstream_benchmarks(con, "epoch").set_index("column").loc["exploitbench_external"]
    con.close()
    assert stored.set_index("model")["value"]["claude-opus-4-6_unknown"] == pytest.approx(93.0)
    assert category == ("safety", "weaponization", -1)
    assert (declared["scale"], declared["in_axis"]) == ("0-100", "")


def test_sources_check_lists_the_zips_files_the_registry_does_not_map(settings, upstream, files) -> None:
    """Files today's ZIP declares in ``benchmark_metadata.csv`` that no registry row maps are stored as
    ``other`` and listed by ``benchwatch sources check``, those whose names say safety first.

    Format evidence: ``../shared/data/epoch/current-layout/SOURCE.md`` (the ZIP's
    ``benchmark_metadata.csv`` columns ``benchmark, in_eci, source_file, score_column, scale, ...``; 88
    rows on 2026-10-08 against the 50 files the recorded April folder holds, so Epoch adds files the
    registry has not seen). The two added files are illustrative: no copy of the new ZIP's file list
    could be recorded, so their names are made up, one safety-flavoured and one not.
    """
    settings = settings.model_copy(update={"upstream_base": upstream.url})
    cyber = read(files, "cybench_external.csv")
    added = {"agent_deception_external": ("Deception rate (%)", "Agentic deception"),
             "chess_endgames_external": ("Solved", "Chess endgames")}
    metadata = read(files, "benchmark_metadata.csv")
    extra = {}
    for stem, (column, name) in added.items():
        extra[f"{stem}.csv"] = pd.DataFrame({"Model version": cyber["Model version"], column: 0.5}).to_csv(
            index=False).encode()
        metadata = pd.concat([metadata, pd.DataFrame([{**dict.fromkeys(metadata.columns, ""), "benchmark": name,
                                                       "in_eci": "False", "source_file": f"{stem}.csv",
                                                       "score_column": column, "scale": "0.01"}])],
                             ignore_index=True)
    serve(upstream, zip_of({**files, **extra, "benchmark_metadata.csv": metadata.to_csv(index=False).encode()}))
    upstream.mount("/epoch.ai/data/eci_scores.csv", RECORDED_ECI.read_bytes(), "text/csv")
    con = connect(settings.db)
    sync_benchmarks(con, load_registry())
    assert ingest(settings, con).status == "ok"
    stored = con.execute("SELECT DISTINCT benchmark FROM observations WHERE source = 'epoch'").df()["benchmark"]
    con.close()
    assert set(added) <= set(stored)
    env = {**os.environ, "BENCHWATCH_UPSTREAM_BASE": upstream.url, "BENCHWATCH_HTTP_RETRIES": "1"}
    done = subprocess.run([*BENCHWATCH, "sources", "check", "--source", "epoch", "--format", "json",
                           "--db", str(settings.db)], capture_output=True, text=True, env=env, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    [row] = json.loads(done.stdout)
    assert row["format"] == "recognised"
    assert row["unmapped"] == ["agent_deception_external", "chess_endgames_external"]
    assert row["unmapped_safety"] == ["agent_deception_external"]
    assert "safety-relevant: agent_deception_external; others: chess_endgames_external" in row["detail"]
