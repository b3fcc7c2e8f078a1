"""The Benchmark page's scatter stays small at any size: above ``AGGREGATE_ABOVE`` models it is a
binned density with the most capable models named on top, and the page says so."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from benchwatch.analysis.adjusted import rank_line
from benchwatch.dashboard import charts
from tests.dashboard.helpers import app_test

V1 = "open-llm-leaderboard-v1"


def marks(spec: dict) -> list[str]:
    layers = spec.get("layer", [spec])
    return [m["type"] if isinstance(m, dict) else m for m in (layer["mark"] for layer in layers)]


def scatter_spec(at) -> dict:
    """The page's second chart (after the trend): the scatter, as the browser receives it."""
    chart = at.get("vega_lite_chart")[1]
    return json.loads(chart.proto.spec)


def test_density_counts_every_model_once_in_its_cell():
    # Four clusters of known size at the corners of the plane, on a log x axis (compute).
    x = np.repeat([1e20, 1e20, 1e25, 1e25], [10, 20, 30, 6_000])
    y = np.repeat([0.0, 1.0, 0.0, 1.0], [10, 20, 30, 6_000])
    cells = charts.density(pd.DataFrame({"axis_value": x, "value": y}), log_x=True)
    assert sorted(cells["models"]) == [10, 20, 30, 6_000]
    assert cells["x_low"].min() == pytest.approx(1e20) and cells["x_high"].max() == pytest.approx(1e25)


def test_a_large_series_is_a_density_and_a_small_one_points():
    rng = np.random.default_rng(0)
    n = 67_280  # Open LLM v1 TruthfulQA at 10x
    points = pd.DataFrame({"axis_value": rng.normal(size=n), "value": rng.uniform(size=n),
                           "model": [f"org/m-{k}" for k in range(n)]}).assign(name=lambda f: f["model"])
    line = rank_line(points.set_index("model")["value"], points.set_index("model")["axis_value"])
    big = charts.scatter(points, "PC1", "TruthfulQA", line=line).to_dict()
    assert marks(big) == ["rect", "circle", "text", "line"]
    shown = [len(rows) for rows in big["datasets"].values()]
    # Cells, the named models and the line's drawn points: never 67,280 rows.
    assert sum(shown) <= 60 * 40 + 2 * charts.LABELLED + charts.LINE_POINTS
    small = charts.scatter(points.head(charts.AGGREGATE_ABOVE), "PC1", "TruthfulQA").to_dict()
    assert marks(small) == ["circle"]


@pytest.mark.slow
def test_the_page_draws_a_large_series_aggregated_and_says_so(dashboard_db, published, monkeypatch):
    # The replay's largest series (fine-tuned models on Open LLM v1) is under the default
    # threshold; a lower one makes it "large" for the page, the same code path as 10x.
    monkeypatch.setattr(charts, "AGGREGATE_ABOVE", 1_000)
    at = app_test(dashboard_db, monkeypatch, page="screens/benchmark.py",
                  query={"source": V1, "benchmark": "truthfulqa", "axis": "pc1", "model_set": "fine-tuned"})
    assert not at.exception, [e.value for e in at.exception]
    n = published.execute(
        "SELECT n FROM correlations WHERE source = ? AND benchmark = 'truthfulqa' AND axis = 'pc1' "
        "AND model_set = 'fine-tuned' ORDER BY as_of DESC LIMIT 1", [V1]).fetchone()[0]
    assert n > 1_000
    assert marks(scatter_spec(at)) == ["rect", "circle", "text", "line"]
    assert any(c.value.startswith(f"Aggregated: {n:,} models (more than 1,000)") for c in at.caption)


@pytest.mark.slow
def test_the_page_draws_a_small_series_as_points(dashboard_db, monkeypatch):
    at = app_test(dashboard_db, monkeypatch, page="screens/benchmark.py",
                  query={"source": "helm-safety", "benchmark": "bbq_accuracy", "axis": "arena", "model_set": "chat"})
    assert not at.exception, [e.value for e in at.exception]
    assert marks(scatter_spec(at)) == ["circle", "line"]
    assert not any(c.value.startswith("Aggregated") for c in at.caption)
