"""Open LLM Leaderboard v2: the six recorded snapshots, and the live dataset viewer on loopback.

The loopback upstream plays the dataset viewer: a ``/parquet`` listing and
``/rows`` pages in the envelopes of the viewer's own documented examples, and a
parquet file in the ``open-llm-leaderboard/contents`` schema, built with pyarrow
from a recorded snapshot (the 2025-03-21 scrape holds the same rows as the
dataset).
"""

from __future__ import annotations

import csv
import io
import json
from datetime import date, datetime

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from benchwatch.records import Previous, Snapshot
from benchwatch.sources.base import ParseError
from benchwatch.sources.http import FetchError, HttpClient
from benchwatch.sources.open_llm_v2 import (
    BENCHMARKS,
    OpenLLMLeaderboardV2,
    model_set_of,
)
from tests.conftest import DATA_DIR
from tests.loopback import Fault, Upstream
from tests.paths import REPO_ROOT

DATA = DATA_DIR
SNAPSHOTS = DATA / "open-llm-leaderboard-v2" / "snapshots"
EXAMPLES = DATA / "api-response-examples" / "hf-dataset-viewer"
LISTING = "/datasets-server.huggingface.co/parquet?dataset=open-llm-leaderboard/contents"
HUB_FILE = ("https://huggingface.co/datasets/open-llm-leaderboard/contents/resolve/"
            "refs%2Fconvert%2Fparquet/default/train/0000.parquet")
PARQUET = "/huggingface.co" + HUB_FILE.removeprefix("https://huggingface.co")
ROWS = "/datasets-server.huggingface.co/rows"


def rows_key(offset: int) -> str:
    return (f"{ROWS}?dataset=open-llm-leaderboard/contents&config=default&split=train"
            f"&offset={offset}&length=100")


def raw(day: str) -> bytes:
    return (SNAPSHOTS / f"open_llm_leaderboard_v2_{day}.csv").read_bytes()


# --- the dataset's wire format, built from a recorded (API layout) snapshot ---

TYPE_LABELS = {
    "chatmodels": "💬 chat models (RLHF, DPO, IFT, ...)",
    "fine-tunedondomain-specificdatasets": "🔶 fine-tuned on domain-specific datasets",
    "basemergesandmoerges": "🤝 base merges and moerges",
    "pretrained": "🟢 pretrained",
    "continuouslypretrained": "🟩 continuously pretrained",
    "multimodal": "🌸 multimodal",
    "❓other": "❓ other",
}
SCORE_KEYS = dict(zip(BENCHMARKS, ("ifeval", "bbh", "math", "gpqa", "musr", "mmlu_pro"), strict=True))


def contents_table(csv_bytes: bytes) -> pa.Table:
    """The API-layout CSV in the columns and types of ``open-llm-leaderboard/contents``."""
    api = pd.read_csv(io.BytesIO(csv_bytes), dtype=str)
    name, precision = api["model_name"], api["model_precision"]
    label = api["model_type"].map(TYPE_LABELS)
    assert label.notna().all()
    number = lambda column: pd.to_numeric(api[column])
    flag = lambda column: api[column].eq("TRUE")
    frame = pd.DataFrame({
        "eval_name": name.str.replace("/", "_") + "_" + precision,
        "Precision": precision,
        "Type": label,
        "T": label.str.split(" ").str[0],
        "Weight type": api["model_weight_type"],
        "Architecture": api["model_architecture"],
        "Model": '<a target="_blank" href="https://huggingface.co/' + name + '">' + name + "</a>",
        "fullname": name,
        "Model sha": api["model_sha"],
        "Average ⬆️": number("model_average_score"),
        "Hub License": api["metadata_hub_license"],
        "Hub ❤️": number("metadata_hub_hearts").astype("Int64"),
        "#Params (B)": number("metadata_params_billions"),
        "Available on the hub": flag("features_is_not_available_on_hub"),
        "MoE": flag("features_is_moe"),
        "Flagged": flag("features_is_flagged"),
        "Chat Template": flag("model_has_chat_template"),
        "CO₂ cost (kg)": number("metadata_co2_cost"),
    })
    for benchmark, key in SCORE_KEYS.items():
        frame[f"{benchmark} Raw"] = number(f"evaluations_{key}_value")
        frame[benchmark] = number(f"evaluations_{key}_normalized_score")
    frame["Merged"] = flag("features_is_merged")
    frame["Official Providers"] = flag("features_is_official_provider")
    frame["Upload To Hub Date"] = api["metadata_upload_date"]
    frame["Submission Date"] = api["metadata_submission_date"]
    frame["Generation"] = number("metadata_generation").astype("Int64")
    frame["Base Model"] = api["metadata_base_model"]
    return pa.Table.from_pandas(frame, preserve_index=False)


