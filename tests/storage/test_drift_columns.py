"""Migration 014: the drift test's columns are written and read, and a run stored without them is recomputed."""

from __future__ import annotations

from datetime import date, datetime

import pandas as pd

from benchwatch.storage import results as result_store
from benchwatch.storage.db import connect


def rows(drift_change: float | None, dates: tuple[date, ...] = (date(2024, 1, 31), date(2024, 2, 29))):
    return pd.DataFrame([{"source": "s", "model_set": "all", "axis": "pc1", "benchmark": "guard", "as_of": d,
                          "rho": 0.5, "n": 20, "drift_change": drift_change if i else None,
                          "p_drift": 0.01 if i and drift_change is not None else None,
                          "q_drift": 0.02 if i and drift_change is not None else None}
                         for i, d in enumerate(dates)])


def save(con, frame: pd.DataFrame) -> int:
    return result_store.save_run(con, datetime(2026, 1, 1), "v", {"policy": "drop", "resamples": 10, "seed": 0,
                                                                 "ci_level": 0.95}, {"correlations": frame})


def test_a_run_without_drift_tests_on_a_two_date_series_is_recomputed(tmp_path):
    con = connect(tmp_path / "bw.duckdb")
    assert result_store.lacks_drift_test(con, save(con, rows(None)))
    assert not result_store.lacks_drift_test(con, save(con, rows(None, (date(2024, 1, 31),))))
    tested = save(con, rows(0.3))
    assert not result_store.lacks_drift_test(con, tested)
    read = result_store.correlations(con, as_of="all")[["drift_change", "p_drift", "q_drift"]]
    assert read.iloc[0].isna().all() and read.iloc[1].tolist() == [0.3, 0.01, 0.02]
