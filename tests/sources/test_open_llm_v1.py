"""Open LLM Leaderboard v1: the recorded final table, and the live path over the
archived results/requests datasets served on loopback from the same rows."""

from __future__ import annotations

import json
from datetime import date, datetime

import pandas as pd
import pytest

from benchwatch.records import Previous, Snapshot
from benchwatch.sources.base import ParseError
from benchwatch.sources.http import HttpClient
from benchwatch.sources.open_llm_v1 import RECORDED, OpenLLMLeaderboardV1, model_set_of
from tests.loopback import Fault, Upstream

HUB = "/huggingface.co"
TYPES = {"🟢 pretrained": "🟢 : pretrained", "💬 chat models (RLHF, DPO, IFT, ...)": "💬 : chat models",
         "🔶 fine-tuned on domain-specific datasets": "🔶 : fine-tuned",
         "🤝 base merges and moerges": "🤝 : base merges and moerges"}


@pytest.fixture(scope="module")
def replayed(data_dir):
    source = OpenLLMLeaderboardV1()
    snapshot = next(source.replay(data_dir))
    return source, snapshot, source.parse(snapshot)


def test_replay_values_and_dates(replayed, data_dir):
    _, snapshot, batch = replayed
    raw = pd.read_csv(data_dir / RECORDED)
    obs = batch.observations.set_index(["model", "benchmark"])
    row = raw[raw["model"] == "paloalma/Le_Triomphant-ECE-TW3"].iloc[0]
    assert obs.loc[("paloalma/Le_Triomphant-ECE-TW3", "truthfulqa"), "value"] == row["truthfulqa"] == 75.84
    assert obs.loc[("paloalma/Le_Triomphant-ECE-TW3", "arc"), "observed_at"] == datetime(2024, 5, 5, 12, 22, 44)
    assert len(batch.models) == raw["model"].nunique() == 6728
    assert len(batch.observations) == 6728 * 6
    # two precisions of one model: the first submission is kept
    yi = raw[raw["model"] == "01-ai/Yi-6B"].sort_values("date").iloc[0]
    assert obs.loc[("01-ai/Yi-6B", "arc"), "value"] == yi["arc"]
    assert any("duplicate" in w for w in batch.warnings)
    sets = batch.models.set_index("model")
    assert tuple(sets.loc["01-ai/Yi-6B", ["model_set", "model_type"]]) == ("pretrained", "base")


@pytest.mark.parametrize(("label", "expected"), [
    ("🟢 pretrained", ("pretrained", "base")),
    ("🟩 continuously pretrained", ("pretrained", "base")),
    ("💬 chat models (RLHF, DPO, IFT, ...)", ("chat", "chat")),
    ("🔶 : fine-tuned", ("fine-tuned", None)),
    ("🤝 base merges and moerges", ("merges", None)),
    (None, ("unknown", None)),
])
def test_model_sets_from_the_type_column(label, expected):
    assert model_set_of(label) == expected


def serve_rows(upstream: Upstream, rows: pd.DataFrame, sha: str, page_size: int = 7) -> None:
    """The archived datasets' wire format: repo info, paginated trees, one JSON per file."""
    upstream.mount(f"{HUB}/api/datasets/open-llm-leaderboard-old/results", json.dumps({"sha": sha}).encode())
    result_entries, request_entries = [], []
    for row in rows.itertuples(index=False):
        stamp = pd.Timestamp(row.date).strftime("%Y-%m-%dT%H-%M-%S.000000")
        path = f"{row.model}/results_{stamp}.json"
        results = {
            "harness|arc:challenge|25": {"acc_norm": row.arc / 100},
            "harness|hellaswag|10": {"acc_norm": row.hellaswag / 100},
            "harness|truthfulqa:mc|0": {"mc2": row.truthfulqa / 100},
            "harness|winogrande|5": {"acc": row.winogrande / 100},
            "harness|gsm8k|5": {"acc": row.gsm8k / 100},
            **{f"harness|hendrycksTest-subject{i}|5": {"acc": row.mmlu / 100} for i in range(57)},
        }
        doc = {"config_general": {"model_name": row.model}, "results": results}
        upstream.mount(f"{HUB}/datasets/open-llm-leaderboard-old/results/resolve/main/{path}",
                       json.dumps(doc).encode())
        result_entries.append({"type": "file", "path": path})
        org, name = row.model.split("/", 1)
        request = f"{org}/{name}_eval_request_False_float16_Original.json"
        upstream.mount(f"{HUB}/datasets/open-llm-leaderboard-old/requests/resolve/main/{request}",
                       json.dumps({"model": row.model, "model_type": TYPES.get(row.type, "")}).encode())
        request_entries.append({"type": "file", "path": request})
    for dataset, entries in (("results", result_entries), ("requests", request_entries)):
        tree = f"{HUB}/api/datasets/open-llm-leaderboard-old/{dataset}/tree/main"
        pages = [entries[i:i + page_size] for i in range(0, len(entries), page_size)]
        for number, page in enumerate(pages):
            query = "?recursive=true" if number == 0 else f"?cursor={number}"
            link = ({"Link": f'<{upstream.url}{tree}?cursor={number + 1}>; rel="next"'}
                    if number + 1 < len(pages) else None)
            upstream.mount(tree + query, json.dumps(page).encode(), headers=link)


