"""Epoch's ZIP from loopback, four times: a model dropped (withdrawn, history kept), 90% of the rows
dropped (the fetch fails, nothing changes), a row renamed under the same record id (one model,
the old name an alias of the new)."""

from __future__ import annotations

from datetime import date, datetime

import pandas as pd

from benchwatch.pipeline.analyze import resolve_identities
from benchwatch.pipeline.ingest import ingest_source
from benchwatch.sources.http import HttpClient
from benchwatch.storage.db import connect
from benchwatch.storage.views import value_history
from tests.sources.test_epoch import serve, zip_of

MODELS = [f"acme-model-{i}" for i in range(10)]


def payload(models: list[str], ids: list[str]) -> dict[str, bytes]:
    """An old-layout Epoch ZIP's two files: ECI per model, and Cybench rows with record ids."""
    eci = pd.DataFrame({"Model version": models, "ECI Score": [100.0 + i for i in range(len(models))],
                        "Display name": models, "Model name": models})
    cybench = pd.DataFrame({"Model version": models, "Unguided % Solved": [0.05 * (i + 1) for i in range(len(models))],
                            "id": ids})
    return {"epoch_capabilities_index.csv": eci.to_csv(index=False).encode(),
            "cybench_external.csv": cybench.to_csv(index=False).encode()}


def fetch(con, settings, upstream, files: dict[str, bytes], day: date):
    serve(upstream, zip_of(files, day), datetime(day.year, day.month, day.day))
    with HttpClient(retries=0) as http:
        return ingest_source(con, "epoch", settings, mode="live", http=http)


def table(con) -> list[tuple]:
    return con.execute("SELECT * FROM observations ORDER BY observation_id").fetchall()


def test_withdrawn_refused_and_renamed(settings, upstream):
    settings = settings.model_copy(update={"upstream_base": upstream.url})
    con = connect(settings.db)
    ids = [f"rec{i}" for i in range(10)]
    first = fetch(con, settings, upstream, payload(MODELS, ids), date(2026, 3, 1))
    assert (first.status, first.rows_added, first.rows_withdrawn) == ("ok", 20, 0)

    # One model gone from both files: its two values are withdrawn at the snapshot's date, kept.
    second = fetch(con, settings, upstream, payload(MODELS[:9], ids[:9]), date(2026, 3, 8))
    assert (second.status, second.rows_added, second.rows_withdrawn) == ("ok", 0, 2)
    gone = value_history(con, model="acme-model-9")
    assert gone[["benchmark", "value", "status", "valid_to"]].values.tolist() == [
        ["cybench_external", 0.5, "withdrawn", pd.Timestamp(2026, 3, 8)],
        ["eci", 109.0, "withdrawn", pd.Timestamp(2026, 3, 8)],
    ]
    assert con.execute("SELECT count(*) FROM observations WHERE valid_to IS NULL").fetchone() == (18,)

    # 90% of the rows gone at once: a broken payload. The fetch fails, naming why; nothing changes.
    before = table(con)
    broken = fetch(con, settings, upstream, payload(MODELS[:1], ids[:1]), date(2026, 3, 15))
    assert broken.status == "failed"
    assert "would withdraw 16 of the source's 18 current values (89%" in broken.error
    assert "withdraw_max_share" in broken.error
    assert table(con) == before
    assert con.execute("SELECT status FROM fetches ORDER BY fetch_id DESC LIMIT 1").fetchone() == ("failed",)

    # acme-model-8 renamed upstream: its Cybench row keeps record id rec8.
    renamed = [*MODELS[:8], "acme-model-8-v2"]
    third = fetch(con, settings, upstream, payload(renamed, ids[:9]), date(2026, 3, 22))
    assert (third.status, third.rows_added, third.rows_withdrawn) == ("ok", 2, 2)
    identity = resolve_identities(con).set_index("model")
    old, new = identity.loc["acme-model-8"], identity.loc["acme-model-8-v2"]
    assert old["canonical_id"] == new["canonical_id"]
    assert old["match_rule"] == "record id"
    assert "renamed upstream to 'acme-model-8-v2' (record id rec8)" in old["match_detail"]
    current = con.execute("SELECT DISTINCT model FROM observations WHERE valid_to IS NULL").df()["model"]
    assert identity.loc[current, "canonical_id"].nunique() == 9 == len(current)
    # A model that kept its name is its own identity.
    assert identity.loc["acme-model-0", "match_rule"] != "record id"
