"""Hugging Face done properly, on loopback: the token goes to the Hub and the dataset viewer only,
the Hub's ``RateLimit`` header is honoured like ``Retry-After``, and the total wait is bounded."""

from __future__ import annotations

import pytest

from benchwatch.settings import load_settings
from benchwatch.sources.http import FetchError, HttpClient, client_from, hf_bearer, ratelimit_reset
from benchwatch.sources.lmarena import LMArena
from benchwatch.sources.probe import check_sources
from tests.loopback import Fault, Upstream
from tests.paths import DATA_DIR
from tests.sources.test_lmarena import LISTING, serve_2026

TOKEN = "hf_l00pbackT0ken"
ECI = "/epoch.ai/data/eci_scores.csv"
INFO = "/huggingface.co/api/datasets/open-llm-leaderboard-old/results"
RATELIMITED = {"RateLimit": '"api";r=0;t=3', "RateLimit-Policy": '"fixed window";"api";q=500;w=300'}


@pytest.fixture
def upstream():
    server = Upstream().start()
    yield server
    server.stop()


def test_ratelimit_header_parsing():
    assert ratelimit_reset('"api";r=0;t=55') == (0, 55.0)
    assert ratelimit_reset('"resolvers";r=2987;t=190') == (2987, 190.0)
    assert ratelimit_reset("garbage") is None and ratelimit_reset(None) is None


def test_token_from_hf_token_or_benchwatch_setting(monkeypatch, tmp_path):
    monkeypatch.setenv("HF_TOKEN", TOKEN)
    settings = load_settings(db=tmp_path / "bw.duckdb")
    assert settings.hf_token.get_secret_value() == TOKEN
    assert TOKEN not in repr(settings) and TOKEN not in str(settings.model_dump())
    monkeypatch.delenv("HF_TOKEN")
    monkeypatch.setenv("BENCHWATCH_HF_TOKEN", "other")
    assert load_settings(db=tmp_path / "bw.duckdb").hf_token.get_secret_value() == "other"
    monkeypatch.delenv("BENCHWATCH_HF_TOKEN")
    assert load_settings(db=tmp_path / "bw.duckdb").hf_token is None


def test_token_goes_to_the_hub_and_the_viewer_and_nowhere_else(upstream, monkeypatch, tmp_path):
    serve_2026(upstream)
    upstream.mount(ECI, (DATA_DIR / "epoch/current-layout/eci_scores_2025-12-19.csv").read_bytes(), "text/csv")
    upstream.mount(INFO, b'{"sha": "abc", "lastModified": "2024-06-26T00:00:00.000Z"}')
    monkeypatch.setenv("HF_TOKEN", TOKEN)
    settings = load_settings(db=tmp_path / "bw.duckdb", upstream_base=upstream.url)
    with client_from(settings) as http:
        list(LMArena(upstream_base=upstream.url).fetch(http, {}))
        check_sources(["epoch", "open-llm-leaderboard-v1"], http, upstream.url)
    sent = {path: auth for path, auth in upstream.authorization}
    hf = [path for path in sent if path.startswith(("/huggingface.co/", "/datasets-server.huggingface.co/"))]
    assert len(hf) == 5  # the listing, three boards, the v1 info
    assert all(sent[path] == f"Bearer {TOKEN}" for path in hf)
    assert sent[ECI] is None


def test_token_prefix_stops_at_a_path_boundary(upstream):
    upstream.mount("/huggingface.co.evil/x", b"{}")
    upstream.mount("/huggingface.co/x", b"{}")
    with HttpClient(retries=0, bearer=hf_bearer(TOKEN, upstream.url)) as http:
        http.get(f"{upstream.url}/huggingface.co.evil/x")
        http.get(f"{upstream.url}/huggingface.co/x")
    assert upstream.authorization == [("/huggingface.co.evil/x", None), ("/huggingface.co/x", f"Bearer {TOKEN}")]


def test_no_token_no_authorization_header(upstream):
    upstream.mount("/huggingface.co/x", b"{}")
    with HttpClient(retries=0, bearer=hf_bearer(None, upstream.url)) as http:
        http.get(f"{upstream.url}/huggingface.co/x")
    assert upstream.authorization == [("/huggingface.co/x", None)]


def test_429_with_ratelimit_waits_until_the_window_resets(upstream):
    serve_2026(upstream)
    upstream.inject(LISTING, Fault("status", 429, headers=RATELIMITED))
    slept: list[float] = []
    with HttpClient(retries=2, sleep=slept.append, max_wait=10) as http:
        [snapshot] = LMArena(upstream_base=upstream.url).fetch(http, {})
    assert slept == [3.0] and http.waited == 3.0
    assert upstream.requests_to(LISTING) == [429, 200]
    assert len(snapshot.files) == 3


def test_retry_after_wins_over_the_ratelimit_reset(upstream):
    upstream.mount("/huggingface.co/x", b"{}")
    upstream.inject("/huggingface.co/x", Fault("status", 429, headers={**RATELIMITED, "Retry-After": "1"}))
    slept: list[float] = []
    with HttpClient(retries=1, sleep=slept.append) as http:
        http.get(f"{upstream.url}/huggingface.co/x")
    assert slept == [1.0]


def test_last_request_of_the_window_waits_before_the_next_one(upstream):
    upstream.mount("/huggingface.co/a", b"{}", headers={"RateLimit": '"api";r=0;t=2'})
    upstream.mount("/huggingface.co/b", b"{}")
    slept: list[float] = []
    with HttpClient(retries=0, sleep=slept.append) as http:
        http.get(f"{upstream.url}/huggingface.co/a")
        assert slept == []
        http.get(f"{upstream.url}/huggingface.co/b")
    assert slept == [2.0]


def test_a_wait_past_the_bound_fails_naming_the_url_and_the_setting(upstream):
    serve_2026(upstream)
    upstream.inject(LISTING, Fault("status", 429, headers={**RATELIMITED, "RateLimit": '"api";r=0;t=250'}))
    slept: list[float] = []
    with HttpClient(retries=3, sleep=slept.append, max_wait=60) as http, pytest.raises(FetchError) as error:
        list(LMArena(upstream_base=upstream.url).fetch(http, {}))
    message = str(error.value)
    assert message.startswith(f"{upstream.url}{LISTING}?dataset=")
    assert "250 s" in message and "60 s" in message and "http_max_wait" in message
    assert "quota 500 requests per 300 s" in message
    assert slept == [] and error.value.status == 429
    assert upstream.requests_to(LISTING) == [429]  # gave up at once: no second request


def test_the_bound_is_for_the_whole_run_not_one_request(upstream):
    for name in ("a", "b"):
        upstream.mount(f"/huggingface.co/{name}", b"{}")
        upstream.inject(f"/huggingface.co/{name}", Fault("status", 429, headers={"Retry-After": "4"}))
    slept: list[float] = []
    with HttpClient(retries=2, sleep=slept.append, max_wait=6) as http:
        http.get(f"{upstream.url}/huggingface.co/a")
        with pytest.raises(FetchError, match="/huggingface.co/b: HTTP 429"):
            http.get(f"{upstream.url}/huggingface.co/b")
    assert slept == [4.0]
