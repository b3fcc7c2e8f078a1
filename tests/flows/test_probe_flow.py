"""The sources-check flow under Prefect's test harness: a good round completes and logs nothing;
a round with a changed upstream fails in Prefect and leaves a failed fetch the alert rules read."""

from __future__ import annotations

import duckdb
import pytest
from prefect.events.clients import AssertingEventsClient
from prefect.testing.fixtures import asserting_events_worker  # noqa: F401 - a pytest fixture

from benchwatch.flows.probe import CHECK_FAILED, sources_check
from tests.eee_datastore import Datastore, hle_record, record_bytes
from tests.sources.test_lmarena import first_rows
from tests.sources.test_probe import ECI, ECI_BYTES, FIRST_ROWS, INFO, INFO_BODY
from tests.prefect_harness import harness as shared_harness


@pytest.fixture(scope="module", autouse=True)
def harness(prefect_server):
    with shared_harness(prefect_server):
        yield


def checks_failed(worker) -> list[tuple[str, str]]:
    """Every check-failed event sent (draining stops the worker: call it once, at the end)."""
    worker.drain()
    events = [e for client in AssertingEventsClient.all for e in client.events]
    return [(e.resource.id, e.payload["format"]) for e in events if e.event == CHECK_FAILED]


def test_check_flow_completes_then_fails_on_a_changed_format(settings, upstream, monkeypatch,
                                                              asserting_events_worker):  # noqa: F811
    for path, body in ((FIRST_ROWS, first_rows()), (ECI, ECI_BYTES), (INFO, INFO_BODY)):
        upstream.mount(path, body)
    store = Datastore(upstream)
    store.add("hle", record_bytes(hle_record("openai/gpt-4o", "GPT-4o", 2.7, 89.0, 1.75e9)))
    store.publish()
    monkeypatch.setenv("BENCHWATCH_UPSTREAM_BASE", upstream.url)
    good = sources_check(db=str(settings.db), return_state=True)
    assert good.is_completed()
    assert {r["source"]: r["format"] for r in good.result()}["epoch"] == "recognised"
    assert not settings.db.exists()  # nothing to log, so no database was even opened

    upstream.mount(FIRST_ROWS, first_rows(rename={"leaderboard_publish_date": "date"}))
    bad = sources_check(db=str(settings.db), return_state=True)
    assert bad.is_failed()
    # One event, from the failing round only: it triggers analyze-and-alert (deploy/prefect.yaml).
    assert checks_failed(asserting_events_worker) == [("benchwatch.source.lmarena", "changed")]
    assert "UpstreamCheckFailed: lmarena: changed" in bad.message
    con = duckdb.connect(str(settings.db), read_only=True)
    rows = con.execute("SELECT source, status, error FROM fetches").fetchall()
    con.close()
    assert [(s, st) for s, st, _ in rows] == [("lmarena", "failed")]
    assert "column 'leaderboard_publish_date'" in rows[0][2]
