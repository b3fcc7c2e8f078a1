"""Issue 25: the Benchmark page opens on a series with data, and the calibration metric's
``accuracy`` axis has its per-model points and capability-adjusted residuals (it had neither:
the paired accuracy column was not stored, and Epoch's models, stored in set "all", were not
split by kind as the analysis splits them)."""

from __future__ import annotations

import pandas as pd

from benchwatch.storage import views
from tests.dashboard.helpers import app_test

PAGE = "screens/benchmark.py"
HLE = {"source": "epoch", "benchmark": "hle_calibration_error", "axis": "accuracy", "model_set": "chat"}


def latest(published, source: str, benchmark: str, axis: str, model_set: str) -> tuple:
    return published.execute(
        "SELECT run_id, as_of, n FROM correlations WHERE source = ? AND benchmark = ? AND axis = ? "
        "AND model_set = ? AND run_id = (SELECT max(run_id) FROM analysis_runs WHERE status = 'ok') "
        "ORDER BY as_of DESC LIMIT 1", [source, benchmark, axis, model_set]).fetchone()


def test_the_accuracy_axis_has_a_point_per_model_the_correlation_counted(published):
    run_id, as_of, n = latest(published, **HLE)
    assert n >= 30
    points = views.scatter(published, run_id, "epoch", "hle_calibration_error", "chat", "accuracy", as_of)
    assert len(points) == n
    # Each point's axis value is that model's HLE accuracy as published, known on that date.
    accuracy = published.execute(
        "SELECT model, value FROM observations WHERE source = 'epoch' AND benchmark = 'hle_external' "
        "AND valid_from < (?::DATE + INTERVAL 1 DAY) AND (valid_to IS NULL OR valid_to >= (?::DATE + INTERVAL 1 DAY))",
        [as_of, as_of]).df().set_index("model")["value"]
    pd.testing.assert_series_equal(points.set_index("model")["axis_value"], accuracy.reindex(points["model"]),
                                   check_names=False)
    stored = published.execute(
        "SELECT count(*) FROM adjusted_residuals WHERE run_id = ? AND source = 'epoch' "
        "AND benchmark = 'hle_calibration_error' AND axis = 'accuracy' AND model_set = 'chat'", [run_id]).fetchone()
    assert stored[0] == n


def test_the_accuracy_axis_on_the_page(dashboard_db, published, monkeypatch):
    _, as_of, n = latest(published, **HLE)
    at = app_test(dashboard_db, monkeypatch, query=HLE, page=PAGE)
    assert not at.exception, [e.value for e in at.exception]
    assert any(c.value.startswith(f"{n:,} points known on {as_of:%Y-%m-%d}") for c in at.caption)
    assert not [i.value for i in at.info if "No capability-adjusted residuals" in i.value or "per-model" in i.value]
    ranking = next(df.value for df in at.dataframe if "residual" in df.value.columns)
    assert len(ranking) == n


def test_the_default_benchmark_page_has_data(dashboard_db, published, monkeypatch):
    at = app_test(dashboard_db, monkeypatch, page=PAGE)
    assert not at.exception, [e.value for e in at.exception]
    chosen = {key: at.selectbox(key=key).value for key in ("source", "benchmark", "axis", "model_set")}
    _, as_of, n = latest(published, **chosen)
    assert n >= 10, chosen  # min_models: a series the alert rules would read
    assert any(c.value.startswith(f"{n:,} points known on") for c in at.caption), chosen
    assert not [i.value for i in at.info], chosen
