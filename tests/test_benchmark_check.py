"""``benchwatch check`` end to end: a HELM Safety benchmark's latest values, as a CSV with HELM's
own model names and as a folder of EEE records, give exactly the rho, interval and n that
``benchwatch correlations`` stores for it; bad files get one clear message; nothing is written."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from benchwatch.pipeline.refresh import refresh
from benchwatch.settings import load_settings
from tests.eee_datastore import write_folder

BENCHWATCH = [sys.executable, "-m", "benchwatch.cli"]
RESAMPLES = "100"
BENCHMARK = "harm_bench_safety_score"


def run(*args: str, db: Path, ok: bool = True, env: dict | None = None) -> subprocess.CompletedProcess:
    result = subprocess.run([*BENCHWATCH, *args, "--db", str(db)], capture_output=True, text=True,
                            env={**os.environ, "BENCHWATCH_BOOTSTRAP_RESAMPLES": RESAMPLES, **(env or {})},
                            timeout=600)
    if ok and result.returncode != 0:
        raise AssertionError(f"exit {result.returncode}: {result.stdout[-2000:]}\n{result.stderr[-2000:]}")
    return result


@pytest.fixture(scope="module")
def db(tmp_path_factory, data_dir) -> Path:
    """HELM Safety and Epoch (ECI, compute, capability benchmarks) replayed and analysed."""
    path = tmp_path_factory.mktemp("check") / "bw.duckdb"
    result = refresh(load_settings(db=path, replay_dir=data_dir, bootstrap_resamples=int(RESAMPLES)),
                     ["helm-safety", "epoch"])
    assert not result.failed
    return path


@pytest.fixture(scope="module")
def latest(db) -> pd.DataFrame:
    """The benchmark's latest values, model names exactly as HELM writes them."""
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute("SELECT model, value AS score FROM observations WHERE source = 'helm-safety' "
                           "AND benchmark = ? AND valid_to IS NULL ORDER BY model", [BENCHMARK]).df()


def stored(db) -> pd.DataFrame:
    rows = json.loads(run("correlations", "--source", "helm-safety", "--format", "json", db=db).stdout)
    frame = pd.DataFrame(rows)
    return frame[frame["benchmark"] == BENCHMARK].set_index("axis")


def assert_same_as_stored(report: dict, db: Path) -> None:
    expected = stored(db)
    got = pd.DataFrame(report["results"])
    got = got[got["axis_source"] == "helm-safety"].set_index("axis")
    assert set(got.index) == set(expected.index) and len(got) >= 3  # eci, compute, pc1-joint...
    for axis, row in expected.iterrows():
        # A stored PC1 was re-fitted inside every resample (``axis_refit``); check reads the axis as
        # stored and cannot re-fit it, so there only rho and n (and the signals) must agree.
        for column in ("rho",) if row["axis_refit"] else ("rho", "ci_low", "ci_high"):
            assert got.loc[axis, column] == pytest.approx(row[column], abs=1e-12), (axis, column)
        assert got.loc[axis, "n"] == row["n"]
        # The signals beside rho too (a file states no scale: no saturation).
        for column in ("slope", "r2", "subset_low", "subset_high", "partial_rho_time"):
            mine, theirs = (float("nan") if pd.isna(v) else float(v) for v in (got.loc[axis, column], row[column]))
            assert mine == pytest.approx(theirs, abs=1e-9, nan_ok=True), (axis, column)
        assert pd.isna(got.loc[axis, "saturation"])


def test_a_helm_csv_gives_the_stored_correlations(db, latest, tmp_path):
    csv = tmp_path / "harmbench.csv"
    latest.to_csv(csv, index=False)
    before = (db.stat().st_mtime_ns, db.stat().st_size)
    report = json.loads(run("check", str(csv), "--format", "json", db=db).stdout)
    assert report["models"] == len(latest) and report["matched"] == len(latest)
    assert all(m["rule"].startswith("exact name in ") for m in report["matches"])
    assert_same_as_stored(report, db)
    assert (db.stat().st_mtime_ns, db.stat().st_size) == before  # nothing written


