"""Every source's live upstream, built from a recorded table that a fault case may edit first.

One ``Wire`` per source: the recorded rows as a frame (one row per model),
how that frame is served in the source's wire format (CSV, JSON trees, HELM
tables, parquet behind a dataset-viewer listing, a ZIP of CSVs), and where
the faults go: ``fault_path`` is the payload the HTTP faults hit,
``file_path`` the file a cut-in-half case cuts,
and ``score`` the column the bad-input cases break (its scale may have no
bounds, as Elo ratings do). The builders are the source tests' own.
"""

from __future__ import annotations

import io
import json
import math
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from benchwatch.sources.base import SCALE_BOUNDS
from benchwatch.sources.open_llm_v1 import BENCHMARKS
from tests.eee_datastore import ROOT as EEE_ROOT
from tests.eee_datastore import Datastore, hle_record, record_bytes
from tests.loopback import Upstream
from tests.sources import epoch_current, test_epoch, test_helm, test_lmarena, test_open_llm_v2
from tests.sources.test_safetywashing import RAW

NOT_UTF8 = b"\xff\xfe"


@dataclass(frozen=True)
class Wire:
    source: str
    model: str  # the frame's model-name column
    score: str  # a score column the bad-input cases break
    scale: str  # its published scale (bounded when a key of SCALE_BOUNDS)
    fault_path: str
    file_path: str
    container: str  # what the cut file is: "csv", "json", "parquet" or "zip"
    frame: Callable[[Path], pd.DataFrame]
    # Serve the frame; with ``not_utf8`` a text part of the payload carries bytes that are not UTF-8.
    mount: Callable[[Upstream, pd.DataFrame, bool], None]
    label: str = ""  # what the upstream calls the score column, when not its frame name
    # The broken table is one file of several (an Epoch ZIP): it fails alone and the rest is stored.
    one_of_several: str = ""
    fixed_columns: bool = True  # False: records list their own results (EEE), no fixed columns
    settings: tuple[tuple[str, object], ...] = ()  # settings the source reads (EEE: its collections)

    @property
    def score_names(self) -> tuple[str, ...]:
        return (self.score, self.label) if self.label else (self.score,)

    @property
    def bounds(self) -> tuple[float, float] | None:
        return SCALE_BOUNDS.get(self.scale)


def _corrupt(body: bytes) -> bytes:
    """Invalid UTF-8 after the first line (CSV) or inside the first string (JSON)."""
    cut = body.find(b"\n") + 1 or body.find(b'"') + 1
    return body[:cut] + NOT_UTF8 + body[cut:]


# -- safetywashing-paper: two CSVs on GitHub ------------------------------------------------

SW_CHAT = f"{RAW}/benchmarks_chat_models.csv"
SW_BASE = f"{RAW}/benchmarks_base_models.csv"


def _sw_frame(data: Path) -> pd.DataFrame:
    return pd.read_csv(data / "safetywashing" / "benchmarks_chat_models.csv")


def _sw_mount(data: Path) -> Callable[[Upstream, pd.DataFrame, bool], None]:
    def mount(upstream: Upstream, frame: pd.DataFrame, not_utf8: bool) -> None:
        chat = frame.to_csv(index=False).encode()
        upstream.mount(SW_CHAT, _corrupt(chat) if not_utf8 else chat, "text/csv")
        upstream.mount(SW_BASE, (data / "safetywashing" / "benchmarks_base_models.csv").read_bytes(), "text/csv")
    return mount


# -- open-llm-leaderboard-v1: repo info, paginated trees, one JSON per evaluation ------------

V1_HUB = "/huggingface.co"
V1_INFO = f"{V1_HUB}/api/datasets/open-llm-leaderboard-old/results"
V1_HARNESS = {"arc": ("harness|arc:challenge|25", "acc_norm"), "hellaswag": ("harness|hellaswag|10", "acc_norm"),
              "truthfulqa": ("harness|truthfulqa:mc|0", "mc2"), "winogrande": ("harness|winogrande|5", "acc"),
              "gsm8k": ("harness|gsm8k|5", "acc")}
V1_TYPES = {"pretrained": "🟢 : pretrained", "fine-tuned": "🔶 : fine-tuned", "chat": "💬 : chat models",
            "merges": "🤝 : base merges and moerges"}


def _v1_frame(data: Path) -> pd.DataFrame:
    raw = pd.read_csv(data / "open-llm-leaderboard-v1" / "open_llm_leaderboard_v1_2024-06-19.csv")
    raw = raw[~raw["model"].duplicated(keep=False) & raw["type"].notna() & raw["date"].notna()]
    return raw[["model", "type", "date", *BENCHMARKS]].iloc[::300].head(20).reset_index(drop=True)


def _v1_file(i: int) -> str:
    """A path-safe folder per row: the model's name travels in the JSON, as upstream."""
    return f"org{i}/model{i}/results_2024-01-01T00-00-00.000000.json"


