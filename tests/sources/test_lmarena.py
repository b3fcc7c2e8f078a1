"""LMArena: replay of the recorded boards and Elo history, live fetch over loopback.

The loopback upstream plays the dataset viewer's ``/parquet`` listing and a
parquet file built with pyarrow from a recorded CSV board (converted here, in
the test, independently of the parser), so "live" and "replay" of the same
board must give the same rows.
"""

from __future__ import annotations

import csv
import io
import json
from datetime import date, datetime
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from benchwatch.records import Previous, Snapshot
from benchwatch.registry import load_registry
from benchwatch.sources.base import ParseError
from benchwatch.sources.http import FetchError, HttpClient
from benchwatch.sources.lmarena import BENCHMARKS, LMArena
from tests.conftest import DATA_DIR
from tests.loopback import Fault, Route, Upstream

DATA = DATA_DIR
BOARDS = DATA / "lmarena" / "snapshots"
LISTING = "/datasets-server.huggingface.co/parquet"
HUB = "https://huggingface.co"
REPO = "/datasets/lmarena-ai/leaderboard-dataset/resolve/refs%2Fconvert%2Fparquet"
LATEST = f"/huggingface.co{REPO}/text/latest/0000.parquet"
FULL = f"/huggingface.co{REPO}/text/full/0000.parquet"


# -- helpers ------------------------------------------------------------------


def raw_row(path: Path, model: str) -> dict[str, str]:
    with path.open(newline="") as handle:
        return next(row for row in csv.DictReader(handle) if row["model"] == model)


def arena_rows(board: str, category: str = "overall") -> list[dict]:
    """A recorded CSV board in the live dataset's schema (absolute CI bounds)."""
    rows = []
    with (BOARDS / f"lmarena_text_{board}.csv").open(newline="") as handle:
        for rank, row in enumerate(csv.DictReader(handle), start=1):
            plus, minus = row["95_pct_ci"].removeprefix("+").split("/-")
            rating = float(row.get("arena_score") or row["arena_elo"])
            rows.append({
                "model_name": row["model"],
                "organization": row["organization"],
                "license": row["license"],
                "rating": rating,
                "rating_lower": rating - float(minus),
                "rating_upper": rating + float(plus),
                "variance": None,
                "vote_count": int(row["votes"]),
                "rank": rank,
                "category": category,
                "leaderboard_publish_date": board,
            })
    return rows


def parquet(rows: list[dict], rename: dict[str, str] | None = None) -> bytes:
    table = pa.Table.from_pylist(rows)
    if rename:
        table = table.rename_columns([rename.get(c, c) for c in table.column_names])
    buffer = io.BytesIO()
    pq.write_table(table, buffer)
    return buffer.getvalue()


def board_parquet(*boards: str) -> bytes:
    """Overall rows of the boards, plus a 'coding' category the parser must skip."""
    rows = []
    for board in boards:
        overall = arena_rows(board)
        coding = [dict(r, category="coding", rating=r["rating"] + 50) for r in overall[:5]]
        rows += overall + coding
    return parquet(rows)


def listing(latest_size: int, full_size: int = 1, extra: tuple[tuple[str, str, int], ...] = ()) -> bytes:
    """The dataset viewer's /parquet envelope, with a config we do not read (and ``extra`` entries)."""
    def entry(config: str, split: str, size: int) -> dict:
        return {"dataset": "lmarena-ai/leaderboard-dataset", "config": config, "split": split,
                "url": f"{HUB}{REPO}/{config}/{split}/0000.parquet",
                "filename": "0000.parquet", "size": size}
    files = [entry("text", "full", full_size), entry("text", "latest", latest_size),
             entry("webdev", "latest", 123), *(entry(*e) for e in extra)]
    return json.dumps({"parquet_files": files, "pending": [], "failed": [],
                       "partial": False}).encode()


def serve(upstream: Upstream, latest: bytes, full: bytes = b"") -> None:
    upstream.mount(LISTING, listing(len(latest), len(full)))
    upstream.mount(LATEST, latest, "application/octet-stream")
    if full:
        upstream.mount(FULL, full, "application/octet-stream")


def rows(batch) -> pd.DataFrame:
    return batch.observations.sort_values(["model", "benchmark"]).reset_index(drop=True)


def models(batch) -> pd.DataFrame:
    return batch.models.sort_values("model").reset_index(drop=True)


