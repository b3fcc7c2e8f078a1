"""Arena (formerly LMArena, LMSYS Chatbot Arena; renamed 2026-01-28): Arena ratings as capability
axes, and its factuality board as a safety signal.

The source id stays ``lmarena``: it keys every stored row.

Live, Arena publishes its leaderboards as the Hugging Face dataset
``lmarena-ai/leaderboard-dataset``. Five of its configs are read, all with the
same columns (``CURRENT-2026.md``):
- ``text``: the text arena without style control (the board the recorded
  snapshots scraped): the ``arena`` axis;
- ``text_style_control``: the same battles with style controlled, the board
  arena.ai shows by default: the ``arena-style`` axis;
- ``text_factuality``: a board that mixes factuality labels with preference
  votes: a truthfulness-flavoured safety signal, not a pure factuality benchmark;
- ``search_factuality``: the same for the search arena (answers grounded in web
  search): truthfulness, mixed with preference the same way;
- ``agent_tool_hallucination``: an agent board rating how seldom a model invents
  tool results (a call it did not make, an output the tool did not return):
  honesty. Agent boards publish a signed score in the ``rating`` columns, not an
  Elo-scale rating; it is stored as published (scale ``signed``).
Each has a ``latest`` split (the newest published board) and a ``full`` split
(every board ever published). The dataset viewer's ``/parquet`` listing names
the parquet files; we read the ``overall`` category of them.

Recorded, there are two kinds of file, which map onto the same columns:
- 88 dated text-leaderboard CSVs scraped daily from the leaderboard Space
  (2024-06-19 .. 2025-07-18) plus the same scraper's table of 2025-08-04. The
  CSVs give the interval as ``+a/-b`` offsets; they become the absolute bounds
  the live dataset publishes (``rating + a``, ``rating - b``).
- an Elo history matrix (one row per date, one column per model key). Its
  values before 2024-06-29 are online Elo, not the Bradley-Terry rating the
  board published then (GPT-4-0314: 1034 on 2024-06-26, 1186 on 2024-06-29,
  and the board said 1186 on 2024-06-19). So only its dates before the first
  CSV snapshot are replayed, each as its own snapshot dated at that row's
  date, under their own column ``elo_online``: the ``rating`` series never
  mixes two estimators, and the dates the CSVs cover come from the CSVs.

Model names are the source's own: display names in the CSVs
("GPT-4o-2024-05-13", "Claude 3.5 Sonnet"), lower-case model keys in the
history matrix and the live dataset ("gpt-4o-2024-05-13"). Joining them is
the alias layer's job, not the parser's.
"""

from __future__ import annotations

import hashlib
import io
import json
from collections.abc import Callable, Iterator, Mapping
from datetime import UTC, date, datetime
from pathlib import Path
from urllib.parse import urlencode

import pandas as pd
import pyarrow as pa

from benchwatch.records import ParsedBatch, Previous, Snapshot
from benchwatch.sources.base import (
    ParseError,
    Source,
    dedupe_models,
    json_document,
    numeric_column,
    rebase,
    require_columns,
    tidy,
)
from benchwatch.sources.http import HF_ENDPOINTS, HttpClient
from benchwatch.upstreams import UPSTREAMS

DATASET = "lmarena-ai/leaderboard-dataset"
CONFIG = "text"
# Config -> prefix of its stored columns (the text board keeps the names it always had).
CONFIGS = {"text": "", "text_style_control": "style_control_", "text_factuality": "factuality_",
           "search_factuality": "search_factuality_", "agent_tool_hallucination": "tool_hallucination_"}
CATEGORY = "overall"
SPLITS = ("latest", "full")
# Live parquet column -> stored column (of the text board; other configs add their prefix).
LIVE_COLUMNS = {
    "rating": "rating",
    "rating_lower": "rating_ci_low",
    "rating_upper": "rating_ci_high",
    "vote_count": "votes",
}
# Stored benchmark columns, in the order of the registry file.
BENCHMARKS = (*(prefix + column for prefix in CONFIGS.values() for column in LIVE_COLUMNS.values()),
              "elo_online")
LIVE_REQUIRED = ("model_name", *LIVE_COLUMNS, "category", "leaderboard_publish_date")
# The recorded CSVs' score column was ``arena_elo`` until 2024-07-06.
SCORE_COLUMNS = ("arena_score", "arena_elo")
CI_COLUMN = "95_pct_ci"
CI_PATTERN = r"^\+\s*(?P<plus>\d+(?:\.\d+)?)\s*/\s*-\s*(?P<minus>\d+(?:\.\d+)?)$"