def _v1_mount(upstream: Upstream, frame: pd.DataFrame, not_utf8: bool) -> None:
    upstream.mount(V1_INFO, json.dumps({"sha": "v1-faults"}).encode())
    results, requests = [], []
    for i, row in enumerate(frame.to_dict("records")):
        scores = {}
        for column, value in row.items():
            if column in ("model", "type", "date") or column.startswith("Unnamed"):
                continue
            if column == "mmlu":
                scores.update({f"harness|hendrycksTest-s{k}|5": {"acc": value / 100} for k in range(57)})
            else:  # an unknown column travels under its own task key, as a renamed task would
                task, metric = V1_HARNESS.get(column, (f"harness|{column}|0", "acc"))
                scores[task] = {metric: value / 100}
        doc = {"config_general": {"model_name": row["model"]}, "results": scores}
        body = json.dumps(doc).encode()
        upstream.mount(f"{V1_HUB}/datasets/open-llm-leaderboard-old/results/resolve/main/{_v1_file(i)}",
                       _corrupt(body) if not_utf8 and i == 0 else body)
        results.append({"type": "file", "path": _v1_file(i)})
        request = f"org{i}/model{i}_eval_request_False_float16_Original.json"
        upstream.mount(f"{V1_HUB}/datasets/open-llm-leaderboard-old/requests/resolve/main/{request}",
                       json.dumps({"model": row["model"], "model_type": V1_TYPES.get(row["type"], "")}).encode())
        requests.append({"type": "file", "path": request})
    for dataset, entries in (("results", results), ("requests", requests)):
        upstream.mount(f"{V1_HUB}/api/datasets/open-llm-leaderboard-old/{dataset}/tree/main?recursive=true",
                       json.dumps(entries).encode())


# -- open-llm-leaderboard-v2: the contents dataset's parquet behind the viewer's listing -------

def _v2_frame(data: Path) -> pd.DataFrame:
    return test_open_llm_v2.contents_table(test_open_llm_v2.raw("2025-03-21")).to_pandas().head(60)


def _v2_mount(upstream: Upstream, frame: pd.DataFrame, not_utf8: bool) -> None:
    content = test_open_llm_v2.parquet_bytes(pa.Table.from_pandas(frame, preserve_index=False))
    test_open_llm_v2.serve_parquet(upstream, content)
    if not_utf8:
        listing = upstream.routes[test_open_llm_v2.LISTING]
        upstream.mount(test_open_llm_v2.LISTING, _corrupt(listing.body))


# -- helm-safety and helm-capabilities: project index, release summary, leaderboard JSON ------

SAFETY_HEADERS = dict(zip(test_helm.SCORE_COLUMNS, test_helm.tex_table("v1.0.0")[0][1:], strict=True))
CAPABILITY_HEADERS = {k: " - ".join(v) for k, v in test_helm.CAPABILITY_HEADERS.items()}


def _helm_table(frame: pd.DataFrame, model: str, headers: dict[str, str]) -> dict:
    columns = [c for c in frame.columns if c not in (model, "release")]
    rows = [(row[model], [None if pd.isna(row[c]) else float(row[c]) for c in columns])
            for row in frame.to_dict("records")]
    # An unknown column is served under a header HELM never used, as a renamed metric would be.
    return test_helm.helm_table([headers.get(c, f"{c} - renamed metric") for c in columns], rows)


def _helm_mount(project: str, release: str, day: str, table: str, model: str, headers: dict[str, str]
                ) -> Callable[[Upstream, pd.DataFrame, bool], None]:
    def mount(upstream: Upstream, frame: pd.DataFrame, not_utf8: bool) -> None:
        index = [{"title": project.title(), "description": "", "id": project, "releases": [release]}]
        upstream.mount(test_helm.INDEX, test_helm.to_bytes(index))
        summary = {"release": release, "suites": [release], "date": day}
        upstream.mount(test_helm.release_path(project, release, "summary.json"), test_helm.to_bytes(summary))
        body = json.dumps(_helm_table(frame, model, headers), allow_nan=True).encode()
        upstream.mount(test_helm.release_path(project, release, table), _corrupt(body) if not_utf8 else body)
    return mount


def _safety_frame(data: Path) -> pd.DataFrame:
    return test_helm.safety_releases()["v1.17.0"].reset_index(drop=True)


def _capabilities_frame(data: Path) -> pd.DataFrame:
    models = json.loads(test_helm.CAPABILITIES_JSON.read_bytes())["models"]
    return pd.DataFrame([{"model": label, **{k: scores.get(k, math.nan) for k in CAPABILITY_HEADERS}}
                         for label, scores in models.items()])


SAFETY_TABLE = "groups/json/safety_scenarios_accuracy.json"
CAPABILITIES_TABLE = "groups/json/core_scenarios_accuracy.json"


# -- lmarena: the leaderboard dataset's parquet behind the viewer's listing ------------------

def _arena_frame(data: Path) -> pd.DataFrame:
    return pd.DataFrame(test_lmarena.arena_rows("2025-07-18"))


def _arena_mount(upstream: Upstream, frame: pd.DataFrame, not_utf8: bool) -> None:
    buffer = io.BytesIO()
    pq.write_table(pa.Table.from_pandas(frame, preserve_index=False), buffer)
    test_lmarena.serve(upstream, buffer.getvalue())
    if not_utf8:
        upstream.mount(test_lmarena.LISTING, _corrupt(upstream.routes[test_lmarena.LISTING].body))


