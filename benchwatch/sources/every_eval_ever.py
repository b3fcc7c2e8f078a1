"""Every Eval Ever datastore (HF dataset ``evaleval/EEE_datastore``, MIT).

Per configured collection (setting ``eee_collections``): the flat index
``flat/indexes/by_collection/<collection>.jsonl``, one line per record
(``object_path``, ``sha256``, ...), then every record it names under
``flat/objects/``. The index is fetched conditionally: an unchanged
collection costs that one request and adds nothing. A changed index is how a
collection signals new or revised records; its records are fetched again and
written as a snapshot (rows already stored with the same value add nothing).

Integrity: each record's bytes must hash to the index's ``sha256`` and follow
the EEE schema (``sources.eee_records``). A record that does not is refused:
the collection's other records are written, then the fetch fails with an
error naming every refused record, and that snapshot carries no validators,
so the next fetch reads the index again.

Benchmarks: an evaluation result's key is its metric id (else result id,
else evaluation name). ``benchwatch/data/benchmarks/every-eval-ever.csv`` is
the curated, reviewed mapping of keys to categories and safety areas; a key
nobody mapped is stored as published, counts as ``other`` (never safety) and
is listed for review (``benchwatch unmapped`` and the fetch warnings). The
direction is the record's ``metric_config.lower_is_better``; a mapped key
whose records disagree with the registry's direction is a warning.

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
from datetime import UTC, date, datetime
from functools import cache
from importlib.resources import files as package_files
from pathlib import Path

import pandas as pd

from benchwatch.records import MODEL_COLUMNS, OBSERVATION_COLUMNS, ParsedBatch, Previous, Snapshot
from benchwatch.settings import DEFAULT_EEE_COLLECTIONS, Settings
from benchwatch.sources.base import ParseError, Source
from benchwatch.sources.eee_records import RecordError, flatten, parse_record
from benchwatch.sources.http import FetchError, HttpClient
from benchwatch.upstreams import UPSTREAMS

SOURCE = "every-eval-ever"
INDEX_DIR = "flat/indexes/by_collection"
INDEX_FILE = "index.jsonl"
OBJECT_PREFIX = "objects/"
# Recorded examples (``../shared/data/every-eval-ever/examples``): an index and the objects it names.
EXAMPLE_INDEX = re.compile(r"flat-index-by_collection-(.+)\.jsonl")
INDEX_FIELDS = ("object_path", "sha256")


@cache
def registry_directions() -> dict[str, int]:
    """Direction per mapped key, from the curated registry file."""
    text = package_files("benchwatch").joinpath(f"data/benchmarks/{SOURCE}.csv").read_text("utf-8")
    return {row["column"]: int(row["direction"]) for row in csv.DictReader(io.StringIO(text))}


def read_index(content: bytes, location: str) -> list[dict]:
    """The lines of a flat collection index; a line without an object path or hash is an error."""
    entries = []
    for number, line in enumerate(content.decode("utf-8", errors="replace").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            entry = json.loads(line)
        except json.JSONDecodeError as exc:
            what = "an HTML page" if line.lstrip().startswith("<") else "a line that is"
            raise ParseError(SOURCE, location, f"{what} not JSON ({exc.msg}): not a collection index",
                             row=number) from None
        if not isinstance(entry, dict) or any(not isinstance(entry.get(k), str) for k in INDEX_FIELDS):
            raise ParseError(SOURCE, location, f"an index line needs {', '.join(INDEX_FIELDS)}",
                             row=number)
        if entry.get("record_type", "aggregate") == "aggregate":
            entries.append(entry)
    return entries


class EveryEvalEver(Source):
    name = SOURCE
    liveness, license, attribution = UPSTREAMS[name]
    homepage = "https://huggingface.co/datasets/evaleval/EEE_datastore"
    endpoints = {"data": "https://huggingface.co/datasets/evaleval/EEE_datastore/resolve/main"}
    # An increment for now, though a collection index is a whole view of its collection: the
    # withdrawal scope ``revisions.chain`` knows is "benchmarks the snapshot carries", and an EEE
    # key names a benchmark, not a collection (``mmlu_pro/overall``; several adapters publish the
    # same benchmark) while stored rows do not say which collection they came from, so one
    # collection's index could withdraw another's values. A refused record (bad hash or schema) is also absent
    # from its collection's snapshot without being withdrawn. Withdrawals need the collection
    # as their scope first.
    full_snapshot = False

    def __init__(self, upstream_base: str | None = None,
                 collections: Sequence[str] = DEFAULT_EEE_COLLECTIONS) -> None:
        super().__init__(upstream_base)
        self.collections = tuple(collections)

    @classmethod
    def configured(cls, settings: Settings) -> "EveryEvalEver":
        return cls(settings.upstream_base, settings.eee_collections)

    def replay(self, data_dir: Path, until: date | None = None) -> Iterator[Snapshot]:
        """The recorded examples: each ``flat-index-by_collection-<c>.jsonl`` and the objects it names
        (``flat-object-<uuid>.json`` beside it). No whole collection could be recorded."""
        folder = Path(data_dir) / "every-eval-ever" / "examples"
        for index_path in sorted(folder.glob("flat-index-by_collection-*.jsonl")):
            collection = EXAMPLE_INDEX.fullmatch(index_path.name).group(1)
            content = index_path.read_bytes()
            files = {INDEX_FILE: content}
            for entry in read_index(content, str(index_path)):
                path = folder / f"flat-object-{Path(entry['object_path']).name}"
                if path.is_file():
                    files[OBJECT_PREFIX + entry["object_path"]] = path.read_bytes()
            when = _newest(files)
            if when is None or (until is not None and when.date() > until):
                continue
            yield Snapshot(self.name, collection, when, str(index_path), files)

    def fetch(self, http: HttpClient, previous: Mapping[str, Previous]) -> Iterator[Snapshot]:
        refused: list[str] = []
        for collection in self.collections:
            url = f"{self.urls['data']}/{INDEX_DIR}/{collection}.jsonl"
            last = previous.get(url)
            got = http.get(url, last)
            now = datetime.now(UTC).replace(tzinfo=None)
            if got.not_modified:
                yield Snapshot(self.name, collection, now, url, {}, mode="live",
                               http_status=got.status, etag=got.etag,
                               last_modified=got.last_modified, not_modified=True)
                continue
            files = {INDEX_FILE: got.content}
            bad = []
            for entry in read_index(got.content, url):
                object_url = f"{self.urls['data']}/{entry['object_path']}"
                try:
                    body = http.get(object_url).content
                except FetchError as exc:
                    bad.append(f"{entry['object_path']}: {exc}")
                    continue
                digest = hashlib.sha256(body).hexdigest()
                if digest != entry["sha256"].lower():
                    bad.append(f"{entry['object_path']}: sha256 {digest} does not match the "
                               f"index's {entry['sha256']}")
                    continue
                try:
                    parse_record(body, entry["object_path"])
                except RecordError as exc:
                    bad.append(str(exc))
                    continue
                files[OBJECT_PREFIX + entry["object_path"]] = body
            refused += [f"{collection}: {problem}" for problem in bad]
            # With a record refused, no validators: the next fetch reads the index again.
            # Data time: the newest record's retrieved_timestamp (when the adapter read its upstream).
            yield Snapshot(self.name, collection, _newest(files) or now, url, files, mode="live",
                           http_status=got.status,
                           etag=None if bad else got.etag,
                           last_modified=None if bad else got.last_modified)
        if refused:
            raise ParseError(self.name, self.urls["data"],
                             f"{len(refused)} record(s) refused: " + "; ".join(refused))

    def parse(self, snapshot: Snapshot) -> ParsedBatch:
        records = []
        for name, content in sorted(snapshot.files.items()):
            if not name.startswith(OBJECT_PREFIX):
                continue
            try:
                records.append((name.removeprefix(OBJECT_PREFIX), parse_record(content, name)))
            except RecordError as exc:
                raise ParseError(self.name, snapshot.location, str(exc)) from None
        flat = flatten(records, snapshot.observed_at)
        rows = flat.rows
        warnings = [f"{snapshot.label}: {w}" for w in flat.warnings]
        if not records:
            warnings.append(f"{snapshot.label}: the collection index lists no record")
        # The newest record of a (model, key) wins: a collection can list a model twice.
        newest = rows.sort_values(["observed_at", "record"], kind="stable").drop_duplicates(
            ["model", "key"], keep="last")
        if len(newest) < len(rows):
            twice = rows.loc[rows.duplicated(["model", "key"], keep=False), "model"].nunique()
            warnings.append(f"{snapshot.label}: {len(rows) - len(newest)} duplicate result(s) for {twice} "
                            "model(s) in another record: kept the newest")
        rows = newest
        warnings += self._review(rows, snapshot.label)
        observations = pd.DataFrame({"model": rows["model"], "benchmark": rows["key"],
                                     "value": rows["value"], "observed_at": rows["observed_at"]})
        observations = observations.sort_values(["benchmark", "model"], kind="stable")
        models = rows.drop_duplicates("model")
        models = pd.DataFrame({"model": models["model"], "model_set": "all", "model_type": None,
                               "display_name": models["model_name"],
                               "developer": models["developer"]})
        return ParsedBatch(observations[OBSERVATION_COLUMNS].reset_index(drop=True),
                           models[[*MODEL_COLUMNS, "developer"]].reset_index(drop=True), warnings)

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



def _newest(files: Mapping[str, bytes]) -> datetime | None:
    """A recorded collection's data time: the newest record's retrieved_timestamp."""
    stamps = []
    for name, content in files.items():
        if name.startswith(OBJECT_PREFIX):
            stamps.append(flatten([(name, parse_record(content, name))], datetime.min).rows["observed_at"].max())
    stamps = [s for s in stamps if pd.notna(s)]
    return max(stamps).to_pydatetime() if stamps else None
