"""Open LLM Leaderboard v2 (Hugging Face, June 2024 to its retirement in March 2025).

Live, the leaderboard's table is the Hugging Face dataset
``open-llm-leaderboard/contents``, read through the dataset viewer: the
``/parquet`` listing names the auto-converted parquet file(s), which are then
downloaded; when the listing is unavailable the same rows are paged out of
``/rows`` (100 a call). An unchanged upstream costs the one listing request:
a 304 on its ETag/Last-Modified, or, when it carries no validator, the same set
of parquet files (URL, size) as last time.

The recorded snapshots are daily CSV scrapes in two older column layouts (the
Gradio page until 2024-12-10, then the Space's ``/api/leaderboard/formatted``
JSON flattened with ``_``), so the parser maps three layouts onto one schema,
and says so in a warning for the older two.

Scores: every layout publishes, per benchmark, the raw score (0-1) and the
leaderboard's normalized score (0-100; for BBH, GPQA, MuSR and MMLU-Pro the
random baseline is subtracted and the rest rescaled, for IFEval and MATH it is
the raw score x 100), under names that say which is which. The normalized score
is what the leaderboard ranked and averaged, and the only one published at full
precision in every layout (the Gradio scrape rounds raw scores to two decimals,
0.8), so it is the value stored, on its published 0-100 scale. All six are the
source's capability benchmarks; v2 has no safety benchmark.

Models are named by their Hugging Face repo id (``fullname``), the key other
sources join on. A repo evaluated more than once (bfloat16 and float16, or a
new revision) keeps its earliest submission, so the kept evaluation stays the
same from one snapshot to the next. Each value is dated by its row's
submission date (every layout has one); rows without one take the snapshot's
date: the file's date in replay, the parquet file's Last-Modified live.

The leaderboard retroactively rescored MATH Lvl 5 twice (2024-11-08 and
2025-02-14). The parser emits each snapshot's values as published, so storage
records a rescoring as revisions of the earlier values.
"""

from __future__ import annotations

import hashlib
import io
import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from email.utils import parsedate_to_datetime
from pathlib import Path
from urllib.parse import urlencode

import pandas as pd
import pyarrow as pa

from benchwatch.records import ParsedBatch, Previous, Snapshot
from benchwatch.sources.base import ParseError, Source, dedupe_models, json_document, require_columns, tidy
from benchwatch.sources.http import HF_ENDPOINTS, FetchError, HttpClient
from benchwatch.upstreams import UPSTREAMS

DATASET = "open-llm-leaderboard/contents"
CONFIG, SPLIT = "default", "train"
PAGE_LENGTH = 100  # the dataset viewer's maximum for /rows
SNAPSHOTS = "open-llm-leaderboard-v2/snapshots"
SNAPSHOT_NAME = re.compile(r"open_llm_leaderboard_v2_(\d{4}-\d{2}-\d{2})\.csv$")
# A stand-in ETag for a listing served without one: the set of parquet files
# (URL and size) it names. Recognised by its prefix so it is never sent upstream.
FINGERPRINT_PREFIX = 'W/"benchwatch-parquet-set:'


@dataclass(frozen=True)
class Layout:
    """Where one column layout keeps what the parser needs."""

    label: str
    model: str
    type: str
    submitted: str
    # Stored benchmark key (the dataset's column name) -> this layout's column.
    scores: Mapping[str, str]
    # Only to order duplicate evaluations of one repo; used when present.
    tiebreak: tuple[str, ...]

    @property
    def required(self) -> tuple[str, ...]:
        return (self.model, self.type, self.submitted, *self.scores.values())


