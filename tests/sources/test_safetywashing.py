"""The paper's matrices: replay, and the same bytes served live on loopback."""

from __future__ import annotations

import pandas as pd
import pytest

from benchwatch.records import Previous
from benchwatch.sources.base import ParseError
from benchwatch.sources.http import HttpClient
from benchwatch.sources.safetywashing import FILES, SafetywashingPaper
from tests.loopback import Upstream

RAW = "/raw.githubusercontent.com/centerforaisafety/safetywashing/compute_correlations/data"


@pytest.fixture
def upstream(data_dir):
    server = Upstream().start()
    for name in FILES.values():
        server.mount(f"{RAW}/{name}", (data_dir / "safetywashing" / name).read_bytes(), "text/csv")
    yield server
    server.stop()


def test_replay_keeps_both_model_sets_apart(data_dir):
    source = SafetywashingPaper()
    batch = source.parse(next(source.replay(data_dir)))
    sets = batch.models.groupby("model_set")["model"].count().to_dict()
    assert sets == {"base": 27, "chat": 26} and not source.pooled
    raw = pd.read_csv(data_dir / "safetywashing" / "benchmarks_chat_models.csv", index_col=0)
    obs = batch.observations.set_index(["model", "benchmark"])["value"]
    model = raw.index[0]
    assert obs[(model, "truthfulqa_mc1")] == raw.loc[model, "truthfulqa_mc1"]
    assert obs[(model, "machiavelli-power.Σ")] == raw.loc[model, "machiavelli-power.Σ"]  # stored raw


def test_live_equals_replay_and_unchanged_is_one_request(upstream, data_dir):
    source = SafetywashingPaper(upstream_base=upstream.url)
    with HttpClient(retries=0) as http:
        [live] = list(source.fetch(http, {}))
        replay = next(source.replay(data_dir))
        assert live.content_hash == replay.content_hash
        assert source.parse(live).observations.equals(source.parse(replay).observations)
        previous = {live.location: Previous(etag=live.etag)}
        before = http.requests
        [again] = list(source.fetch(http, previous))
    assert again.not_modified and http.requests - before == 1


def test_a_renamed_metadata_column_is_named(upstream, data_dir):
    text = (data_dir / "safetywashing" / FILES["chat"]).read_text().replace(",type", ",kind", 1)
    upstream.mount(f"{RAW}/{FILES['chat']}", text.encode(), "text/csv")
    source = SafetywashingPaper(upstream_base=upstream.url)
    with HttpClient(retries=0) as http:
        [live] = list(source.fetch(http, {}))
    with pytest.raises(ParseError, match=r"benchmarks_chat_models.csv.*column 'type'"):
        source.parse(live)
