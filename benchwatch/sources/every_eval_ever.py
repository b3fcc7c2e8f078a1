"""Every Eval Ever datastore (HF dataset ``evaleval/EEE_datastore``, MIT), read whole and incrementally.

The datastore publishes its current state as a manifest (the datastore's
``USAGE_EEE_datastore.md``): ``flat/latest_manifest.json`` is the moving pointer,
``flat/manifests/sha256_<manifest_core_sha256>/manifest.json`` the immutable copy
and ``.../entries.jsonl`` the full row list, one line per record (``benchmark``, the
collection; ``object_path`` under ``flat/objects/``; ``sha256``; ``record_type``).
A refresh fetches the latest manifest conditionally (an unchanged one costs that
one request and adds nothing); a changed one is read through its immutable copy
and entries, and only records whose (object path, sha256) Benchwatch has not
stored are fetched (``storage.eee`` holds the listing). A record the manifest
stops naming, or a whole collection that disappears, is unlisted and its values
withdrawn (closed as ``withdrawn``, kept as history), unless another listed record
still supplies them. A record the manifest lists under another collection (same
object path and sha256) is one move: its collection is updated, nothing is
fetched, withdrawn or re-added. Every collection by default; ``eee_collections`` restricts.

One snapshot per collection that changed (its new records, the records it no
longer names and the values they took with them, the records moved into it); the last one also carries the
manifest and its validators: with a record refused it carries none, so the next
refresh reads the manifest again and retries what is missing.

Integrity: each record's bytes must hash to the manifest's ``sha256`` and follow
the EEE schema (``sources.eee_records``), checked as it is fetched (and as a
recorded one is replayed). A record that does not is refused: the others are
written, then the fetch fails with an error naming every refused record.

Benchmarks: an evaluation result's key is its metric id (else result id, else
evaluation name). ``benchwatch/data/benchmarks/every-eval-ever.csv`` is the
curated, reviewed mapping of keys to categories and safety areas; a key nobody
mapped is stored as published, counts as ``other`` (never safety) and is listed
for review by collection (``benchwatch unmapped``; ``--suggest`` shows the safety
area the evaluation's own metadata names, if any). The direction is the record's
``metric_config.lower_is_better``; a mapped key whose records disagree with the
registry's direction is a warning.

Provenance per score (``storage.eee``): the record's collection,
``source_metadata.evaluator_relationship`` (first or third party), and the
adapter cron's ``cron_adapter`` / ``cron_run_date`` from
``source_metadata.additional_details`` (evaluate/every_eval_ever ``cron/README.md``).

Models are ``model_info.id`` (``developer/model``), resolved to canonical ids
by the identity layer like every source's names. One model set, "all".
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
from collections.abc import Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime
from functools import cache
from importlib.resources import files as package_files
from pathlib import Path

import pandas as pd

from benchwatch.records import MODEL_COLUMNS, OBSERVATION_COLUMNS, ParsedBatch, Previous, Snapshot
from benchwatch.settings import DEFAULT_EEE_COLLECTIONS, Settings
from benchwatch.sources.base import ParseError, Source
from benchwatch.sources.eee_records import RecordError, flatten, load_json, parse_record, retrieved_at
from benchwatch.sources.http import FetchError, HttpClient
from benchwatch.upstreams import UPSTREAMS

SOURCE = "every-eval-ever"
MANIFEST = "flat/latest_manifest.json"
PINNED = "flat/manifests/sha256_{core}"
OBJECT_PREFIX = "objects/"
UNLISTED_FILE = "unlisted.jsonl"
MOVED_FILE = "moved.jsonl"
WITHDRAWN_FILE = "withdrawn.jsonl"
MANIFEST_FILE = "manifest.json"
MANIFEST_LABEL = "manifest"
# Recorded examples (``../shared/data/every-eval-ever/examples``): a flat index and the objects it names.
EXAMPLE_INDEX = re.compile(r"flat-index-by_collection-(.+)\.jsonl")
ENTRY_FIELDS = ("object_path", "sha256", "benchmark")
SHA256 = re.compile(r"[0-9a-f]{64}")


@cache
def registry_directions() -> dict[str, int]:
    """Direction per mapped key, from the curated registry file."""
    text = package_files("benchwatch").joinpath(f"data/benchmarks/{SOURCE}.csv").read_text("utf-8")
    return {row["column"]: int(row["direction"]) for row in csv.DictReader(io.StringIO(text))}


@cache
def safety_areas() -> tuple[str, ...]:
    """Every safety area the reviewed registry uses (all sources), for ``--suggest``."""
    areas = set()
    for entry in package_files("benchwatch").joinpath("data/benchmarks").iterdir():
        if entry.name.endswith(".csv"):
            areas |= {row.get("safety_area") or "" for row in csv.DictReader(io.StringIO(entry.read_text("utf-8")))}
    return tuple(sorted(a for a in areas if a))


def declared_areas(described: pd.Series) -> pd.Series:
    """The registry safety area an evaluation's own metadata names (singular or plural), else None;
    text naming several names the first in the registry's order. Never inferred from a name alone."""
    found = pd.Series(None, index=described.index, dtype=object)
    for area in safety_areas():
        stem = area[:-1] if area.endswith("s") and not area.endswith(("ss", "as", "us", "ics")) else area
        hit = found.isna() & described.str.contains(rf"\b{re.escape(stem)}s?\b", regex=True)
        found[hit] = area
    return found


