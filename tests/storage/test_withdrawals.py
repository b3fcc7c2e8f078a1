"""Full snapshots: a value a snapshot no longer lists is withdrawn (closed, kept as history), within
the benchmarks it carries; a snapshot that would withdraw most of a source is refused whole."""

from __future__ import annotations

from datetime import datetime

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from benchwatch.storage.db import connect
from benchwatch.storage.observations import Pending, ingest_many
from benchwatch.storage.revisions import MassWithdrawal, is_revision
from tests.storage.conftest import copy_of
from tests.storage.test_revisions import SOURCE, cell, snapshots


def rows(con) -> list[tuple]:
    return con.execute(
        "SELECT o.model, o.benchmark, o.value, o.valid_from, o.valid_to, o.closed_reason, r.snapshot "
        "FROM observations o LEFT JOIN fetches r ON r.fetch_id = o.revised_by "
        "ORDER BY o.model, o.benchmark, o.valid_from").fetchall()


def reference(pending: list[Pending]) -> list[tuple]:
    """The rule the obvious way: per snapshot, revise or add what it lists, then withdraw what is
    open for a benchmark it carries and it does not list."""
    out, open_rows = [], {}
    for item in pending:
        label, published = item.snapshot.label, item.snapshot.observed_at
        incoming = item.batch.observations.sort_values("observed_at", kind="stable")
        listed = incoming.drop_duplicates(["model", "benchmark"])
        for model, benchmark, value, at in listed.itertuples(index=False):
            held = open_rows.get((model, benchmark))
            if held is None:
                start = at.to_pydatetime()
            elif held[2] != value and is_revision(np.array([held[2]]), np.array([value]))[0]:
                start = max(at.to_pydatetime(), published, held[3])
                out[out.index(held)] = (*held[:4], start, "revised", label)
            else:
                continue
            row = (model, benchmark, value, start, None, None, None)
            out.append(row)
            open_rows[(model, benchmark)] = row
        keys = set(zip(listed["model"], listed["benchmark"], strict=True))
        carried = set(listed["benchmark"])
        for key, held in list(open_rows.items()):
            if key[1] in carried and key not in keys:
                out[out.index(held)] = (*held[:4], max(published, held[3]), "withdrawn", label)
                del open_rows[key]
    return sorted(out, key=lambda r: (r[0], r[1], r[3]))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(parts=st.lists(st.lists(cell, min_size=0, max_size=8), min_size=1, max_size=6),
       split=st.integers(min_value=0, max_value=6))
def test_withdrawals_at_once_equal_one_snapshot_at_a_time(tmp_path_factory, empty_db, parts, split):
    folder = tmp_path_factory.mktemp("full")
    one_by_one, at_once = (connect(copy_of(empty_db, folder / name)) for name in ("a.duckdb", "b.duckdb"))
    pending = snapshots(parts)
    for item in pending:
        ingest_many(one_by_one, SOURCE, [item], full=True)
    ingest_many(at_once, SOURCE, pending[:split], full=True)
    ingest_many(at_once, SOURCE, pending[split:], full=True)
    expected = reference(pending)
    assert rows(one_by_one) == expected
    assert rows(at_once) == expected


def test_a_dropped_model_is_withdrawn_only_where_the_snapshot_speaks(tmp_path):
    con = connect(tmp_path / "db.duckdb")
    first = [("m1", "x", 0.5, 0), ("m2", "x", 0.6, 0), ("m3", "x", 0.7, 0), ("m1", "y", 0.1, 0)]
    # m3 is gone from x; y is not carried by the second snapshot, so m1's y stays open.
    results = ingest_many(con, SOURCE, snapshots([first, [("m1", "x", 0.5, 0), ("m2", "x", 0.6, 0)]]), full=True)
    assert [(r.rows_added, r.rows_revised, r.rows_withdrawn) for r in results] == [(4, 0, 0), (0, 0, 1)]
    assert rows(con) == [
        ("m1", "x", 0.5, datetime(2024, 1, 10), None, None, None),
        ("m1", "y", 0.1, datetime(2024, 1, 10), None, None, None),
        ("m2", "x", 0.6, datetime(2024, 1, 10), None, None, None),
        ("m3", "x", 0.7, datetime(2024, 1, 10), datetime(2024, 1, 11), "withdrawn", "day 1"),
    ]
    assert con.execute("SELECT rows_withdrawn FROM fetches ORDER BY fetch_id").fetchall() == [(0,), (1,)]


def test_an_increment_withdraws_nothing(tmp_path):
    con = connect(tmp_path / "db.duckdb")
    ingest_many(con, SOURCE, snapshots([[("m1", "x", 0.5, 0), ("m2", "x", 0.6, 0)], [("m1", "x", 0.5, 0)]]))
    assert con.execute("SELECT count(*) FROM observations WHERE valid_to IS NULL").fetchone() == (2,)


def test_a_mass_withdrawal_is_refused_and_writes_nothing(tmp_path):
    con = connect(tmp_path / "db.duckdb")
    ingest_many(con, SOURCE, snapshots([[(f"m{i}", "x", 0.5, 0) for i in range(1, 4)]]), full=True)
    before = rows(con)
    dropped = snapshots([[], [("m1", "x", 0.5, 0)]])[1:]
    with pytest.raises(MassWithdrawal, match=r"withdraw 2 of the source's 3 current values \(67%"):
        ingest_many(con, SOURCE, dropped, full=True, max_withdrawn_share=0.5)
    assert rows(con) == before
    assert con.execute("SELECT count(*) FROM fetches").fetchone() == (1,)


def test_named_withdrawals_close_only_what_the_snapshot_does_not_list_again(tmp_path):
    """An increment that names what its upstream removed (EEE: the values of records the manifest
    stopped naming) withdraws those keys, unless the same snapshot lists them again (a replaced
    record), and leaves every other open value alone."""
    con = connect(tmp_path / "db.duckdb")
    ingest_many(con, SOURCE, snapshots([[("m1", "x", 0.5, 0), ("m2", "x", 0.6, 0), ("m3", "y", 0.7, 0)]]))
    second = snapshots([[], [("m2", "x", 0.9, 0)]])[1]
    second.batch.withdrawn = pd.DataFrame({"model": ["m1", "m2", "m9"], "benchmark": ["x", "x", "x"]})
    [result] = ingest_many(con, SOURCE, [second])
    assert (result.rows_added, result.rows_revised, result.rows_withdrawn) == (0, 1, 1)
    assert rows(con) == [
        ("m1", "x", 0.5, datetime(2024, 1, 10), datetime(2024, 1, 11), "withdrawn", "day 1"),
        ("m2", "x", 0.6, datetime(2024, 1, 10), datetime(2024, 1, 11), "revised", "day 1"),
        ("m2", "x", 0.9, datetime(2024, 1, 11), None, None, None),
        ("m3", "y", 0.7, datetime(2024, 1, 10), None, None, None),
    ]
