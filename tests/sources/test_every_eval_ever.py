"""The Every Eval Ever source on a loopback datastore served through its manifests
(``tests/eee_datastore.py``): a full fetch, an unchanged manifest (one conditional request, nothing
added), a changed manifest (only the new records fetched), a removed collection (its values
withdrawn, kept as history), provenance per score, a record whose sha256 does not match (refused,
named), unmapped evaluations grouped by collection with the area their own metadata names, and the
schema's tolerances.

Evidence of the layout: the datastore's ``USAGE_EEE_datastore.md`` (``flat/latest_manifest.json``,
``flat/manifests/sha256_<manifest_core_sha256>/{manifest.json,entries.jsonl}``, fields
``created_at``, ``aggregate_file_count``, ...); the entries' fields are those of the recorded flat
index line (``../shared/data/every-eval-ever/examples``); the cron's provenance keys are
every_eval_ever ``cron/README.md`` (``cron_run_date``, ``cron_adapter``)."""

from __future__ import annotations

import io
import json
import os
import re
import subprocess
import sys
from datetime import datetime

import pandas as pd
import pyarrow.parquet as pq
import pytest

from benchwatch.identity.resolve import resolve
from benchwatch.pipeline.ingest import ingest_source
from benchwatch.publish.tables import TABLES, csv_bytes, parquet_bytes
from benchwatch.records import Snapshot
from benchwatch.registry import load_registry
from benchwatch.sources import build
from benchwatch.sources.eee_records import RecordError, parse_record
from benchwatch.sources.http import HttpClient
from benchwatch.storage.db import connect
from benchwatch.storage.eee import score_provenance, unmapped_by_collection
from benchwatch.storage.observations import sync_benchmarks, unmapped_benchmarks
from tests.eee_datastore import (EXAMPLES, MANIFEST, ROOT, Datastore, hle_record, record_bytes,
                                 vectara_record)

EEE = "every-eval-ever"
HOSTILE = "=HYPERLINK(\"http://x\") <!channel> @everyone <b>bold</b>\x07" + "x" * 10_000


def observations(con) -> list[tuple]:
    return con.execute("SELECT model, benchmark, value FROM observations WHERE source = ? "
                       "ORDER BY model, benchmark", [EEE]).fetchall()


@pytest.fixture
def live(settings, upstream):
    return settings.model_copy(update={"upstream_base": upstream.url, "eee_collections": []})


def fetch(con, settings) -> object:
    with HttpClient(retries=0) as http:
        return ingest_source(con, EEE, settings, mode="live", http=http)


def objects_fetched(upstream) -> list[str]:
    return [path for path, _, status in upstream.log if "/flat/objects/" in path and status == 200]


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

    first = fetch(con, live)
    assert first.status == "ok" and first.snapshots == 3, first.error  # one per collection
    rows = observations(con)
    assert ("openai/gpt-4o", "hle.calibration_error", 89.0) in rows
    assert ("google/gemini-2.5-flash-lite", "vectara-hallucination-leaderboard.hallucination_rate",
            3.3) in rows  # the score arrived as the string "3.3"
    assert ("01-ai/yi-1.5-34b-chat", "mmlu_pro/overall", 0.5229) in rows  # the recorded example
    assert len(rows) == 2 * 2 + 1 + 15

    upstream.log.clear()
    again = fetch(con, live)
    assert again.status == "unchanged" and again.rows_added == 0
    assert upstream.log == [(MANIFEST, "", 304)]  # one conditional request for the whole datastore
    assert len(observations(con)) == len(rows)

    added = store.add("hle", record_bytes(hle_record("meta/llama-3.1-405b-instruct", "Llama 3.1 405B",
                                                     4.0, 80.1, 1777200000)))
    store.publish()
    upstream.log.clear()
    third = fetch(con, live)
    assert third.status == "ok" and third.rows_added == 2
    assert ("meta/llama-3.1-405b-instruct", "hle.calibration_error", 80.1) in observations(con)
    assert objects_fetched(upstream) == [f"{ROOT}/{added}"]  # only the new record, not the four stored


