"""A loopback Every Eval Ever datastore built from the schema and the recorded examples.

No whole collection could be recorded (``../shared/data/every-eval-ever/SOURCE.md``),
so records are written in the shapes the EEE adapters write: ``hle`` (schema
0.3.0, accuracy and calibration error, as the ``utils/hle`` adapter emits),
``vectara-hallucination-leaderboard`` (schema 0.2.2, numbers and booleans as
strings, as some adapters write them), and the recorded MMLU-Pro object and
index line as published. Every record validates against the vendored schema.
The datastore is served as its manifests lay it out (``flat/latest_manifest.json``, the
immutable ``flat/manifests/sha256_<core>/manifest.json`` and ``entries.jsonl``, as the
datastore's ``USAGE_EEE_datastore.md`` describes them). ``write_scale_datastore`` writes
one at the real size to disk (benchmarks/eee_scale.py).
"""

from __future__ import annotations

import hashlib
import json
import random
import uuid
from collections.abc import Iterable
from pathlib import Path

from tests.loopback import Upstream
from tests.paths import DATA_DIR

EXAMPLES = DATA_DIR / "every-eval-ever" / "examples"
ROOT = "/huggingface.co/datasets/evaleval/EEE_datastore/resolve/main"


def hle_record(model_id: str, name: str, accuracy: float, calibration: float, when: float) -> dict:
    developer = model_id.split("/", 1)[0]
    source_data = {"dataset_name": "Humanity's Last Exam (Scale SEAL leaderboard)", "source_type": "url",
                   "url": ["https://labs.scale.com/leaderboard/humanitys_last_exam"]}

    def result(metric_id: str, title: str, score: float, lower: bool) -> dict:
        return {"evaluation_result_id": metric_id.replace(".", "/"), "evaluation_name": title,
                "source_data": source_data,
                "metric_config": {"evaluation_description": title, "metric_id": metric_id,
                                  "lower_is_better": lower, "score_type": "continuous",
                                  "min_score": 0.0, "max_score": 100.0},
                "score_details": {"score": score}}

    return {
        "schema_version": "0.3.0",
        "evaluation_id": f"hle/{model_id.replace('/', '_')}/{when}",
        "retrieved_timestamp": str(when),
        "source_metadata": {"source_name": "Scale SEAL Humanity's Last Exam Leaderboard",
                            "source_type": "documentation", "source_organization_name": "Scale",
                            "evaluator_relationship": "third_party"},
        "eval_library": {"name": "Scale SEAL HLE leaderboard", "version": "unknown"},
        "model_info": {"name": name, "id": model_id, "developer": developer,
                       "additional_details": {"deployment_type": "unknown",
                                              "model_availability": "unknown"}},
        "evaluation_results": [
            result("hle.accuracy", "Humanity's Last Exam (accuracy)", accuracy, False),
            result("hle.calibration_error", "Humanity's Last Exam (calibration error)", calibration, True),
        ],
    }


def vectara_record(model_id: str, rate: float, when: float) -> dict:
    """Schema 0.2.2 with the score and lower_is_better written as strings."""
    developer, name = model_id.split("/", 1)
    return {
        "schema_version": "0.2.2",
        "evaluation_id": f"vectara-hallucination-leaderboard/{model_id}/{when}",
        "retrieved_timestamp": str(when),
        "source_metadata": {"source_name": "Vectara Hallucination Leaderboard",
                            "source_type": "documentation", "source_organization_name": "Vectara",
                            "evaluator_relationship": "third_party"},
        "model_info": {"name": name, "id": model_id, "developer": developer},
        "evaluation_results": [{
            "evaluation_name": "Vectara Hallucination Leaderboard",
            "source_data": {"dataset_name": "Vectara private set", "source_type": "other"},
            "metric_config": {"evaluation_description": "hallucination rate",
                              "metric_id": "vectara-hallucination-leaderboard.hallucination_rate",
                              "lower_is_better": "true", "score_type": "continuous",
                              "min_score": "0", "max_score": "100"},
            "score_details": {"score": str(rate)},
        }],
    }