def test_an_eee_folder_gives_the_stored_correlations(db, latest, tmp_path):
    records = []
    for model, score in latest.itertuples(index=False):
        records.append({
            "schema_version": "0.3.0", "evaluation_id": f"mine/{model}", "retrieved_timestamp": "1777000000",
            "source_metadata": {"source_name": "my lab", "source_type": "evaluation_run",
                                "source_organization_name": "my lab", "evaluator_relationship": "first_party"},
            "eval_library": {"name": "inspect_ai", "version": "0.3"},
            "model_info": {"name": model, "id": model, "developer": "x",
                           "additional_details": {"deployment_type": "unknown", "model_availability": "unknown"}},
            "evaluation_results": [{
                "evaluation_name": "HarmBench", "source_data": {"dataset_name": "HarmBench", "source_type": "other"},
                "metric_config": {"metric_id": BENCHMARK, "lower_is_better": False},
                "score_details": {"score": score}}],
        })
    folder = write_folder(tmp_path / "eee", records)
    report = json.loads(run("check", str(folder), "--format", "json", db=db).stdout)
    assert report["benchmark"] == BENCHMARK and report["lower_is_better"] is False
    assert_same_as_stored(report, db)


def test_the_html_report_holds_the_figure_with_escaped_names(db, latest, tmp_path):
    hostile = latest.copy()
    hostile.loc[len(hostile)] = ["<script>alert(1)</script> =cmd|' /C calc'!A0", 0.5]
    csv = tmp_path / "mine.csv"
    hostile.to_csv(csv, index=False)
    out = tmp_path / "report.html"
    run("check", str(csv), "--format", "html", "--out", str(out), db=db)
    page = out.read_text()
    assert page.count("<svg") >= 1 and page.count("<circle") >= 30
    assert "<script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "Claude 3 Opus (20240229)" in page  # points are labelled with the file's names
    assert "capabilities explain" in page and "over random halves of the models, rho x100 ranges" in page


def test_save_registers_a_custom_source_and_ingests_it(db, latest, tmp_path):
    copy = tmp_path / "bw.duckdb"
    shutil.copyfile(db, copy)
    csv = tmp_path / "refusals.csv"
    latest.rename(columns={"model": "Model", "score": "refusal rate"}).assign(
        **{"refusal rate": lambda f: 1 - f["refusal rate"]}).to_csv(csv, index=False)
    config = tmp_path / "benchwatch.toml"
    env = {"BENCHWATCH_CONFIG": str(config), "BENCHWATCH_HOME": str(tmp_path / "home")}
    result = run("check", str(csv), "--name", "Our refusals", "--lower-is-better", "--save", "our-lab",
                 "--safety-area", "jailbreaks", db=copy, env=env)
    assert "saved as custom source 'our-lab'" in result.stderr  # the report keeps standard output
    text = config.read_text()
    assert 'name = "our-lab"' in text and 'column = "refusal rate"' in text and "direction = -1" in text
    with duckdb.connect(str(copy), read_only=True) as con:
        stored_rows = con.execute("SELECT count(*) FROM observations WHERE source = 'our-lab'").fetchone()[0]
        category = con.execute("SELECT category, safety_area, direction FROM benchmarks "
                               "WHERE source = 'our-lab'").fetchall()
    assert stored_rows == len(latest) and category == [("safety", "jailbreaks", -1)]
    again = run("check", str(csv), "--save", "our-lab", db=copy, env=env, ok=False)
    assert again.returncode == 2 and "exists already" in again.stderr


@pytest.mark.parametrize(("content", "message"), [
    ("", "the file is empty"),
    ("model\nA\nB\n", "no score column"),
    ("model,acc,other\n" + "".join(f"m{k},0.{k},x\n" for k in range(12)), "no score column"),
    ("model,score\n" + "".join(f"m{k},0.{k}\n" for k in range(11)) + "m11,high\n",
     "'score': 1 value(s) are not numbers (row 13: 'high')"),
    ("model,score\n" + "".join(f"m{k},0.{k}\n" for k in range(11)) + "m3,0.5\nm4,0.6\n",
     "2 model(s) listed more than once: 'm3' (rows 5, 13); 'm4' (rows 6, 14)"),
    ("model,score\nm1,0.1\nm2,0.2\n", "2 model(s) with a score; a correlation needs at least min_models = 10 (8 more)"),
])
def test_bad_files_get_one_clear_message(db, tmp_path, content, message):
    path = tmp_path / "bad.csv"
    path.write_text(content)
    result = run("check", str(path), db=db, ok=False)
    assert result.returncode == 2
    assert message in result.stderr and "Traceback" not in result.stderr + result.stdout


def test_two_names_of_one_model_are_refused(db, latest, tmp_path):
    twice = pd.concat([latest, pd.DataFrame({"model": ["anthropic/claude-3-opus-20240229"], "score": [0.9]})])
    path = tmp_path / "twice.csv"
    twice.to_csv(path, index=False)
    result = run("check", str(path), db=db, ok=False)
    assert result.returncode == 2 and "appear under more than one name" in result.stderr
    assert "Claude 3 Opus (20240229)" in result.stderr