def test_a_changed_manifest_fetches_only_the_changed_records(live, upstream):
    store = Datastore(upstream)
    for k in range(20):
        store.add("hle", record_bytes(hle_record(f"lab/model-{k:02d}", f"Model {k}", 10.0 + k, 50.0, 1777000000)))
    store.publish()
    con = connect(live.db)
    assert fetch(con, live).status == "ok"
    # One record replaced by a rescored one (a new object and sha256), one added: two fetched of 21.
    line, _ = store.collections["hle"].pop(3)
    replaced = store.add("hle", record_bytes(hle_record("lab/model-03", "Model 3", 99.0, 40.0, 1777300000)))
    added = store.add("hle", record_bytes(hle_record("lab/model-20", "Model 20", 5.0, 60.0, 1777300000)))
    store.publish()
    upstream.log.clear()
    report = fetch(con, live)
    assert report.status == "ok", report.error
    assert sorted(objects_fetched(upstream)) == sorted([f"{ROOT}/{replaced}", f"{ROOT}/{added}"])
    assert len(upstream.log) == 3 + 2  # the manifest, its immutable copy and entries, two records
    assert ("lab/model-03", "hle.accuracy", 99.0) in observations(con)
    assert report.rows_revised == 2 and report.rows_added == 2 and report.rows_withdrawn == 0
    unlisted = con.execute("SELECT object_path FROM eee_records WHERE NOT listed").fetchall()
    assert unlisted == [(line["object_path"],)]


def test_a_removed_collection_withdraws_its_rows(live, upstream):
    store = Datastore(upstream)
    store.add("hle", record_bytes(hle_record("openai/gpt-4o", "GPT-4o", 2.7, 89.0, 1777000000)))
    store.add("vectara-hallucination-leaderboard",
              record_bytes(vectara_record("google/gemini-2.5-flash-lite", 3.3, 1777100000)))
    store.add("vectara-hallucination-leaderboard",
              record_bytes(vectara_record("openai/gpt-4o", 1.5, 1777100000)))
    store.publish()
    con = connect(live.db)
    assert fetch(con, live).status == "ok"
    store.remove("vectara-hallucination-leaderboard")
    store.publish()
    upstream.log.clear()
    report = fetch(con, live)
    assert report.status == "ok" and report.rows_withdrawn == 2, report.error
    assert objects_fetched(upstream) == []
    rows = con.execute(
        "SELECT model, benchmark, value, valid_to IS NOT NULL, closed_reason FROM observations "
        "WHERE source = ? ORDER BY benchmark, model", [EEE]).fetchall()
    assert rows == [
        ("openai/gpt-4o", "hle.accuracy", 2.7, False, None),
        ("openai/gpt-4o", "hle.calibration_error", 89.0, False, None),
        ("google/gemini-2.5-flash-lite", "vectara-hallucination-leaderboard.hallucination_rate", 3.3, True,
         "withdrawn"),
        ("openai/gpt-4o", "vectara-hallucination-leaderboard.hallucination_rate", 1.5, True, "withdrawn"),
    ]  # kept as history, no longer current
    assert con.execute("SELECT count(*) FROM eee_records WHERE listed").fetchone() == (1,)


