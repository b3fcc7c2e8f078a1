"""Where a point's value came from is shown where the point is: the Benchmark page's scatter (its
tooltip) and point table carry Every Eval Ever's provenance per score (first or third party, the
adapter, the cron run date, the collection); a point of another source shows the missing mark.

The database is a real refresh of a loopback EEE datastore (``tests/eee_datastore.py``): fifteen models
in one collection, each record stamped by the adapter cron as ``cron/README.md`` of every_eval_ever
describes (``cron_adapter``, ``cron_run_date``), half first party."""

from __future__ import annotations

import json
import random

import pandas as pd
import pytest

from benchwatch import numbers
from benchwatch.dashboard.charts import with_provenance
from benchwatch.pipeline.refresh import refresh
from tests.dashboard.helpers import app_test
from tests.eee_datastore import Datastore, record_bytes, scale_record

EEE = "every-eval-ever"
KEYS = ["hle.accuracy", "hle.calibration_error", "mmlu_pro/overall"]
MODELS = 15


@pytest.fixture
def eee_db(settings, upstream):
    rng = random.Random(5)
    store = Datastore(upstream)
    relationship = {}
    for k in range(MODELS):
        model = f"dev{k:02d}/model-{k:02d}"
        record = scale_record(model, "hle", KEYS, rng, 1_777_000_000 + k, "2026-08-14")
        relationship[model] = record["source_metadata"]["evaluator_relationship"]
        mmlu = record["evaluation_results"][2]["score_details"]
        mmlu["score"] = round(mmlu["score"] / 100, 4)  # MMLU-Pro is published on 0-1
        store.add("hle", record_bytes(record))
    store.publish()
    live = settings.model_copy(update={"upstream_base": upstream.url, "eee_collections": []})
    result = refresh(live, [EEE], mode="live")
    assert not result.failed, [r.error for r in result.failed]
    return live.db, relationship


@pytest.mark.slow
def test_the_benchmark_page_shows_each_eee_points_provenance(eee_db, monkeypatch):
    db, relationship = eee_db
    at = app_test(db, monkeypatch, page="screens/benchmark.py",
                  query={"source": EEE, "benchmark": "hle.calibration_error", "axis": "pc1", "model_set": "all"})
    assert not at.exception, [e.value for e in at.exception]
    table = next(d.value for d in at.dataframe if "measured by" in d.value.columns)
    assert {"adapter", "cron run", "collection"} <= set(table.columns)
    assert len(table) == MODELS
    for _, row in table.iterrows():
        assert row["measured by"] == relationship[row["id"]].replace("_", " ")
        assert (row["adapter"], row["cron run"], row["collection"]) == ("hle", "2026-08-14", "hle")
    spec = json.loads(at.get("vega_lite_chart")[1].proto.spec)
    titles = [t["title"] for layer in spec.get("layer", [spec]) for t in layer["encoding"].get("tooltip", [])]
    assert {"measured by", "adapter", "cron run", "collection"} <= set(titles)


def test_a_point_without_provenance_shows_the_missing_mark():
    points = pd.DataFrame({"model": ["a/x", "b/y"], "value": [1.0, 2.0]})
    provenance = pd.DataFrame({"model": ["a/x"], "collection": ["hle"], "evaluator_relationship": ["first_party"],
                               "adapter": [None], "cron_run_date": [pd.Timestamp("2026-08-14")]})
    shown = with_provenance(points, provenance).set_index("model")
    assert shown.loc["a/x", ["evaluator_relationship", "adapter", "cron_run_date", "collection"]].tolist() == [
        "first party", numbers.MISSING, "2026-08-14", "hle"]
    assert shown.loc["b/y", ["evaluator_relationship", "adapter", "cron_run_date", "collection"]].tolist() == [
        numbers.MISSING] * 4
    empty = pd.DataFrame(columns=["model", "collection", "evaluator_relationship", "adapter", "cron_run_date"])
    assert (with_provenance(points, empty).drop(columns=["model", "value"]) == numbers.MISSING).all().all()
