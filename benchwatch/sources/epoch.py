"""Epoch AI Benchmarking Hub (``https://epoch.ai/data/benchmark_data.zip``).

Epoch publishes one ZIP, rebuilt about daily, holding one CSV per benchmark and
the files that say what they are. Its layout changed in mid-2026
(``epoch_layouts``: ``old`` and ``current``); the layout is told by the ZIP's
entries, and a recorded folder (old layout) is read by the same code, so replay
and live give the same rows.

What is kept, and how:

- One headline score per benchmark file: in the current layout the column
  ``benchmark_metadata.csv`` names (with its scale, ``in_eci`` and
  ``superseded_by``, kept in ``ParsedBatch.declared``); in the old layout the
  hand-kept ``TABLES``. Beside it, a few further metrics of a file where they
  measure safety (``EXTRA_METRICS``: HLE's ``Calibration Error``). The key is
  the file's stem (``gpqa_diamond``, ``cybench_external``) in both layouts, so
  history continues across the change. Values are stored as published and
  checked against the declared scale, else the registry's: if most of a
  column falls outside it the scale changed upstream and that benchmark fails;
  a few stray values are dropped with a warning.
- ``eci`` (with ``eci_ci_low`` / ``eci_ci_high`` where published): ECI is
  fitted per model *group*. Every model version of a group gets the group's
  ECI: the old layout already did exactly that (its ten Claude 3.7 Sonnet
  versions carry one ECI), benchmarks are run and published per version, and
  the identity layer keeps reasoning-effort variants apart on purpose, so
  making the group the model would lose per-version scores and break the
  recorded history. Versions of one group repeat one ECI, so against ECI the
  analysis makes each group one point (``analysis.units``).
- ``training_compute_flop``: training compute per model (``model_metadata.csv``
  in the current layout, the index and benchmark files in the old one). ECI
  and compute are dated at the snapshot, because Epoch recomputes them.
- Model metadata: ``release_date``, ``organization`` and ``model_group``.

One bad file is not a bad source: a file that is missing, unreadable or lacks
its column fails alone (a warning ``<what> failed, not ingested: <file>,
column '<column>': <problem>``, which the schema-changed rule reads), and the
rest is stored. The parse fails only when nothing usable is left.

Models are Epoch's ``Model version`` values as published, suffix included
(``_high``, ``_32K``, ``_unknown``); only surrounding whitespace is stripped.
Rows without a version are skipped with a warning; of several rows for one
model in a file (agents, scaffolds, papers) the highest score is kept.
``observed_at`` is the row's evaluation date when the file has one, else the
snapshot's data time (folder date, or the ZIP's Last-Modified). Epoch flags no
base/chat split: every model is stored in the set "all" and the identity layer
gives it a kind (``identity.kinds``). Each model keeps the record ids of its rows
(``record_ids``): a row renamed upstream keeps its id (``identity.records``).
A ZIP is a full snapshot: what it no longer lists is withdrawn (``storage.revisions``).
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
import zlib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from functools import cache
from importlib.resources import files as package_files
from pathlib import Path, PurePosixPath

import numpy as np
import pandas as pd

from benchwatch.records import DECLARED_COLUMNS, MODEL_COLUMNS, OBSERVATION_COLUMNS, ParsedBatch, Previous, Snapshot
from benchwatch.sources.base import (
    ParseError,
    Source,
    check_scale,
    numeric_column,
    part_failed,
    published_at,
    require_columns,
)
from benchwatch.sources.epoch_layouts import (
    BENCHMARK_METADATA,
    CURRENT,
    ECI_HIGH_KEY,
    ECI_KEY,
    ECI_LOW_KEY,
    ECI_SCORES,
    EPOCH_RUN,
    METADATA_COLUMNS,
    MODEL_METADATA,
    MODEL_METADATA_COLUMNS,
    OLD_INDEX,
    TABLES,
    Metric,
    current_metrics,
    declared,
    detect_layout,
    group_eci,
    model_groups,
    old_metrics,
)
from benchwatch.sources.http import HttpClient
from benchwatch.upstreams import UPSTREAMS

SOURCE = "epoch"
ZIP_NAME = "benchmark_data.zip"
SNAPSHOT_FOLDER = re.compile(r"benchmark_data_(\d{4}-\d{2}-\d{2})")
ECI_FILE = OLD_INDEX.removesuffix(".csv")
# ECI's own fit: benchmark difficulties and scaling anchors, not per-model scores.
IGNORED_FOLDERS = frozenset({"additional_eci_data", "__MACOSX"})
SPECIAL_FILES = frozenset({OLD_INDEX, BENCHMARK_METADATA, MODEL_METADATA})

MODEL = "Model version"
RELEASE = "Release date"
ORGANIZATION = "Organization"
COMPUTE = "Training compute (FLOP)"
DISPLAY = "Display name"
COMPUTE_KEY = "training_compute_flop"
# Model metadata beyond the contract's models frame, for the lead to store.
RECORD_ID = "id"
EXTRA_MODEL_COLUMNS = ["release_date", "organization", "model_group", "record_ids"]
META_COLUMNS = ["model", "display_name", "release_date", "organization", "flop", "model_group", "record_id"]
OLD_LAYOUT_NOTE = (f"old layout mapped: {OLD_INDEX} keyed by model version, headline columns from "
                   "the hand-kept table")


@cache
def registry_scales() -> dict[str, str]:
    """Published scale per benchmark key, read from the registry: the scale checked when
    Epoch's own metadata does not declare one."""
    text = package_files("benchwatch").joinpath("data/benchmarks/epoch.csv").read_text("utf-8")
    return {row["column"]: row["scale"] for row in csv.DictReader(io.StringIO(text))}


