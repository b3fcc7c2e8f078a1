"""Writing a run of snapshots at once is writing them one by one, only faster."""

from __future__ import annotations

from datetime import datetime, timedelta

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from benchwatch.pipeline.ingest import ingest_source
from benchwatch.records import ParsedBatch, Snapshot
from benchwatch.storage.db import connect
from benchwatch.storage.observations import Pending, ingest, ingest_many
from benchwatch.storage.revisions import is_revision
from tests.storage.conftest import copy_of

SOURCE = "test-source"
MODELS = ["m1", "m2", "m3"]
BENCHMARKS = ["x", "y"]
# Values at several published precisions, so that re-publishing with more
# digits (not a revision) and real changes both occur.
values = st.sampled_from([0.5, 0.52, 0.5234, 0.53, 0.6, 0.61, 35.12, 35.1234, 35.13, 1287.0, 1287.3])
cell = st.tuples(st.sampled_from(MODELS), st.sampled_from(BENCHMARKS), values,
                 st.integers(min_value=-3, max_value=3))


def snapshots(parts: list[list[tuple[str, str, float, int]]]) -> list[Pending]:
    """Snapshot k published on day 10+k; a row may carry its own date a few days off,
    and a key may appear twice in one snapshot (the earlier-dated row counts)."""
    out = []
    for k, rows in enumerate(parts):
        when = datetime(2024, 1, 10) + timedelta(days=k)
        frame = pd.DataFrame([(m, b, v, when + timedelta(days=shift)) for m, b, v, shift in rows],
                             columns=["model", "benchmark", "value", "observed_at"])
        models = pd.DataFrame({"model": sorted({r[0] for r in rows}), "model_set": "all",
                               "model_type": f"type-{k}", "display_name": None})
        payload = {"rows": repr(rows).encode(), "k": str(k).encode()}
        out.append(Pending(Snapshot(SOURCE, f"day {k}", when, "memory", payload),
                           ParsedBatch(frame, models), datetime(2024, 2, 1)))
    return out


def state(con) -> dict[str, list[tuple]]:
    """Everything the writes decide, with fetches named by snapshot label (ids differ)."""
    return {
        "observations": sorted(con.execute(
            "SELECT o.model, o.benchmark, o.value, o.valid_from, o.valid_to, f.snapshot, r.snapshot "
            "FROM observations o JOIN fetches f ON f.fetch_id = o.fetch_id "
            "LEFT JOIN fetches r ON r.fetch_id = o.revised_by").fetchall(), key=repr),
        "fetches": con.execute(
            "SELECT snapshot, rows_parsed, rows_added, rows_revised FROM fetches ORDER BY fetch_id"
        ).fetchall(),
        "models": sorted(con.execute(
            "SELECT m.model, m.model_type, m.first_seen, f.snapshot FROM models m "
            "JOIN fetches f ON f.fetch_id = m.fetch_id").fetchall()),
    }


def reference(pending: list[Pending]) -> dict[str, list[tuple]]:
    """The rule written the obvious way: a dict of open rows, one row at a time."""
    rows, open_rows, fetches, models = [], {}, [], {}
    for item in pending:
        label, published = item.snapshot.label, item.snapshot.observed_at
        incoming = item.batch.observations.sort_values("observed_at", kind="stable")
        added = revised = 0
        for model, benchmark, value, at in incoming.drop_duplicates(["model", "benchmark"]).itertuples(
                index=False):
            held = open_rows.get((model, benchmark))
            if held is None:
                added += 1
                start = at.to_pydatetime()
            elif held[2] != value and is_revision(np.array([held[2]]), np.array([value]))[0]:
                revised += 1
                start = max(at.to_pydatetime(), published, held[3])
                rows[rows.index(held)] = (*held[:4], start, held[5], label)
            else:
                continue
            row = (model, benchmark, value, start, None, label, None)
            rows.append(row)
            open_rows[(model, benchmark)] = row
        fetches.append((label, len(item.batch.observations), added, revised))
        for model, model_type in item.batch.models[["model", "model_type"]].itertuples(index=False):
            first = models.get(model, (None, published, label))
            models[model] = (model_type, first[1], first[2])
    return {"observations": sorted(rows, key=repr), "fetches": fetches,
            "models": sorted((m, *v) for m, v in models.items())}


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(parts=st.lists(st.lists(cell, min_size=0, max_size=8), min_size=1, max_size=6),
       split=st.integers(min_value=0, max_value=6))
def test_a_run_written_at_once_equals_one_snapshot_at_a_time(tmp_path_factory, empty_db, parts, split):
    folder = tmp_path_factory.mktemp("run")
    one_by_one, at_once = (connect(copy_of(empty_db, folder / name)) for name in ("a.duckdb", "b.duckdb"))
    pending = snapshots(parts)
    for item in pending:
        ingest(one_by_one, SOURCE, item.snapshot, item.batch, item.started_at)
    # Two runs, split anywhere: the second starts from rows the first left open.
    ingest_many(at_once, SOURCE, pending[:split])
    ingest_many(at_once, SOURCE, pending[split:])
    expected = reference(pending)
    assert state(one_by_one) == expected
    assert state(at_once) == expected


def test_a_revision_chain_inside_one_run(tmp_path):
    """0.5 -> 0.5234 (more digits, same value) -> 0.6 (revised) -> 0.71 (revised again)."""
    con = connect(tmp_path / "db.duckdb")
    results = ingest_many(con, SOURCE, snapshots([
        [("m1", "x", 0.5, 0)], [("m1", "x", 0.5234, 0)], [("m1", "x", 0.6, 0)], [("m1", "x", 0.71, 0)],
    ]))
    assert [(r.rows_added, r.rows_revised) for r in results] == [(1, 0), (0, 0), (0, 1), (0, 1)]
    rows = con.execute("SELECT value, valid_from, valid_to FROM observations ORDER BY valid_from").fetchall()
    assert rows == [
        (0.5, datetime(2024, 1, 10), datetime(2024, 1, 12)),
        (0.6, datetime(2024, 1, 12), datetime(2024, 1, 13)),
        (0.71, datetime(2024, 1, 13), None),
    ]


def test_a_broken_snapshot_mid_replay_keeps_the_ones_before_it(settings, tmp_path):
    """HELM safety releases are written as one run; a release that fails to parse
    ends the run, and the releases before it are written, not rolled back."""
    recorded = settings.replay_dir / "helm-safety" / "helm_safety_release_snapshots_long.csv"
    frame = pd.read_csv(recorded)
    releases = sorted(frame["release"].unique(), key=lambda r: [int(p) for p in r.lstrip("v").split(".")])
    broken = releases[5]
    frame["bbq_accuracy"] = frame["bbq_accuracy"].astype(object)
    frame.loc[frame.index[frame["release"] == broken][0], "bbq_accuracy"] = "n/a (bad cell)"
    folder = tmp_path / "data" / "helm-safety"
    folder.mkdir(parents=True)
    frame.to_csv(folder / recorded.name, index=False)
    con = connect(settings.db)
    report = ingest_source(con, "helm-safety",
                                    settings.model_copy(update={"replay_dir": tmp_path / "data"}))
    assert report.status == "failed" and "n/a (bad cell)" in report.error
    assert report.snapshots == 5
    fetched = con.execute("SELECT status, count(*) FROM fetches GROUP BY status ORDER BY status").fetchall()
    assert fetched == [("failed", 1), ("ok", 5)]
    assert con.execute("SELECT count(*) FROM observations").fetchone()[0] == sum(
        r[0] for r in con.execute("SELECT rows_added FROM fetches WHERE status = 'ok'").fetchall())