def test_provenance_is_kept_per_score_and_shown_with_the_values(live, upstream):
    first = hle_record("openai/gpt-4o", "GPT-4o", 2.7, 89.0, 1777000000)
    first["source_metadata"]["additional_details"] = {"type_of_addition": "cron", "cron_run_date": "2026-08-14",
                                                      "cron_adapter": "hle"}
    own = vectara_record("google/gemini-2.5-flash-lite", 3.3, 1777100000)
    own["source_metadata"]["evaluator_relationship"] = "first_party"
    store = Datastore(upstream)
    store.add("hle", record_bytes(first))
    store.add("vectara-hallucination-leaderboard", record_bytes(own))
    store.publish()
    con = connect(live.db)
    assert fetch(con, live).status == "ok"
    shown = score_provenance(con).sort_values(["model", "benchmark"]).astype(object)
    shown = shown.where(shown.notna(), None)
    assert shown[["model", "benchmark", "collection", "evaluator_relationship", "adapter"]].values.tolist() == [
        ["google/gemini-2.5-flash-lite", "vectara-hallucination-leaderboard.hallucination_rate",
         "vectara-hallucination-leaderboard", "first_party", None],
        ["openai/gpt-4o", "hle.accuracy", "hle", "third_party", "hle"],
        ["openai/gpt-4o", "hle.calibration_error", "hle", "third_party", "hle"],
    ]
    assert str(shown["cron_run_date"].iloc[1])[:10] == "2026-08-14"
    con.close()
    listed = subprocess.run([sys.executable, "-m", "benchwatch.cli", "history", "openai/gpt-4o", "--source", EEE,
                             "--format", "csv", "--db", str(live.db)], capture_output=True, text=True,
                            check=True).stdout
    header, *lines = listed.strip().splitlines()
    assert "evaluator_relationship" in header and "cron_run_date" in header
    assert all("third_party" in line and "2026-08-14" in line for line in lines) and len(lines) == 2


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
    # With a record refused the manifest carries no validators: the next fetch reads it again.
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
    assert unmapped_by_collection(con)[["collection", "benchmark", "models"]].values.tolist() == [
        ["hle", HOSTILE, 1]]
    con.close()
    exported = subprocess.run([sys.executable, "-m", "benchwatch.cli", "unmapped", "--format", "csv",
                               "--db", str(live.db)], capture_output=True, text=True, check=True).stdout
    assert "'=HYPERLINK" in exported  # a spreadsheet shows the name, never runs it


def test_unmapped_are_grouped_by_collection_and_suggested_only_where_their_metadata_names_an_area(
        live, upstream):
    store = Datastore(upstream)
    for k in range(3):
        record = vectara_record(f"lab/model-{k}", 10.0 + k, 1777000000)
        tagged, plain = (json.loads(json.dumps(record["evaluation_results"][0])) for _ in range(2))
        tagged["metric_config"]["metric_id"] = "openeval.bbq_ambiguous"
        tagged["source_data"]["additional_details"] = {"tags": "safety, Bias"}
        plain["metric_config"]["metric_id"] = "openeval.bias_in_the_name_only"
        plain["metric_config"]["evaluation_description"] = "accuracy"
        record["evaluation_results"] = [tagged, plain]
        store.add("openeval", record_bytes(record))
    store.add("hle", record_bytes(hle_record("lab/model-0", "M", 1.0, 2.0, 1777000000)))
    store.publish()
    con = connect(live.db)
    sync_benchmarks(con, load_registry())
    assert fetch(con, live).status == "ok"
    con.close()
    out = subprocess.run([sys.executable, "-m", "benchwatch.cli", "unmapped", "--suggest", "--format", "json",
                          "--db", str(live.db)], capture_output=True, text=True, check=True).stdout
    rows = [{k: r[k] for k in ("collection", "in_collection", "benchmark", "models", "suggested_safety_area")}
            for r in json.loads(out)]
    assert rows == [
        {"collection": "openeval", "in_collection": 2, "benchmark": "openeval.bbq_ambiguous", "models": 3,
         "suggested_safety_area": "bias"},
        {"collection": "openeval", "in_collection": 2, "benchmark": "openeval.bias_in_the_name_only",
         "models": 3, "suggested_safety_area": None},
    ]  # hle's evaluations are mapped; a name alone suggests nothing


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


def eee_beside_another_source(live, upstream):
    """A database holding one cron-stamped EEE record (third party, adapter hle, run 2026-08-14) and the
    recorded HELM Capabilities values (a source that keeps no provenance)."""
    record = hle_record("openai/gpt-4o", "GPT-4o", 2.7, 89.0, 1777000000)
    record["source_metadata"]["additional_details"] = {"type_of_addition": "cron", "cron_run_date": "2026-08-14",
                                                       "cron_adapter": "hle"}
    store = Datastore(upstream)
    store.add("hle", record_bytes(record))
    store.publish()
    con = connect(live.db)
    assert fetch(con, live).status == "ok"
    assert ingest_source(con, "helm-capabilities", live, mode="replay").status == "ok"
    return con