BENCHMARKS = ("IFEval", "BBH", "MATH Lvl 5", "GPQA", "MUSR", "MMLU-PRO")
DATASET_LAYOUT = Layout(
    label="dataset open-llm-leaderboard/contents",
    model="fullname",
    type="Type",
    submitted="Submission Date",
    scores={b: b for b in BENCHMARKS},
    tiebreak=("Precision", "Model sha", "Chat Template"),
)
API_LAYOUT = Layout(
    label="Space API /api/leaderboard/formatted, flattened (2024-12-11 to 2025-03)",
    model="model_name",
    type="model_type",
    submitted="metadata_submission_date",
    scores=dict(zip(BENCHMARKS, (
        f"evaluations_{key}_normalized_score"
        for key in ("ifeval", "bbh", "math", "gpqa", "musr", "mmlu_pro")
    ), strict=True)),
    tiebreak=("model_precision", "model_sha", "model_has_chat_template"),
)
GRADIO_LAYOUT = Layout(
    label="Gradio page scrape (2024-07 to 2024-12-10)",
    model="fullname",
    type="type",
    submitted="submission_date",
    # Unsuffixed columns are the normalized scores; the raw ones end in _raw.
    scores=dict(zip(BENCHMARKS, ("ifeval", "bbh", "math_lvl_5", "gpqa", "musr", "mmlupro"),
                    strict=True)),
    tiebreak=("precision", "model_sha", "chat_template"),
)
LAYOUTS = (DATASET_LAYOUT, API_LAYOUT, GRADIO_LAYOUT)
# The type column, reduced to lowercase letters ("💬 chat models (RLHF, DPO,
# IFT, ...)" and the API's "chatmodels" both start "chatmodels"), first match
# wins: (needle, model set, model type). Only pretrained and chat say base or chat.
TYPE_RULES = (
    ("chat", "chat", "chat"),
    ("finetuned", "fine-tuned", None),
    ("merge", "merges", None),
    ("continuouslypretrained", "continuously-pretrained", "base"),
    ("pretrained", "pretrained", "base"),
    ("multimodal", "multimodal", None),
    ("other", "other", None),
)
PRECISION_ORDER = {"bfloat16": 0, "float16": 1}


def model_set_of(type_label: object) -> tuple[str, str | None]:
    """The leaderboard's type label, in any layout, to (model set, model type)."""
    letters = re.sub(r"[^a-z]", "", str(type_label).lower()) if pd.notna(type_label) else ""
    for needle, model_set, model_type in TYPE_RULES:
        if needle in letters:
            return model_set, model_type
    return "unknown", None


def listing_fingerprint(files: list[dict]) -> str:
    """A stand-in ETag for the set of parquet files (URL, size) a listing names."""
    pairs = sorted((str(f.get("url")), str(f.get("size"))) for f in files)
    digest = hashlib.sha256(json.dumps(pairs).encode()).hexdigest()[:32]
    return f'{FINGERPRINT_PREFIX}{digest}"'


def not_ready(exc: FetchError) -> bool:
    """The dataset viewer's 500 ResponseNotReady: the response is still being computed."""
    text = str(exc).lower()
    return exc.status == 500 and ("responsenotready" in text or "not ready" in text)


def utcnow() -> datetime:
    """Naive UTC, the convention of every timestamp Benchwatch stores."""
    return datetime.now(UTC).replace(tzinfo=None)


def http_date(value: str | None) -> datetime | None:
    """A Last-Modified header as naive UTC; None when absent or unreadable."""
    if not value:
        return None
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return when.astimezone(UTC).replace(tzinfo=None) if when.tzinfo else when


