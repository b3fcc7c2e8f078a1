"""The Every Eval Ever source on a loopback datastore (``tests/eee_datastore.py``): a full fetch,
an unchanged index (one request, nothing added), a changed index (the new records added),
a record whose sha256 does not match (refused, named), and the schema's tolerances."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import datetime

import pandas as pd
import pytest

from benchwatch.identity.resolve import resolve
from benchwatch.pipeline.ingest import ingest_source
from benchwatch.records import Snapshot
from benchwatch.registry import load_registry
from benchwatch.sources import build
from benchwatch.sources.eee_records import RecordError, parse_record
from benchwatch.sources.http import HttpClient
from benchwatch.storage.db import connect
from benchwatch.storage.observations import sync_benchmarks, unmapped_benchmarks
from tests.eee_datastore import EXAMPLES, Datastore, hle_record, record_bytes, vectara_record

EEE = "every-eval-ever"
HOSTILE = "=HYPERLINK(\"http://x\") <!channel> @everyone <b>bold</b>\x07" + "x" * 10_000


def observations(con) -> list[tuple]:
    return con.execute("SELECT model, benchmark, value FROM observations WHERE source = ? "
                       "ORDER BY model, benchmark", [EEE]).fetchall()


@pytest.fixture
def live(settings, upstream):
    return settings.model_copy(update={"upstream_base": upstream.url,
                                       "eee_collections": ["hle", "vectara-hallucination-leaderboard",
                                                           "mmlu-pro"]})


def test_full_fetch_unchanged_changed(live, upstream):
    store = Datastore(upstream)
    store.add("hle", record_bytes(hle_record("openai/gpt-4o", "GPT-4o", 2.7, 89.0, 1777000000)))
    store.add("hle", record_bytes(hle_record("anthropic/claude-3-opus", "Claude 3 Opus", 3.1, 85.5,
                                             1777000000)))
    store.add("vectara-hallucination-leaderboard",
              record_bytes(vectara_record("google/gemini-2.5-flash-lite", 3.3, 1777100000)))
    store.add_recorded_example()
    store.publish()
    con = connect(live.db)

    with HttpClient(retries=0) as http:
        first = ingest_source(con, EEE, live, mode="live", http=http)
    assert first.status == "ok" and first.snapshots == 3, first.error
    rows = observations(con)
    assert ("openai/gpt-4o", "hle.calibration_error", 89.0) in rows
    assert ("google/gemini-2.5-flash-lite", "vectara-hallucination-leaderboard.hallucination_rate",
            3.3) in rows  # the score arrived as the string "3.3"
    assert ("01-ai/yi-1.5-34b-chat", "mmlu_pro/overall", 0.5229) in rows  # the recorded example
    assert len(rows) == 2 * 2 + 1 + 15

    upstream.log.clear()
    with HttpClient(retries=0) as http:
        again = ingest_source(con, EEE, live, mode="live", http=http)
    assert again.status == "unchanged" and again.rows_added == 0
    assert [status for _, _, status in upstream.log] == [304, 304, 304]  # one request per collection
    assert len(observations(con)) == len(rows)

    store.add("hle", record_bytes(hle_record("meta/llama-3.1-405b-instruct", "Llama 3.1 405B",
                                             4.0, 80.1, 1777200000)))
    store.publish()
    upstream.log.clear()
    with HttpClient(retries=0) as http:
        third = ingest_source(con, EEE, live, mode="live", http=http)
    assert third.status == "ok" and third.rows_added == 2
    assert ("meta/llama-3.1-405b-instruct", "hle.calibration_error", 80.1) in observations(con)
    unchanged = [path for path, _, status in upstream.log if status == 304]
    assert unchanged == [store.index_path("vectara-hallucination-leaderboard"),
                         store.index_path("mmlu-pro")]


def test_sha256_mismatch_refuses_the_record_and_names_it(live, upstream):
    store = Datastore(upstream)
    store.add("hle", record_bytes(hle_record("openai/gpt-4o", "GPT-4o", 2.7, 89.0, 1777000000)))
    bad = store.add("hle", record_bytes(hle_record("evil/model", "Evil", 9.0, 1.0, 1777000000)),
                    sha256="0" * 64)
    store.publish()
    con = connect(live.db)
    with HttpClient(retries=0) as http:
        report = ingest_source(con, EEE, live.model_copy(update={"eee_collections": ["hle"]}),
                               mode="live", http=http)
    assert report.status == "failed"
    assert bad in report.error and "sha256" in report.error
    models = {model for model, _, _ in observations(con)}
    assert models == {"openai/gpt-4o"}  # the good record kept, the refused one not stored
    # The refused record's collection carries no validators: the next fetch reads the index again.
    upstream.log.clear()
    with HttpClient(retries=0) as http:
        ingest_source(con, EEE, live.model_copy(update={"eee_collections": ["hle"]}), mode="live",
                      http=http)
    assert upstream.log[0][2] == 200


def test_unmapped_evaluations_are_stored_as_published_and_listed(live, upstream):
    record = hle_record("evil/" + HOSTILE[:200], HOSTILE, 10.0, 50.0, 1777000000)
    record["evaluation_results"][0]["metric_config"]["metric_id"] = HOSTILE
    store = Datastore(upstream)
    store.add("hle", record_bytes(record))
    store.publish()
    con = connect(live.db)
    sync_benchmarks(con, load_registry())
    with HttpClient(retries=0) as http:
        report = ingest_source(con, EEE, live.model_copy(update={"eee_collections": ["hle"]}),
                               mode="live", http=http)
    assert report.status == "ok"
    assert (HOSTILE,) in con.execute("SELECT benchmark FROM observations").fetchall()
    assert any("not in the reviewed mapping" in w and "<!channel>" in w for w in report.warnings)
    listed = unmapped_benchmarks(con)
    assert listed["benchmark"].tolist() == [HOSTILE] and listed["category"].tolist() == ["other"]
    con.close()
    exported = subprocess.run([sys.executable, "-m", "benchwatch.cli", "unmapped", "--format", "csv",
                               "--db", str(live.db)], capture_output=True, text=True, check=True).stdout
    assert "'=HYPERLINK" in exported  # a spreadsheet shows the name, never runs it


def test_schema_tolerances_and_refusals():
    old = json.loads((EXAMPLES / "hfopenllm_v2-record.json").read_text())
    assert parse_record(json.dumps(old).encode(), "0.2.0 record")["schema_version"] == "0.2.0"
    current = hle_record("openai/gpt-4o", "GPT-4o", 2.7, 89.0, 1777000000)
    del current["eval_library"]  # required since 0.3.0: a 0.3.0 record must have it
    with pytest.raises(RecordError, match="eval_library"):
        parse_record(json.dumps(current).encode(), "r1")
    broken = hle_record("openai/gpt-4o", "GPT-4o", 2.7, 89.0, 1777000000)
    broken["evaluation_results"][0]["score_details"]["score"] = "n/a"
    with pytest.raises(RecordError, match="r2: .*score"):
        parse_record(json.dumps(broken).encode(), "r2")


def test_eee_model_ids_meet_other_sources_names_through_the_identity_layer():
    models = pd.DataFrame({"source": ["every-eval-ever", "helm-safety", "every-eval-ever", "epoch"],
                           "model": ["anthropic/claude-3-opus-20240229", "Claude 3 Opus (20240229)",
                                     "zhipu-ai/glm-4.5", "glm-4.5"], "model_type": None})
    ids = resolve(models)["canonical_id"].tolist()
    assert ids[0] == ids[1] == "claude-opus-3-20240229" and ids[2] == ids[3] == "glm-4.5"


def test_a_record_disagreeing_with_the_registry_direction_is_a_warning():
    record = hle_record("openai/gpt-4o", "GPT-4o", 2.7, 89.0, 1777000000)
    record["evaluation_results"][1]["metric_config"]["lower_is_better"] = False
    snapshot = Snapshot(EEE, "hle", datetime(2026, 5, 1), "test", {"objects/r.json": record_bytes(record)})
    batch = build(EEE).parse(snapshot)
    assert any("disagrees with the registry's direction" in w and "hle.calibration_error" in w
               for w in batch.warnings)
    assert len(batch.observations) == 2  # stored as published; a reviewer decides
