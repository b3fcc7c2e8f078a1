"""The Safetywashing paper's own matrices (Ren et al., arXiv 2407.21792).

Two static CSVs, one per model set (base, chat), models in rows and ~180
benchmarks in columns, published in the paper's repository. They are the
ground truth the method is checked against, so they are ingested like any
other source: the same storage, the same analysis.
"""

from __future__ import annotations

import io
from collections.abc import Iterator, Mapping
from datetime import date, datetime
from pathlib import Path

import pandas as pd

from benchwatch.records import ParsedBatch, Previous, Snapshot
from benchwatch.registry import load_registry
from benchwatch.sources.base import ParseError, Source, dedupe_models, enforce_scales, require_columns, tidy
from benchwatch.sources.http import HttpClient
from benchwatch.upstreams import UPSTREAMS

FILES = {"base": "benchmarks_base_models.csv", "chat": "benchmarks_chat_models.csv"}
# Columns that describe the model rather than score it.
METADATA_COLUMNS = ("name", "type")
# Benchmarks the paper scored for chat models only.
CHAT_ONLY = {"LMSYS_Chatbot_Arena", "Alpaca-Eval_win-rate"}
# The files' values are those of commit ccf7321 (2024-10-01), which added FLOP.
PUBLISHED = datetime(2024, 10, 1)


class SafetywashingPaper(Source):
    name = "safetywashing-paper"
    liveness, license, attribution = UPSTREAMS[name]
    homepage = "https://github.com/centerforaisafety/safetywashing"
    endpoints = {
        "raw": "https://raw.githubusercontent.com/centerforaisafety/safetywashing/compute_correlations/data"
    }
    pooled = False
    full_snapshot = True

    def replay(self, data_dir: Path, until: date | None = None) -> Iterator[Snapshot]:
        folder = Path(data_dir) / "safetywashing"
        if until is not None and until < PUBLISHED.date():
            return
        files = {}
        for filename in FILES.values():
            path = folder / filename
            if not path.is_file():
                raise ParseError(self.name, str(path), "recorded file is missing")
            files[filename] = path.read_bytes()
        yield Snapshot(self.name, "paper matrices", PUBLISHED, str(folder), files)

    def fetch(self, http: HttpClient, previous: Mapping[str, Previous]) -> Iterator[Snapshot]:
        base_url = self.urls["raw"]
        index = f"{base_url}/{FILES['base']}"
        first = http.get(index, previous.get(index))
        if first.not_modified:
            yield Snapshot(self.name, "paper matrices", PUBLISHED, index, {},
                           mode="live", http_status=304, not_modified=True)
            return
        chat = http.get(f"{base_url}/{FILES['chat']}")
        yield Snapshot(
            self.name,
            "paper matrices",
            PUBLISHED,
            index,
            {FILES["base"]: first.content, FILES["chat"]: chat.content},
            mode="live",
            http_status=first.status,
            etag=first.etag,
            last_modified=first.last_modified,
        )

    def parse(self, snapshot: Snapshot) -> ParsedBatch:
        """Both files, each held to the registry: its columns and, per file, each column's scale.

        A column the registry does not know is left out, a registry column the
        file lacks is named, both as warnings; a column whose values moved to
        another scale fails the fetch (checked per file, so a flip in one model
        set is not diluted by the other).
        """
        registry = load_registry()
        scales = dict(registry.loc[registry["source"] == self.name, ["column", "scale"]].itertuples(index=False))
        observations, models, warnings = [], [], []
        for model_set, filename in FILES.items():
            location = f"{snapshot.location}/{filename}"
            if filename not in snapshot.files:
                raise ParseError(self.name, location, "file missing from the snapshot")
            try:
                wide = pd.read_csv(io.BytesIO(snapshot.files[filename]))
            except (UnicodeDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
                raise ParseError(self.name, location, f"not a readable CSV: {exc}") from None
            require_columns(wide, ("model", *METADATA_COLUMNS), self.name, location)
            if wide.empty:
                raise ParseError(self.name, location, "no rows")
            wrong = wide.index[wide["type"] != model_set].tolist()
            if wrong:
                raise ParseError(self.name, location, f"type is not {model_set!r}",
                                 column="type", row=int(wrong[0]))
            notes = []
            scored = [c for c in wide.columns if c not in ("model", *METADATA_COLUMNS)]
            unknown = [c for c in scored if c not in scales]
            if unknown:
                notes.append(f"column(s) not in the registry, not ingested: {', '.join(unknown)}")
            expected = set(scales) - (CHAT_ONLY if model_set == "base" else set())
            absent = sorted(expected - set(scored))
            if absent:
                notes.append(f"registry column(s) absent: {', '.join(absent)}")
            wide, dropped = dedupe_models(wide, "model", None, "first row kept")
            rows, tidied = tidy(wide, "model", {c: c for c in scored if c in scales}, snapshot.observed_at,
                                self.name, location)
            checked = enforce_scales(ParsedBatch(rows, wide), scales, self.name, location)
            observations.append(checked.observations)
            warnings += [f"{filename}: {note}" for note in notes + dropped + checked.warnings + tidied]
            models.append(pd.DataFrame({
                "model": wide["model"].astype(str),
                "model_set": model_set,
                "model_type": model_set,
                "display_name": wide["name"].astype(str),
            }))
        return ParsedBatch(pd.concat(observations, ignore_index=True),
                           pd.concat(models, ignore_index=True), warnings)
