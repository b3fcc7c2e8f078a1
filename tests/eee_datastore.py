"""A loopback Every Eval Ever datastore built from the schema and the recorded examples.

No whole collection could be recorded (``../shared/data/every-eval-ever/SOURCE.md``),
so records are written in the shapes the EEE adapters write: ``hle`` (schema
0.3.0, accuracy and calibration error, as the ``utils/hle`` adapter emits),
``vectara-hallucination-leaderboard`` (schema 0.2.2, numbers and booleans as
strings, as some adapters write them), and the recorded MMLU-Pro object and
index line as published. Every record validates against the vendored schema.
"""

from __future__ import annotations

import hashlib
import json
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


class Datastore:
    """Collections of records served on a loopback upstream as the flat layout."""

    def __init__(self, upstream: Upstream) -> None:
        self.upstream = upstream
        self.collections: dict[str, list[tuple[dict, bytes]]] = {}

    def add(self, collection: str, body: bytes, sha256: str | None = None,
            object_uuid: str | None = None, schema_version: str | None = None) -> str:
        """Store a record; ``sha256`` overrides the index's hash (a corrupted upload)."""
        object_uuid = object_uuid or str(uuid.uuid4())
        path = f"flat/objects/{object_uuid[:2]}/{object_uuid[2:4]}/{object_uuid}.json"
        version = schema_version or json.loads(body)["schema_version"]
        line = {"benchmark": collection, "eval_schema_version": version,
                "legacy_path": f"data/{collection}/{object_uuid}.json", "object_path": path,
                "object_uuid": object_uuid, "record_type": "aggregate",
                "sha256": sha256 or hashlib.sha256(body).hexdigest(), "size_bytes": len(body)}
        self.collections.setdefault(collection, []).append((line, body))
        self.upstream.mount(f"{ROOT}/{path}", body)
        return path

    def add_recorded_example(self) -> None:
        """The recorded MMLU-Pro index line and the object it names, bytes as published."""
        line = json.loads((EXAMPLES / "flat-index-by_collection-MMLU-Pro.jsonl").read_text())
        body = (EXAMPLES / f"flat-object-{line['object_uuid']}.json").read_bytes()
        self.collections.setdefault("mmlu-pro", []).append((line, body))
        self.upstream.mount(f"{ROOT}/{line['object_path']}", body)

    def publish(self) -> None:
        """Mount every collection's index as it stands."""
        for collection, entries in self.collections.items():
            index = "".join(json.dumps(line) + "\n" for line, _ in entries).encode()
            self.upstream.mount(f"{ROOT}/flat/indexes/by_collection/{collection}.jsonl", index)

    def index_path(self, collection: str) -> str:
        return f"{ROOT}/flat/indexes/by_collection/{collection}.jsonl"


def write_folder(folder: Path, records: Iterable[dict]) -> Path:
    """Records as a benchmark author's folder of EEE aggregate JSON files."""
    folder.mkdir(parents=True, exist_ok=True)
    for k, record in enumerate(records):
        (folder / f"record-{k:04d}.json").write_bytes(record_bytes(record))
    return folder