def replayed(label: str) -> Snapshot:
    return next(s for s in LMArena().replay(DATA) if s.label == label)


def previous_of(snapshot: Snapshot) -> dict[str, Previous]:
    return {snapshot.location: Previous(snapshot.etag, snapshot.last_modified,
                                        snapshot.content_hash)}


@pytest.fixture
def upstream():
    server = Upstream().start()
    yield server
    server.stop()


@pytest.fixture
def sleeps() -> list[float]:
    return []


@pytest.fixture
def http(sleeps):
    with HttpClient(timeout=5, retries=2, sleep=sleeps.append) as client:
        yield client


def fetch_all(upstream: Upstream, http: HttpClient, previous=None, split="latest"):
    return list(LMArena(upstream_base=upstream.url, split=split).fetch(http, previous or {}))


# -- replay -------------------------------------------------------------------


def test_replay_is_oldest_first_history_then_boards():
    snapshots = list(LMArena().replay(DATA))
    assert len(snapshots) == 42 + 88 + 1
    assert [s.observed_at for s in snapshots] == sorted(s.observed_at for s in snapshots)
    assert snapshots[0].label == "Elo history 2023-05-08"
    assert snapshots[41].label == "Elo history 2024-06-17"
    assert snapshots[42].label == "text leaderboard 2024-06-19"
    assert snapshots[-2].label == "text leaderboard 2025-07-18"
    assert snapshots[-1].observed_at == datetime(2025, 8, 4)
    assert all(s.mode == "replay" and s.files for s in snapshots)
    # each history snapshot carries its own row, so each has its own content hash
    assert len({s.content_hash for s in snapshots}) == len(snapshots)

    until = list(LMArena().replay(DATA, until=date(2024, 6, 19)))
    assert len(until) == 43 and until[-1].label == "text leaderboard 2024-06-19"


def test_replay_parses_every_snapshot():
    source = LMArena()
    for snapshot in source.replay(DATA):
        batch = source.parse(snapshot)
        obs = batch.observations
        assert not obs.duplicated(["model", "benchmark"]).any(), snapshot.label
        assert batch.models["model"].is_unique
        assert set(batch.models["model_set"]) == {"all"}
        assert set(batch.models["model_type"]) == {"chat"}
        assert (obs["observed_at"] == snapshot.observed_at).all()
        if snapshot.label.startswith("Elo history"):
            assert set(obs["benchmark"]) == {"elo_online"}
            assert (obs["value"] > 0).all()
        else:
            assert set(obs["benchmark"]) == {"rating", "rating_ci_low", "rating_ci_high", "votes"}
            ratings = obs[obs["benchmark"] == "rating"]
            assert 109 <= len(ratings) <= 265
            assert len(ratings) == len(batch.models)


@pytest.mark.parametrize(("board", "model", "literal"), [
    ("2024-06-19", "GPT-4o-2024-05-13", (1287.0, 1284.0, 1290.0, 42046.0)),  # arena_elo
    ("2024-07-07", "Claude 3.5 Sonnet", (1272.0, 1268.0, 1276.0, 23748.0)),  # arena_score
    ("2025-07-18", "Gemini-2.5-Pro", (1474.0, 1470.0, 1479.0, 19209.0)),     # rank_stylectrl
])
def test_replay_known_board_values(board, model, literal):
    path = BOARDS / f"lmarena_text_{board}.csv"
    raw = raw_row(path, model)
    plus, minus = (float(x) for x in raw["95_pct_ci"].removeprefix("+").split("/-"))
    score = float(raw.get("arena_score") or raw["arena_elo"])
    expected = dict(zip(("rating", "rating_ci_low", "rating_ci_high", "votes"),
                        (score, score - minus, score + plus, float(raw["votes"]))))
    assert tuple(expected.values()) == literal

    batch = LMArena().parse(replayed(f"text leaderboard {board}"))
    obs = batch.observations[batch.observations["model"] == model]
    assert dict(zip(obs["benchmark"], obs["value"])) == expected
    assert (obs["observed_at"] == datetime.fromisoformat(board)).all()