@pytest.fixture(scope="module")
def sample(data_dir):
    raw = pd.read_csv(data_dir / RECORDED)
    raw = raw[~raw["model"].duplicated(keep=False) & raw["type"].notna() & raw["date"].notna()]
    return raw.iloc[::300].head(20)


def test_live_fetch_gives_the_rows_of_the_replay(upstream, sample, replayed):
    serve_rows(upstream, sample, sha="abc123")
    source = OpenLLMLeaderboardV1(upstream_base=upstream.url)
    with HttpClient(retries=0) as http:
        [snapshot] = list(source.fetch(http, {}))
    live = source.parse(snapshot)
    expected = replayed[2].observations[replayed[2].observations["model"].isin(sample["model"])]
    merged = live.observations.merge(expected, on=["model", "benchmark"], suffixes=("_live", "_replay"))
    assert len(merged) == len(expected) == len(live.observations) == 20 * 6
    assert (merged["value_live"] - merged["value_replay"]).abs().max() < 1e-9
    assert (merged["observed_at_live"] == merged["observed_at_replay"].dt.floor("s")).all()
    models = live.models.set_index("model")["model_set"]
    replay_sets = replayed[2].models.set_index("model")["model_set"]
    assert (models == replay_sets.loc[models.index]).all()
    assert snapshot.label == "abc123" and snapshot.etag == upstream.routes[INFO].etag


INFO = f"{HUB}/api/datasets/open-llm-leaderboard-old/results"


def test_an_unchanged_repo_costs_one_conditional_request(upstream, sample):
    serve_rows(upstream, sample, sha="abc123")
    source = OpenLLMLeaderboardV1(upstream_base=upstream.url)
    info = f"{upstream.url}{INFO}"
    with HttpClient(retries=0) as http:
        [snapshot] = list(source.fetch(http, {info: Previous(etag=upstream.routes[INFO].etag)}))
        assert snapshot.not_modified and http.requests == 1
    assert upstream.log[-1] == (INFO, "expand=sha", 304)


def test_a_server_without_etags_is_caught_by_the_sha(upstream, sample):
    serve_rows(upstream, sample, sha="abc123")
    upstream.routes[INFO].etag = None
    source = OpenLLMLeaderboardV1(upstream_base=upstream.url)
    with HttpClient(retries=0) as http:
        [first] = list(source.fetch(http, {}))
        assert first.etag == '"abc123"' and first.files
        before = http.requests
        [again] = list(source.fetch(http, {f"{upstream.url}{INFO}": Previous(etag=first.etag)}))
        assert again.not_modified and http.requests == before + 1
    assert upstream.log[-1] == (INFO, "expand=sha", 200)


def test_retry_after_then_success(upstream, sample):
    serve_rows(upstream, sample.head(3), sha="s")
    info = f"{HUB}/api/datasets/open-llm-leaderboard-old/results"
    upstream.inject(info, Fault("status", 429, headers={"Retry-After": "3"}), Fault("status", 503))
    slept: list[float] = []
    source = OpenLLMLeaderboardV1(upstream_base=upstream.url)
    with HttpClient(retries=3, sleep=slept.append) as http:
        [snapshot] = list(source.fetch(http, {}))
    assert slept == [3.0, 2.0] and len(source.parse(snapshot).models) == 3


def test_html_instead_of_json_names_the_url(upstream, sample):
    serve_rows(upstream, sample.head(3), sha="s")
    upstream.inject(f"{HUB}/api/datasets/open-llm-leaderboard-old/results", Fault("html"))
    source = OpenLLMLeaderboardV1(upstream_base=upstream.url)
    with HttpClient(retries=0) as http, pytest.raises(ParseError, match="open-llm-leaderboard-old/results: not JSON"):
        list(source.fetch(http, {}))


def test_result_file_without_results_is_a_clear_error():
    source = OpenLLMLeaderboardV1()
    snapshot = Snapshot(source.name, "x", datetime(2024, 1, 1), "mem",
                        {"results/a/b/results_2024-01-01T00-00-00.json": b'{"config_general": {}}'})
    with pytest.raises(ParseError, match="no 'results' object"):
        source.parse(snapshot)


def test_renamed_column_in_the_table_is_named(data_dir, tmp_path):
    text = (data_dir / RECORDED).read_text().replace(",truthfulqa,", ",truthful_qa,", 1)
    folder = tmp_path / "open-llm-leaderboard-v1"
    folder.mkdir()
    (folder / "open_llm_leaderboard_v1_2024-06-19.csv").write_text(text)
    source = OpenLLMLeaderboardV1()
    with pytest.raises(ParseError, match=r"column 'truthfulqa'"):
        source.parse(next(source.replay(tmp_path)))


def test_replay_until_cuts_the_table_at_the_submission_date(data_dir):
    source = OpenLLMLeaderboardV1()
    [cut] = list(source.replay(data_dir, until=date(2023, 12, 31)))
    batch = source.parse(cut)
    assert batch.observations["observed_at"].max() <= datetime(2023, 12, 31, 23, 59, 59)
    assert cut.observed_at == datetime(2023, 12, 31)
    raw = pd.read_csv(data_dir / RECORDED)
    submitted = pd.to_datetime(raw["date"], format="ISO8601", utc=True).dt.tz_localize(None)
    early = raw[submitted < datetime(2024, 1, 1)]
    assert len(batch.models) == early["model"].nunique()
    [full] = list(source.replay(data_dir))
    assert full.content_hash != cut.content_hash