# -- epoch: one ZIP of CSVs, in the layout served since mid-2026 -------------------------------

EPOCH_TABLE = "gpqa_diamond.csv"
EPOCH_SCORE = epoch_current.EPOCH_RUN_SCORE  # the headline benchmark_metadata.csv names


@cache
def _epoch_files() -> dict[str, bytes]:
    return epoch_current.current_layout()


def _epoch_frame(data: Path) -> pd.DataFrame:
    return pd.read_csv(test_epoch.APRIL / EPOCH_TABLE, dtype={"Model version": str}, keep_default_na=False,
                       na_values={EPOCH_SCORE: [""]})


def _epoch_mount(upstream: Upstream, frame: pd.DataFrame, not_utf8: bool) -> None:
    table = frame.to_csv(index=False).encode()
    files = {**_epoch_files(), EPOCH_TABLE: _corrupt(table) if not_utf8 else table}
    test_epoch.serve(upstream, test_epoch.zip_of(files))


# -- every-eval-ever: a flat collection index and the records it names -------------------------

EEE_SCORE = "hle.calibration_error"
EEE_MANIFEST = f"{EEE_ROOT}/flat/latest_manifest.json"


def _eee_frame(data: Path) -> pd.DataFrame:
    """Twelve models' HLE accuracy and calibration error, one row per model."""
    return pd.DataFrame({"model": [f"lab-{k}/model-{'x' * k}" for k in range(12)],
                         "hle.accuracy": [2.0 + 1.5 * k for k in range(12)],
                         EEE_SCORE: [90.0 - 2.5 * k for k in range(12)]})


def _eee_mount(upstream: Upstream, frame: pd.DataFrame, not_utf8: bool) -> None:
    """The hle collection built from the frame (every score column a result, as the adapter writes
    them); the source follows that one collection (``Wire.settings``)."""
    store = Datastore(upstream)
    for k, row in enumerate(frame.to_dict("records")):
        record = hle_record(str(row["model"]), str(row["model"]), 0.0, 0.0, 1777000000 + k)
        template = record["evaluation_results"][0]
        record["evaluation_results"] = [
            {**template, "metric_config": {**template["metric_config"], "metric_id": column,
                                           "lower_is_better": column == EEE_SCORE},
             "score_details": {"score": float(value)}}
            for column, value in row.items() if column != "model" and pd.notna(value)]
        body = record_bytes(record)
        store.add("hle", _corrupt(body) if not_utf8 and k == 0 else body,
                  object_uuid=f"{k:08d}-0000-4000-8000-000000000000", schema_version="0.3.0")
    store.publish()


def wires(data: Path) -> dict[str, Wire]:
    """Every source, keyed by its registry name."""
    v1_file = f"{V1_HUB}/datasets/open-llm-leaderboard-old/results/resolve/main/{_v1_file(0)}"
    safety_table = test_helm.release_path("safety", "v1.17.0", SAFETY_TABLE)
    capabilities_table = test_helm.release_path("capabilities", "v1.0.0", CAPABILITIES_TABLE)
    return {w.source: w for w in [
        Wire("safetywashing-paper", "model", "mmlu", "0-1", SW_CHAT, SW_CHAT, "csv", _sw_frame, _sw_mount(data)),
        Wire("open-llm-leaderboard-v1", "model", "arc", "0-100", V1_INFO, v1_file, "json", _v1_frame, _v1_mount),
        Wire("open-llm-leaderboard-v2", "fullname", "IFEval", "0-100", test_open_llm_v2.PARQUET,
             test_open_llm_v2.PARQUET, "parquet", _v2_frame, _v2_mount),
        Wire("helm-safety", "model_display_name", "bbq_accuracy", "0-1", safety_table, safety_table, "json",
             _safety_frame, _helm_mount("safety", "v1.17.0", "2025-11-06", SAFETY_TABLE, "model_display_name",
                                        SAFETY_HEADERS), label="BBQ"),
        Wire("helm-capabilities", "model", "mmlu_pro", "0-1", capabilities_table, capabilities_table, "json",
             _capabilities_frame, _helm_mount("capabilities", "v1.0.0", "2025-11-25", CAPABILITIES_TABLE, "model",
                                              CAPABILITY_HEADERS), label="MMLU-Pro"),
        Wire("lmarena", "model_name", "rating", "elo", test_lmarena.LATEST, test_lmarena.LATEST, "parquet",
             _arena_frame, _arena_mount),
        Wire("epoch", "Model version", EPOCH_SCORE, "0-1", test_epoch.ZIP_PATH, test_epoch.ZIP_PATH, "zip",
             _epoch_frame, _epoch_mount, one_of_several=EPOCH_TABLE),
        Wire("every-eval-ever", "model", EEE_SCORE, "0-100", EEE_MANIFEST, EEE_MANIFEST, "json", _eee_frame,
             _eee_mount, fixed_columns=False, settings=(("eee_collections", ["hle"]),)),
    ]}