def test_values_show_provenance_for_eee_rows_and_the_missing_mark_for_others(live, upstream):
    con = eee_beside_another_source(live, upstream)
    other = con.execute("SELECT model, benchmark FROM observations WHERE source = 'helm-capabilities' "
                        "ORDER BY model, benchmark LIMIT 1").fetchone()
    con.close()
    shown = subprocess.run([sys.executable, "-m", "benchwatch.cli", "history", "--format", "table",
                            "--db", str(live.db)], capture_output=True, text=True, check=True,
                           env={**os.environ, "COLUMNS": "400"}).stdout
    header, rows = shown.splitlines()[1], [re.split(r"\s{2,}", line.strip()) for line in shown.splitlines()[3:]]
    columns = re.split(r"\s{2,}", header.strip())
    assert columns[-4:] == ["collection", "evaluator_relationship", "adapter", "cron_run_date"]
    eee = [r for r in rows if r[0] == EEE]
    assert len(eee) == 2 and all(r[-4:] == ["hle", "third_party", "hle", "2026-08-14"] for r in eee)
    others = [r for r in rows if r[0] == "helm-capabilities"]
    assert any(r[1] == other[0] and r[2] == other[1] for r in others)
    assert others and all(r[-4:] == ["—"] * 4 for r in others)
    assert "None" not in shown and "nan" not in shown.lower().split()


def test_the_published_observations_carry_eee_provenance(live, upstream):
    con = eee_beside_another_source(live, upstream)
    table = next(t for t in TABLES if t.name == "observations")
    frame = table.frame(con)
    con.close()
    assert len(frame) == len(frame.drop_duplicates(["source", "model", "benchmark", "valid_from"]))
    rows = pd.read_csv(io.BytesIO(csv_bytes(table, frame)), keep_default_na=False)
    eee = rows[rows["source"] == EEE]
    assert eee[["evaluator_relationship", "adapter", "cron_run_date"]].values.tolist() == [
        ["third_party", "hle", "2026-08-14"]] * 2
    others = rows[rows["source"] == "helm-capabilities"]
    assert len(others) > 0 and (others[["evaluator_relationship", "adapter", "cron_run_date"]] == "").all().all()
    parquet = pq.read_table(io.BytesIO(parquet_bytes(table, frame))).to_pandas()
    assert str(parquet.loc[parquet["source"] == EEE, "cron_run_date"].iloc[0]) == "2026-08-14"


def test_a_record_moving_between_collections_is_one_move(live, upstream):
    store = Datastore(upstream)
    bodies = [record_bytes(hle_record(f"lab/model-{k}", f"Model {k}", 10.0 + k, 50.0, 1777000000)) for k in range(3)]
    paths = [store.add("hle", body) for body in bodies]
    store.publish()
    con = connect(live.db)
    assert fetch(con, live).status == "ok"
    before = con.execute("SELECT model, benchmark, value, valid_from FROM observations ORDER BY ALL").fetchall()
    # The datastore lists the second record under a new collection: same object, same sha256.
    line, body = store.collections["hle"].pop(1)
    uuid = line["object_uuid"]
    assert store.add("hle-v2", body, object_uuid=uuid) == paths[1]
    store.publish()
    upstream.log.clear()
    report = fetch(con, live)
    assert report.status == "ok", report.error
    assert objects_fetched(upstream) == []  # nothing refetched
    assert (report.rows_added, report.rows_revised, report.rows_withdrawn) == (0, 0, 0)
    assert con.execute("SELECT model, benchmark, value, valid_from FROM observations WHERE valid_to IS NULL "
                       "ORDER BY ALL").fetchall() == before  # the values untouched, none closed
    assert con.execute("SELECT object_path, collection, listed FROM eee_records ORDER BY object_path").fetchall() == \
        sorted([(paths[0], "hle", True), (paths[1], "hle-v2", True), (paths[2], "hle", True)])
    shown = score_provenance(con, model="lab/model-1")
    assert shown["collection"].tolist() == ["hle-v2", "hle-v2"]
    con.close()