def test_replay_history_values_come_from_their_row():
    path = DATA / "lmarena" / "elo_history_overall_text_wide.csv"
    with path.open(newline="") as handle:
        table = {row[""]: row for row in csv.DictReader(handle)}
    first = LMArena().parse(replayed("Elo history 2023-05-08")).observations
    on_board = {k: float(v) for k, v in table["20230508"].items() if k and float(v) != 0}
    assert dict(zip(first["model"], first["value"])) == on_board
    assert len(first) == 13
    assert first.set_index("model").loc["vicuna-13b", "value"] == pytest.approx(1083.2188207782)

    last = LMArena().parse(replayed("Elo history 2024-06-17")).observations
    assert len(last) == 109
    assert last.set_index("model").loc["gpt-4o-2024-05-13", "value"] == pytest.approx(
        float(table["20240617"]["gpt-4o-2024-05-13"]))


def test_replay_duplicate_row_is_dropped_with_a_warning():
    batch = LMArena().parse(replayed("text leaderboard 2025-08-04"))
    assert len(batch.models) == 265  # 266 rows, Yi-34B-Chat listed twice
    assert any("1 duplicate row(s)" in w for w in batch.warnings)


def test_recorded_board_with_renamed_column_names_it(tmp_path):
    content = (BOARDS / "lmarena_text_2025-07-18.csv").read_bytes().replace(b",votes,", b",n,", 1)
    snapshot = Snapshot("lmarena", "x", datetime(2025, 7, 18), "board.csv", {"board.csv": content})
    with pytest.raises(ParseError) as error:
        LMArena().parse(snapshot)
    assert error.value.column == "votes"


def test_recorded_board_with_a_broken_interval_names_the_cell():
    content = (BOARDS / "lmarena_text_2025-07-18.csv").read_bytes().replace(b"+5/-4", b"5-4", 1)
    snapshot = Snapshot("lmarena", "x", datetime(2025, 7, 18), "b.csv", {"b.csv": content})
    with pytest.raises(ParseError) as error:
        LMArena().parse(snapshot)
    assert (error.value.column, error.value.row) == ("95_pct_ci", 0)


# -- live ---------------------------------------------------------------------


def test_live_latest_gives_the_same_rows_as_replay(upstream, http):
    serve(upstream, board_parquet("2025-07-18"))
    [snapshot] = fetch_all(upstream, http)
    assert snapshot.mode == "live" and not snapshot.not_modified
    assert snapshot.observed_at == datetime(2025, 7, 18)
    assert snapshot.location == f"{upstream.url}{LISTING}?dataset=lmarena-ai%2Fleaderboard-dataset"
    assert snapshot.etag == upstream.routes[LISTING].etag
    assert list(snapshot.files) == [f"{upstream.url}{LATEST}"]
    assert upstream.requests_to(LISTING) == [200] and upstream.requests_to(LATEST) == [200]

    live = LMArena().parse(snapshot)
    replay = LMArena().parse(replayed("text leaderboard 2025-07-18"))
    pd.testing.assert_frame_equal(rows(live), rows(replay))
    pd.testing.assert_frame_equal(models(live), models(replay))
    assert live.warnings == []


def test_live_full_split_yields_one_snapshot_per_board(upstream, http):
    serve(upstream, board_parquet("2025-07-18"), full=board_parquet("2025-07-16", "2025-07-18"))
    snapshots = fetch_all(upstream, http, split="full")
    assert [s.observed_at for s in snapshots] == [datetime(2025, 7, 16), datetime(2025, 7, 18)]
    assert upstream.requests_to(FULL) == [200] and upstream.requests_to(LATEST) == []
    for snapshot in snapshots:
        live = LMArena().parse(snapshot)
        replay = LMArena().parse(replayed(f"text leaderboard {snapshot.observed_at:%Y-%m-%d}"))
        pd.testing.assert_frame_equal(rows(live), rows(replay))


def test_unchanged_refetch_is_one_conditional_request(upstream, http):
    serve(upstream, board_parquet("2025-07-18"))
    [first] = fetch_all(upstream, http)
    [again] = fetch_all(upstream, http, previous_of(first))
    assert again.not_modified and again.files == {} and again.http_status == 304
    assert upstream.requests_to(LISTING) == [200, 304]
    assert upstream.requests_to(LATEST) == [200]