def record_bytes(record: dict) -> bytes:
    return json.dumps(record, indent=2).encode()


MANIFEST = f"{ROOT}/flat/latest_manifest.json"


def entry_line(collection: str, body: bytes, object_uuid: str, schema_version: str,
               sha256: str | None = None) -> dict:
    """One row of a manifest's entries.jsonl (the fields of the recorded flat index line)."""
    path = f"flat/objects/{object_uuid[:2]}/{object_uuid[2:4]}/{object_uuid}.json"
    return {"benchmark": collection, "eval_schema_version": schema_version,
            "legacy_path": f"data/{collection}/{object_uuid}.json", "object_path": path,
            "object_uuid": object_uuid, "record_type": "aggregate",
            "sha256": sha256 or hashlib.sha256(body).hexdigest(), "size_bytes": len(body)}


def manifest_files(lines: Iterable[dict], created_at: str) -> dict[str, bytes]:
    """The manifest of a set of entries, as the datastore lays it out (``USAGE_EEE_datastore.md``):
    path under the datastore root -> bytes. The snapshot's directory is named by the sha256 of its
    core (here: its entries), so a changed listing is a new immutable directory."""
    entries = "".join(json.dumps(line) + "\n" for line in lines).encode()
    rows = [json.loads(line) for line in entries.decode().splitlines()]
    core = hashlib.sha256(entries).hexdigest()
    manifest = json.dumps({
        "created_at": created_at, "source": "data", "manifest_core_sha256": core,
        "eval_schema_versions": sorted({r["eval_schema_version"] for r in rows}),
        "aggregate_file_count": sum(r["record_type"] == "aggregate" for r in rows),
        "benchmark_count": len({r["benchmark"] for r in rows}),
        "instance_level_file_count": 0,
        "total_file_count": len(rows)}, indent=2).encode()
    return {"flat/latest_manifest.json": manifest, f"flat/manifests/sha256_{core}/manifest.json": manifest,
            f"flat/manifests/sha256_{core}/entries.jsonl": entries}


class Datastore:
    """Collections of records served on a loopback upstream as the flat layout with its manifests."""

    def __init__(self, upstream: Upstream) -> None:
        self.upstream = upstream
        self.collections: dict[str, list[tuple[dict, bytes]]] = {}
        self.published = 0

    def add(self, collection: str, body: bytes, sha256: str | None = None,
            object_uuid: str | None = None, schema_version: str | None = None) -> str:
        """Store a record; ``sha256`` overrides the manifest's hash (a corrupted upload)."""
        object_uuid = object_uuid or str(uuid.uuid4())
        line = entry_line(collection, body, object_uuid, schema_version or json.loads(body)["schema_version"],
                          sha256)
        self.collections.setdefault(collection, []).append((line, body))
        self.upstream.mount(f"{ROOT}/{line['object_path']}", body)
        return line["object_path"]

    def add_recorded_example(self) -> None:
        """The recorded MMLU-Pro index line and the object it names, bytes as published."""
        line = json.loads((EXAMPLES / "flat-index-by_collection-MMLU-Pro.jsonl").read_text())
        body = (EXAMPLES / f"flat-object-{line['object_uuid']}.json").read_bytes()
        self.collections.setdefault(line["benchmark"], []).append((line, body))
        self.upstream.mount(f"{ROOT}/{line['object_path']}", body)

    def remove(self, collection: str) -> None:
        """A collection the datastore no longer carries (its objects stay, as on the Hub)."""
        del self.collections[collection]

    def publish(self) -> None:
        """Mount the manifest of every collection as it stands."""
        self.published += 1
        lines = [line for entries in self.collections.values() for line, _ in entries]
        for path, body in manifest_files(lines, f"2026-11-{self.published:02d}T06:00:00Z").items():
            self.upstream.mount(f"{ROOT}/{path}", body)