def parquet_bytes(table: pa.Table) -> bytes:
    sink = io.BytesIO()
    pq.write_table(table, sink)
    return sink.getvalue()


def listing_bytes(size: int, **overrides: object) -> bytes:
    """A /parquet answer in the envelope of the viewer's documented example."""
    doc = json.loads((EXAMPLES / "parquet_200_ibm_duorc.json").read_text())
    entry = dict(doc["parquet_files"][0], dataset="open-llm-leaderboard/contents", config="default",
                 split="train", url=HUB_FILE, filename="0000.parquet", size=size)
    doc.update(parquet_files=[entry], **overrides)
    return json.dumps(doc).encode()


def rows_pages(table: pa.Table) -> dict[str, bytes]:
    """The split as /rows pages of 100, in the envelope of the viewer's documented example."""
    template = json.loads((EXAMPLES / "rows_200_stanfordnlp_imdb.json").read_text())
    dtypes = {"double": "float64", "large_string": "string"}
    features = [{"feature_idx": i, "name": field.name,
                 "type": {"dtype": dtypes.get(str(field.type), str(field.type)), "_type": "Value"}}
                for i, field in enumerate(table.schema)]
    records = table.to_pylist()
    pages = {}
    for offset in range(0, max(len(records), 1), 100):
        page = dict(template, features=features, num_rows_total=len(records), num_rows_per_page=100,
                    rows=[{"row_idx": offset + i, "row": row, "truncated_cells": []}
                          for i, row in enumerate(records[offset:offset + 100])])
        pages[rows_key(offset)] = json.dumps(page).encode()
    return pages


@pytest.fixture(scope="module")
def final_table() -> pa.Table:
    return contents_table(raw("2025-03-21"))


@pytest.fixture(scope="module")
def final_parquet(final_table: pa.Table) -> bytes:
    return parquet_bytes(final_table)


@pytest.fixture(scope="module")
def replays() -> dict[str, tuple[Snapshot, object]]:
    source = OpenLLMLeaderboardV2()
    return {snap.observed_at.date().isoformat(): (snap, source.parse(snap))
            for snap in source.replay(DATA)}


@pytest.fixture(scope="module")
def server():
    # One server for the module: stopping one costs half a second of polling.
    running = Upstream().start()
    yield running
    running.stop()


@pytest.fixture()
def upstream(server: Upstream) -> Upstream:
    server.routes.clear()
    server.faults.clear()
    server.log.clear()
    return server


@pytest.fixture()
def sleeps() -> list[float]:
    return []


@pytest.fixture()
def http(sleeps: list[float]):
    client = HttpClient(timeout=5.0, sleep=sleeps.append)
    yield client
    client.close()


def serve_parquet(upstream: Upstream, content: bytes) -> None:
    upstream.mount(LISTING, listing_bytes(len(content)))
    upstream.mount(PARQUET, content, "application/octet-stream")