class OpenLLMLeaderboardV2(Source):
    name = "open-llm-leaderboard-v2"
    liveness, license, attribution = UPSTREAMS[name]
    homepage = "https://huggingface.co/spaces/open-llm-leaderboard/open_llm_leaderboard"
    endpoints = HF_ENDPOINTS
    pooled = True

    # --- replay -----------------------------------------------------------

    def replay(self, data_dir: Path, until: date | None = None) -> Iterator[Snapshot]:
        folder = Path(data_dir) / SNAPSHOTS
        dated = sorted(
            (date.fromisoformat(match.group(1)), path)
            for path in folder.glob("*.csv")
            if (match := SNAPSHOT_NAME.search(path.name))
        )
        if not dated:
            raise ParseError(self.name, str(folder), "no recorded snapshot found")
        for day, path in dated:
            if until is not None and day > until:
                continue
            yield Snapshot(self.name, f"{day.isoformat()} scrape",
                           datetime(day.year, day.month, day.day), str(path),
                           {path.name: path.read_bytes()})

    # --- live -------------------------------------------------------------

    def _url(self, endpoint: str, params: dict[str, str | int]) -> str:
        # The query is part of the location (and of the file names), so it is
        # built here, readable ("open-llm-leaderboard/contents"), and stable.
        return f"{self.urls['viewer']}/{endpoint}?{urlencode(params, safe='/')}"

    def fetch(self, http: HttpClient, previous: Mapping[str, Previous]) -> Iterator[Snapshot]:
        listing_url = self._url("parquet", {"dataset": DATASET})
        last = previous.get(listing_url)
        conditional = last
        if last is not None and last.etag and last.etag.startswith(FINGERPRINT_PREFIX):
            conditional = Previous(last_modified=last.last_modified)
        try:
            listing = http.get(listing_url, conditional)
        except FetchError as exc:
            yield self._rows(http, f"parquet listing unavailable: {exc}")
            return
        if listing.not_modified:
            # Keep the stored tag, which may be the fingerprint not sent upstream.
            yield Snapshot(self.name, "unchanged", utcnow(), listing_url, {}, mode="live",
                           http_status=304, etag=last.etag if last else listing.etag,
                           last_modified=listing.last_modified, not_modified=True)
            return
        doc = json_document(listing.content, self.name, listing_url)
        if not isinstance(doc, dict) or not isinstance(doc.get("parquet_files"), list):
            raise ParseError(self.name, listing_url, "no 'parquet_files' list", column="parquet_files")
        if doc.get("partial"):
            # A partial export holds only the first rows; /rows reads the same
            # export, so there is nothing complete to fall back on.
            raise ParseError(self.name, listing_url, "the parquet export is partial",
                             column="partial")
        files = [f for f in doc["parquet_files"]
                 if isinstance(f, dict) and f.get("config") == CONFIG and f.get("split") == SPLIT]
        if not files:
            yield self._rows(http, f"no {CONFIG}/{SPLIT} parquet file listed")
            return
        fingerprint = listing_fingerprint(files)
        etag = listing.etag or fingerprint
        if last is not None and last.etag == fingerprint:
            yield Snapshot(self.name, "unchanged", utcnow(), listing_url, {}, mode="live",
                           http_status=listing.status, etag=etag,
                           last_modified=listing.last_modified, not_modified=True)
            return
        payload = {listing_url: listing.content}
        stamps = []
        for entry in files:
            # Keyed by the URL asked for: the hub redirects to short-lived CDN URLs.
            url = self._hub_url(str(entry.get("url")), listing_url)
            got = http.get(url)
            payload[url] = got.content
            stamp = http_date(got.last_modified)
            if stamp is not None:
                stamps.append(stamp)
        # Data time: when the parquet export of this state was written, else now.
        observed = max(stamps) if stamps else utcnow()
        yield Snapshot(self.name, f"parquet export {observed:%Y-%m-%d}", observed, listing_url,
                       payload, mode="live", http_status=listing.status, etag=etag,
                       last_modified=listing.last_modified)

    def _hub_url(self, url: str, listing_url: str) -> str:
        """A listed parquet URL, on the hub endpoint (rebased in tests); other hosts refused."""
        hub = self.endpoints["hub"]
        if not url.startswith(hub + "/"):
            raise ParseError(self.name, listing_url, f"parquet URL not on {hub}: {url[:120]!r}",
                             column="parquet_files.url")
        return self.urls["hub"] + url[len(hub):]

    def _rows(self, http: HttpClient, reason: str) -> Snapshot:
        """All rows through /rows, 100 a call: the fallback when parquet is unavailable."""
        payload: dict[str, bytes] = {}
        offset, total = 0, None
        while total is None or offset < total:
            url = self._url("rows", {"dataset": DATASET, "config": CONFIG, "split": SPLIT,
                                     "offset": offset, "length": PAGE_LENGTH})
            try:
                page = http.get(url)
            except FetchError as exc:
                problem = ("the dataset viewer has not computed this response yet "
                           "(ResponseNotReady), still after retries with backoff; retry later"
                           if not_ready(exc) else str(exc).removeprefix(f"{url}: "))
                raise FetchError(url, f"{problem} (reading /rows because {reason})",
                                 exc.status) from exc
            doc = json_document(page.content, self.name, url)
            count = doc.get("num_rows_total") if isinstance(doc, dict) else None
            rows = doc.get("rows") if isinstance(doc, dict) else None
            if not isinstance(count, int) or not isinstance(rows, list):
                raise ParseError(self.name, url, "not a /rows page (num_rows_total, rows)",
                                 column="rows")
            if total is not None and count != total:
                raise FetchError(url, f"the dataset changed while paging ({total} then {count} "
                                 "rows); retry later")
            total = count
            payload[url] = page.content
            if not rows:
                break
            offset += len(rows)
        return Snapshot(self.name, "rows pages", utcnow(), self._url("rows", {"dataset": DATASET}),
                        payload, mode="live", http_status=200)

    # --- parse ------------------------------------------------------------

    def parse(self, snapshot: Snapshot) -> ParsedBatch:
        wide, location = self._table(snapshot)
        layout = self._layout(wide, location)
        require_columns(wide, layout.required, self.name, location)
        warnings = []
        if layout is not DATASET_LAYOUT:
            warnings.append(f"older layout mapped: {layout.label}")
        if wide.empty:
            raise ParseError(self.name, location, "no rows")
        names = wide[layout.model]
        blank = names.isna() | (names.astype(str).str.strip() == "")
        if blank.any():
            row = int(blank.to_numpy().nonzero()[0][0])
            raise ParseError(self.name, location, "no model name", column=layout.model, row=row)

        table = pd.DataFrame({"model": names.astype(str).str.strip(), "type": wide[layout.type]})
        text = wide[layout.submitted].astype("string").str.strip()
        submitted = pd.to_datetime(text, errors="coerce", utc=True, format="ISO8601")
        table["date"] = submitted.dt.tz_localize(None)
        undated = table["date"].isna()
        if undated.any():
            garbled = text[undated & text.notna() & (text != "")]
            detail = f", {len(garbled)} unreadable (e.g. {garbled.iloc[0]!r})" if len(garbled) else ""
            warnings.append(f"{int(undated.sum())} row(s) without a submission date{detail}: "
                            f"dated at the snapshot ({snapshot.observed_at:%Y-%m-%d})")
            table.loc[undated, "date"] = snapshot.observed_at
        for key, column in layout.scores.items():
            table[key] = wide[column]

        # Earliest submission first; exact ties by precision, revision, chat template.
        order = pd.DataFrame({"date": submitted})
        precision = layout.tiebreak[0]
        if precision in wide.columns:
            order["rank"] = wide[precision].map(PRECISION_ORDER).fillna(len(PRECISION_ORDER))
        for column in layout.tiebreak:
            if column in wide.columns:
                order[column] = wide[column].astype("string").str.lower().fillna("")
        sort_by = list(order.columns)
        positions = order.sort_values(sort_by, kind="stable", na_position="last").index
        table, notes = dedupe_models(table.loc[positions], "model", None,
                                     "repeated evaluations of one repo: earliest submission kept")
        warnings += notes

        rows, notes = tidy(table, "model", {b: b for b in BENCHMARKS}, table["date"],
                           self.name, location)
        warnings += notes
        sets = table["type"].map(model_set_of)
        models = pd.DataFrame({
            "model": table["model"],
            "model_set": [s for s, _ in sets],
            "model_type": [t for _, t in sets],
            "display_name": table["model"],
        }).reset_index(drop=True)
        unknown = table.loc[models["model_set"].eq("unknown").to_numpy(), "type"]
        if len(unknown):
            labels = sorted({str(v) for v in unknown})[:5]
            warnings.append(f"{len(unknown)} model(s) with an unknown type {labels}: "
                            "model set 'unknown'")
        return ParsedBatch(rows, models, warnings)

    def _layout(self, wide: pd.DataFrame, location: str) -> Layout:
        """The layout whose columns the table has most of; too few of any is an unknown format."""
        present = set(wide.columns)
        best = max(LAYOUTS, key=lambda layout: len(present.intersection(layout.required)))
        if len(present.intersection(best.required)) * 2 < len(best.required):
            raise ParseError(self.name, location,
                             f"unknown column layout; found {list(wide.columns)[:30]}")
        return best

    def _table(self, snapshot: Snapshot) -> tuple[pd.DataFrame, str]:
        """The snapshot's files, whatever their format, as one table, and where it came from."""
        csvs = [n for n in snapshot.files if n.endswith(".csv")]
        parquets = sorted(n for n in snapshot.files if n.endswith(".parquet"))
        pages = [n for n in snapshot.files if "/rows?" in n]
        if csvs:
            return self._csv(snapshot.files[csvs[0]], snapshot.location), snapshot.location
        if parquets:
            frames = [self._parquet(snapshot.files[n], n) for n in parquets]
            return pd.concat(frames, ignore_index=True), parquets[0]
        if pages:
            return self._pages(snapshot, pages), snapshot.location
        raise ParseError(self.name, snapshot.location,
                         f"no table in the snapshot (files: {sorted(snapshot.files)[:5]})")

    def _csv(self, content: bytes, location: str) -> pd.DataFrame:
        try:
            return pd.read_csv(io.BytesIO(content), dtype=str)
        except (UnicodeDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
            raise ParseError(self.name, location, f"not a readable CSV: {exc}") from None

    def _parquet(self, content: bytes, location: str) -> pd.DataFrame:
        try:
            return pd.read_parquet(io.BytesIO(content))
        except (pa.ArrowException, OSError, ValueError) as exc:
            raise ParseError(self.name, location, f"not a readable parquet file: {exc}") from None

    def _pages(self, snapshot: Snapshot, names: list[str]) -> pd.DataFrame:
        """/rows envelopes to one table; every row of the split must be there exactly once."""
        records: dict[int, dict] = {}
        columns: list[str] = []
        total = None
        for name in names:
            doc = json_document(snapshot.files[name], self.name, name)
            if not isinstance(doc, dict) or not isinstance(doc.get("rows"), list):
                raise ParseError(self.name, name, "not a /rows page", column="rows")
            total = doc.get("num_rows_total")
            columns = [f.get("name") for f in doc.get("features", []) if isinstance(f, dict)]
            for item in doc["rows"]:
                index, row = item.get("row_idx"), item.get("row")
                if not isinstance(index, int) or not isinstance(row, dict):
                    raise ParseError(self.name, name, "a row without row_idx/row", column="rows")
                if item.get("truncated_cells"):
                    raise ParseError(self.name, name, f"truncated cells {item['truncated_cells']}",
                                     column=str(item["truncated_cells"][0]), row=index)
                records[index] = row
        if sorted(records) != list(range(len(records))) or len(records) != total:
            raise ParseError(self.name, snapshot.location,
                             f"{len(records)} distinct rows of {total}, not rows 0..{total}")
        return pd.DataFrame([records[i] for i in range(len(records))], columns=columns or None)
