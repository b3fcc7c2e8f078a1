"""What a refresh costs each upstream in HTTP requests, counted on loopback (the README's
"Upstreams in late 2026" table quotes these): a first fetch, and a re-fetch when nothing changed."""

from __future__ import annotations

import pytest

from benchwatch.records import Previous
from benchwatch.sources import build
from benchwatch.sources.http import HttpClient
from tests.loopback import Upstream
from tests.paths import DATA_DIR
from tests.reliability.wire import wires
from tests.sources.test_lmarena import serve_2026

# source -> (requests of a first fetch, requests of an unchanged re-fetch), on the wires'
# current formats. v1: its info, one tree page per dataset, then one file per model in each of
# results/ and requests/ (20 models here: 3 + 2 x 20); Arena (recorded wire): listing + text board.
COSTS = {
    "safetywashing-paper": (2, 1),
    "open-llm-leaderboard-v1": (43, 1),
    "open-llm-leaderboard-v2": (2, 1),
    "helm-safety": (3, 1),
    "helm-capabilities": (3, 1),
    "lmarena": (2, 1),
    "epoch": (1, 1),
}


def costs(name: str, upstream: Upstream) -> tuple[int, int]:
    source = build(name, upstream.url)
    with HttpClient(retries=0) as http:
        snapshots = list(source.fetch(http, {}))
        first = http.requests
        previous = {s.location: Previous(s.etag, s.last_modified, s.content_hash) for s in snapshots}
        again = list(source.fetch(http, previous))
        assert all(s.not_modified for s in again), name
        return first, http.requests - first


@pytest.mark.parametrize("name", sorted(COSTS))
def test_requests_per_refresh(name):
    wire = wires(DATA_DIR)[name]
    upstream = Upstream().start()
    try:
        frame = wire.frame(DATA_DIR)
        wire.mount(upstream, frame, False)
        assert costs(name, upstream) == COSTS[name]
    finally:
        upstream.stop()
    if name == "open-llm-leaderboard-v1":
        assert COSTS[name][0] == 3 + 2 * len(frame)  # grows with the models: thousands upstream


def test_arena_2026_costs_the_listing_and_three_boards_then_one_request(upstream):
    serve_2026(upstream)
    assert costs("lmarena", upstream) == (4, 1)