def fetch_one(upstream: Upstream, http: HttpClient, previous: dict | None = None) -> Snapshot:
    snapshots = list(OpenLLMLeaderboardV2(upstream_base=upstream.url).fetch(http, previous or {}))
    assert len(snapshots) == 1
    return snapshots[0]


def tidy_rows(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.sort_values(["model", "benchmark"]).reset_index(drop=True)


# --- replay -------------------------------------------------------------------

def test_replay_yields_the_six_snapshots_oldest_first_dated_by_file_name() -> None:
    source = OpenLLMLeaderboardV2()
    snaps = list(source.replay(DATA))
    assert [s.observed_at for s in snaps] == [
        datetime(2024, 7, 13), datetime(2024, 9, 27), datetime(2024, 11, 26),
        datetime(2024, 12, 31), datetime(2025, 2, 24), datetime(2025, 3, 21)]
    assert all(s.mode == "replay" and len(s.files) == 1 for s in snaps)
    assert snaps[0].location.endswith("open_llm_leaderboard_v2_2024-07-13.csv")
    assert [s.observed_at.date() for s in source.replay(DATA, until=date(2024, 12, 30))] == [
        date(2024, 7, 13), date(2024, 9, 27), date(2024, 11, 26)]


@pytest.mark.parametrize("day, models, layout", [
    ("2024-07-13", 235, "Gradio"), ("2024-09-27", 1142, "Gradio"), ("2024-11-26", 1976, "Gradio"),
    ("2024-12-31", 2575, "Space API"), ("2025-02-24", 3849, "Space API"),
    ("2025-03-21", 4497, "Space API"),
])
def test_every_snapshot_maps_onto_one_schema(replays, day: str, models: int, layout: str) -> None:
    snap, batch = replays[day]
    rows = batch.observations
    assert list(rows.columns) == ["model", "benchmark", "value", "observed_at"]
    assert sorted(rows["benchmark"].unique()) == sorted(BENCHMARKS)
    assert len(rows) == 6 * models and rows["model"].nunique() == models
    assert not rows.duplicated(["model", "benchmark"]).any()
    assert len(batch.models) == models and batch.models["model"].is_unique
    assert str(rows["observed_at"].dtype) == "datetime64[us]"
    assert rows["observed_at"].max() <= snap.observed_at
    assert rows["value"].between(0, 100).all()
    assert any(w.startswith("older layout mapped") and layout in w for w in batch.warnings)
    assert any("duplicate row(s)" in w for w in batch.warnings)


def value(batch, model: str, benchmark: str) -> float:
    rows = batch.observations
    return float(rows.loc[(rows["model"] == model) & (rows["benchmark"] == benchmark), "value"].item())


def test_known_cells_of_the_gradio_layout(replays) -> None:
    _, batch = replays["2024-07-13"]
    assert value(batch, "Qwen/Qwen2-72B-Instruct", "MATH Lvl 5") == 35.12
    assert value(batch, "Qwen/Qwen2-72B-Instruct", "IFEval") == 79.89
    assert value(batch, "Qwen/Qwen2-72B", "MMLU-PRO") == 52.56
    rows = batch.observations
    dated = rows.loc[rows["model"] == "Qwen/Qwen2-72B-Instruct", "observed_at"]
    assert set(dated) == {pd.Timestamp("2024-06-26")}  # its submission date
    models = batch.models.set_index("model")
    assert tuple(models.loc["Qwen/Qwen2-72B-Instruct", ["model_set", "model_type"]]) == ("chat", "chat")
    assert tuple(models.loc["Qwen/Qwen2-72B", ["model_set", "model_type"]]) == ("pretrained", "base")


def test_known_cells_of_the_api_layout(replays) -> None:
    _, batch = replays["2025-03-21"]
    assert value(batch, "0-hero/Matter-0.2-7B-DPO", "MATH Lvl 5") == 1.43504531722054
    assert value(batch, "01-ai/Yi-1.5-34B", "MMLU-PRO") == 40.732121749409
    assert value(replays["2024-12-31"][1], "0-hero/Matter-0.2-7B-DPO", "MATH Lvl 5") == 0.830815709969789
    models = batch.models.set_index("model")
    assert models.loc["01-ai/Yi-1.5-34B", "model_set"] == "pretrained"
    assert models.loc["0-hero/Matter-0.2-7B-DPO", "model_type"] == "chat"


@pytest.mark.parametrize("day", ["2024-07-13", "2024-11-26", "2024-12-31", "2025-03-21"])
def test_parsed_values_equal_the_raw_file_cells(replays, day: str) -> None:
    """Every model evaluated once: each of its six cells, read with the csv module."""
    columns = {"ifeval": "IFEval", "bbh": "BBH", "math_lvl_5": "MATH Lvl 5", "gpqa": "GPQA",
               "musr": "MUSR", "mmlupro": "MMLU-PRO"}
    columns.update({f"evaluations_{k}_normalized_score": b for b, k in SCORE_KEYS.items()})
    records = list(csv.DictReader(io.StringIO(raw(day).decode("utf-8"))))
    name = "fullname" if "fullname" in records[0] else "model_name"
    counts = pd.Series([r[name] for r in records]).value_counts()
    parsed = replays[day][1].observations.set_index(["model", "benchmark"])["value"]
    checked = 0
    for record in records:
        if counts[record[name]] == 1:
            for column, benchmark in columns.items():
                if column in record:
                    assert parsed[(record[name], benchmark)] == float(record[column])
                    checked += 1
    assert checked > 1000


def test_a_repo_evaluated_twice_keeps_its_earliest_submission(replays) -> None:
    # float16 submitted 2024-10-13 as fine-tuned; bfloat16 2024-10-18 as chat.
    _, batch = replays["2025-03-21"]
    model = "AtAndDev/Qwen2.5-1.5B-continuous-learnt"
    assert value(batch, model, "IFEval") == 46.0521416508198
    rows = batch.observations
    assert set(rows.loc[rows["model"] == model, "observed_at"]) == {pd.Timestamp("2024-10-13")}
    assert batch.models.set_index("model").loc[model, "model_set"] == "fine-tuned"


def test_undated_rows_take_the_snapshot_date(replays) -> None:
    snap, batch = replays["2025-03-21"]
    rows = batch.observations
    assert set(rows.loc[rows["model"] == "ibm-granite/granite-3.0-2b-base", "observed_at"]) == {
        pd.Timestamp(snap.observed_at)}
    assert any("12 row(s) without a submission date" in w for w in batch.warnings)


def math_changes(replays, before: str, after: str) -> tuple[int, int, int]:
    """(common models, models whose MATH changed, most models changed on another benchmark)."""
    merged = replays[before][1].observations.merge(
        replays[after][1].observations, on=["model", "benchmark"])
    changed = (merged["value_x"] - merged["value_y"]).abs() > 1e-9
    per_benchmark = changed.groupby(merged["benchmark"]).sum()
    return merged["model"].nunique(), int(per_benchmark["MATH Lvl 5"]), int(
        per_benchmark.drop("MATH Lvl 5").max())


def test_the_two_math_rescorings_come_through_as_published(replays) -> None:
    common, math, other = math_changes(replays, "2024-09-27", "2024-11-26")
    assert (common, math) == (1141, 839) and other < 20
    common, math, other = math_changes(replays, "2024-12-31", "2025-02-24")
    assert (common, math) == (2575, 2329) and other < 40
    # Between snapshots without a rescoring, MATH moves no more than the rest.
    assert math_changes(replays, "2025-02-24", "2025-03-21")[1] < 10
    assert value(replays["2024-09-27"][1], "Qwen/Qwen2-72B-Instruct", "MATH Lvl 5") == 35.12
    assert value(replays["2024-11-26"][1], "Qwen/Qwen2-72B-Instruct", "MATH Lvl 5") == 37.69
    assert value(replays["2025-02-24"][1], "Qwen/Qwen2-72B-Instruct", "MATH Lvl 5") == 41.7673716012085


def test_the_layout_switch_changes_values_only_by_the_gradio_rounding(replays) -> None:
    """2024-11-26 (two decimals) to 2024-12-31 (full precision): storage sees tiny deltas."""
    merged = replays["2024-11-26"][1].observations.merge(
        replays["2024-12-31"][1].observations, on=["model", "benchmark"])
    delta = (merged["value_x"] - merged["value_y"]).abs()
    assert (delta > 1e-9).mean() > 0.9
    assert merged.loc[delta > 0.0051, "model"].nunique() <= 5


def test_type_labels_of_every_layout() -> None:
    for label in ("💬 chat models (RLHF, DPO, IFT, ...)", "chatmodels"):
        assert model_set_of(label) == ("chat", "chat")
    for label in ("🟩 continuously pretrained", "continuouslypretrained"):
        assert model_set_of(label) == ("continuously-pretrained", "base")
    assert model_set_of("🔶 fine-tuned on domain-specific datasets") == ("fine-tuned", None)
    assert model_set_of("fine-tunedondomain-specificdatasets") == ("fine-tuned", None)
    assert model_set_of("🤝 base merges and moerges") == ("merges", None)
    assert model_set_of("🟢 pretrained") == ("pretrained", "base")
    assert model_set_of("🌸 multimodal") == ("multimodal", None)
    assert model_set_of("❓other") == ("other", None)
    assert model_set_of(None) == ("unknown", None)


def test_a_renamed_column_in_a_recorded_file_names_the_column() -> None:
    source = OpenLLMLeaderboardV2()
    content = raw("2024-07-13").replace(b",math_lvl_5,", b",math_level_5,", 1)
    snap = Snapshot(source.name, "x", datetime(2024, 7, 13), "broken.csv", {"broken.csv": content})
    with pytest.raises(ParseError, match="math_lvl_5") as err:
        source.parse(snap)
    assert err.value.column == "math_lvl_5" and err.value.location == "broken.csv"


# --- live, on loopback ----------------------------------------------------------

def test_live_parquet_gives_the_rows_of_the_replay(upstream, http, final_parquet, replays) -> None:
    serve_parquet(upstream, final_parquet)
    snap = fetch_one(upstream, http)
    assert snap.mode == "live" and not snap.not_modified and snap.http_status == 200
    assert snap.location == upstream.url + LISTING and snap.etag
    assert set(snap.files) == {upstream.url + LISTING, upstream.url + PARQUET}
    assert snap.observed_at == datetime(2023, 11, 14, 22, 13, 20)  # the file's Last-Modified
    live = OpenLLMLeaderboardV2().parse(snap)
    replay_snap, replayed = replays["2025-03-21"]
    assert not any("older layout" in w for w in live.warnings)
    live_rows, replay_rows = tidy_rows(live.observations), tidy_rows(replayed.observations)
    pd.testing.assert_frame_equal(live_rows[["model", "benchmark", "value"]],
                                  replay_rows[["model", "benchmark", "value"]])
    # Rows without a submission date are dated by each snapshot; the rest by the row.
    dated = replay_rows["observed_at"] != pd.Timestamp(replay_snap.observed_at)
    assert dated.sum() > 26000
    assert (live_rows.loc[dated, "observed_at"] == replay_rows.loc[dated, "observed_at"]).all()
    pd.testing.assert_frame_equal(live.models.sort_values("model").reset_index(drop=True),
                                  replayed.models.sort_values("model").reset_index(drop=True))


def test_unchanged_refetch_is_one_conditional_request(upstream, http, final_parquet) -> None:
    serve_parquet(upstream, final_parquet)
    first = fetch_one(upstream, http)
    before = len(upstream.log)
    previous = {first.location: Previous(first.etag, first.last_modified, first.content_hash)}
    again = fetch_one(upstream, http, previous)
    assert again.not_modified and again.files == {} and again.http_status == 304
    assert again.etag == first.etag
    assert upstream.log[before:] == [(LISTING.split("?")[0], LISTING.split("?")[1], 304)]


def test_unchanged_parquet_set_is_detected_without_an_etag(upstream, http, final_parquet) -> None:
    serve_parquet(upstream, final_parquet)
    upstream.routes[LISTING].etag = None
    first = fetch_one(upstream, http)
    assert first.etag.startswith('W/"benchwatch-parquet-set:')
    before = len(upstream.log)
    again = fetch_one(upstream, http, {first.location: Previous(first.etag, first.last_modified)})
    assert again.not_modified and again.files == {}
    assert [status for path, _, status in upstream.log[before:]] == [200]  # the listing only


def test_changed_refetch_yields_the_new_data(upstream, http, final_parquet) -> None:
    serve_parquet(upstream, parquet_bytes(contents_table(raw("2025-02-24"))))
    first = fetch_one(upstream, http)
    serve_parquet(upstream, final_parquet)
    second = fetch_one(upstream, http, {first.location: Previous(first.etag, first.last_modified)})
    assert not second.not_modified and second.etag != first.etag
    old, new = (OpenLLMLeaderboardV2().parse(s) for s in (first, second))
    assert (old.models["model"].nunique(), new.models["model"].nunique()) == (3849, 4497)
    assert value(new, "0-hero/Matter-0.2-7B-DPO", "MATH Lvl 5") == 1.43504531722054


def test_rows_pages_when_no_parquet_is_listed(upstream, http, final_table, replays) -> None:
    upstream.mount(LISTING, json.dumps({"parquet_files": [], "pending": [
        {"dataset": "open-llm-leaderboard/contents", "config": "default"}], "failed": [],
        "partial": False}).encode())
    for key, body in rows_pages(final_table).items():
        upstream.mount(key, body)
    snap = fetch_one(upstream, http)
    pages = [q for path, q, _ in upstream.log if path == ROWS]
    assert len(pages) == 46 and all(q.endswith("&length=100") for q in pages)
    live = OpenLLMLeaderboardV2().parse(snap)
    pd.testing.assert_frame_equal(
        tidy_rows(live.observations)[["model", "benchmark", "value"]],
        tidy_rows(replays["2025-03-21"][1].observations)[["model", "benchmark", "value"]])


NOT_READY = Fault("status", 500, {"X-Error-Code": "ResponseNotReady"},
                  (EXAMPLES / "parquet_500_response_not_ready.json").read_bytes())


def test_response_not_ready_is_retried_with_backoff(upstream, http, sleeps, final_parquet) -> None:
    serve_parquet(upstream, final_parquet)
    upstream.inject(LISTING, NOT_READY, NOT_READY)
    snap = fetch_one(upstream, http)
    assert sleeps == [1.0, 2.0] and len(snap.files) == 2


def test_response_not_ready_everywhere_is_a_clear_fetch_error(upstream, http, sleeps,
                                                               final_table) -> None:
    pages = rows_pages(final_table)
    for key, body in pages.items():
        upstream.mount(key, body)
    upstream.mount(LISTING, listing_bytes(1))
    upstream.inject(LISTING, *[NOT_READY] * 5)
    upstream.inject(rows_key(0), *[NOT_READY] * 5)
    with pytest.raises(FetchError, match="ResponseNotReady.*retry later") as err:
        fetch_one(upstream, http)
    assert err.value.url.endswith("offset=0&length=100") and err.value.status == 500
    assert sleeps == [1.0, 2.0, 4.0, 8.0] * 2


def test_429_with_retry_after_then_success(upstream, http, sleeps, final_parquet) -> None:
    serve_parquet(upstream, final_parquet)
    upstream.inject(LISTING, Fault("status", 429, {"Retry-After": "7"}))
    snap = fetch_one(upstream, http)
    assert sleeps == [7.0] and len(snap.files) == 2


def test_500_on_the_parquet_file_then_success(upstream, http, sleeps, final_parquet) -> None:
    serve_parquet(upstream, final_parquet)
    upstream.inject(PARQUET, Fault("status", 500))
    snap = fetch_one(upstream, http)
    assert sleeps == [1.0] and snap.files[upstream.url + PARQUET] == final_parquet


def test_truncated_parquet_body_is_refetched(upstream, http, final_parquet) -> None:
    serve_parquet(upstream, final_parquet)
    upstream.inject(PARQUET, Fault("truncate"))
    snap = fetch_one(upstream, http)
    assert snap.files[upstream.url + PARQUET] == final_parquet
    assert upstream.requests_to(PARQUET.split("?")[0]) == [200, 200]


def test_a_body_truncated_every_time_fails_naming_the_url(upstream, http, final_parquet) -> None:
    serve_parquet(upstream, final_parquet)
    upstream.inject(PARQUET, *[Fault("truncate")] * 5)
    with pytest.raises(FetchError) as err:
        fetch_one(upstream, http)
    assert err.value.url == upstream.url + PARQUET


def test_html_instead_of_the_listing_names_the_url(upstream, http, final_parquet) -> None:
    serve_parquet(upstream, final_parquet)
    upstream.inject(LISTING, Fault("html"))
    with pytest.raises(ParseError, match="not JSON") as err:
        fetch_one(upstream, http)
    assert err.value.location == upstream.url + LISTING


def test_html_instead_of_the_parquet_file_names_the_url(upstream, http, final_parquet) -> None:
    serve_parquet(upstream, final_parquet)
    upstream.inject(PARQUET, Fault("html"))
    snap = fetch_one(upstream, http)
    with pytest.raises(ParseError, match="not a readable parquet") as err:
        OpenLLMLeaderboardV2().parse(snap)
    assert err.value.location == upstream.url + PARQUET


def test_a_renamed_column_upstream_names_the_column(upstream, http, final_table) -> None:
    names = ["MATH Lvl5" if n == "MATH Lvl 5" else n for n in final_table.column_names]
    serve_parquet(upstream, parquet_bytes(final_table.rename_columns(names)))
    snap = fetch_one(upstream, http)
    with pytest.raises(ParseError, match="MATH Lvl 5") as err:
        OpenLLMLeaderboardV2().parse(snap)
    assert err.value.column == "MATH Lvl 5" and err.value.location == upstream.url + PARQUET


def test_an_empty_table_is_refused(upstream, http, final_table) -> None:
    serve_parquet(upstream, parquet_bytes(final_table.slice(0, 0)))
    snap = fetch_one(upstream, http)
    with pytest.raises(ParseError, match="no rows"):
        OpenLLMLeaderboardV2().parse(snap)


def test_a_partial_export_is_refused(upstream, http, final_parquet) -> None:
    upstream.mount(LISTING, listing_bytes(len(final_parquet), partial=True))
    with pytest.raises(ParseError, match="partial") as err:
        fetch_one(upstream, http)
    assert err.value.column == "partial"


def test_registry_lists_every_emitted_benchmark_as_capability() -> None:
    registry = pd.read_csv(REPO_ROOT / "benchwatch/data/benchmarks/open-llm-leaderboard-v2.csv")
    assert list(registry.columns) == ["column", "benchmark_id", "name", "category", "safety_area",
                                      "direction", "scale", "metric"]
    assert sorted(registry["column"]) == sorted(BENCHMARKS)
    assert set(registry["category"]) == {"capability"} and set(registry["scale"]) == {"0-100"}
    assert set(registry["direction"]) == {1}
