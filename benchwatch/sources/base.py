"""The source interface: every leaderboard is one module implementing ``Source``.

A source turns upstream bytes into tidy rows. It gets those bytes either live
(``fetch``, over HTTP) or from a recorded snapshot (``replay``); both hand the
same ``Snapshot`` (``benchwatch.records``) to the same ``parse``, so a replay
exercises the live parser. What a source is (live or frozen, its licence) is
declared in ``benchwatch.upstreams``.
"""

from __future__ import annotations

import json
from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator, Mapping
from datetime import UTC, date, datetime
from email.utils import parsedate_to_datetime
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, ClassVar

import numpy as np
import pandas as pd

from benchwatch.records import OBSERVATION_COLUMNS, ParsedBatch, Previous, Snapshot
from benchwatch.sources.errors import ParseError
from benchwatch.sources.http import HttpClient, rebase
from benchwatch.upstreams import Liveness

if TYPE_CHECKING:
    from benchwatch.settings import Settings


# The start of a warning saying one file (or one benchmark of a file) of a multi-file payload
# failed while the rest was stored: the schema-changed rule reads it.
PART_FAILED = "failed, not ingested"


def part_failed(what: str, error: ParseError) -> str:
    """The warning for one failed file of a multi-file payload: the file, the column, the problem."""
    where = f", column {error.column!r}" if error.column else ""
    where += f", row {error.row}" if error.row is not None else ""
    return f"{what} {PART_FAILED}: {PurePosixPath(error.location).name}{where}: {error.problem}"


class Source(ABC):
    """One leaderboard. Subclasses set the class attributes and three methods."""

    name: ClassVar[str]
    license: ClassVar[str]
    attribution: ClassVar[str]
    homepage: ClassVar[str]
    # Named base URLs of the live endpoints, the real ones.
    endpoints: ClassVar[Mapping[str, str]]
    liveness: ClassVar[Liveness]
    # Whether the pooled "all" model set is meaningful. The paper never pools
    # base and chat models, so a source split only that way sets this False.
    pooled: ClassVar[bool] = True
    # Whether one snapshot is the source's whole state for the benchmarks it carries (an Epoch
    # ZIP, the paper's matrices), so a value it no longer lists was withdrawn upstream; False
    # for increments, which only add and revise.
    full_snapshot: ClassVar[bool] = False

    def withdraw_max_share(self, settings: Settings) -> float:
        """The largest share of current values one full snapshot may withdraw before it is refused
        as a broken payload: ``withdraw_max_share`` of the settings, unless a source says otherwise."""
        return settings.withdraw_max_share

    def __init__(self, upstream_base: str | None = None) -> None:
        # One knob points every endpoint of every source at a stand-in upstream
        # (the loopback servers of the tests), keeping the real host as a path
        # prefix so one server can play several hosts.
        self.urls = {key: rebase(url, upstream_base) for key, url in self.endpoints.items()}

    @classmethod
    def configured(cls, settings: Settings) -> "Source":
        """This source as the settings configure it; most need only the endpoints' base."""
        return cls(upstream_base=settings.upstream_base)

    @abstractmethod
    def replay(self, data_dir: Path, until: date | None = None) -> Iterator[Snapshot]:
        """Recorded snapshots under ``data_dir``, oldest first, none after ``until``."""

    @abstractmethod
    def fetch(self, http: HttpClient, previous: Mapping[str, Previous]) -> Iterator[Snapshot]:
        """The newest upstream state, with conditional requests keyed by location."""

    @abstractmethod
    def parse(self, snapshot: Snapshot) -> ParsedBatch:
        """Bytes to tidy rows; raises ParseError naming what is wrong and where."""


# Bounds of the published scales that have bounds (Elo, FLOP, counts, indexes have none).
SCALE_BOUNDS = {"0-1": (0.0, 1.0), "0-100": (0.0, 100.0), "0-10": (0.0, 10.0),
                "1-10": (1.0, 10.0), "0-5000": (0.0, 5000.0)}


def check_scale(
    values: pd.Series, scale: str, source: str, location: str, column: str, notes: list[str]
) -> pd.Series:
    """Hold a score column to its published scale.

    Most values outside it means the upstream changed scale (0-1 became 0-100):
    the fetch fails, naming the column, rather than storing numbers that mean
    something else. A few strays are dropped, and the warning says which.
    """
    if scale not in SCALE_BOUNDS:
        return values
    low, high = SCALE_BOUNDS[scale]
    outside = values.notna() & ~values.between(low, high)
    if 2 * int(outside.sum()) > int(values.notna().sum()):
        row = int(np.flatnonzero(outside.to_numpy())[0])
        raise ParseError(
            source, location,
            f"{int(outside.sum())} of {int(values.notna().sum())} values outside the "
            f"published {scale} scale (e.g. {values.iloc[row]}): the scale changed upstream",
            column=column, row=row,
        )
    if outside.any():
        notes.append(f"{column}: dropped {int(outside.sum())} value(s) outside the {scale} "
                     f"scale: {values[outside].head(3).tolist()}")
        values = values.where(~outside)
    return values


