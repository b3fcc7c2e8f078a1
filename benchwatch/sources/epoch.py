"""Epoch AI Benchmarking Hub (``https://epoch.ai/data/benchmark_data.zip``).

Epoch publishes one ZIP, rebuilt about daily, holding one CSV per benchmark
plus ``epoch_capabilities_index.csv``. Live, ``parse`` opens the ZIP; a
recorded snapshot is a folder of the same CSVs. Either way each CSV's bytes go
through the same per-file code, so replay and live give the same rows.

What is kept, and how:

- One headline score per benchmark file (``TABLES``: the score column is named
  differently in every file). The benchmark key is the file's stem, e.g.
  ``gpqa_diamond`` or ``mmlu_external``. Values are stored as published:
  most files are 0-1, a few 0-100, 0-10, Elo, minutes or GeoGuessr points;
  the registry (``benchwatch/data/benchmarks/epoch.csv``) records each scale
  and the parser checks values against it. If most of a column falls outside
  its scale, the scale changed upstream and parsing fails; a few stray values
  are dropped with a warning.
- ``eci``: the Epoch Capabilities Index from ``epoch_capabilities_index.csv``,
  an external capability axis. ``training_compute_flop``: training compute per
  model. Both are dated at the snapshot, because Epoch recomputes them.
- Model metadata: ``release_date`` and ``organization`` are extra columns
  of the models frame, from the ECI file first and then from any benchmark
  file that lists the model. ``display_name`` is the ECI file's display name,
  or the model version when that is empty.

Models are Epoch's ``Model version`` values, kept as published with their
reasoning-effort or budget suffix (``_high``, ``_xhigh``, ``_32K``,
``_unknown``...); each is a separate model, and the alias layer decides what
is the same model. Only surrounding whitespace is stripped (``'Llama-2-70b-hf '``).
Rows without a Model version are skipped with a warning: they are leaderboard
entries that Epoch has not linked to a model, such as agents or unnamed
checkpoints. When a file has several rows for one model (different agents,
shot counts or papers), the highest score is kept, which is the model's best
reported result. This rule does not depend on row order.

``observed_at`` is the row's evaluation date when the file has one
(``Started at`` for Epoch's own runs, ``Date of evaluation``, ``Run date``,
``Date added``... for external leaderboards). Otherwise it is the snapshot's
data time: the folder date of a recording, or the ZIP's Last-Modified when
live. The model's release date is not used, since a score can be published
long after the release.

Epoch has no base/chat split, so every model is in the single model set "all".
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
import zlib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from email.utils import parsedate_to_datetime
from functools import cache
from importlib.resources import files as package_files
from pathlib import Path, PurePosixPath

import numpy as np
import pandas as pd

from benchwatch.sources.base import (
    MODEL_COLUMNS,
    OBSERVATION_COLUMNS,
    Liveness,
    ParsedBatch,
    ParseError,
    Previous,
    Snapshot,
    Source,
    check_scale,
    numeric_column,
    require_columns,
)
from benchwatch.sources.http import HttpClient

SOURCE = "epoch"
ZIP_NAME = "benchmark_data.zip"
SNAPSHOT_FOLDER = re.compile(r"benchmark_data_(\d{4}-\d{2}-\d{2})")
ECI_FILE = "epoch_capabilities_index"
# ECI's own fit: benchmark difficulties and scaling anchors, not per-model scores.
IGNORED_FOLDERS = frozenset({"additional_eci_data", "__MACOSX"})

MODEL = "Model version"
RELEASE = "Release date"
ORGANIZATION = "Organization"
COMPUTE = "Training compute (FLOP)"
DISPLAY = "Display name"
COMPUTE_KEY = "training_compute_flop"
# Model metadata beyond the contract's models frame, for the lead to store.
EXTRA_MODEL_COLUMNS = ["release_date", "organization"]

@dataclass(frozen=True)
class Table:
    """How to read one of Epoch's CSVs: its headline score and its row date."""

    score: str
    dated_by: str | None = None
    key: str | None = None  # the benchmark key, when it is not the file's stem


