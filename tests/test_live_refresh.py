"""The live path end to end through storage: a loopback upstream fetched, refetched
unchanged (one small request, zero rows), changed (new rows and revisions), and
re-parsed from the raw archive."""

from __future__ import annotations

import pandas as pd
import pytest

from benchwatch.pipeline.ingest import ingest_source
from benchwatch.sources.http import HttpClient
from benchwatch.sources.open_llm_v1 import RECORDED
from benchwatch.storage.db import connect
from tests.sources.test_open_llm_v1 import serve_rows

V1 = "open-llm-leaderboard-v1"


@pytest.fixture(scope="module")
def rows(data_dir):
    raw = pd.read_csv(data_dir / RECORDED)
    raw = raw[~raw["model"].duplicated(keep=False) & raw["type"].notna() & raw["date"].notna()]
    return raw.iloc[::200].head(30).reset_index(drop=True)


def counts(con) -> tuple[int, int]:
    return con.execute("SELECT count(*), count(valid_to) FROM observations").fetchone()


def test_fetch_refetch_change_and_reparse(settings, upstream, rows):
    settings = settings.model_copy(update={"upstream_base": upstream.url})
    con = connect(settings.db)
    serve_rows(upstream, rows, sha="v1")
    with HttpClient(retries=0) as http:
        first = ingest_source(con, V1, settings, mode="live", http=http)
    assert (first.status, first.rows_added, counts(con)) == ("ok", 180, (180, 0))

    upstream.log.clear()
    with HttpClient(retries=0) as http:
        again = ingest_source(con, V1, settings, mode="live", http=http)
    assert again.status == "unchanged" and len(upstream.log) == 1
    assert counts(con) == (180, 0)
    assert con.execute("SELECT status FROM fetches ORDER BY fetch_id DESC LIMIT 1").fetchone() == ("unchanged",)

    changed = rows.copy()
    changed.loc[0, "truthfulqa"] += 5.0
    extra = rows.head(1).assign(model="new-org/new-model", date="2024-06-01T00:00:00Z")
    serve_rows(upstream, pd.concat([changed, extra], ignore_index=True), sha="v2")
    with HttpClient(retries=0) as http:
        third = ingest_source(con, V1, settings, mode="live", http=http)
    assert (third.rows_added, third.rows_revised) == (6, 1)
    assert counts(con) == (187, 1)

    reparsed = ingest_source(con, V1, settings, mode="reparse")
    assert reparsed.snapshots == 1 and reparsed.rows_added == 0
    assert counts(con) == (187, 1)
