"""Custom sources: a lab's own results file, followed like any leaderboard.

Each ``[[custom_sources]]`` entry of the settings (``settings.CustomSource``)
becomes a ``Source`` subclass named after it, so a refresh ingests it (with
history and revisions), the analysis correlates its safety benchmarks with
its own capability benchmarks and with every cross-source axis, the alert
rules watch it, and ``benchwatch serve`` schedules its ingest deployment.
Its registry rows come from the entry (each benchmark's category, safety
area and direction), beside the files of ``benchwatch/data/benchmarks/``.

The file is a path (read on every fetch; unchanged bytes add nothing) or a
URL (a conditional request). Replay reads a path too, so the README's first
command includes it; a URL is only fetched live.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import UTC, date, datetime
from pathlib import Path

import pandas as pd

from benchwatch.records import MODEL_COLUMNS, OBSERVATION_COLUMNS, ParsedBatch, Previous, Snapshot
from benchwatch.registry import COLUMNS
from benchwatch.settings import CustomSource, Settings
from benchwatch.sources.base import ParseError, Source
from benchwatch.sources.eee_records import flatten
from benchwatch.sources.http import HttpClient
from benchwatch.sources.tabular import (
    InputError,
    eee_lines,
    file_time,
    numbers,
    one_record,
    read_frame,
    refuse_duplicates,
)
from benchwatch.upstreams import Liveness

EEE_FOLDER = "records.jsonl"


class CustomFileSource(Source):
    """The behaviour every custom source shares; ``spec`` is its settings entry.

    A custom source's file is its whole state (``full_snapshot``): a row the file no longer
    holds is withdrawn, kept as history, as for Epoch's ZIP, within the entry's own
    ``withdraw_max_share``.
    """

    spec: CustomSource
    full_snapshot = True
    license = "your own data"
    attribution = "your own results (a custom source in the settings)"
    endpoints: dict[str, str] = {}

    @classmethod
    def configured(cls, settings: Settings) -> "CustomFileSource":
        return cls(upstream_base=None)

    def withdraw_max_share(self, settings: Settings) -> float:
        return self.spec.withdraw_max_share

    @property
    def location(self) -> str:
        return str(self.spec.path) if self.spec.path is not None else str(self.spec.url)

    def replay(self, data_dir: Path, until: date | None = None) -> Iterator[Snapshot]:
        if self.spec.path is not None:
            snapshot = self._read_path()
            if until is None or snapshot.observed_at.date() <= until:
                yield snapshot

    def fetch(self, http: HttpClient, previous: Mapping[str, Previous]) -> Iterator[Snapshot]:
        if self.spec.path is not None:
            snapshot = self._read_path()
            yield Snapshot(self.name, snapshot.label, snapshot.observed_at, snapshot.location,
                           snapshot.files, mode="live")
            return
        url = str(self.spec.url)
        got = http.get(url, previous.get(url))
        now = datetime.now(UTC).replace(tzinfo=None)
        yield Snapshot(self.name, now.date().isoformat(), now, url,
                       {} if got.not_modified else {Path(url).name or "data": got.content}, mode="live",
                       http_status=got.status, etag=got.etag, last_modified=got.last_modified,
                       not_modified=got.not_modified)

    def _read_path(self) -> Snapshot:
        """The file's bytes (a folder of EEE records as one JSONL), dated by its modification time."""
        path = Path(self.spec.path).expanduser()
        if not path.exists():
            raise ParseError(self.name, str(path), "no such file or folder (custom_sources.path)")
        if path.is_dir():
            lines = [item.read_text("utf-8").replace("\n", " ") for item in sorted(path.rglob("*.json"))]
            files = {EEE_FOLDER: "\n".join(lines).encode()}
        else:
            files = {path.name: path.read_bytes()}
        when = file_time(path)
        return Snapshot(self.name, when.date().isoformat(), when, str(path), files)

    def parse(self, snapshot: Snapshot) -> ParsedBatch:
        [(name, content)] = snapshot.files.items()
        try:
            wide = self._eee(content, name) if self.spec.format == "eee" else self._table(content, name)
        except InputError as exc:
            raise ParseError(self.name, snapshot.location, str(exc)) from None
        columns = [b.column for b in self.spec.benchmarks]
        # One block per benchmark column, not ``melt``: a score column may itself be called "value"
        # (``benchwatch history --format csv`` writes one), which melt's output column would clash with.
        long = pd.concat([pd.DataFrame({"model": wide["model"], "model_set": wide["model_set"], "benchmark": column,
                                        "value": wide[column]}) for column in columns], ignore_index=True)
        long = long[long["value"].notna()]
        observations = long.assign(observed_at=pd.Timestamp(snapshot.observed_at))
        observations["observed_at"] = observations["observed_at"].astype("datetime64[us]")
        models = pd.DataFrame({"model": wide["model"], "model_set": wide["model_set"].fillna("all"),
                               "model_type": None, "display_name": wide["model"]})
        return ParsedBatch(observations[OBSERVATION_COLUMNS].reset_index(drop=True),
                           models[MODEL_COLUMNS].reset_index(drop=True))

    def _table(self, content: bytes, name: str) -> pd.DataFrame:
        frame = read_frame(content, name, self.spec.format)
        wanted = [self.spec.model_column, *([self.spec.model_set_column] if self.spec.model_set_column else []),
                  *(b.column for b in self.spec.benchmarks)]
        missing = [c for c in wanted if c not in frame.columns]
        if missing:
            raise InputError(f"{name}: no column(s) {missing} (custom_sources.{self.name}); "
                             f"found {list(frame.columns)[:30]}")
        models = frame[self.spec.model_column].astype(str).str.strip()
        refuse_duplicates(models, name)
        out = pd.DataFrame({"model": models,
                            "model_set": (frame[self.spec.model_set_column].astype(str)
                                          if self.spec.model_set_column else None)})
        for benchmark in self.spec.benchmarks:
            out[benchmark.column] = numbers(frame[benchmark.column], benchmark.column, name)
        return out

    def _eee(self, content: bytes, name: str) -> pd.DataFrame:
        records = [(name, one_record(content, name))] if name.endswith(".json") else eee_lines(content, name)
        rows = flatten(records, datetime.min).rows
        rows = rows.sort_values(["observed_at", "record"], kind="stable").drop_duplicates(["model", "key"], keep="last")
        wide = rows.pivot(index="model", columns="key", values="value")
        out = pd.DataFrame({"model": wide.index.astype(str), "model_set": None})
        for benchmark in self.spec.benchmarks:
            out[benchmark.column] = (wide[benchmark.column].to_numpy() if benchmark.column in wide.columns
                                     else float("nan"))
        return out


def source_class(spec: CustomSource) -> type[CustomFileSource]:
    """The ``Source`` subclass of one settings entry."""
    return type(f"Custom_{spec.name}", (CustomFileSource,), {
        "name": spec.name, "spec": spec, "homepage": str(spec.path or spec.url),
        "liveness": Liveness("live", "a custom source: your own results, read on its schedule",
                             str(spec.path or spec.url)),
    })


def registry_rows(specs: list[CustomSource]) -> pd.DataFrame:
    """Registry rows of the custom sources' benchmarks, in the registry's columns."""
    rows = [{"source": spec.name, "column": b.column, "benchmark_id": f"{spec.name}:{b.column}",
             "name": b.name or b.column, "category": b.category, "safety_area": b.safety_area or "",
             "direction": b.direction, "scale": b.scale, "metric": "", "in_axis": "", "same_construct": ""}
            for spec in specs for b in spec.benchmarks]
    return pd.DataFrame(rows, columns=COLUMNS)