FOLDER = "lmarena"
INDEX = "snapshots_index.csv"
HISTORY = "elo_history_overall_text_wide.csv"
# The same scraper's text table, two weeks after the last indexed snapshot.
LAST_BOARD = ("lmarena_text_overall_2025-08-04.csv", date(2025, 8, 4))

# A recorded point in time: its data date, label, file, and a reader of its bytes.
Point = tuple[date, str, Path, Callable[[], dict[str, bytes]]]


def config_of(name: str) -> str:
    """The config of a parquet file, from its URL or snapshot name (``.../{config}/{split}/file``)."""
    parts = name.split("?", 1)[0].rstrip("/").split("/")
    config = parts[-3] if len(parts) >= 3 else ""
    if config not in CONFIGS:
        raise ValueError(f"{name}: not a file of config {' / '.join(CONFIGS)}")
    return config


class LMArena(Source):
    name = "lmarena"
    liveness, license, attribution = UPSTREAMS[name]
    homepage = "https://arena.ai/leaderboard"
    endpoints = HF_ENDPOINTS
    pooled = True
    # An increment, not a full snapshot: a board lists the models the leaderboard *shows*, and
    # Arena hides deprecated models (and models short of votes) without withdrawing their
    # ratings. The recorded daily boards show it: 103 models leave the board between two of
    # them and 13 of those come back later (Gemma-7B-it, Gemini-2.5-Pro-Exp-03-25, ...). A
    # model's absence means "not shown on that day", so its last rating stays its last known one.
    full_snapshot = False

    def __init__(self, upstream_base: str | None = None, split: str = "latest") -> None:
        """``split="latest"`` refreshes the newest board; ``"full"`` backfills every board."""
        if split not in SPLITS:
            raise ValueError(f"split must be one of {SPLITS}, not {split!r}")
        super().__init__(upstream_base)
        self.split = split
        # The listing names parquet files by absolute URL; they are rebased like endpoints.
        self.upstream_base = upstream_base

    @property
    def listing_url(self) -> str:
        """The dataset viewer's parquet listing of the whole dataset (every config and split)."""
        query = urlencode({"dataset": DATASET})
        return f"{self.urls['viewer']}/parquet?{query}"

    # -- replay ---------------------------------------------------------------

    def replay(self, data_dir: Path, until: date | None = None) -> Iterator[Snapshot]:
        folder = Path(data_dir) / FOLDER
        boards = self._recorded_boards(folder)
        history = self._recorded_history(folder, before=boards[0][0])
        for day, label, path, files in sorted(history + boards, key=lambda point: point[0]):
            if until is not None and day > until:
                break
            yield Snapshot(self.name, label, datetime.combine(day, datetime.min.time()),
                           str(path), files())

    def _recorded_boards(self, folder: Path) -> list[Point]:
        """The indexed daily CSVs plus the last table, dated by the index's version date."""
        index_path = folder / INDEX
        if not index_path.is_file():
            raise ParseError(self.name, str(index_path), "recorded index is missing")
        index = pd.read_csv(index_path, dtype=str)
        require_columns(index, ("snapshot_version_date", "file"), self.name, str(index_path))
        entries = list(zip(index["snapshot_version_date"], index["file"], strict=True))
        points = []
        for row, (stamp, relative) in enumerate(entries):
            try:
                day = date.fromisoformat(str(stamp).strip())
            except ValueError:
                raise ParseError(self.name, str(index_path), f"not a date: {stamp!r}",
                                 column="snapshot_version_date", row=row) from None
            points.append((day, folder / str(relative)))
        points.append((LAST_BOARD[1], folder / LAST_BOARD[0]))
        out = []
        for day, path in sorted(points):
            if not path.is_file():
                raise ParseError(self.name, str(path), "recorded file is missing")
            out.append((day, f"text leaderboard {day}", path,
                        lambda path=path: {path.name: path.read_bytes()}))
        return out

    def _recorded_history(self, folder: Path, before: date) -> list[Point]:
        """One snapshot per history row dated before ``before``: the header plus that row.

        Each snapshot carries only its own row (verbatim bytes), so each has its
        own content hash and its parse yields one value per model.
        """
        path = folder / HISTORY
        if not path.is_file():
            raise ParseError(self.name, str(path), "recorded file is missing")
        lines = path.read_bytes().splitlines(keepends=True)
        header, rows = lines[0], [line for line in lines[1:] if line.strip()]
        out = []
        for row, line in enumerate(rows):
            stamp = line.split(b",", 1)[0].decode("ascii", "replace").strip()
            try:
                day = datetime.strptime(stamp.removesuffix(".0"), "%Y%m%d").date()
            except ValueError:
                raise ParseError(self.name, str(path), f"not a YYYYMMDD date: {stamp!r}",
                                 column="date", row=row) from None
            if day < before:
                out.append((day, f"Elo history {day}", path,
                            lambda body=header + line: {HISTORY: body}))
        return out

    # -- live -----------------------------------------------------------------

    def fetch(self, http: HttpClient, previous: Mapping[str, Previous]) -> Iterator[Snapshot]:
        """The listing (conditional), then its parquet files unless the set is unchanged.

        The snapshot's etag is the listing's own ETag when upstream sends one
        (then a 304 says "unchanged"); otherwise a fingerprint of the selected
        parquet files (URL and size), compared with the last fetch's.
        """
        listing_url = self.listing_url
        last = previous.get(listing_url)
        listing = http.get(listing_url, last)
        if listing.not_modified:
            yield self._unchanged(listing_url, 304, last)
            return
        parquet_files = self._parquet_files(listing.content, listing_url)
        etag = listing.etag or _fingerprint(parquet_files)
        if last is not None and last.etag == etag:
            yield self._unchanged(listing_url, listing.status, last)
            return
        files = {}
        for url, _ in parquet_files:
            url = rebase(url, self.upstream_base)
            files[url] = http.get(url).content
        boards = [self._live_board(content, url).assign(config=self._config(url))
                  for url, content in files.items()]
        rows = pd.concat(boards, ignore_index=True)
        dated = rows[rows["published"].notna()]
        if dated.empty:
            raise ParseError(self.name, next(iter(files)),
                             f"no {CATEGORY!r} row with a publish date",
                             column="leaderboard_publish_date")
        common = dict(mode="live", http_status=listing.status, etag=etag,
                      last_modified=listing.last_modified)
        if self.split == "latest":
            day = dated["published"].max().to_pydatetime()
            yield Snapshot(self.name, f"latest {day:%Y-%m-%d}", day, listing_url,
                           files, **common)
            return
        # The full split holds every board in one file: one snapshot per publish
        # date (that date's rows, re-encoded as parquet), oldest first, so each
        # batch has one value per model and is dated when it was published.
        for published, board in dated.groupby("published", sort=True):
            boards_of_day = {}
            for config, rows_of_config in board.groupby("config", sort=True):
                buffer = io.BytesIO()
                rows_of_config.drop(columns=["published", "config"]).to_parquet(buffer, index=False)
                boards_of_day[f"{config}/full/{published:%Y-%m-%d}.parquet"] = buffer.getvalue()
            yield Snapshot(self.name, f"full {published:%Y-%m-%d}",
                           published.to_pydatetime(), listing_url, boards_of_day, **common)

    def _config(self, name: str) -> str:
        """``config_of``, its error a ParseError naming the file."""
        try:
            return config_of(name)
        except ValueError as exc:
            raise ParseError(self.name, name, str(exc)) from None

    def _unchanged(self, listing_url: str, status: int, last: Previous | None) -> Snapshot:
        return Snapshot(
            self.name, "unchanged", datetime.now(UTC).replace(tzinfo=None), listing_url, {},
            mode="live", http_status=status, etag=last.etag if last else None,
            last_modified=last.last_modified if last else None, not_modified=True,
        )

    def _parquet_files(self, content: bytes, listing_url: str) -> list[tuple[str, int | None]]:
        """(url, size) of the listing's files for our configs and split, sorted.

        The ``text`` board must be there; a style-control or factuality board
        the listing lacks is left out (the older dataset had only ``text``).
        """
        doc = json_document(content, self.name, listing_url)
        if not isinstance(doc, dict) or not isinstance(doc.get("parquet_files"), list):
            raise ParseError(self.name, listing_url, "no 'parquet_files' list",
                             column="parquet_files")
        chosen = []
        for row, entry in enumerate(doc["parquet_files"]):
            if not isinstance(entry, dict) or not isinstance(entry.get("url"), str):
                raise ParseError(self.name, listing_url, "parquet file entry without a url",
                                 column="url", row=row)
            if entry.get("config") not in CONFIGS or entry.get("split") != self.split:
                continue
            if f"/partial-{self.split}/" in entry["url"]:
                raise ParseError(self.name, listing_url,
                                 "partial parquet export: the files hold only part of the split",
                                 column="url", row=row)
            size = entry.get("size")
            chosen.append((entry["url"], size if isinstance(size, int) else None))
        if not any(f"/{CONFIG}/{self.split}/" in url for url, _ in chosen):
            raise ParseError(self.name, listing_url,
                             f"no parquet file for config {CONFIG!r}, split {self.split!r}",
                             column="parquet_files")
        return sorted(chosen)

    # -- parse ----------------------------------------------------------------

    def parse(self, snapshot: Snapshot) -> ParsedBatch:
        """Each board (config) on its own: one value per model and board, the newest publish date winning."""
        if not snapshot.files:
            raise ParseError(self.name, snapshot.location, "snapshot has no files")
        boards: dict[str, list[pd.DataFrame]] = {}
        warnings: list[str] = []
        fallback = pd.Timestamp(snapshot.observed_at)
        for name, content in sorted(snapshot.files.items()):
            location = name if "://" in name else snapshot.location
            config = CONFIG
            if name.endswith(".parquet"):
                config = self._config(name)
                board = self._live_board(content, location)
                undated = board["published"].isna()
                if undated.any():
                    warnings.append(f"{config}: {int(undated.sum())} row(s) without a publish date: "
                                    f"dated at the snapshot ({fallback:%Y-%m-%d})")
                board = self._live_columns(board.assign(
                    published=board["published"].where(~undated, fallback)), CONFIGS[config])
            elif name == HISTORY:
                board = self._history(content, location)
            else:
                board = self._recorded_board(content, location, fallback)
            boards.setdefault(config, []).append(board)
        observations, models = [], []
        for config, parts in boards.items():
            wide = pd.concat(parts, ignore_index=True)
            if wide.empty:
                raise ParseError(self.name, snapshot.location, f"no {config} leaderboard rows")
            # Newest first, so a model listed at several dates keeps its latest value.
            wide = wide.sort_values("observed_at", ascending=False, kind="stable")
            what = "newest publish date first" if config == CONFIG else f"{config}, newest first"
            wide, notes = dedupe_models(wide, "model", None, what)
            warnings += notes
            columns = {c: c for c in BENCHMARKS if c in wide.columns}
            rows, notes = tidy(wide, "model", columns, wide["observed_at"], self.name,
                               snapshot.location)
            warnings += notes
            observations.append(rows)
            models.append(wide["model"])
        names = pd.concat(models, ignore_index=True).drop_duplicates()
        frame = pd.DataFrame({"model": names, "model_set": "all", "model_type": "chat",
                              "display_name": names}).reset_index(drop=True)
        return ParsedBatch(pd.concat(observations, ignore_index=True), frame, warnings)

    def _live_board(self, content: bytes, location: str) -> pd.DataFrame:
        """The ``overall`` rows of a live parquet file, with a parsed ``published`` date."""
        try:
            table = pd.read_parquet(io.BytesIO(content))
        except (pa.ArrowException, OSError, ValueError) as exc:
            raise ParseError(self.name, location, f"not a readable parquet file: {exc}") from None
        require_columns(table, LIVE_REQUIRED, self.name, location)
        if table.empty:
            raise ParseError(self.name, location, "no rows")
        overall = table[table["category"] == CATEGORY]
        if overall.empty:
            found = sorted(map(str, table["category"].dropna().unique()))[:20]
            raise ParseError(self.name, location,
                             f"no row of category {CATEGORY!r}; found {found}", column="category")
        raw = overall["leaderboard_publish_date"]
        published = pd.to_datetime(raw, errors="coerce", utc=True).dt.tz_localize(None)
        bad = published.isna() & raw.notna()
        if bad.any():
            label = bad.index[bad.to_numpy()][0]
            raise ParseError(self.name, location, f"not a date: {str(raw.loc[label])[:40]!r}",
                             column="leaderboard_publish_date", row=int(label))
        _model_names(overall["model_name"], self.name, location, "model_name")
        for column in LIVE_COLUMNS:
            numeric_column(table, column, self.name, location)
        return overall.assign(published=published.astype("datetime64[us]"))

    def _live_columns(self, board: pd.DataFrame, prefix: str = "") -> pd.DataFrame:
        """Live rows renamed to the stored columns (with the board's prefix), dated by their publish date."""
        out = pd.DataFrame({"model": board["model_name"].astype(str).str.strip()})
        for column, stored in LIVE_COLUMNS.items():
            out[prefix + stored] = pd.to_numeric(board[column]).astype(float)
        out["observed_at"] = board["published"]
        return out

    def _recorded_board(self, content: bytes, location: str, observed_at: pd.Timestamp
                        ) -> pd.DataFrame:
        """A scraped leaderboard CSV: score, ``+a/-b`` interval, votes."""
        table = _read_csv(content, self.name, location, dtype={"model": str, CI_COLUMN: str})
        score = next((c for c in SCORE_COLUMNS if c in table.columns), SCORE_COLUMNS[0])
        require_columns(table, ("model", score, CI_COLUMN, "votes"), self.name, location)
        if table.empty:
            raise ParseError(self.name, location, "no rows")
        rating = numeric_column(table, score, self.name, location)
        plus, minus = self._interval(table[CI_COLUMN], location)
        return pd.DataFrame({
            "model": _model_names(table["model"], self.name, location, "model"),
            "rating": rating,
            "rating_ci_low": rating - minus,
            "rating_ci_high": rating + plus,
            "votes": numeric_column(table, "votes", self.name, location),
            "observed_at": observed_at,
        })

    def _interval(self, cells: pd.Series, location: str) -> tuple[pd.Series, pd.Series]:
        text = cells.astype("string").str.strip()
        parts = text.str.extract(CI_PATTERN)
        bad = parts["plus"].isna() & text.notna() & (text != "")
        if bad.any():
            row = int(bad.to_numpy().nonzero()[0][0])
            raise ParseError(self.name, location, f"not a '+a/-b' interval: {text.iloc[row]!r}",
                             column=CI_COLUMN, row=row)
        return (pd.to_numeric(parts["plus"]).astype(float),
                pd.to_numeric(parts["minus"]).astype(float))

    def _history(self, content: bytes, location: str) -> pd.DataFrame:
        """Wide Elo history (a date column, one column per model key, 0.0 = not on the board)."""
        table = _read_csv(content, self.name, location)
        if table.shape[1] < 2:
            raise ParseError(self.name, location, "expected a date column and model columns")
        date_column = table.columns[0]
        stamps = table[date_column].astype(str).str.strip().str.removesuffix(".0")
        days = pd.to_datetime(stamps, format="%Y%m%d", errors="coerce")
        if days.isna().any():
            row = int(days.isna().to_numpy().nonzero()[0][0])
            raise ParseError(self.name, location, f"not a YYYYMMDD date: {stamps.iloc[row]!r}",
                             column=str(date_column), row=row)
        cells = table.iloc[:, 1:].copy()
        for column, dtype in cells.dtypes.items():
            if dtype.kind not in "if":  # names the first bad cell, if any
                cells[column] = numeric_column(table, column, self.name, location)
        values = cells.to_numpy(dtype=float)
        rows, columns = ((values != 0) & ~pd.isna(values)).nonzero()
        return pd.DataFrame({
            "model": cells.columns[columns].astype(str),
            "elo_online": values[rows, columns],
            "observed_at": days.to_numpy()[rows].astype("datetime64[us]"),
        })


def _fingerprint(parquet_files: list[tuple[str, int | None]]) -> str:
    """A validator for the selected files, used when the listing sends no ETag."""
    digest = hashlib.sha256(json.dumps(parquet_files).encode()).hexdigest()[:32]
    return f'"files-{digest}"'


def _read_csv(content: bytes, source: str, location: str, **options: object) -> pd.DataFrame:
    try:
        return pd.read_csv(io.BytesIO(content), **options)
    except (UnicodeDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise ParseError(source, location, f"not a readable CSV: {exc}") from None


def _model_names(names: pd.Series, source: str, location: str, column: str) -> pd.Series:
    """Model names stripped; an empty one is a broken row, not a model called 'nan'."""
    text = names.astype("string").str.strip()
    empty = (text.isna() | (text == "")).to_numpy()
    if empty.any():
        label = names.index[empty][0]
        raise ParseError(source, location, "empty model name", column=column, row=int(label))
    return text.astype(str)
