"""Custom sources: a lab's own results file followed like a leaderboard (ingested with history,
correlated with the cross-source axes, scheduled), and a bad settings entry named at start."""

from __future__ import annotations

import os
import subprocess
import sys

import duckdb
import pytest

from benchwatch.flows.deployments import runner_deployments
from benchwatch.pipeline.refresh import refresh
from benchwatch.settings import SettingsError, load_settings
from benchwatch.storage import results as result_store

LAB = "my-lab"


def entry(path, **extra) -> dict:
    return {"name": LAB, "path": str(path), "format": "csv", "model_column": "Model",
            "benchmarks": [{"column": "refusal", "name": "Our refusal eval", "category": "safety",
                            "safety_area": "jailbreaks", "direction": 1},
                           {"column": "overrefusal", "category": "safety", "safety_area": "alignment",
                            "direction": -1}],
            **extra}


@pytest.fixture(scope="module")
def helm(tmp_path_factory, data_dir):
    """HELM Safety's latest XSTest and HarmBench values, as HELM names the models."""
    db = tmp_path_factory.mktemp("custom") / "bw.duckdb"
    settings = load_settings(db=db, replay_dir=data_dir, bootstrap_resamples=50)
    assert not refresh(settings, ["helm-safety", "epoch"], analyze=False).failed
    with duckdb.connect(str(db), read_only=True) as con:
        values = con.execute("SELECT model, benchmark, value FROM observations WHERE source = 'helm-safety' "
                             "AND valid_to IS NULL AND benchmark IN ('xstest_safety_score', "
                             "'harm_bench_safety_score')").df()
    wide = values.pivot(index="model", columns="benchmark", values="value").dropna().reset_index()
    return db, wide.rename(columns={"model": "Model", "harm_bench_safety_score": "refusal",
                                    "xstest_safety_score": "overrefusal"})


def test_a_custom_source_is_ingested_correlated_revised_and_scheduled(helm, data_dir, tmp_path):
    db, wide = helm
    path = tmp_path / "ours.csv"
    wide.to_csv(path, index=False)
    settings = load_settings(db=db, replay_dir=data_dir, bootstrap_resamples=50,
                             custom_sources=[entry(path)])
    first = refresh(settings, [LAB])
    [report] = first.reports
    assert report.status == "ok" and report.rows_added == 2 * len(wide)
    with duckdb.connect(str(db), read_only=True) as con:
        rows = result_store.correlations(con, source=LAB)
        kinds = con.execute("SELECT category, direction FROM benchmarks WHERE source = ? ORDER BY \"column\"",
                            [LAB]).fetchall()
    assert kinds == [("safety", -1), ("safety", 1)]
    # Against ECI a point is a model group (issue 20), so n counts groups.
    assert {"eci", "compute"} <= set(rows["axis"]) and rows.loc[rows["axis"] == "eci", "n"].max() >= 30
    assert set(rows["benchmark"]) == {"refusal", "overrefusal"}

    changed = wide.copy()
    changed.loc[0, "refusal"] = 0.123
    changed.to_csv(path, index=False)
    again = refresh(settings, [LAB], analyze=False)
    assert (again.reports[0].rows_added, again.reports[0].rows_revised) == (0, 1)  # kept as history

    [deployment] = [d for d in runner_deployments(mode="live", db=db, custom=settings.custom_sources)
                    if d.name == LAB]
    assert deployment.parameters["source"] == LAB and deployment.schedules[0].schedule.cron == "0 6 * * *"


@pytest.mark.parametrize(("change", "named"), [
    ({"format": "xlsx"}, "custom_sources.0.format"),
    ({"path": None}, "custom_sources.0"),
    ({"benchmarks": [{"column": "refusal", "category": "safety"}]}, "custom_sources.0.benchmarks.0"),
    ({"name": "My Lab!"}, "custom_sources.0.name"),
    ({"colour": "red"}, "custom_sources.0.colour"),
])
def test_a_bad_entry_fails_at_start_naming_the_key(tmp_path, change, named):
    with pytest.raises(SettingsError, match=named.replace(".", r"\.")):
        load_settings(db=tmp_path / "bw.duckdb", custom_sources=[{**entry(tmp_path / "x.csv"), **change}])


def test_a_custom_source_may_not_take_a_built_in_name(tmp_path):
    settings = load_settings(db=tmp_path / "bw.duckdb",
                             custom_sources=[{**entry(tmp_path / "x.csv"), "name": "epoch"}])
    with pytest.raises(SettingsError, match="custom_sources.*'epoch'"):
        refresh(settings, ["epoch"], analyze=False)