def test_a_hundred_thousand_rows(db, latest, tmp_path):
    """Completes, correctly: the HELM models plus 100,000 models nobody knows."""
    extra = pd.DataFrame({"model": [f"nobody/model-{k}" for k in range(100_000 - len(latest))],
                          "score": 0.5})
    path = tmp_path / "big.csv"
    pd.concat([latest, extra]).to_csv(path, index=False)
    report = json.loads(run("check", str(path), "--format", "json", db=db).stdout)
    assert report["models"] == 100_000 and report["matched"] == len(latest)
    assert len(report["unmatched"]) == 100_000 - len(latest)
    assert_same_as_stored(report, db)


def test_a_checked_benchmark_an_axis_is_built_from_holds_by_construction():
    """The analysis's circularity rule applies to a checked file too: MMLU against a PC1 built from
    MMLU is part of the axis (no class, a verdict that says why); against ECI's fit it is not."""
    from benchwatch.pipeline.benchmark_check import circularity_of
    from benchwatch.registry import load_registry

    row = {"axis_source": "open-llm-leaderboard-v1", "model_set": "all", "as_of": "2024-06-19", "rho": 0.9,
           "ci_low": 0.8, "ci_high": 0.95, "n": 50, "class": "capability-tracking", "verdict": "x"}
    rows = pd.DataFrame([{**row, "axis": "pc1"}, {**row, "axis": "arena"}])
    out = circularity_of(rows, "MMLU", load_registry()).set_index("axis")
    assert out.loc["pc1", "relation"] == "part of the axis" and out.loc["pc1", "class"] is None
    assert out.loc["pc1", "verdict"].startswith("holds by construction, not evidence: the pc1 axis is built from")
    assert (out.loc["arena", "relation"], out.loc["arena", "class"]) == ("independent", "capability-tracking")
    other = circularity_of(rows, "My refusal benchmark", load_registry())
    assert set(other["relation"]) == {"independent"}


def test_saving_a_file_gives_the_answer_its_check_gave(db, data_dir, tmp_path):
    """``check FILE`` and ``check FILE --save NAME`` + ``refresh`` + ``correlations --source NAME`` agree:
    rho, interval, n and as-of date, on HELM Safety's recorded HarmBench scores (HELM's names, no model
    set column). The file is dated 2026-03-01: the saved source keeps that date, not the wall clock."""
    copy = tmp_path / "bw.duckdb"
    shutil.copyfile(db, copy)
    recorded = tmp_path / "harmbench.csv"
    shutil.copyfile(data_dir / "helm-safety" / "helm_safety_v1.17.0_scores.csv", recorded)
    stamp = pd.Timestamp("2026-03-01 12:00", tz="UTC").timestamp()
    os.utime(recorded, (stamp, stamp))
    env = {"BENCHWATCH_CONFIG": str(tmp_path / "benchwatch.toml"), "BENCHWATCH_HOME": str(tmp_path / "home")}
    columns = ["--model-column", "model_display_name", "--score-column", BENCHMARK]
    checked = pd.DataFrame(json.loads(run("check", str(recorded), *columns, "--format", "json",
                                          db=copy, env=env).stdout)["results"])
    run("check", str(recorded), *columns, "--format", "json", "--save", "my-harmbench", db=copy, env=env)
    run("refresh", "--source", "my-harmbench", db=copy, env=env)
    saved = pd.DataFrame(json.loads(run("correlations", "--source", "my-harmbench", "--format", "json",
                                        db=copy, env=env).stdout))
    assert set(saved["model_set"]) == {"chat"}  # HELM's models are chat models, as the check compared them
    assert {"eci", "compute", "pc1-joint"} <= set(saved["axis"])  # no Arena in this database
    fields = ["rho", "ci_low", "ci_high", "n", "as_of"]
    for row in saved.itertuples(index=False):
        # The check's row for the axis and set over the most models: the stored axis holding them all.
        same = checked[(checked["axis"] == row.axis) & (checked["model_set"] == row.model_set)].iloc[0]
        # pc1-joint is refitted in each resample when stored; the check correlates the stored scores.
        compared = fields if row.axis != "pc1-joint" else ["rho", "n", "as_of"]
        assert {f: same[f] for f in compared} == {f: getattr(row, f) for f in compared}, row.axis
    assert (saved["as_of"] >= "2026-03-01").all() and (saved["as_of"] < pd.Timestamp.now().strftime("%F")).all()