def enforce_scales(batch: ParsedBatch, scales: Mapping[str, str], source: str, location: str) -> ParsedBatch:
    """Every benchmark of a parsed batch checked against its published scale: the registry's,
    or the one the upstream declares in the batch (``ParsedBatch.declared``), which wins.

    One vectorized pass finds the values outside their bounds; only the
    benchmarks that have any go through ``check_scale`` for its verdict.
    """
    observations = batch.observations
    if observations.empty:
        return batch
    declared = batch.declared[batch.declared["scale"].fillna("") != ""]
    scales = {**scales, **dict(zip(declared["benchmark"], declared["scale"], strict=True))}
    benchmark = observations["benchmark"].astype(str)
    bounds = {name: SCALE_BOUNDS.get(scale, (-np.inf, np.inf)) for name, scale in scales.items()}
    low = benchmark.map({name: b[0] for name, b in bounds.items()}).fillna(-np.inf).to_numpy(float)
    high = benchmark.map({name: b[1] for name, b in bounds.items()}).fillna(np.inf).to_numpy(float)
    values = observations["value"].to_numpy(dtype=float)
    outside = (values < low) | (values > high)
    if not outside.any():
        return batch
    warnings = list(batch.warnings)
    checked = observations["value"].copy()
    for name in sorted(pd.unique(benchmark[outside])):
        index = benchmark.index[benchmark.to_numpy() == name]
        checked.loc[index] = check_scale(observations.loc[index, "value"], scales.get(name, ""),
                                         source, location, name, warnings)
    kept = observations.assign(value=checked)
    return ParsedBatch(kept[kept["value"].notna()].reset_index(drop=True), batch.models, warnings,
                       batch.declared)


def published_at(last_modified: str | None) -> datetime:
    """Data time of a live payload: its Last-Modified (naive UTC), else now."""
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


def json_document(content: bytes, source: str, location: str) -> object:
    """Upstream bytes read as JSON, or a ParseError naming where and what came instead: its start
    shows at once an HTML error page or a truncated body served in its place."""
    try:
        return json.loads(content)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        start = content[:60].decode("utf-8", "replace")
        raise ParseError(source, location, f"not JSON ({exc}); starts with {start!r}") from None


def require_columns(
    frame: pd.DataFrame, required: Iterable[str], source: str, location: str
) -> None:
    """Fail before anything is written when the payload lacks a column we map."""
    missing = [c for c in required if c not in frame.columns]
    if missing:
        raise ParseError(
            source,
            location,
            f"missing column(s) {missing}; found {list(frame.columns)[:30]}",
            column=missing[0],
        )


def numeric_column(frame: pd.DataFrame, column: str, source: str, location: str) -> pd.Series:
    """Coerce a score column to float, naming the first cell that is not a number."""
    raw = frame[column]
    if raw.dtype.kind in "iuf":  # already numbers: nothing to name
        return raw.astype(float)
    values = pd.to_numeric(raw, errors="coerce")
    bad = values.isna() & raw.notna() & (raw.astype(str).str.strip() != "")
    if bad.any():
        row = int(np.flatnonzero(bad.to_numpy())[0])
        raise ParseError(
            source, location, f"not a number: {str(raw.iloc[row])[:80]!r}", column=column, row=row
        )
    return values.astype(float)


def tidy(
    wide: pd.DataFrame,
    model_column: str,
    benchmark_columns: Mapping[str, str],
    observed_at: pd.Series | datetime,
    source: str,
    location: str,
) -> tuple[pd.DataFrame, list[str]]:
    """Wide table (one row per model) to observation rows, dropping empty cells.

    ``benchmark_columns`` maps the payload's column to the benchmark name stored
    (the source's column name in the registry). Non-finite values are dropped
    with a warning rather than stored. One matrix, one mask: a leaderboard with
    hundreds of columns costs what one with a few does.
    """
    columns = list(benchmark_columns)
    if not columns or wide.empty:
        return pd.DataFrame(columns=OBSERVATION_COLUMNS), []
    values = np.column_stack([numeric_column(wide, c, source, location).to_numpy() for c in columns])
    infinite = np.isinf(values)
    warnings = [f"{columns[j]}: dropped {int(infinite[:, j].sum())} non-finite value(s)"
                for j in np.flatnonzero(infinite.any(axis=0))]
    # Column-major, so the rows of one benchmark stay in the payload's order.
    cols, rows = np.nonzero(np.isfinite(values).T)
    stamps = (np.asarray(observed_at)[rows] if isinstance(observed_at, pd.Series)
              else np.full(len(rows), np.datetime64(pd.Timestamp(observed_at).as_unit("us"))))
    out = pd.DataFrame({
        "model": wide[model_column].astype(str).to_numpy()[rows],
        "benchmark": np.asarray([benchmark_columns[c] for c in columns], dtype=object)[cols],
        "value": values[rows, cols],
        "observed_at": pd.to_datetime(stamps),
    })
    out["observed_at"] = out["observed_at"].astype("datetime64[us]")
    return out, warnings


def dedupe_models(
    wide: pd.DataFrame, model_column: str, order_column: str | None, what: str
) -> tuple[pd.DataFrame, list[str]]:
    """Keep one row per model (the earliest by ``order_column``), saying how many went."""
    dupes = wide[model_column].duplicated(keep=False)
    if not dupes.any():
        return wide, []
    ordered = wide.sort_values(order_column, kind="stable") if order_column else wide
    kept = ordered.drop_duplicates(model_column, keep="first")
    dropped = len(wide) - len(kept)
    return kept, [
        f"{dropped} duplicate row(s) for {int(wide.loc[dupes, model_column].nunique())} "
        f"model(s) ({what}): kept the first seen"
    ]