EPOCH_RUN = "Started at"  # Epoch's own evaluations: when the run started
TABLES: dict[str, Table] = {
    ECI_FILE: Table("ECI Score", key="eci"),
    "adversarial_nli_external": Table("Score"),
    "aider_polyglot_external": Table("Percent correct", "Date of evaluation"),
    "apex_agents_external": Table("Pass@1 score"),
    "arc_agi_2_external": Table("Score"),
    "arc_agi_external": Table("Score"),
    "arc_ai2_external": Table("Challenge score"),
    "balrog_external": Table("Average progress", "Date added"),
    "bbh_external": Table("Average"),
    "bool_q_external": Table("Score"),
    "cad_eval_external": Table("Overall pass (%)"),
    "chess_puzzles": Table("mean_score", EPOCH_RUN),
    "common_sense_qa_2_external": Table("Score"),
    "cybench_external": Table("Unguided % Solved"),
    "deepresearchbench_external": Table("Average score"),
    "fictionlivebench_external": Table("120k token score"),
    "frontiermath": Table("mean_score", EPOCH_RUN),
    "frontiermath_tier_4": Table("mean_score", EPOCH_RUN),
    "gdpval_external": Table("Win Rate (%)"),
    "geobench_external": Table("ACW Avg Score"),
    "gpqa_diamond": Table("mean_score", EPOCH_RUN),
    "gsm8k_external": Table("EM"),
    "gso_external": Table("Score OPT@1", "Evaluation date"),
    "hella_swag_external": Table("Overall accuracy"),
    "hle_external": Table("Accuracy"),
    "lambada_external": Table("Score"),
    "lech_mazur_writing_external": Table("Mean score"),
    "live_bench_external": Table("Global average"),
    "math_level_5": Table("mean_score", EPOCH_RUN),
    "metr_time_horizons_external": Table("Time horizon"),
    "mmlu_external": Table("EM"),
    "open_book_qa_external": Table("Accuracy"),
    "os_world_external": Table("Score", "Date added"),
    "otis_mock_aime_2024_2025": Table("mean_score", EPOCH_RUN),
    "piqa_external": Table("Score"),
    "posttrainbench_external": Table("Average (%)"),
    "science_qa_external": Table("Score"),
    "simplebench_external": Table("Score (AVG@5)"),
    "simpleqa_verified": Table("mean_score", EPOCH_RUN),
    "superglue_external": Table("Score"),
    "swe_bench_bash": Table("% Resolved", "Date run"),
    "swe_bench_verified": Table("mean_score", EPOCH_RUN),
    "terminalbench_external": Table("Accuracy mean", "Run date"),
    "the_agent_company_external": Table("% Score", "Date"),
    "trivia_qa_external": Table("EM"),
    "video_mme_external": Table("Overall (no subtitles)"),
    "vpct_external": Table("Correct"),
    "webdev_arena_external": Table("Arena Score", "Last updated"),
    "weirdml_external": Table("Accuracy"),
    "wino_grande_external": Table("Accuracy"),
}


def benchmark_key(stem: str) -> str:
    """The benchmark key stored for a file: its stem, or the table's explicit key."""
    return TABLES[stem].key or stem


@cache
def registry_scales() -> dict[str, str]:
    """Published scale per benchmark key, read from the registry. The registry
    is the one place scales are written down, so the parser checks against it."""
    text = package_files("benchwatch").joinpath("data/benchmarks/epoch.csv").read_text("utf-8")
    return {row["column"]: row["scale"] for row in csv.DictReader(io.StringIO(text))}


def published_at(last_modified: str | None) -> datetime:
    """Data time of a live ZIP: its Last-Modified (naive UTC), else now."""
    if last_modified:
        try:
            when = parsedate_to_datetime(last_modified)
        except (TypeError, ValueError):
            when = None
        if when is not None:
            if when.tzinfo is not None:
                when = when.astimezone(UTC).replace(tzinfo=None)
            return when
    return datetime.now(UTC).replace(tzinfo=None)