def test_unchanged_file_set_without_etag_is_not_modified(upstream, http):
    serve(upstream, board_parquet("2025-07-18"))
    body = upstream.routes[LISTING].body
    upstream.routes[LISTING] = Route(body)  # a listing without validators
    [first] = fetch_all(upstream, http)
    assert first.etag.startswith('"files-')
    # same files, differently serialised listing: still nothing to download
    upstream.routes[LISTING] = Route(json.dumps(json.loads(body), indent=2).encode())
    [again] = fetch_all(upstream, http, previous_of(first))
    assert again.not_modified and again.http_status == 200
    assert upstream.requests_to(LISTING) == [200, 200]
    assert upstream.requests_to(LATEST) == [200]


def test_changed_refetch_yields_the_new_board(upstream, http):
    serve(upstream, board_parquet("2025-07-16"))
    [first] = fetch_all(upstream, http)
    serve(upstream, board_parquet("2025-07-18"))
    [second] = fetch_all(upstream, http, previous_of(first))
    assert not second.not_modified
    assert (first.observed_at, second.observed_at) == (datetime(2025, 7, 16), datetime(2025, 7, 18))
    obs = LMArena().parse(second).observations.set_index(["model", "benchmark"])["value"]
    assert obs[("Gemini-2.5-Pro", "rating")] == 1474.0
    assert obs[("Grok-4-0709", "votes")] == 5725.0  # new on the 2025-07-18 board


def test_429_with_retry_after_then_success(upstream, http, sleeps):
    serve(upstream, board_parquet("2025-07-18"))
    upstream.inject(LISTING, Fault("status", 429, headers={"Retry-After": "7"}))
    [snapshot] = fetch_all(upstream, http)
    assert sleeps == [7.0]
    assert upstream.requests_to(LISTING) == [429, 200]
    assert len(LMArena().parse(snapshot).models) == 218


def test_500_then_success(upstream, http, sleeps):
    serve(upstream, board_parquet("2025-07-18"))
    upstream.inject(LATEST, Fault("status", 500, body=b"upstream error"))
    [snapshot] = fetch_all(upstream, http)
    assert upstream.requests_to(LATEST) == [500, 200]
    assert len(sleeps) == 1
    assert snapshot.observed_at == datetime(2025, 7, 18)


def test_truncated_body_is_retried_then_fails_for_good(upstream, http):
    serve(upstream, board_parquet("2025-07-18"))
    upstream.inject(LATEST, Fault("truncate"))
    [snapshot] = fetch_all(upstream, http)
    assert upstream.requests_to(LATEST) == [200, 200]
    assert len(LMArena().parse(snapshot).models) == 218

    upstream.inject(LATEST, *[Fault("truncate")] * 3)
    with pytest.raises(FetchError) as error:
        fetch_all(upstream, http)
    assert LATEST in str(error.value)


