"""Open LLM Leaderboard v1 (archived June 2024).

The recorded snapshot is the leaderboard's final table (the Gradio page's
data, 0-100 scores, one row per evaluated model with its submission date).
Live, the same results come from the archived Hugging Face dataset
``open-llm-leaderboard-old/results`` (one lm-eval-harness JSON per
evaluation, 0-1 scores) and the model types from ``.../requests``; both paths
end in the same rows, scaled as the leaderboard published them (0-100).

Every row is dated by its submission, so replaying the one final table
reconstructs the leaderboard's history month by month.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator, Mapping
from datetime import UTC, date, datetime, time
from pathlib import Path, PurePosixPath

import pandas as pd

from benchwatch.records import ParsedBatch, Previous, Snapshot
from benchwatch.sources.base import ParseError, Source, dedupe_models, json_document, require_columns, tidy
from benchwatch.sources.http import HF_HUB, HttpClient
from benchwatch.upstreams import UPSTREAMS

RECORDED = "open-llm-leaderboard-v1/open_llm_leaderboard_v1_2024-06-19.csv"
RECORDED_AT = datetime(2024, 6, 19)
BENCHMARKS = ("arc", "hellaswag", "mmlu", "truthfulqa", "winogrande", "gsm8k")
# The leaderboard's type column, emoji and all, to model sets; base versus
# chat where the label says so.
TYPES = {
    "pretrained": ("pretrained", "base"),
    "continuously pretrained": ("pretrained", "base"),
    "fine-tuned": ("fine-tuned", None),
    "chat": ("chat", "chat"),
    "instruction-tuned": ("chat", "chat"),
    "merges": ("merges", None),
    "base merges": ("merges", None),
}
# lm-eval-harness task keys of the results JSON, and the metric the
# leaderboard displayed for each.
HARNESS = {
    "arc": ("harness|arc:challenge|25", "acc_norm"),
    "hellaswag": ("harness|hellaswag|10", "acc_norm"),
    "truthfulqa": ("harness|truthfulqa:mc|0", "mc2"),
    "winogrande": ("harness|winogrande|5", "acc"),
    "gsm8k": ("harness|gsm8k|5", "acc"),
}
MMLU_PREFIX = "harness|hendrycksTest-"
MMLU_SUBJECTS = 57
MISSING = ["", "NaN", "nan", "NA", "N/A", "null", "None"]
# results_2023-10-24T06-25-14.876231.json: the evaluation's time is in the name.
RESULT_STAMP = re.compile(r"results_(\d{4}-\d{2}-\d{2})T(\d{2}-\d{2}-\d{2})")


def _rows_submitted_by(content: bytes, until: date) -> bytes:
    """The header and the table's lines whose submission date is on or before ``until``."""
    lines = content.decode("utf-8").splitlines(keepends=True)
    date_index = next(csv.reader([lines[0]])).index("date")
    kept = [lines[0]]
    for line in lines[1:]:
        submitted = next(csv.reader([line]))[date_index][:10]
        if submitted and submitted <= until.isoformat():
            kept.append(line)
    return "".join(kept).encode("utf-8")


def model_set_of(type_label: object) -> tuple[str, str | None]:
    """'🟢 pretrained' or 'pretrained' -> ('pretrained', 'base'); unknown -> ('unknown', None)."""
    text = str(type_label or "").lower()
    for key in sorted(TYPES, key=len, reverse=True):
        if key in text:
            return TYPES[key]
    return ("unknown", None)