@dataclass
class _Parse:
    """One payload being parsed: its files, and what failed or was noted on the way."""

    source: str
    files: dict[str, tuple[str, bytes]]  # member path -> (location, bytes)
    at: pd.Timestamp
    failures: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    observations: list[pd.DataFrame] = field(default_factory=list)
    metadata: list[pd.DataFrame] = field(default_factory=list)
    # Rows skipped per benchmark: without a model version, or a model's second row.
    skipped: dict[str, list[str]] = field(default_factory=lambda: {"unnamed": [], "duplicates": []})

    def warnings(self) -> list[str]:
        """Notes, one line per kind of skipped row, then the failed files."""
        out = list(self.notes)
        if self.skipped["unnamed"]:
            out.append("rows without a Model version (not linked to an Epoch model) skipped: "
                       + ", ".join(self.skipped["unnamed"]))
        if self.skipped["duplicates"]:
            out.append("several rows for one model in a file, kept the highest score; rows "
                       "dropped: " + ", ".join(self.skipped["duplicates"]))
        return out + self.failures

    def fail(self, what: str, error: ParseError) -> None:
        self.failures.append(part_failed(what, error))

    def missing(self, name: str, why: str) -> None:
        self.fail("file", ParseError(self.source, name, why))

    def frame(self, name: str, required: list[str]) -> pd.DataFrame | None:
        """A CSV member with its required columns, or None with its failure recorded."""
        location, content = self.files[name]
        try:
            frame = pd.read_csv(io.BytesIO(content), dtype=str, keep_default_na=False, encoding="utf-8-sig")
        except (UnicodeDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
            self.fail("file", ParseError(self.source, location, f"not a readable CSV: {exc}"))
            return None
        try:
            require_columns(frame, required, self.source, location)
        except ParseError as exc:
            self.fail("file", exc)
            return None
        return frame


class EpochBenchmarks(Source):
    name = SOURCE
    liveness, license, attribution = UPSTREAMS[name]
    homepage = "https://epoch.ai/benchmarks"
    endpoints = {"data": "https://epoch.ai/data"}
    pooled = True
    full_snapshot = True

    def replay(self, data_dir: Path, until: date | None = None) -> Iterator[Snapshot]:
        folder = Path(data_dir) / "epoch"
        dated = sorted(
            (date.fromisoformat(match.group(1)), path)
            for path in folder.glob("benchmark_data_*")
            if path.is_dir() and (match := SNAPSHOT_FOLDER.fullmatch(path.name))
        )
        if not dated:
            raise ParseError(self.name, str(folder), "no recorded benchmark_data_<date> folder")
        for day, path in dated:
            if until is not None and day > until:
                continue
            recorded = {
                csv_path.relative_to(path).as_posix(): csv_path.read_bytes()
                for csv_path in sorted(path.rglob("*.csv"))
            }
            yield Snapshot(self.name, day.isoformat(), datetime(day.year, day.month, day.day),
                           str(path), recorded)

    def fetch(self, http: HttpClient, previous: Mapping[str, Previous]) -> Iterator[Snapshot]:
        """The ZIP, with a conditional request: an unchanged ZIP is one 304 and nothing more."""
        url = f"{self.urls['data']}/{ZIP_NAME}"
        last = previous.get(url)
        got = http.get(url, last)
        observed = published_at(got.last_modified)
        snapshot = Snapshot(
            self.name,
            observed.date().isoformat(),
            observed,
            url,
            {} if got.not_modified else {ZIP_NAME: got.content},
            mode="live",
            http_status=got.status,
            etag=got.etag,
            last_modified=got.last_modified,
            not_modified=got.not_modified,
        )
        # A server that ignores conditional headers still costs one download,
        # but an identical ZIP is not handed on as new data.
        if not got.not_modified and last is not None and last.content_hash == snapshot.content_hash:
            snapshot = replace(snapshot, files={}, not_modified=True)
        yield snapshot

    def parse(self, snapshot: Snapshot) -> ParsedBatch:
        job = _Parse(self.name, self._members(snapshot), pd.Timestamp(snapshot.observed_at))
        if not job.files:
            raise ParseError(self.name, snapshot.location, "no benchmark CSV in the payload")
        stems = {PurePosixPath(n).stem for n in job.files
                 if "/" not in n and n not in SPECIAL_FILES}
        if detect_layout(job.files) == CURRENT:
            metrics = self._current(job, stems)
        else:
            metrics = self._old(job, stems)
        for stem in sorted({m.file for m in metrics}):
            self._benchmark_file(job, stem, [m for m in metrics if m.file == stem])
        rows = pd.concat([o for o in job.observations if len(o)] or
                         [pd.DataFrame(columns=OBSERVATION_COLUMNS)], ignore_index=True)
        if rows.empty:
            raise ParseError(self.name, snapshot.location, "nothing usable parsed: "
                             + ("; ".join(job.failures) or "the payload lists no model with a score"))
        models = self._models(pd.concat(job.metadata, ignore_index=True))
        compute = models.loc[models["flop"].notna(), ["model", "flop"]]
        rows = pd.concat([rows, pd.DataFrame({"model": compute["model"], "benchmark": COMPUTE_KEY,
                                              "value": compute["flop"], "observed_at": job.at})],
                         ignore_index=True)
        rows["observed_at"] = pd.to_datetime(rows["observed_at"]).astype("datetime64[us]")
        rows = rows.sort_values(["benchmark", "model"], kind="stable").reset_index(drop=True)
        return ParsedBatch(rows[OBSERVATION_COLUMNS], models[[*MODEL_COLUMNS, *EXTRA_MODEL_COLUMNS]],
                           job.warnings(),
                           declared(metrics) if metrics else pd.DataFrame(columns=DECLARED_COLUMNS))

    # -- the two layouts --------------------------------------------------------------------

    def _old(self, job: _Parse, stems: set[str]) -> list[Metric]:
        """Old layout: the index keyed by model version, the hand-kept table for the rest."""
        job.notes.append(OLD_LAYOUT_NOTE)
        if OLD_INDEX not in job.files:
            job.missing(OLD_INDEX, "the capabilities index is missing: no ECI in this payload")
        else:
            self._old_index(job)
        unknown = sorted(f"{s}.csv" for s in stems - set(TABLES))
        if unknown:
            job.notes.append(f"file(s) not mapped, not ingested: {', '.join(unknown)}")
        absent = sorted(set(TABLES) - stems)
        if absent:
            job.notes.append(f"known file(s) absent: {', '.join(absent)}")
        return old_metrics(stems)

    def _old_index(self, job: _Parse) -> None:
        location = job.files[OLD_INDEX][0]
        frame = job.frame(OLD_INDEX, [MODEL, "ECI Score", DISPLAY])
        if frame is None:
            return
        if frame.empty:
            job.missing(location, "the capabilities index lists no models")
            return
        model = frame[MODEL].str.strip()
        try:
            values = self._values(frame, "ECI Score", "index", location, job.notes)
        except ParseError as exc:
            job.fail("file", exc)
            return
        job.observations.append(self._named(job, pd.DataFrame(
            {"model": model, "benchmark": ECI_KEY, "value": values, "observed_at": job.at}), OLD_INDEX))
        group = frame["Model name"].str.strip() if "Model name" in frame.columns else ""
        job.metadata.append(self._meta(frame, model, location, job, display=frame[DISPLAY].str.strip(),
                                       group=group))

    def _current(self, job: _Parse, stems: set[str]) -> list[Metric]:
        """Current layout: the metadata files speak for headline columns, groups and ECI."""
        metrics: list[Metric] = []
        if BENCHMARK_METADATA not in job.files:
            job.missing(BENCHMARK_METADATA, "missing: headline columns from the hand-kept table")
        elif (frame := job.frame(BENCHMARK_METADATA, METADATA_COLUMNS)) is not None:
            metrics, notes = current_metrics(frame)
            job.notes += notes
        if not metrics:
            metrics = old_metrics(stems)
        named = {m.file for m in metrics}
        for stem in sorted(named - stems):
            job.missing(f"{stem}.csv", f"named by {BENCHMARK_METADATA} but not in the payload")
        unknown = sorted(f"{s}.csv" for s in stems - named)
        if unknown:
            job.notes.append(f"file(s) not mapped, not ingested: {', '.join(unknown)}")
        self._groups(job)
        return [m for m in metrics if m.file in stems]

    def _groups(self, job: _Parse) -> None:
        """``model_metadata.csv`` (versions -> groups, compute) and ECI per group to each version."""
        groups = None
        if MODEL_METADATA not in job.files:
            job.missing(MODEL_METADATA, "missing: no model groups, so no ECI per model version")
        elif (frame := job.frame(MODEL_METADATA, MODEL_METADATA_COLUMNS)) is not None:
            groups, blank = model_groups(frame)
            if blank:
                job.notes.append(f"{MODEL_METADATA}: {blank} row(s) without a model_version skipped")
            flop = pd.to_numeric(groups["flop"], errors="coerce")
            unreadable = int((flop.isna() & (groups["flop"] != "")).sum())
            if unreadable:
                job.notes.append(f"{MODEL_METADATA}: {unreadable} unreadable training_compute_flop value(s)")
            job.metadata.append(pd.DataFrame({
                "model": groups["model"], "display_name": groups["display_name"],
                "release_date": self._dates(groups["release"], "date", job.notes),
                "organization": groups["organization"], "flop": flop.where(np.isfinite(flop)),
                "model_group": groups["model_group"], "record_id": ""}))
        if ECI_SCORES not in job.files:
            job.missing(ECI_SCORES, "missing: no ECI in this payload")
            return
        scores = job.frame(ECI_SCORES, ["Model", ECI_KEY])
        if scores is None or groups is None:
            return
        location = job.files[ECI_SCORES][0]
        eci = {}
        for key in (ECI_KEY, ECI_LOW_KEY, ECI_HIGH_KEY):
            if key not in scores.columns:
                continue
            try:
                eci[key] = self._values(scores, key, "index", location, job.notes)
            except ParseError as exc:
                job.fail("file" if key == ECI_KEY else "column", exc)
                if key == ECI_KEY:
                    return
        if scores.empty or eci[ECI_KEY].isna().all():
            job.missing(location, "the capabilities index lists no scores")
            return
        long, notes = group_eci(groups, scores, eci)
        job.notes += notes
        job.observations.append(long.assign(observed_at=job.at)[OBSERVATION_COLUMNS])

    # -- benchmark files ---------------------------------------------------------------------

    def _benchmark_file(self, job: _Parse, stem: str, metrics: list[Metric]) -> None:
        """One benchmark CSV: each of its metrics, one failing without the others."""
        name = f"{stem}.csv"
        location = job.files[name][0]
        frame = job.frame(name, [MODEL])
        if frame is None:
            return
        if frame.empty:
            job.notes.append(f"{stem}: no rows: the file lists no model")
        model = frame[MODEL].str.strip()
        notes: list[str] = []
        kept: pd.Index | None = None  # the rows the headline kept: further metrics come from them
        for metric in metrics:
            try:
                require_columns(frame, [metric.column], self.name, location)
                scale = metric.scale or registry_scales().get(metric.key, "")
                values = self._values(frame, metric.column, scale, location, notes)
            except ParseError as exc:
                job.fail("file" if len(metrics) == 1 else f"benchmark {metric.key}", exc)
                continue
            rows = pd.DataFrame({"model": model, "benchmark": metric.key, "value": values,
                                 "observed_at": self._row_dates(frame, metric, job.at, notes)})
            if kept is None:
                rows = self._named(job, rows, stem)
                kept = rows.index
            else:
                rows = rows.loc[rows.index.isin(kept) & rows["value"].notna()]
            job.observations.append(rows)
        job.notes += [f"{stem}: {note}" for note in dict.fromkeys(notes)]
        job.metadata.append(self._meta(frame, model, location, job))

    def _named(self, job: _Parse, rows: pd.DataFrame, stem: str) -> pd.DataFrame:
        """Rows with a model and a value; of several rows for one model the best score
        (the model's best reported result; the rule does not depend on row order)."""
        named = (rows["model"] != "") & rows["value"].notna()
        unnamed = int(((rows["model"] == "") & rows["value"].notna()).sum())
        rows = rows[named]
        best = (rows.sort_values(["value", "observed_at"], ascending=[False, True], kind="stable")
                .drop_duplicates("model"))
        if unnamed:
            job.skipped["unnamed"].append(f"{stem} {unnamed}")
        if len(rows) > len(best):
            job.skipped["duplicates"].append(f"{stem} {len(rows) - len(best)}")
        return best

    def _row_dates(self, frame: pd.DataFrame, metric: Metric, at: pd.Timestamp,
                   notes: list[str]) -> pd.Series:
        """The row's evaluation date when the file has one, else the snapshot's time.

        Epoch adds date columns over time (aider's and GSO's appeared between
        the March and April 2026 snapshots); a missing one only costs the row dates.
        """
        dated_by = metric.dated_by or (EPOCH_RUN if EPOCH_RUN in frame.columns else None)
        observed = pd.Series(at, index=frame.index)
        if dated_by and dated_by not in frame.columns:
            notes.append(f"no {dated_by!r} column: rows dated at the snapshot")
        elif dated_by:
            dates = self._dates(frame[dated_by], dated_by, notes)
            late = dates > at
            if late.any():
                notes.append(f"{int(late.sum())} {dated_by!r} date(s) after the snapshot: "
                             "dated at the snapshot")
            observed = dates.where(dates.notna() & ~late, at)
        return observed

    def _meta(self, frame: pd.DataFrame, model: pd.Series, location: str, job: _Parse,
              display: pd.Series | str = "", group: pd.Series | str = "") -> pd.DataFrame:
        """Model metadata a file carries (release date, organization, compute), where it has them."""
        empty = pd.Series("", index=frame.index)
        notes: list[str] = []
        flop = pd.Series(np.nan, index=frame.index)
        if COMPUTE in frame.columns:
            try:
                flop = self._values(frame, COMPUTE, "flop", location, notes)
            except ParseError as exc:
                job.fail("column", exc)
        meta = pd.DataFrame({
            "model": model, "display_name": display,
            "release_date": self._dates(frame.get(RELEASE, empty), RELEASE, notes),
            "organization": frame.get(ORGANIZATION, empty).str.strip(),
            "flop": flop, "model_group": group,
            "record_id": frame.get(RECORD_ID, empty).str.strip(),
        })[model != ""]
        job.notes += [f"{PurePosixPath(location).stem}: {note}" for note in notes]
        return meta[META_COLUMNS]

    def _members(self, snapshot: Snapshot) -> dict[str, tuple[str, bytes]]:
        """The CSVs of the snapshot by path, a live ZIP unpacked: (location, bytes)."""
        members: dict[str, tuple[str, bytes]] = {}
        for name, content in sorted(snapshot.files.items()):
            if name.lower().endswith(".zip"):
                for member, data in self._unzip(content, snapshot.location).items():
                    members[member] = (f"{snapshot.location}/{member}", data)
            else:
                members[name] = (f"{snapshot.location}/{name}", content)
        return {name: item for name, item in sorted(members.items())
                if PurePosixPath(name).suffix.lower() == ".csv"
                and not IGNORED_FOLDERS & set(PurePosixPath(name).parts[:-1])}

    def _unzip(self, content: bytes, location: str) -> dict[str, bytes]:
        if not content:
            raise ParseError(self.name, location, "empty body instead of a ZIP archive")
        try:
            with zipfile.ZipFile(io.BytesIO(content)) as archive:
                return {info.filename: archive.read(info)
                        for info in archive.infolist() if not info.is_dir()}
        except (zipfile.BadZipFile, EOFError, zlib.error, NotImplementedError) as exc:
            raise ParseError(
                self.name, location,
                f"not a readable ZIP archive ({exc}); "
                f"{len(content)} bytes starting {content[:40]!r}",
            ) from None

    def _values(
        self, frame: pd.DataFrame, column: str, scale: str, location: str, notes: list[str]
    ) -> pd.Series:
        """A score column as floats, checked against its published scale."""
        values = numeric_column(frame, column, self.name, location)
        infinite = values.notna() & ~np.isfinite(values)
        if infinite.any():
            notes.append(f"{column}: dropped {int(infinite.sum())} non-finite value(s)")
            values = values.where(~infinite)
        return check_scale(values, scale, self.name, location, column, notes)

    @staticmethod
    def _dates(raw: pd.Series, column: str, notes: list[str]) -> pd.Series:
        """ISO dates or timestamps to naive UTC; unreadable ones become NaT with a warning."""
        text = raw.str.strip()
        parsed = pd.to_datetime(text.where(text != ""), errors="coerce", utc=True,
                                format="ISO8601")
        bad = parsed.isna() & (text != "")
        if bad.any():
            notes.append(f"{int(bad.sum())} unreadable {column!r} date(s), e.g. "
                         f"{text[bad].iloc[0]!r}: treated as missing")
        return parsed.dt.tz_localize(None).astype("datetime64[us]")

    @staticmethod
    def _models(meta: pd.DataFrame) -> pd.DataFrame:
        """One row per model: the first non-empty value of each field, the model index first, and
        every upstream record id its rows carry (``record_ids``, space-separated): a row renamed
        upstream keeps its id, which is how identity knows the new name is the old model."""
        meta = meta.replace({"display_name": {"": None}, "organization": {"": None},
                             "model_group": {"": None}})
        ids = meta.loc[meta["record_id"] != "", ["model", "record_id"]].drop_duplicates().sort_values("record_id")
        record_ids = ids.groupby("model")["record_id"].agg(" ".join)
        first = meta.drop(columns="record_id").groupby("model", sort=True).first()
        names = first.index.to_series()
        def text(column: str) -> pd.Series:
            values = first[column].astype(object)
            return values.where(values.notna(), None)
        return pd.DataFrame({
            "model": names,
            "model_set": "all",
            "model_type": None,
            "display_name": first["display_name"].fillna(names),
            "release_date": first["release_date"].astype("datetime64[us]"),
            "organization": text("organization"),
            "model_group": text("model_group"),
            "flop": first["flop"],
            "record_ids": record_ids.reindex(names.index),
        }).reset_index(drop=True)