def test_cut_parquet_served_whole_names_the_file(upstream, http):
    content = board_parquet("2025-07-18")
    serve(upstream, content[: len(content) // 2])
    with pytest.raises(ParseError) as error:
        fetch_all(upstream, http)
    assert error.value.location == f"{upstream.url}{LATEST}"


def test_html_page_instead_of_the_listing(upstream, http):
    serve(upstream, board_parquet("2025-07-18"))
    upstream.inject(LISTING, Fault("html"))
    with pytest.raises(ParseError) as error:
        fetch_all(upstream, http)
    assert f"{upstream.url}{LISTING}" in str(error.value)
    assert "not JSON" in str(error.value)


def test_html_page_instead_of_the_parquet(upstream, http):
    serve(upstream, board_parquet("2025-07-18"))
    upstream.inject(LATEST, Fault("html"))
    with pytest.raises(ParseError) as error:
        fetch_all(upstream, http)
    assert error.value.location == f"{upstream.url}{LATEST}"


def test_renamed_column_names_it(upstream, http):
    serve(upstream, parquet(arena_rows("2025-07-18"), rename={"rating": "score"}))
    with pytest.raises(ParseError) as error:
        fetch_all(upstream, http)
    assert error.value.column == "rating"
    assert error.value.location == f"{upstream.url}{LATEST}"


def test_bad_publish_date_names_the_row(upstream, http):
    board = arena_rows("2025-07-18")
    board[3]["leaderboard_publish_date"] = "last week"
    serve(upstream, parquet(board))
    with pytest.raises(ParseError) as error:
        fetch_all(upstream, http)
    assert (error.value.column, error.value.row) == ("leaderboard_publish_date", 3)


def test_empty_listing(upstream, http):
    upstream.mount(LISTING, json.dumps({"parquet_files": [], "pending": [], "failed": [],
                                        "partial": False}).encode())
    with pytest.raises(ParseError) as error:
        fetch_all(upstream, http)
    assert "no parquet file for config 'text', split 'latest'" in str(error.value)
    assert upstream.requests_to(LATEST) == []


def test_empty_parquet(upstream, http):
    empty = pa.Table.from_pylist(arena_rows("2025-07-18")).slice(0, 0)
    buffer = io.BytesIO()
    pq.write_table(empty, buffer)
    serve(upstream, buffer.getvalue())
    with pytest.raises(ParseError) as error:
        fetch_all(upstream, http)
    assert "no rows" in str(error.value)


def test_non_finite_rating_is_dropped_with_a_warning(upstream, http):
    board = arena_rows("2025-07-18")
    board[0]["rating"] = float("inf")
    serve(upstream, parquet(board))
    [snapshot] = fetch_all(upstream, http)
    batch = LMArena().parse(snapshot)
    assert any("non-finite" in w for w in batch.warnings)
    top = batch.observations[batch.observations["model"] == "Gemini-2.5-Pro"]
    assert "rating" not in set(top["benchmark"]) and "votes" in set(top["benchmark"])


# -- Arena in late 2026: text, text_style_control, text_factuality ------------------------------
# Built from CURRENT-2026.md's documented columns (model_name, organization, license, rating,
# rating_lower, rating_upper, variance, vote_count, rank, category, leaderboard_publish_date),
# the ratings of the recorded 2025-07-18 board moved per config so each board differs.

CONFIGS_2026 = ("text", "text_style_control", "text_factuality")
STYLE = f"/huggingface.co{REPO}/text_style_control/latest/0000.parquet"
FACTUALITY = f"/huggingface.co{REPO}/text_factuality/latest/0000.parquet"


def config_rows(config: str, board: str = "2025-07-18") -> list[dict]:
    """The board's overall rows as the 2026 dataset publishes ``config`` (plus a topic category)."""
    base = arena_rows(board)
    if config == "text_style_control":
        # Style control reorders the board: a shift that depends on the rank, not a constant.
        base = [dict(r, rating=r["rating"] - 2.0 * (i % 5), rating_lower=r["rating_lower"] - 2.0 * (i % 5),
                     rating_upper=r["rating_upper"] - 2.0 * (i % 5)) for i, r in enumerate(base)]
    if config == "text_factuality":
        # A smaller board (fewer votes carry a factuality label), its own ratings.
        base = [dict(r, rating=1000.0 + (i * 37) % 400, rating_lower=990.0 + (i * 37) % 400,
                     rating_upper=1010.0 + (i * 37) % 400, vote_count=r["vote_count"] // 4)
                for i, r in enumerate(base[:150])]
    topic = [dict(r, category="hard_prompts", rating=r["rating"] + 25) for r in base[:7]]
    return base + topic


def serve_2026(upstream: Upstream, board: str = "2025-07-18") -> dict[str, bytes]:
    """The three boards' latest parquet files and the whole-dataset listing naming them."""
    bodies = {path: parquet(config_rows(config, board)) for path, config in
              ((LATEST, "text"), (STYLE, "text_style_control"), (FACTUALITY, "text_factuality"))}
    extra = (("text_style_control", "latest", len(bodies[STYLE])),
             ("text_factuality", "latest", len(bodies[FACTUALITY])),
             ("text_style_control", "full", 1), ("text_factuality", "full", 1))
    upstream.mount(LISTING, listing(len(bodies[LATEST]), extra=extra))
    for path, body in bodies.items():
        upstream.mount(path, body, "application/octet-stream")
    return bodies


def first_rows(config: str = "text", rename: dict[str, str] | None = None) -> bytes:
    """The dataset viewer's /first-rows answer (its documented envelope) for a 2026 board."""
    rows = config_rows(config)[:100]
    rename = rename or {}
    types = {"rating": "float64", "rating_lower": "float64", "rating_upper": "float64", "variance": "float64",
             "vote_count": "int64", "rank": "int64"}
    features = [{"feature_idx": i, "name": rename.get(name, name),
                 "type": {"dtype": types.get(name, "string"), "_type": "Value"}}
                for i, name in enumerate(rows[0])]
    return json.dumps({
        "dataset": "lmarena-ai/leaderboard-dataset", "config": config, "split": "latest",
        "features": features, "truncated": True,
        "rows": [{"row_idx": i, "row": {rename.get(k, k): v for k, v in row.items()}, "truncated_cells": []}
                 for i, row in enumerate(rows)],
    }).encode()


def test_live_2026_reads_text_style_control_and_factuality_boards(upstream, http):
    serve_2026(upstream)
    [snapshot] = fetch_all(upstream, http)
    assert sorted(snapshot.files) == sorted(f"{upstream.url}{p}" for p in (LATEST, STYLE, FACTUALITY))
    assert upstream.requests_to("/huggingface.co" + REPO + "/webdev/latest/0000.parquet") == []
    batch = LMArena().parse(snapshot)
    obs = batch.observations.set_index(["model", "benchmark"])["value"]
    counts = batch.observations["benchmark"].value_counts()
    # Overall rows only, one per model and board; the topic category is skipped.
    assert counts["rating"] == counts["style_control_rating"] == 218
    assert counts["factuality_rating"] == counts["factuality_votes"] == 150
    text, style = config_rows("text"), config_rows("text_style_control")
    assert obs[(text[3]["model_name"], "rating")] == text[3]["rating"]
    assert obs[(style[3]["model_name"], "style_control_rating")] == text[3]["rating"] - 6.0
    assert obs[(style[3]["model_name"], "style_control_rating_ci_high")] == text[3]["rating_upper"] - 6.0
    factuality = config_rows("text_factuality")
    assert obs[(factuality[2]["model_name"], "factuality_rating")] == 1074.0
    assert obs[(factuality[2]["model_name"], "factuality_votes")] == text[2]["vote_count"] // 4
    assert len(batch.models) == 218 and batch.models["model"].is_unique
    assert batch.warnings == []


def test_live_2026_full_split_dates_every_board(upstream, http):
    full = {}
    for config in CONFIGS_2026:
        full[config] = parquet([r for board in ("2025-07-16", "2025-07-18") for r in config_rows(config, board)])
        upstream.mount(f"/huggingface.co{REPO}/{config}/full/0000.parquet", full[config], "application/octet-stream")
    extra = tuple((config, split, 1) for config in CONFIGS_2026[1:] for split in ("latest", "full"))
    upstream.mount(LISTING, listing(1, len(full["text"]), extra=extra))
    snapshots = fetch_all(upstream, http, split="full")
    assert [s.observed_at for s in snapshots] == [datetime(2025, 7, 16), datetime(2025, 7, 18)]
    for snapshot in snapshots:
        assert sorted(name.split("/")[0] for name in snapshot.files) == sorted(CONFIGS_2026)
        benchmarks = set(LMArena().parse(snapshot).observations["benchmark"])
        assert {"rating", "style_control_rating", "factuality_rating"} <= benchmarks


def test_live_2026_renamed_column_in_one_board_names_board_and_column(upstream, http):
    serve_2026(upstream)
    upstream.mount(FACTUALITY, parquet(config_rows("text_factuality"), rename={"vote_count": "votes"}),
                   "application/octet-stream")
    with pytest.raises(ParseError) as error:
        fetch_all(upstream, http)
    assert error.value.column == "vote_count" and "text_factuality" in error.value.location


def test_registry_rows_for_the_2026_boards():
    registry = load_registry().set_index(["source", "column"])
    style = registry.loc[("lmarena", "style_control_rating")]
    assert (style["category"], style["in_axis"]) == ("axis", "arena-style")
    assert registry.loc[("lmarena", "rating"), "in_axis"] == "arena"
    factuality = registry.loc[("lmarena", "factuality_rating")]
    assert (factuality["category"], factuality["safety_area"], factuality["direction"]) == (
        "safety", "truthfulness", 1)
    assert "mixes factuality labels with preference votes" in factuality["metric"]
    # Every stored column the parser can produce is in the registry.
    assert set(BENCHMARKS) == set(registry.loc["lmarena"].index)


def test_a_parquet_file_of_no_known_config_names_the_file():
    body = parquet(config_rows("text"))
    snapshot = Snapshot("lmarena", "x", datetime(2025, 7, 18), "listing", {"http://h/webdev/latest/0.parquet": body})
    with pytest.raises(ParseError, match="webdev/latest/0.parquet: not a file of config text"):
        LMArena().parse(snapshot)


# -- Arena's search and agent boards -----------------------------------------------------------
SEARCH = f"/huggingface.co{REPO}/search_factuality/latest/0000.parquet"
TOOLS = f"/huggingface.co{REPO}/agent_tool_hallucination/latest/0000.parquet"


def new_board_rows(config: str) -> list[dict]:
    """A 2026 board of ``config`` in the dataset's columns, 40 models of the recorded board.

    Search boards rate on the Elo scale like the text boards; agent boards publish a signed score
    in the same ``rating`` / ``rating_lower`` / ``rating_upper`` columns (CURRENT-2026.md: "Agent
    configs use a signed score, not an Elo-scale rating"), here between -1 and 1.
    """
    base = arena_rows("2025-07-18")[:40]
    if config == "search_factuality":
        return [dict(r, rating=1100.0 - 3 * i, rating_lower=1090.0 - 3 * i, rating_upper=1112.0 - 3 * i,
                     vote_count=500 + i) for i, r in enumerate(base)]
    return [dict(r, rating=round(0.8 - 0.04 * i, 4), rating_lower=round(0.7 - 0.04 * i, 4),
                 rating_upper=round(0.9 - 0.04 * i, 4), vote_count=90 + i) for i, r in enumerate(base)]


def test_live_search_factuality_and_agent_tool_hallucination_boards(upstream, http):
    """The two boards Arena added, read on loopback in the dataset's current columns.

    Format evidence: ``../shared/data/lmarena/CURRENT-2026.md`` (every config of
    ``lmarena-ai/leaderboard-dataset`` has the columns ``model_name, organization, license, rating,
    rating_lower, rating_upper, variance, vote_count, rank, category, leaderboard_publish_date``,
    splits ``latest`` and ``full``, agent configs a signed score), and the dataset viewer's
    ``/parquet`` listing, which names each config's files by config and split.
    """
    bodies = serve_2026(upstream)
    boards = {SEARCH: parquet(new_board_rows("search_factuality")),
              TOOLS: parquet(new_board_rows("agent_tool_hallucination"))}
    extra = (("text_style_control", "latest", len(bodies[STYLE])),
             ("text_factuality", "latest", len(bodies[FACTUALITY])),
             ("search_factuality", "latest", len(boards[SEARCH])),
             ("agent_tool_hallucination", "latest", len(boards[TOOLS])), ("search_factuality", "full", 1))
    upstream.mount(LISTING, listing(len(bodies[LATEST]), extra=extra))
    for path, body in boards.items():
        upstream.mount(path, body, "application/octet-stream")
    [snapshot] = fetch_all(upstream, http)
    assert sorted(snapshot.files) == sorted(f"{upstream.url}{p}" for p in (LATEST, STYLE, FACTUALITY, SEARCH, TOOLS))
    batch = LMArena().parse(snapshot)
    obs = batch.observations.set_index(["model", "benchmark"])["value"]
    counts = batch.observations["benchmark"].value_counts()
    assert counts["search_factuality_rating"] == counts["tool_hallucination_rating"] == 40
    search, tools = new_board_rows("search_factuality"), new_board_rows("agent_tool_hallucination")
    first = search[5]["model_name"]
    assert (obs[(first, "search_factuality_rating")], obs[(first, "search_factuality_rating_ci_low")],
            obs[(first, "search_factuality_rating_ci_high")], obs[(first, "search_factuality_votes")]) == (
        1085.0, 1075.0, 1097.0, 505.0)
    assert (obs[(first, "tool_hallucination_rating")], obs[(first, "tool_hallucination_rating_ci_low")],
            obs[(first, "tool_hallucination_rating_ci_high")]) == (0.6, 0.5, 0.7)
    assert obs[(tools[39]["model_name"], "tool_hallucination_rating")] == pytest.approx(-0.76)
    # The text boards are unchanged beside them, and the registry maps every new column.
    assert counts["rating"] == 218 and batch.warnings == []
    registry = load_registry().set_index(["source", "column"])
    for column, area in (("search_factuality_rating", "truthfulness"), ("tool_hallucination_rating", "honesty")):
        row = registry.loc[("lmarena", column)]
        assert (row["category"], row["safety_area"], row["direction"]) == ("safety", area, 1)
        assert "preference" in row["metric"]
    assert registry.loc[("lmarena", "tool_hallucination_rating"), "scale"] == "signed"