class OpenLLMLeaderboardV1(Source):
    name = "open-llm-leaderboard-v1"
    liveness, license, attribution = UPSTREAMS[name]
    homepage = "https://huggingface.co/spaces/open-llm-leaderboard-old/open_llm_leaderboard"
    endpoints = {"hub": HF_HUB}

    def replay(self, data_dir: Path, until: date | None = None) -> Iterator[Snapshot]:
        """The final table; with ``until`` before it, only the rows submitted by then.

        The archive is one table whose rows carry their submission dates, so the
        leaderboard as it stood on ``until`` is the table cut at that date (the
        recorded lines kept byte for byte, dated ``until``). A later replay then
        brings the rest as new data, as the live leaderboard did.
        """
        path = Path(data_dir) / RECORDED
        if not path.is_file():
            raise ParseError(self.name, str(path), "recorded file is missing")
        content = path.read_bytes()
        if until is None or until >= RECORDED_AT.date():
            yield Snapshot(self.name, RECORDED_AT.date().isoformat(), RECORDED_AT, str(path),
                           {path.name: content})
            return
        cut = _rows_submitted_by(content, until)
        yield Snapshot(self.name, f"{RECORDED_AT.date()} cut at {until}", datetime.combine(until, time()),
                       str(path), {path.name: cut})

    def fetch(self, http: HttpClient, previous: Mapping[str, Previous]) -> Iterator[Snapshot]:
        hub = self.urls["hub"]
        info_url = f"{hub}/api/datasets/open-llm-leaderboard-old/results"
        last = previous.get(info_url)
        # Only the commit sha (``expand``): a body that changes only when the
        # repo does, so its ETag answers a conditional request with a 304.
        info = http.get(info_url, previous=last, params={"expand": "sha"})
        now = datetime.now(UTC).replace(tzinfo=None)
        if info.not_modified:
            yield Snapshot(self.name, "unchanged", now, info_url, {}, mode="live",
                           http_status=304, etag=info.etag, not_modified=True)
            return
        sha = json_document(info.content, self.name, info_url).get("sha")
        # A server that sends no ETag, or ignores If-None-Match, is still
        # caught by the sha: the validator is the ETag, else the quoted sha.
        validator = info.etag or (f'"{sha}"' if sha else None)
        if validator and last is not None and last.etag == validator:
            yield Snapshot(self.name, sha or "unchanged", now, info_url, {}, mode="live",
                           http_status=info.status, etag=validator, not_modified=True)
            return
        files: dict[str, bytes] = {}
        # Results: one folder per model, one file per evaluation (keep the newest).
        # Requests: one folder per organization, one file per submitted model.
        for dataset, newest_only in (("results", True), ("requests", False)):
            for path in self._tree(http, hub, dataset, newest_only):
                url = f"{hub}/datasets/open-llm-leaderboard-old/{dataset}/resolve/main/{path}"
                files[f"{dataset}/{path}"] = http.get(url).content
        yield Snapshot(self.name, sha or "live", now, info_url, files,
                       mode="live", http_status=info.status, etag=validator)

    def _tree(self, http: HttpClient, hub: str, dataset: str, newest_only: bool) -> list[str]:
        """JSON files of a dataset repo (only the newest per folder if asked), across pages."""
        url: str | None = f"{hub}/api/datasets/open-llm-leaderboard-old/{dataset}/tree/main"
        params: dict[str, str | int] | None = {"recursive": "true"}
        files: dict[str, str] = {}
        while url:
            page = http.get(url, params=params)
            for entry in json_document(page.content, self.name, url):
                path = entry.get("path", "")
                if entry.get("type") == "file" and path.endswith(".json"):
                    key = str(PurePosixPath(path).parent) if newest_only else path
                    files[key] = max(files.get(key, ""), path)
            url, params = page.next_url, None
        return sorted(files.values())

    def parse(self, snapshot: Snapshot) -> ParsedBatch:
        if any(name.endswith(".csv") for name in snapshot.files):
            name = next(n for n in snapshot.files if n.endswith(".csv"))
            wide, warnings = self._table(snapshot.files[name], f"{snapshot.location}")
        else:
            wide, warnings = self._results(snapshot)
        wide["date"] = pd.to_datetime(wide["date"], errors="coerce", utc=True, format="ISO8601").dt.tz_localize(None)
        undated = wide["date"].isna()
        if undated.any():
            warnings.append(f"{int(undated.sum())} row(s) without a submission date: "
                            f"dated at the snapshot ({snapshot.observed_at:%Y-%m-%d})")
            wide.loc[undated, "date"] = snapshot.observed_at
        wide, notes = dedupe_models(wide, "model", "date", "one per precision")
        warnings += notes
        rows, notes = tidy(wide, "model", {c: c for c in BENCHMARKS}, wide["date"],
                           self.name, snapshot.location)
        sets = wide["type"].map(model_set_of)
        models = pd.DataFrame({
            "model": wide["model"].astype(str),
            "model_set": [s for s, _ in sets],
            "model_type": [t for _, t in sets],
            "display_name": wide["model"].astype(str),
        })
        unknown = int((models["model_set"] == "unknown").sum())
        if unknown:
            warnings.append(f"{unknown} model(s) without a known type: model set 'unknown'")
        return ParsedBatch(rows, models.reset_index(drop=True), warnings + notes)

    def _table(self, content: bytes, location: str) -> tuple[pd.DataFrame, list[str]]:
        try:
            # A model is whatever its name says ("00", "NA" included): only the
            # other columns read the usual missing-value markers.
            wide = pd.read_csv(io.BytesIO(content), dtype={"model": str, "type": str, "date": str},
                               keep_default_na=False,
                               na_values={c: MISSING for c in (*BENCHMARKS, "type", "date")})
        except (UnicodeDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
            raise ParseError(self.name, location, f"not a readable CSV: {exc}") from None
        require_columns(wide, ("model", "type", "date", *BENCHMARKS), self.name, location)
        return wide, []

    def _results(self, snapshot: Snapshot) -> tuple[pd.DataFrame, list[str]]:
        """lm-eval-harness result files (+ request files for the type) to the table's shape."""
        types: dict[str, str] = {}
        records = []
        warnings: list[str] = []
        for name, content in sorted(snapshot.files.items()):
            location = f"{snapshot.location} {name}"
            doc = json_document(content, self.name, location)
            if name.startswith("requests/"):
                types[str(doc.get("model", ""))] = str(doc.get("model_type", ""))
                continue
            config = doc.get("config_general", {})
            results = doc.get("results")
            if not isinstance(results, dict):
                raise ParseError(self.name, location, "no 'results' object", column="results")
            stamp = RESULT_STAMP.search(name)
            record: dict[str, object] = {
                "model": config.get("model_name") or str(PurePosixPath(name).parent)[len("results/"):],
                "date": stamp.group(1) + "T" + stamp.group(2).replace("-", ":") if stamp else None,
            }
            for benchmark, (task, metric) in HARNESS.items():
                value = results.get(task, {}).get(metric)
                record[benchmark] = None if value is None else 100.0 * float(value)
            mmlu = [v.get("acc") for k, v in results.items() if k.startswith(MMLU_PREFIX)]
            mmlu = [float(v) for v in mmlu if v is not None]
            record["mmlu"] = 100.0 * sum(mmlu) / len(mmlu) if len(mmlu) == MMLU_SUBJECTS else None
            if mmlu and len(mmlu) != MMLU_SUBJECTS:
                warnings.append(f"{record['model']}: {len(mmlu)} of {MMLU_SUBJECTS} MMLU subjects, MMLU left out")
            records.append(record)
        wide = pd.DataFrame.from_records(records, columns=["model", "date", *BENCHMARKS])
        if wide.empty:
            raise ParseError(self.name, snapshot.location, "no result file in the dataset")
        # A task missing from one file is an evaluation not run; from every file, a renamed key.
        for benchmark in BENCHMARKS:
            if wide[benchmark].isna().all():
                task = HARNESS[benchmark][0] if benchmark in HARNESS else f"{MMLU_PREFIX}*"
                raise ParseError(self.name, snapshot.location,
                                 f"no result file has task {task!r}: the harness keys changed upstream",
                                 column=benchmark)
        wide["type"] = wide["model"].map(types)
        return wide, warnings