def scale_record(model_id: str, collection: str, keys: list[str], rng: random.Random, when: int,
                 run_date: str) -> dict:
    """A record in the shape of the recorded examples, at the current schema (0.3.0), one result
    per key, provenance as the adapter cron stamps it (every_eval_ever ``cron/README.md``)."""
    developer = model_id.split("/", 1)[0]
    return {
        "schema_version": "0.3.0",
        "evaluation_id": f"{collection}/{model_id}/{when}",
        "retrieved_timestamp": str(when),
        "source_metadata": {"source_name": f"{collection} leaderboard", "source_type": "documentation",
                            "source_organization_name": collection,
                            "evaluator_relationship": rng.choice(["third_party", "first_party"]),
                            "additional_details": {"type_of_addition": "cron", "cron_run_date": run_date,
                                                   "cron_adapter": collection}},
        "eval_library": {"name": collection, "version": "unknown"},
        "model_info": {"name": model_id.split("/", 1)[1], "id": model_id, "developer": developer,
                       "additional_details": {"deployment_type": "unknown", "model_availability": "unknown"}},
        "evaluation_results": [{
            "evaluation_result_id": key, "evaluation_name": key,
            "source_data": {"dataset_name": key, "source_type": "url", "url": [f"https://example.org/{key}"]},
            "metric_config": {"evaluation_description": f"{key} accuracy", "metric_id": key,
                              "lower_is_better": False, "score_type": "continuous",
                              "min_score": 0.0, "max_score": 100.0},
            "score_details": {"score": round(rng.uniform(0, 100), 2)}} for key in keys],
    }


def write_scale_datastore(folder: Path, models: int, benchmarks: int, records: int, seed: int = 0,
                          created_at: str = "2026-11-01T06:00:00Z") -> dict[str, list[dict]]:
    """A datastore at the real size on disk, laid out under ``folder`` as the Hub serves it
    (``<folder>/<ROOT>/flat/...``): ``benchmarks`` keys over collections of up to 4, each collection's
    records a sample of the models. Returns the entries by collection (for a later change)."""
    rng = random.Random(seed)
    base = folder / ROOT.lstrip("/")
    names = [f"dev{k % 300:03d}/model-{k:05d}" for k in range(models)]
    keys = [f"bench{k:03d}.score" for k in range(benchmarks)]
    groups = [keys[k:k + 4] for k in range(0, benchmarks, 4)]
    per = records // len(groups)
    lines: dict[str, list[dict]] = {}
    made = 0
    for g, group in enumerate(groups):
        collection = f"collection-{g:03d}"
        count = records - made if g == len(groups) - 1 else per
        for model in rng.sample(names, min(count, models)):
            lines.setdefault(collection, []).append(
                write_scale_record(base, model, collection, group, rng, 1_790_000_000 + made, "2026-10-30"))
            made += 1
    publish_scale(base, lines, created_at)
    return lines


def write_scale_record(base: Path, model: str, collection: str, keys: list[str], rng: random.Random,
                       when: int, run_date: str) -> dict:
    """One record written under ``base``; its entries line."""
    body = json.dumps(scale_record(model, collection, keys, rng, when, run_date)).encode()
    object_uuid = str(uuid.UUID(int=rng.getrandbits(128), version=4))
    line = entry_line(collection, body, object_uuid, "0.3.0")
    path = base / line["object_path"]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(body)
    return line


def publish_scale(base: Path, lines: dict[str, list[dict]], created_at: str) -> None:
    """Write the manifest of ``lines`` under ``base`` (replacing latest_manifest.json)."""
    for path, body in manifest_files([x for c in sorted(lines) for x in lines[c]], created_at).items():
        target = base / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(body)


def write_folder(folder: Path, records: Iterable[dict]) -> Path:
    """Records as a benchmark author's folder of EEE aggregate JSON files."""
    folder.mkdir(parents=True, exist_ok=True)
    for k, record in enumerate(records):
        (folder / f"record-{k:04d}.json").write_bytes(record_bytes(record))
    return folder
