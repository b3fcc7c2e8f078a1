"""``storage.db.where``: every read's optional filters, built once; None narrows nothing."""

from __future__ import annotations

from datetime import datetime

from benchwatch.records import Snapshot
from benchwatch.storage.db import connect, where
from benchwatch.storage.observations import ingest, unmapped_benchmarks
from tests.storage.test_observations import snapshot


def test_fixed_conditions_come_first_then_the_values_given():
    clause, params = where({"c.axis": "eci", "c.source": None, "c.model_set": "chat"},
                           ["c.run_id = ?", "b.category = 'safety'"], [7])
    assert clause == "WHERE c.run_id = ? AND b.category = 'safety' AND c.axis = ? AND c.model_set = ?"
    assert params == [7, "eci", "chat"]


def test_nothing_given_is_no_clause():
    assert where({"alert_key": None}) == ("", [])


def test_a_read_narrows_by_the_values_given_on_a_real_database(tmp_path):
    con = connect(tmp_path / "db.duckdb")
    ingest(con, "test-source", *snapshot(1, {("a", "x"): 1.0, ("b", "y"): 2.0}), datetime.now())
    other = Snapshot("other-source", "day 1", datetime(2024, 1, 1), "memory", {"p": b"1"})
    ingest(con, "other-source", other, snapshot(1, {("c", "z"): 3.0})[1], datetime.now())
    everything = unmapped_benchmarks(con)
    one = unmapped_benchmarks(con, "other-source")
    assert sorted(everything["benchmark"]) == ["x", "y", "z"]
    assert one[["source", "benchmark", "models"]].values.tolist() == [["other-source", "z", 1]]