def read_manifest(content: bytes, location: str) -> dict:
    """The manifest descriptor; it must name its snapshot (``manifest_core_sha256``) and count its rows."""
    try:
        manifest = json.loads(content)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        what = "an HTML page" if content.lstrip().startswith(b"<") else "not JSON"
        raise ParseError(SOURCE, location, f"{what} ({exc}): not a datastore manifest") from None
    if not isinstance(manifest, dict):
        raise ParseError(SOURCE, location, "not a JSON object: not a datastore manifest")
    core = manifest.get("manifest_core_sha256")
    if not isinstance(core, str) or not SHA256.fullmatch(core):
        raise ParseError(SOURCE, location, f"manifest_core_sha256 is {core!r}, not a sha256: "
                         "cannot find the snapshot's entries")
    if not isinstance(manifest.get("aggregate_file_count"), int):
        raise ParseError(SOURCE, location, "aggregate_file_count is missing or not an integer")
    return manifest


def read_entries(content: bytes, location: str, expected: int | None = None) -> pd.DataFrame:
    """The aggregate rows of a manifest's ``entries.jsonl`` (object_path, sha256, collection); a line
    without them is an error naming its number, and so is a row count the manifest does not state."""
    rows, aggregate = [], 0
    for number, line in enumerate(content.decode("utf-8", errors="replace").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            entry = json.loads(line)
        except json.JSONDecodeError as exc:
            what = "an HTML page" if line.lstrip().startswith("<") else "a line that is"
            raise ParseError(SOURCE, location, f"{what} not JSON ({exc.msg}): not a manifest's entries",
                             row=number) from None
        if not isinstance(entry, dict) or any(not isinstance(entry.get(k), str) for k in ENTRY_FIELDS):
            raise ParseError(SOURCE, location, f"an entry needs {', '.join(ENTRY_FIELDS)}", row=number)
        if entry.get("record_type", "aggregate") == "aggregate":
            aggregate += 1
            rows.append((entry["object_path"], entry["sha256"].lower(), entry["benchmark"]))
    if expected is not None and aggregate != expected:
        raise ParseError(SOURCE, location, f"{aggregate} aggregate entries, the manifest says "
                         f"aggregate_file_count {expected}: a truncated or mismatched snapshot")
    return pd.DataFrame(rows, columns=["object_path", "sha256", "collection"])


def read_index(content: bytes, location: str) -> list[dict]:
    """The lines of a recorded flat collection index (the examples' shape: the entries' fields)."""
    frame = read_entries(content, location)
    return frame.to_dict("records")


def _jsonl(rows: pd.DataFrame) -> bytes:
    return "".join(json.dumps(r) + "\n" for r in rows.to_dict("records")).encode()


def _read_jsonl(content: bytes | None, columns: list[str]) -> pd.DataFrame:
    if not content:
        return pd.DataFrame(columns=columns)
    return pd.DataFrame([json.loads(line) for line in content.decode().splitlines() if line.strip()],
                        columns=columns)


def _utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def created_at(manifest: dict) -> datetime | None:
    """The manifest's ``created_at`` (UTC, naive), None when absent or not a time."""
    try:
        stamp = pd.Timestamp(manifest.get("created_at"))
    except (TypeError, ValueError):
        return None
    if pd.isna(stamp):
        return None
    return (stamp.tz_convert("UTC").tz_localize(None) if stamp.tzinfo else stamp).to_pydatetime()


Known = tuple[pd.DataFrame, pd.DataFrame]
NOTHING_KNOWN: Known = (pd.DataFrame(columns=["object_path", "sha256", "collection"]),
                        pd.DataFrame(columns=["object_path", "model", "benchmark"]))


class EveryEvalEver(Source):
    name = SOURCE
    liveness, license, attribution = UPSTREAMS[name]
    homepage = "https://huggingface.co/datasets/evaleval/EEE_datastore"
    endpoints = {"data": "https://huggingface.co/datasets/evaleval/EEE_datastore/resolve/main"}
    # Snapshots carry what changed, not whole states: what the manifest stops naming is withdrawn
    # explicitly (``ParsedBatch.withdrawn``), scoped to the records that supplied it.
    full_snapshot = False

    def __init__(self, upstream_base: str | None = None,
                 collections: Sequence[str] = DEFAULT_EEE_COLLECTIONS, workers: int = 8) -> None:
        super().__init__(upstream_base)
        self.collections = tuple(collections)
        self.workers = workers
        # What storage holds of the last manifest (``storage.eee.known_records``), set before a fetch.
        self.known: Known = NOTHING_KNOWN

    @classmethod
    def configured(cls, settings: Settings) -> "EveryEvalEver":
        return cls(settings.upstream_base, settings.eee_collections, settings.eee_fetch_workers)

    def replay(self, data_dir: Path, until: date | None = None) -> Iterator[Snapshot]:
        """The recorded examples: each ``flat-index-by_collection-<c>.jsonl`` and the objects it names
        (``flat-object-<uuid>.json`` beside it). No whole collection could be recorded."""
        folder = Path(data_dir) / "every-eval-ever" / "examples"
        for index_path in sorted(folder.glob("flat-index-by_collection-*.jsonl")):
            collection = EXAMPLE_INDEX.fullmatch(index_path.name).group(1)
            files, stamps = {}, []
            for entry in read_index(index_path.read_bytes(), str(index_path)):
                path = folder / f"flat-object-{Path(entry['object_path']).name}"
                if path.is_file():
                    body = path.read_bytes()
                    try:
                        stamps.append(retrieved_at(parse_record(body, str(path))))
                    except RecordError as exc:
                        raise ParseError(self.name, str(path), str(exc)) from None
                    files[OBJECT_PREFIX + entry["object_path"]] = body
            when = max((s for s in stamps if s is not None), default=None)
            if when is None or (until is not None and when.date() > until):
                continue
            yield Snapshot(self.name, collection, when, str(index_path), files)

    def fetch(self, http: HttpClient, previous: Mapping[str, Previous]) -> Iterator[Snapshot]:
        url = f"{self.urls['data']}/{MANIFEST}"
        got = http.get(url, previous.get(url))
        if got.not_modified:
            yield Snapshot(self.name, MANIFEST_LABEL, _utcnow(), url, {}, mode="live",
                           http_status=got.status, etag=got.etag, last_modified=got.last_modified,
                           not_modified=True)
            return
        manifest = read_manifest(got.content, url)
        pinned = f"{self.urls['data']}/{PINNED.format(core=manifest['manifest_core_sha256'])}"
        if read_manifest(http.get(f"{pinned}/manifest.json").content, f"{pinned}/manifest.json") != manifest:
            raise ParseError(self.name, url, f"differs from its immutable copy {pinned}/manifest.json: "
                             "a manifest published mid-update; the next refresh reads it again")
        entries = read_entries(http.get(f"{pinned}/entries.jsonl").content, f"{pinned}/entries.jsonl",
                               manifest["aggregate_file_count"])
        stored, supplied = self.known
        if self.collections:
            entries = entries[entries["collection"].isin(self.collections)]
            stored = stored[stored["collection"].isin(self.collections)]
        if entries.empty:
            # An empty listing is refused rather than read as every collection withdrawn.
            followed = f" of the collections followed ({', '.join(self.collections)})" if self.collections else ""
            raise ParseError(self.name, f"{pinned}/entries.jsonl", f"the manifest lists no records{followed}")
        pair = ["object_path", "sha256"]
        new = entries.merge(stored[pair], on=pair, how="left", indicator=True)
        new = new[new["_merge"] == "left_only"].drop(columns="_merge")
        gone = stored.merge(entries[pair], on=pair, how="left", indicator=True)
        gone = gone[gone["_merge"] == "left_only"].drop(columns="_merge")
        moved = entries.merge(stored, on=pair, suffixes=("", "_was"))
        moved = moved[moved["collection"] != moved["collection_was"]]
        still = supplied[~supplied["object_path"].isin(gone["object_path"])]
        created = created_at(manifest) or _utcnow()
        bodies, refused = self._records(http, new)
        changed = []
        for collection in sorted(set(new["collection"]) | set(gone["collection"]) | set(moved["collection"])):
            files, stamps = {}, []
            for path in new.loc[new["collection"] == collection, "object_path"]:
                if path in bodies:
                    files[OBJECT_PREFIX + path], when = bodies[path]
                    stamps.append(when)
            arrived = moved[moved["collection"] == collection]
            if len(arrived):
                files[MOVED_FILE] = _jsonl(arrived[[*pair, "collection_was"]])
            unlisted = gone[gone["collection"] == collection]
            if len(unlisted):
                files[UNLISTED_FILE] = _jsonl(unlisted[pair])
                keys = supplied[supplied["object_path"].isin(unlisted["object_path"])]
                keys = keys.merge(still[["model", "benchmark"]].drop_duplicates(), how="left", indicator=True)
                files[WITHDRAWN_FILE] = _jsonl(
                    keys.loc[keys["_merge"] == "left_only", ["model", "benchmark"]].drop_duplicates())
            if files:
                changed.append((collection, files, max((s for s in stamps if s is not None), default=created)))
        for collection, files, when in changed[:-1]:
            yield Snapshot(self.name, collection, when, f"{url}#{collection}", files, mode="live",
                           http_status=got.status)
        # The manifest travels with the last collection (alone when none changed): its validators
        # are stored only once every record it names is, so a refused record is retried.
        label, files, when = changed[-1] if changed else (MANIFEST_LABEL, {}, created)
        yield Snapshot(self.name, label, when, url, {**files, MANIFEST_FILE: got.content}, mode="live",
                       http_status=got.status, etag=None if refused else got.etag,
                       last_modified=None if refused else got.last_modified)
        if refused:
            raise ParseError(self.name, self.urls["data"],
                             f"{len(refused)} record(s) refused: " + "; ".join(refused))

    def _records(self, http: HttpClient, wanted: pd.DataFrame) -> tuple[dict, list[str]]:
        """Fetch the wanted records (``workers`` at a time), each checked against its sha256 and the
        schema: object path -> (bytes, retrieved time), and the refused ones named."""

        def one(row: tuple[str, str, str]) -> tuple[str, bytes | None, datetime | None, str | None]:
            path, sha, collection = row
            try:
                body = http.get(f"{self.urls['data']}/{path}").content
            except FetchError as exc:
                return path, None, None, f"{collection}: {path}: {exc}"
            digest = hashlib.sha256(body).hexdigest()
            if digest != sha:
                return path, None, None, (f"{collection}: {path}: sha256 {digest} does not match "
                                          f"the manifest's {sha}")
            try:
                return path, body, retrieved_at(parse_record(body, path)), None
            except RecordError as exc:
                return path, None, None, f"{collection}: {exc}"

        bodies, refused = {}, []
        rows = wanted[["object_path", "sha256", "collection"]].itertuples(index=False, name=None)
        with ThreadPoolExecutor(max_workers=self.workers) as pool:
            for path, body, when, problem in pool.map(one, rows):
                if problem is not None:
                    refused.append(problem)
                else:
                    bodies[path] = (body, when)
        return bodies, refused

    def parse(self, snapshot: Snapshot) -> ParsedBatch:
        """Rows of the snapshot's records (checked against their hash and the schema when fetched or
        replayed), their provenance, and the values of the records it unlists."""
        records, hashes = [], {}
        for name, content in sorted(snapshot.files.items()):
            if not name.startswith(OBJECT_PREFIX):
                continue
            path = name.removeprefix(OBJECT_PREFIX)
            try:
                record = load_json(content)
            except (UnicodeDecodeError, json.JSONDecodeError) as exc:
                raise ParseError(self.name, snapshot.location, f"{path}: not JSON ({exc})") from None
            records.append((path, record))
            hashes[path] = hashlib.sha256(content).hexdigest()
        flat = flatten(records, snapshot.observed_at)
        rows = flat.rows
        warnings = [f"{snapshot.label}: {w}" for w in flat.warnings]
        # The newest record of a (model, key) wins: a collection can list a model twice.
        newest = rows.sort_values(["observed_at", "record"], kind="stable").drop_duplicates(
            ["model", "key"], keep="last")
        if len(newest) < len(rows):
            twice = rows.loc[rows.duplicated(["model", "key"], keep=False), "model"].nunique()
            warnings.append(f"{snapshot.label}: {len(rows) - len(newest)} duplicate result(s) for {twice} "
                            "model(s) in another record: kept the newest")
        warnings += self._review(newest, snapshot.label)
        observations = pd.DataFrame({"model": newest["model"], "benchmark": newest["key"],
                                     "value": newest["value"], "observed_at": newest["observed_at"]})
        observations = observations.sort_values(["benchmark", "model"], kind="stable")
        models = newest.drop_duplicates("model")
        models = pd.DataFrame({"model": models["model"], "model_set": "all", "model_type": None,
                               "display_name": models["model_name"],
                               "developer": models["developer"]})
        withdrawn = _read_jsonl(snapshot.files.get(WITHDRAWN_FILE), ["model", "benchmark"])
        provenance = {}
        if snapshot.label != MANIFEST_LABEL and (records or UNLISTED_FILE in snapshot.files
                                                 or MOVED_FILE in snapshot.files):
            provenance = {
                "records": _provenance(records, hashes, snapshot.label),
                "scores": pd.DataFrame({
                    "object_path": rows["record"], "sha256": rows["record"].map(hashes), "model": rows["model"],
                    "benchmark": rows["key"], "evaluation_name": rows["evaluation_name"],
                    "declared_area": declared_areas(rows["described"]), "value": rows["value"],
                    "observed_at": rows["observed_at"]}).drop_duplicates(["object_path", "benchmark"]),
                "unlisted": _read_jsonl(snapshot.files.get(UNLISTED_FILE), ["object_path", "sha256"]),
                "moved": _read_jsonl(snapshot.files.get(MOVED_FILE), ["object_path", "sha256", "collection_was"]
                                     ).assign(collection=snapshot.label),
            }
        return ParsedBatch(observations[OBSERVATION_COLUMNS].reset_index(drop=True),
                           models[[*MODEL_COLUMNS, "developer"]].reset_index(drop=True), warnings,
                           withdrawn=withdrawn, provenance=provenance)

    @staticmethod
    def _review(rows: pd.DataFrame, label: str) -> list[str]:
        """Warnings a reviewer acts on: unmapped keys (stored as other) and direction disagreements."""
        mapped = registry_directions()
        keys = rows.drop_duplicates("key")
        unmapped = keys.loc[~keys["key"].isin(list(mapped)), "key"].tolist()
        notes = []
        if unmapped:
            shown = ", ".join(repr(k[:120]) for k in unmapped[:20])
            more = f" and {len(unmapped) - 20} more" if len(unmapped) > 20 else ""
            notes.append(f"{label}: {len(unmapped)} evaluation(s) not in the reviewed mapping, stored "
                         f"as other (never safety) for review (`benchwatch unmapped`): {shown}{more}")
        flags = rows[rows["key"].isin(list(mapped)) & rows["lower_is_better"].notna()]
        disagree = flags[flags["lower_is_better"].astype(bool)
                         != (flags["key"].map(mapped) == -1)]["key"].unique().tolist()
        if disagree:
            notes.append(f"{label}: lower_is_better disagrees with the registry's direction for "
                         f"{', '.join(repr(k[:120]) for k in disagree)}: check the mapping")
        return notes



def _provenance(records: list[tuple[str, dict]], hashes: Mapping[str, str], collection: str) -> pd.DataFrame:
    """One row per record: who measured (``evaluator_relationship``), which adapter published it and
    the cron run date, as the record states them (None where it does not)."""
    rows = []
    for path, record in records:
        meta = record.get("source_metadata") or {}
        details = meta.get("additional_details") if isinstance(meta.get("additional_details"), dict) else {}
        info = record.get("model_info") or {}
        rows.append((path, hashes[path], collection, str(info.get("id") or info.get("name") or "") or None,
                     meta.get("source_name"), meta.get("evaluator_relationship"), details.get("cron_adapter"),
                     details.get("cron_run_date"), retrieved_at(record)))
    return pd.DataFrame(rows, columns=["object_path", "sha256", "collection", "model", "source_name",
                                       "evaluator_relationship", "adapter", "cron_run_date", "retrieved_at"])