def test_the_cli_refuses_a_clashing_custom_source_at_start(tmp_path):
    config = tmp_path / "benchwatch.toml"
    config.write_text('[[custom_sources]]\nname = "epoch"\npath = "x.csv"\nformat = "csv"\n'
                      '[[custom_sources.benchmarks]]\ncolumn = "refusal"\nsafety_area = "jailbreaks"\n')
    result = subprocess.run([sys.executable, "-m", "benchwatch.cli", "sources", "--db", str(tmp_path / "bw.duckdb")],
                            capture_output=True, text=True, env={**os.environ, "BENCHWATCH_CONFIG": str(config)})
    assert result.returncode == 2 and "custom_sources" in result.stderr and "'epoch'" in result.stderr
    assert "Traceback" not in result.stderr


def test_rows_dropped_from_a_custom_file_are_withdrawn_with_history(helm, data_dir, tmp_path):
    db, _ = helm
    with duckdb.connect(str(db), read_only=True) as con:
        rows = con.execute("SELECT model AS Model, value AS refusal FROM observations WHERE source = 'helm-safety' "
                           "AND benchmark = 'harm_bench_safety_score' AND valid_to IS NULL ORDER BY model").df()
    assert len(rows) == 87
    path = tmp_path / "shrinking.csv"
    rows.to_csv(path, index=False)
    spec = {**entry(path), "name": "shrinking", "benchmarks": entry(path)["benchmarks"][:1]}
    settings = load_settings(db=db, replay_dir=data_dir, bootstrap_resamples=50, custom_sources=[spec])
    [first] = refresh(settings, ["shrinking"], analyze=False).reports
    assert (first.status, first.rows_added, first.rows_withdrawn) == ("ok", 87, 0)

    rows.head(43).to_csv(path, index=False)
    [second] = refresh(settings, ["shrinking"], analyze=False).reports
    assert (second.status, second.rows_added, second.rows_revised, second.rows_withdrawn) == ("ok", 0, 0, 44)
    with duckdb.connect(str(db), read_only=True) as con:
        counts = dict(con.execute(
            "SELECT coalesce(closed_reason, 'current'), count(*) FROM observations WHERE source = 'shrinking' "
            "GROUP BY ALL").fetchall())
        gone = {m for (m,) in con.execute("SELECT model FROM observations WHERE source = 'shrinking' "
                                          "AND closed_reason = 'withdrawn'").fetchall()}
    assert counts == {"current": 43, "withdrawn": 44}
    assert gone == set(rows["Model"].iloc[43:])


def test_a_failing_refresh_leaves_no_connection_open(tmp_path, data_dir):
    """A custom source whose file is gone fails its refresh: one message, exit 1, and every
    connection closed and released (DuckDB's bindings print ``nanobind: leaked`` at exit otherwise)."""
    config = tmp_path / "benchwatch.toml"
    config.write_text(f'''[[custom_sources]]
name = "gone"
path = "{tmp_path / 'missing.csv'}"
format = "csv"
[[custom_sources.benchmarks]]
column = "score"
safety_area = "jailbreaks"
''')
    result = subprocess.run(
        [sys.executable, "-m", "benchwatch.cli", "refresh", "--source", "gone", "--replay", str(data_dir),
         "--db", str(tmp_path / "bw.duckdb")], capture_output=True, text=True, timeout=600,
        env={**os.environ, "BENCHWATCH_CONFIG": str(config), "BENCHWATCH_HOME": str(tmp_path)})
    output = result.stdout + result.stderr
    assert result.returncode == 1, output[-3000:]
    assert f"gone: {tmp_path / 'missing.csv'}: no such file or folder" in " ".join(output.split())
    assert "nanobind: leaked" not in output, output[-3000:]
    assert "Traceback" not in output


def test_a_score_column_called_value_is_ingested(helm, data_dir, tmp_path):
    """``benchwatch history --format csv`` names its score column ``value``: saved as a custom source,
    every row is stored under that benchmark (a clash with the long format's own column once failed it)."""
    db, wide = helm
    path = tmp_path / "history.csv"
    wide.rename(columns={"refusal": "value"})[["Model", "value"]].to_csv(path, index=False)
    spec = {**entry(path), "benchmarks": [{"column": "value", "category": "safety", "safety_area": "jailbreaks",
                                          "direction": 1}]}
    settings = load_settings(db=tmp_path / "bw.duckdb", replay_dir=data_dir, custom_sources=[spec])
    [report] = refresh(settings, [LAB], analyze=False).reports
    assert report.status == "ok" and report.rows_added == len(wide)
    with duckdb.connect(str(settings.db), read_only=True) as con:
        stored = con.execute("SELECT model, value FROM observations WHERE source = ? ORDER BY model", [LAB]).df()
    assert stored["value"].tolist() == wide.sort_values("Model")["refusal"].tolist()