class EpochBenchmarks(Source):
    name = SOURCE
    liveness = Liveness(
        "live", "Epoch AI updates the Benchmarking Hub several times a week, re-fitting ECI each time",
        "https://epoch.ai/data/ai-benchmarking-dashboard")
    license = "CC BY 4.0 (rows from Aider Polyglot and Terminal-Bench: Apache-2.0)"
    attribution = "Epoch AI, 'Data on AI Benchmarking', epoch.ai (CC BY 4.0)"
    homepage = "https://epoch.ai/benchmarks"
    endpoints = {"data": "https://epoch.ai/data"}
    pooled = True

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
        tables, warnings = self._tables(snapshot)
        at = pd.Timestamp(snapshot.observed_at)
        observations, metadata = [], []
        skipped: dict[str, list[str]] = {"unnamed": [], "duplicates": []}
        for stem in sorted(tables, key=lambda s: (s != ECI_FILE, s)):
            location, content = tables[stem]
            frame = self._read_csv(content, location)
            rows, meta, counts, notes = self._table(stem, frame, at, location)
            if stem == ECI_FILE and meta.empty:
                raise ParseError(self.name, location, "the capabilities index lists no models")
            observations.append(rows)
            metadata.append(meta)
            warnings += [f"{stem}: {note}" for note in notes]
            for kind, count in counts.items():
                if count:
                    skipped[kind].append(f"{stem} {count}")
        if skipped["unnamed"]:
            warnings.append("rows without a Model version (not linked to an Epoch model) skipped: "
                            + ", ".join(skipped["unnamed"]))
        if skipped["duplicates"]:
            warnings.append("several rows for one model in a file, kept the highest score; rows "
                            "dropped: " + ", ".join(skipped["duplicates"]))
        models = self._models(pd.concat(metadata, ignore_index=True))
        compute = models.loc[models["flop"].notna(), ["model", "flop"]]
        observations.append(pd.DataFrame({
            "model": compute["model"], "benchmark": COMPUTE_KEY,
            "value": compute["flop"], "observed_at": at,
        }))
        rows = pd.concat(observations, ignore_index=True)
        rows["observed_at"] = pd.to_datetime(rows["observed_at"]).astype("datetime64[us]")
        rows = rows.sort_values(["benchmark", "model"], kind="stable").reset_index(drop=True)
        return ParsedBatch(rows[OBSERVATION_COLUMNS], models[[*MODEL_COLUMNS, *EXTRA_MODEL_COLUMNS]],
                           warnings)

    def _tables(self, snapshot: Snapshot) -> tuple[dict[str, tuple[str, bytes]], list[str]]:
        """The CSVs of the snapshot by file stem, a live ZIP unpacked: (location, bytes)."""
        members: dict[str, tuple[str, bytes]] = {}
        for name, content in sorted(snapshot.files.items()):
            if name.lower().endswith(".zip"):
                for member, data in self._unzip(content, snapshot.location).items():
                    members[member] = (f"{snapshot.location}/{member}", data)
            else:
                members[name] = (f"{snapshot.location}/{name}", content)
        tables: dict[str, tuple[str, bytes]] = {}
        unknown = []
        for member, (location, content) in sorted(members.items()):
            path = PurePosixPath(member)
            if path.suffix.lower() != ".csv" or IGNORED_FOLDERS & set(path.parts[:-1]):
                continue
            if path.stem in tables:
                raise ParseError(self.name, location, f"a second file named {path.name}")
            if path.stem in TABLES:
                tables[path.stem] = (location, content)
            else:
                unknown.append(path.name)
        if not tables and not unknown:
            raise ParseError(self.name, snapshot.location, "no benchmark CSV in the payload")
        if ECI_FILE not in tables:
            raise ParseError(self.name, snapshot.location, f"{ECI_FILE}.csv is missing")
        warnings = []
        if unknown:
            warnings.append(f"file(s) not mapped, not ingested: {', '.join(unknown)}")
        absent = sorted(set(TABLES) - set(tables))
        if absent:
            warnings.append(f"known file(s) absent: {', '.join(absent)}")
        return tables, warnings

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

    def _read_csv(self, content: bytes, location: str) -> pd.DataFrame:
        try:
            return pd.read_csv(io.BytesIO(content), dtype=str, keep_default_na=False,
                               encoding="utf-8-sig")
        except (UnicodeDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
            raise ParseError(self.name, location, f"not a readable CSV: {exc}") from None

    def _table(
        self, stem: str, frame: pd.DataFrame, at: pd.Timestamp, location: str
    ) -> tuple[pd.DataFrame, pd.DataFrame, dict[str, int], list[str]]:
        """One CSV to (score rows, model metadata rows, skipped-row counts, warnings)."""
        table, key = TABLES[stem], benchmark_key(stem)
        required = [MODEL, table.score, RELEASE, ORGANIZATION, COMPUTE]
        required += [DISPLAY] if stem == ECI_FILE else []
        require_columns(frame, required, self.name, location)
        notes: list[str] = ["no rows: the file lists no model"] if frame.empty else []
        model = frame[MODEL].str.strip()
        values = self._values(frame, table.score, registry_scales()[key], location, notes)
        observed = pd.Series(at, index=frame.index)
        # Epoch adds date columns over time (aider's and GSO's appeared between
        # the March and April 2026 snapshots); a missing one only costs the row dates.
        if table.dated_by and table.dated_by not in frame.columns:
            notes.append(f"no {table.dated_by!r} column: rows dated at the snapshot")
        elif table.dated_by:
            dates = self._dates(frame[table.dated_by], table.dated_by, notes)
            late = dates > at
            if late.any():
                notes.append(f"{int(late.sum())} {table.dated_by!r} date(s) after the snapshot: "
                             "dated at the snapshot")
            observed = dates.where(dates.notna() & ~late, at)
        rows = pd.DataFrame({"model": model, "benchmark": key, "value": values,
                             "observed_at": observed})
        unnamed = int(((model == "") & values.notna()).sum())
        rows = rows[(model != "") & values.notna()]
        best = (rows.sort_values(["value", "observed_at"], ascending=[False, True], kind="stable")
                .drop_duplicates("model"))
        meta = pd.DataFrame({
            "model": model,
            "display_name": frame[DISPLAY].str.strip() if stem == ECI_FILE else "",
            "release_date": self._dates(frame[RELEASE], RELEASE, notes),
            "organization": frame[ORGANIZATION].str.strip(),
            "flop": self._values(frame, COMPUTE, "flop", location, notes),
        })[model != ""]
        counts = {"unnamed": unnamed, "duplicates": len(rows) - len(best)}
        return best, meta, counts, notes

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
        """One row per model: the first non-empty value of each field, ECI file first."""
        meta = meta.replace({"display_name": {"": None}, "organization": {"": None}})
        first = meta.groupby("model", sort=True).first()
        names = first.index.to_series()
        organization = first["organization"].astype(object)
        return pd.DataFrame({
            "model": names,
            "model_set": "all",
            "model_type": None,
            "display_name": first["display_name"].fillna(names),
            "release_date": first["release_date"].astype("datetime64[us]"),
            "organization": organization.where(organization.notna(), None),
            "flop": first["flop"],
        }).reset_index(drop=True)
