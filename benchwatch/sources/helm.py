"""HELM (Stanford CRFM): one code path for every HELM project's leaderboard.

Live, HELM publishes each project (``safety``, ``capabilities``, ``lite``,
``air-bench``...) as numbered releases in a public bucket. The site's
``project_metadata.json`` lists the projects and their releases; a release's
``summary.json`` carries its date, and ``helm-summarize`` writes each group's
leaderboard as a table (``groups/json/<group>_accuracy.json``, and the same
table inside ``groups/<group>.json``): a header of cells and rows of cells,
each with a ``value``. The first cell of a row is the model's display name;
the score cells name the runs they aggregate (``run_spec_names``, or a
``runSpecs`` list in ``href`` in older releases), and those run-spec names
carry HELM's model id (``harm_bench:model=anthropic_claude-3-5-sonnet-20240620``).
So a row's model is that id (``anthropic/claude-3-5-sonnet-20240620``) when
the payload names it, else the display name.

Columns are matched by HELM run group (the part of the header before
`` - ``, or the header's ``metadata.run_group``), not by metric wording, so a
relabelled metric still maps while a dropped or renamed benchmark fails
loudly. HELM has no base/chat split: every model is in the set "all".

Replay reads what was recorded, which is not the live JSON:
- HELM Safety: a long CSV with one row per (release, model) for the 18
  releases v1.0.0..v1.17.0. Each release is replayed as its own snapshot: the
  CSV's header plus that release's lines, byte for byte. The recording holds
  no run-spec ids, so replayed models are keyed by display name.
- HELM Capabilities: a third party's per-model score dictionary (scraped
  from the bucket on 2025-11-25, with its own model labels).

Release dates of HELM Safety are only partly known (see ``release_dates``).
"""

from __future__ import annotations

import io
import json
import math
import re
from collections.abc import Iterable, Iterator, Mapping
from datetime import UTC, date, datetime, timedelta
from pathlib import Path, PurePosixPath
from typing import ClassVar
from urllib.parse import parse_qs

import pandas as pd

from benchwatch.records import ParsedBatch, Previous, Snapshot
from benchwatch.sources.base import (
    ParseError,
    Source,
    dedupe_models,
    json_document,
    numeric_column,
    part_failed,
    published_at,
    require_columns,
    tidy,
)
from benchwatch.sources.http import FetchError, HttpClient
from benchwatch.upstreams import UPSTREAMS

SUMMARY = "summary.json"
RELEASE = re.compile(r"^v(\d+(?:\.\d+)*)$")
# Dates written into HELM display names: "GPT-4.1 (2025-04-14)", "Claude 3 Opus (20240229)".
NAME_DATE = re.compile(r"\b(20\d\d)-(\d\d)-(\d\d)\b|\b(20\d\d)(\d\d)(\d\d)\b")


def release_key(release: str) -> tuple[int, ...] | None:
    """'v1.17.0' -> (1, 17, 0), so that v1.10.0 sorts after v1.9.0; None if not a version."""
    match = RELEASE.match(release)
    return tuple(int(part) for part in match.group(1).split(".")) if match else None


def run_spec_model(run_spec_name: str) -> str | None:
    """HELM model id from a run-spec name, or None if it names no model.

    Run-spec names carry the model with its '/' written as '_'
    (``bbq:subject=all,model=openai_gpt-4o-2024-05-13``). HELM organisation
    names hold no underscore, so the first one is the '/'.
    """
    _, _, args = run_spec_name.partition(":")
    for arg in args.split(","):
        key, _, value = arg.partition("=")
        if key == "model" and value:
            if "/" in value:
                return value
            organisation, underscore, model = value.partition("_")
            return f"{organisation}/{model}" if underscore else value
    return None


def name_dates(display_name: str) -> list[date]:
    """Calendar dates written into a display name (model snapshot dates)."""
    found = []
    for match in NAME_DATE.finditer(display_name):
        year, month, day = (int(g) for g in match.groups() if g is not None)
        try:
            found.append(date(year, month, day))
        except ValueError:
            continue
    return found


