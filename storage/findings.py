"""Findings: what the alert rules find on data that can no longer change.

A frozen source's safety columns (the paper's 2024 matrices, the archived
leaderboards, HELM since its maintenance mode) cannot move, so a benchmark
that tracks capabilities there is a finding about the past, not news: it is
stored here, rebuilt at each evaluation, and never notified.
"""

from __future__ import annotations

import duckdb
import pandas as pd

from benchwatch.storage.db import transaction, utcnow, where

COLUMNS = ["finding_key", "rule", "source", "benchmark", "axis", "model_set", "since", "as_of", "rho",
           "ci_low", "ci_high", "n", "q", "class", "threshold", "message", "why", "run_id", "recorded_at"]


def replace_findings(con: duckdb.DuckDBPyConnection, findings: pd.DataFrame, run_id: int | None) -> int:
    """Replace every stored finding with ``findings`` (one evaluation's); returns how many."""
    frame = findings.assign(run_id=run_id, recorded_at=utcnow()).reindex(columns=COLUMNS)
    with transaction(con):
        con.execute("DELETE FROM findings")
        if len(frame):
            con.register("findings_df", frame)
            con.execute(f"INSERT INTO findings ({', '.join(COLUMNS)}) SELECT {', '.join(COLUMNS)} "
                        "FROM findings_df")
            con.unregister("findings_df")
    return len(frame)


def list_findings(con: duckdb.DuckDBPyConnection, source: str | None = None,
                  benchmark: str | None = None) -> pd.DataFrame:
    """Stored findings with the benchmark's registry name and the signals beside rho of the
    correlation row each was read from (``correlations``, migration 013), strongest first."""
    clause, params = where({"f.source": source, "f.benchmark": benchmark})
    return con.execute(
        f"""
        SELECT f.finding_key AS key, f.rule, f.source, f.benchmark, coalesce(b.name, f.benchmark) AS name,
               b.safety_area, b.direction, f.model_set, f.axis, f.since, f.as_of, f.rho, f.ci_low, f.ci_high,
               f.n, f.q, f.class, f.threshold, f.message, f.why, b.scale,
               c.slope, c.r2, c.subset_low, c.subset_high, c.saturation, c.partial_rho_time, c.n_time
        FROM findings f LEFT JOIN benchmarks b ON b.source = f.source AND b."column" = f.benchmark
        LEFT JOIN correlations c ON c.run_id = f.run_id AND c.source = f.source AND c.benchmark = f.benchmark
            AND c.axis = f.axis AND c.model_set = f.model_set AND c.as_of = f.as_of
        {clause}
        ORDER BY f.rho DESC NULLS LAST, f.source, f.benchmark, f.model_set, f.axis
        """,
        params,
    ).df()