def release_dates(
    releases: list[tuple[str, Iterable[str]]], known: Mapping[str, date]
) -> dict[str, datetime]:
    """A deterministic date for every release, oldest first.

    ``known`` dates are used as they are. A release whose models carry a
    snapshot date newer than any before it cannot predate that date, so that
    date fixes it too (the earliest it could have been published). Releases in
    between are spaced evenly, in whole days, between their fixed neighbours.
    The first and last releases must be known so every release lies between
    two fixed points.
    """
    if not releases or releases[0][0] not in known or releases[-1][0] not in known:
        raise ValueError("the first and the last release need a known date")
    fixed: dict[int, date] = {}
    newest_seen = date.min
    for i, (release, names) in enumerate(releases):
        newest = max((d for name in names for d in name_dates(name)), default=date.min)
        if release in known:
            fixed[i] = known[release]
        elif newest > newest_seen and newest > max(fixed.values()):
            fixed[i] = newest
        newest_seen = max(newest_seen, newest)
    anchors = sorted(fixed)
    dates: dict[str, datetime] = {}
    for i, (release, _) in enumerate(releases):
        before = max(a for a in anchors if a <= i)
        after = min(a for a in anchors if a >= i)
        day = fixed[before]
        if after != before:
            span = (fixed[after] - fixed[before]).days
            day += timedelta(days=span * (i - before) // (after - before))
        dates[release] = datetime(day.year, day.month, day.day)
    return dates


def _row_model_ids(row: list[object]) -> set[str]:
    """HELM model ids named by a table row's cells (run_spec_names, or runSpecs in href)."""
    names: list[str] = []
    for cell in row:
        if not isinstance(cell, dict):
            continue
        listed = cell.get("run_spec_names")
        if isinstance(listed, list):
            names += [str(n) for n in listed]
        href = cell.get("href")
        if isinstance(href, str) and "runSpecs=" in href:
            for value in parse_qs(href.partition("?")[2]).get("runSpecs", []):
                try:
                    decoded = json.loads(value)
                except json.JSONDecodeError:
                    continue
                if isinstance(decoded, list):
                    names += [str(n) for n in decoded]
    return {model for model in map(run_spec_model, names) if model}


def _run_group(header_cell: dict) -> str:
    """The run group of a header cell: 'HarmBench' of 'HarmBench - LM Evaluated Safety score'."""
    metadata = header_cell.get("metadata")
    if isinstance(metadata, dict) and metadata.get("run_group"):
        return str(metadata["run_group"])
    return str(header_cell.get("value", "")).split(" - ")[0].strip()


class HelmSource(Source):
    """One HELM project's leaderboard; subclasses name the project, group and columns."""

    homepage = "https://crfm.stanford.edu/helm/"
    endpoints = {
        "site": "https://crfm.stanford.edu/helm",
        "bucket": "https://storage.googleapis.com/crfm-helm-public",
    }
    project: ClassVar[str]
    # The run group whose accuracy table is the leaderboard.
    group: ClassVar[str]
    # HELM run group (header prefix) -> registry column.
    columns: ClassVar[Mapping[str, str]]
    # Aggregate columns: kept when present, never required.
    aggregates: ClassVar[frozenset[str]] = frozenset({"mean_score"})
    # An increment, though a release's table is the project's whole leaderboard for its group:
    # replayed rows are keyed by display name (the recorded CSVs carry no run-spec ids) and live
    # rows by run-spec id, so the first live release after a replay would "drop" every replayed
    # row and be refused as a mass withdrawal on every fetch after it. HELM adds no evaluations
    # since 2026-06-01 and its 18 recorded releases withdraw nothing, so nothing is lost.
    full_snapshot = False

    def replay(self, data_dir: Path, until: date | None = None) -> Iterator[Snapshot]:
        """A HELM project without a recording has nothing to replay."""
        yield from ()

    def fetch(self, http: HttpClient, previous: Mapping[str, Previous]) -> Iterator[Snapshot]:
        """The newest release: index (conditional), then its summary and leaderboard table.

        The snapshot's location is the index, whose validators make an
        unchanged HELM one 304. The index also changes when another project
        releases; then the release's files are compared by content hash with
        the last fetch and an unchanged release is reported as not modified.
        """
        index_url = f"{self.urls['site']}/project_metadata.json"
        last = previous.get(index_url)
        index = http.get(index_url, last)
        if index.not_modified:
            yield Snapshot(self.name, "unchanged", datetime.now(UTC).replace(tzinfo=None), index_url, {},
                           mode="live", http_status=304, etag=index.etag,
                           last_modified=index.last_modified, not_modified=True)
            return
        release = self._latest_release(json_document(index.content, self.name, index_url), index_url)
        base = f"{self.urls['bucket']}/{self.project}/benchmark_output/releases/{release}"
        summary_url = f"{base}/{SUMMARY}"
        files: dict[str, bytes] = {}
        try:
            files[summary_url] = http.get(summary_url).content
        except FetchError as exc:
            if exc.status != 404:
                raise
        observed_at = self._release_date_or_none(files.get(summary_url), summary_url)
        observed_at = observed_at or published_at(index.last_modified)
        table_url, table = self._table(http, base)
        files[table_url] = table
        snapshot = Snapshot(
            self.name, f"{release} ({observed_at:%Y-%m-%d})", observed_at, index_url, files,
            mode="live", http_status=index.status, etag=index.etag, last_modified=index.last_modified,
        )
        if last is not None and last.content_hash == snapshot.content_hash:
            snapshot = Snapshot(self.name, snapshot.label, observed_at, index_url, {}, mode="live",
                                http_status=index.status, etag=index.etag,
                                last_modified=index.last_modified, not_modified=True)
        yield snapshot

    def _release_date_or_none(self, content: bytes | None, location: str) -> datetime | None:
        """The release's date, or None when its summary is missing or unreadable: one bad file of
        the release fails alone (``parse`` says which); the release is then dated at the index's
        Last-Modified, else now."""
        if content is None:
            return None
        try:
            return self._release_date(content, location)
        except ParseError:
            return None

    def _latest_release(self, index: object, location: str) -> str:
        entries = [p for p in index if isinstance(p, dict)] if isinstance(index, list) else []
        if not entries:
            raise ParseError(self.name, location, "expected a list of projects")
        entry = next((p for p in entries if p.get("id") == self.project), None)
        if entry is None:
            known = [p.get("id") for p in entries]
            raise ParseError(self.name, location, f"no project {self.project!r}; projects: {known}",
                             column="id")
        versions = [r for r in entry.get("releases") or [] if isinstance(r, str) and release_key(r)]
        if not versions:
            raise ParseError(self.name, location, f"project {self.project!r} lists no release",
                             column="releases")
        return max(versions, key=release_key)

    def _release_date(self, content: bytes, location: str) -> datetime:
        summary = json_document(content, self.name, location)
        raw = summary.get("date") if isinstance(summary, dict) else None
        try:
            return datetime.strptime(str(raw)[:10], "%Y-%m-%d")
        except ValueError:
            raise ParseError(self.name, location, f"no release date: {raw!r}", column="date") from None

    def _table(self, http: HttpClient, base: str) -> tuple[str, bytes]:
        """The accuracy table; releases that lack the per-table JSON have it in the group file."""
        single = f"{base}/groups/json/{self.group}_accuracy.json"
        try:
            return single, http.get(single).content
        except FetchError as exc:
            if exc.status != 404:
                raise
        whole = f"{base}/groups/{self.group}.json"
        return whole, http.get(whole).content

    def parse(self, snapshot: Snapshot) -> ParsedBatch:
        """A release's leaderboard table. Of a live release, its summary (the release date) and
        each benchmark column fail alone, named in a warning, while the rest is stored."""
        tables = {n: c for n, c in snapshot.files.items() if PurePosixPath(n).name != SUMMARY}
        if len(tables) != 1:
            raise ParseError(self.name, snapshot.location,
                             f"expected one leaderboard file, found {sorted(tables)}")
        ((location, content),) = tables.items()
        doc = json_document(content, self.name, location) if location.endswith(".json") else None
        release = isinstance(doc, list) or (isinstance(doc, dict) and "header" in doc)
        if release:
            wide, warnings = self._helm_table(doc, location)
            warnings += self._summary_failures(snapshot, location)
        else:
            wide, warnings = self._recorded(location, content, doc)
        if wide.empty:
            raise ParseError(self.name, location, "the leaderboard has no model rows")
        wide, notes = dedupe_models(wide, "model", None, "rows naming the same HELM model")
        present = {}
        for column in (c for c in self.columns.values() if c in wide.columns):
            try:
                numeric_column(wide, column, self.name, location)
                present[column] = column
            except ParseError as exc:
                if not release:  # a recorded file is one table, read whole or not at all
                    raise
                warnings.append(part_failed(f"benchmark {column}", exc))
        if not set(present) - self.aggregates:
            raise ParseError(self.name, location, "nothing usable parsed: " + "; ".join(warnings))
        rows, more = tidy(wide, "model", present, snapshot.observed_at, self.name, location)
        models = pd.DataFrame({
            "model": wide["model"].astype(str),
            "model_set": "all",
            "model_type": None,
            "display_name": wide["display_name"].astype(str),
        }).reset_index(drop=True)
        return ParsedBatch(rows, models, warnings + notes + more)

    def _summary_failures(self, snapshot: Snapshot, table: str) -> list[str]:
        """The release's summary.json, missing or without a date: a failure of that file only."""
        summaries = {n: c for n, c in snapshot.files.items() if PurePosixPath(n).name == SUMMARY}
        location = next(iter(summaries), f"{table.split('/groups/')[0]}/{SUMMARY}")
        try:
            if not summaries:
                raise ParseError(self.name, location, "missing: the release is dated at the fetch",
                                 column="date")
            self._release_date(summaries[location], location)
        except ParseError as exc:
            return [part_failed("file", exc)]
        return []

    def _accuracy_table(self, doc: object, location: str) -> dict:
        """The table itself, or the accuracy table of a group file (a list of tables)."""
        if isinstance(doc, dict):
            return doc
        tables = [t for t in doc if isinstance(t, dict)]
        for table in tables:
            if table.get("name") == "accuracy" or table.get("title") == "Accuracy":
                return table
        titles = [t.get("title") for t in tables]
        raise ParseError(self.name, location, f"no accuracy table among {titles}", column="accuracy")

    def _helm_table(self, doc: object, location: str) -> tuple[pd.DataFrame, list[str]]:
        table = self._accuracy_table(doc, location)
        header, rows = table.get("header"), table.get("rows")
        if not isinstance(header, list) or not isinstance(rows, list) or not header:
            raise ParseError(self.name, location, "a HELM table needs a 'header' and 'rows' list",
                             column="header")
        cells = [c if isinstance(c, dict) else {} for c in header]
        labels = [str(c.get("value", "")) for c in cells]
        warnings: list[str] = []
        mapped: dict[int, str] = {}
        for i, cell in enumerate(cells[1:], start=1):
            column = self.columns.get(_run_group(cell))
            if column is None:
                warnings.append(f"column {labels[i]!r} is not in the registry: ignored")
            elif column in mapped.values():
                raise ParseError(self.name, location, f"two columns map to {column!r}", column=labels[i])
            else:
                mapped[i] = column
        missing = [group for group, column in self.columns.items()
                   if column not in mapped.values() and column not in self.aggregates]
        if len(missing) == len(set(self.columns.values()) - self.aggregates):
            raise ParseError(self.name, location, f"missing column(s) {missing}; found {labels}",
                             column=missing[0])
        warnings += [part_failed(f"benchmark {self.columns[group]}", ParseError(
            self.name, location, f"missing column: no {group!r} in the table; found {labels}", column=group))
            for group in missing]
        records = []
        dropped = 0
        for r, row in enumerate(rows):
            cells_ok = isinstance(row, list) and all(isinstance(c, dict) for c in row)
            if not cells_ok or len(row) != len(header):
                raise ParseError(self.name, location, f"row is not {len(header)} cells", row=r)
            display = row[0].get("value")
            if not isinstance(display, str) or not display.strip():
                raise ParseError(self.name, location, f"no model name: {display!r}", column=labels[0], row=r)
            ids = _row_model_ids(row)
            if len(ids) > 1:
                warnings.append(f"{display!r}: cells name several models {sorted(ids)}: "
                                "keyed by display name")
            record: dict[str, object] = {
                "model": next(iter(ids)) if len(ids) == 1 else display,
                "display_name": display,
            }
            for i, column in mapped.items():
                value = row[i].get("value")
                if isinstance(value, float) and not math.isfinite(value):
                    dropped += 1
                    value = None
                record[column] = value
            records.append(record)
        if dropped:
            warnings.append(f"dropped {dropped} non-finite value(s)")
        columns = ["model", "display_name", *mapped.values()]
        return pd.DataFrame.from_records(records, columns=columns), warnings

    def _recorded(self, location: str, content: bytes, doc: object) -> tuple[pd.DataFrame, list[str]]:
        """A recorded file that is not a HELM table; projects with recordings override this."""
        raise ParseError(self.name, location, "not a HELM group table (no 'header' and 'rows')",
                         column="header")


class HelmSafety(HelmSource):
    """HELM Safety: five safety scenarios and their mean, 0-1, higher is safer."""

    name = "helm-safety"
    liveness, license, attribution = UPSTREAMS[name]
    homepage = "https://crfm.stanford.edu/helm/safety/latest/"
    project = "safety"
    group = "safety_scenarios"
    columns = {
        "Mean score": "mean_score",
        "HarmBench": "harm_bench_safety_score",
        "SimpleSafetyTests": "simple_safety_tests_safety_score",
        "BBQ": "bbq_accuracy",
        "Anthropic Red Team": "anthropic_red_team_safety_score",
        "XSTest": "xstest_safety_score",
    }
    RECORDED: ClassVar[str] = "helm-safety/helm_safety_release_snapshots_long.csv"
    # v1.0.0: the CRFM announcement (2024-11-08). v1.17.0: its summary.json
    # date as reported by a third-party probe. The rest are derived.
    KNOWN_DATES: ClassVar[Mapping[str, date]] = {"v1.0.0": date(2024, 11, 8), "v1.17.0": date(2025, 11, 24)}

    def replay(self, data_dir: Path, until: date | None = None) -> Iterator[Snapshot]:
        """One snapshot per release: the CSV header plus that release's lines."""
        path = Path(data_dir) / self.RECORDED
        if not path.is_file():
            raise ParseError(self.name, str(path), "recorded file is missing")
        header, *lines = path.read_bytes().splitlines(keepends=True)
        by_release: dict[str, list[bytes]] = {}
        for line in lines:
            by_release.setdefault(line.split(b",", 1)[0].decode(), []).append(line)
        table = pd.read_csv(path, usecols=["release", "model_display_name"])
        names = table.groupby("release", sort=False)["model_display_name"].apply(list)
        try:
            dates = release_dates([(r, names[r]) for r in by_release], self.KNOWN_DATES)
        except ValueError as exc:
            raise ParseError(self.name, str(path), str(exc), column="release") from None
        for release, release_lines in by_release.items():
            when = dates[release]
            if until is not None and when.date() > until:
                continue
            yield Snapshot(self.name, f"{release} ({when:%Y-%m-%d})", when, str(path),
                           {f"{release}/{path.name}": header + b"".join(release_lines)})

    def _recorded(self, location: str, content: bytes, doc: object) -> tuple[pd.DataFrame, list[str]]:
        """One release of the recorded long table (release, model_display_name, six scores)."""
        if not location.endswith(".csv"):
            return super()._recorded(location, content, doc)
        try:
            wide = pd.read_csv(io.BytesIO(content), dtype={"release": str, "model_display_name": str})
        except (UnicodeDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
            raise ParseError(self.name, location, f"not a readable CSV: {exc}") from None
        require_columns(wide, ("release", "model_display_name", *self.columns.values()), self.name, location)
        releases = wide["release"].unique().tolist()
        if len(releases) > 1:
            raise ParseError(self.name, location, f"one release expected, found {releases}", column="release")
        wide = wide.rename(columns={"model_display_name": "display_name"})
        wide.insert(0, "model", wide["display_name"])
        return wide, []


class HelmCapabilities(HelmSource):
    """HELM Capabilities: five capability benchmarks and their mean, 0-1."""

    name = "helm-capabilities"
    liveness, license, attribution = UPSTREAMS[name]
    homepage = "https://crfm.stanford.edu/helm/capabilities/latest/"
    project = "capabilities"
    group = "core_scenarios"
    columns = {
        "Mean score": "mean_score",
        "MMLU-Pro": "mmlu_pro",
        "GPQA": "gpqa",
        "IFEval": "ifeval",
        "WildBench": "wildbench",
        "Omni-MATH": "omni_math",
    }
    RECORDED: ClassVar[str] = "helm-capabilities/helm_capabilities_raw_scores_humanebench_2025-11-25.json"
    RECORDED_AT: ClassVar[datetime] = datetime(2025, 11, 25)
    # The recording's keys. It calls GPQA "gpqa_diamond", but its scores are
    # out of 446 questions: HELM Capabilities' GPQA main subset, not Diamond (198).
    RECORDED_KEYS: ClassVar[Mapping[str, str]] = {
        "mmlu_pro": "mmlu_pro",
        "gpqa_diamond": "gpqa",
        "ifeval": "ifeval",
        "wildbench": "wildbench",
        "omni_math": "omni_math",
    }

    def replay(self, data_dir: Path, until: date | None = None) -> Iterator[Snapshot]:
        path = Path(data_dir) / self.RECORDED
        if not path.is_file():
            raise ParseError(self.name, str(path), "recorded file is missing")
        if until is not None and self.RECORDED_AT.date() > until:
            return
        yield Snapshot(self.name, f"bucket scrape ({self.RECORDED_AT:%Y-%m-%d})", self.RECORDED_AT,
                       str(path), {path.name: path.read_bytes()})

    def _recorded(self, location: str, content: bytes, doc: object) -> tuple[pd.DataFrame, list[str]]:
        """The recorded score dictionary: {"benchmarks": [...], "models": {label: {key: score}}}."""
        if not isinstance(doc, dict) or not isinstance(doc.get("models"), dict):
            return super()._recorded(location, content, doc)
        listed = doc.get("benchmarks") or []
        missing = [k for k in self.RECORDED_KEYS if k not in listed]
        if missing:
            raise ParseError(self.name, location, f"missing benchmark(s) {missing}; found {listed}",
                             column=missing[0])
        warnings = [f"benchmark {k!r} is not in the registry: ignored"
                    for k in listed if k not in self.RECORDED_KEYS]
        records = []
        for r, (label, scores) in enumerate(doc["models"].items()):
            if not isinstance(scores, dict):
                raise ParseError(self.name, location, f"{label!r}: scores are not an object", row=r)
            record = {"model": label, "display_name": label}
            record.update({self.RECORDED_KEYS[k]: v for k, v in scores.items() if k in self.RECORDED_KEYS})
            records.append(record)
        columns = ["model", "display_name", *self.RECORDED_KEYS.values()]
        return pd.DataFrame.from_records(records, columns=columns), warnings
