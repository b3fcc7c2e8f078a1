"""The reads behind ``benchwatch publish``: whole tables of the published copy, in a fixed order.

A release must be byte-identical when the database is, so every read here
names its columns and sorts on a full key (never on an insertion order), and
none carries a run id or a row id that changes when an analysis reruns on
unchanged data.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import duckdb
import pandas as pd

from benchwatch.storage import eee
from benchwatch.storage.db import connect
from benchwatch.storage.publish import published_path
from benchwatch.storage.results import last_run


def open_published(db: Path) -> duckdb.DuckDBPyConnection:
    """A read-only connection to the copy the last refresh published beside ``db``."""
    return connect(published_path(Path(db)), read_only=True)


def _run_id(con: duckdb.DuckDBPyConnection) -> int:
    run = last_run(con)
    return -1 if run is None else int(run["run_id"])


def correlations(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Every correlation of the newest good run, with what each benchmark is and its direction."""
    return con.execute(
        """
        SELECT c.source, c.benchmark, coalesce(b.name, c.benchmark) AS name, b.category, b.safety_area,
               b.direction, c.model_set, c.axis, c.as_of, c.rho, c.ci_low, c.ci_high, c.n,
               coalesce(c.relation, 'independent') AS relation, c.interval, c.q, c.note,
               c.partial_rho_time, c.drift_change, c.p_drift
        FROM correlations c LEFT JOIN benchmarks b ON b.source = c.source AND b."column" = c.benchmark
        WHERE c.run_id = ?
        ORDER BY c.source, c.benchmark, c.model_set, c.axis, c.as_of
        """, [_run_id(con)]).df()


def observations(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Every value ever observed with the span it was valid (as-of): the history a reader filters
    to any date (``valid_from <= d < valid_to``), and where an Every Eval Ever value came from (who
    measured it, the adapter, the cron run date: ``storage.eee``; empty for other sources)."""
    frame = con.execute(
        """
        SELECT source, model, benchmark, value, valid_from, valid_to, closed_reason
        FROM observations
        ORDER BY source, model, benchmark, valid_from, value
        """).df()
    keys = ["source", "model", "benchmark", "valid_from"]
    kept = eee.score_provenance(con)[[*keys, "evaluator_relationship", "adapter", "cron_run_date"]]
    return frame.merge(kept.drop_duplicates(keys), on=keys, how="left")


def findings(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """What the rules find on frozen data, by key."""
    return con.execute(
        """
        SELECT f.finding_key AS key, f.rule, f.source, f.benchmark, coalesce(b.name, f.benchmark) AS name,
               f.model_set, f.axis, f.since, f.as_of, f.rho, f.ci_low, f.ci_high, f.n, f.q, f.class,
               f.threshold, f.message, f.why
        FROM findings f LEFT JOIN benchmarks b ON b.source = f.source AND b."column" = f.benchmark
        ORDER BY f.finding_key
        """).df()


def alerts(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Every alert, firing or resolved, by key (operator state such as acks stays private)."""
    return con.execute(
        """
        SELECT a.alert_key AS key, a.rule, a.source, a.benchmark, coalesce(b.name, a.benchmark) AS name,
               a.model_set, a.axis, a.state, a.severity, a.fired_at, a.raised_at, a.resolved_at,
               a.value, a.threshold, a.ci_low, a.ci_high, a.n, a.message
        FROM alerts a LEFT JOIN benchmarks b ON b.source = a.source AND b."column" = a.benchmark
        ORDER BY a.alert_key
        """).df()


def models(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Every model of every source as the source names it."""
    return con.execute(
        """
        SELECT source, model, model_set, model_type, display_name, first_seen
        FROM models ORDER BY source, model
        """).df()


def newest_as_of(con: duckdb.DuckDBPyConnection) -> date | None:
    """The newest as-of date of the data: of the newest good run's correlations, else of any value."""
    row = con.execute("SELECT max(as_of) FROM correlations WHERE run_id = ?", [_run_id(con)]).fetchone()
    if row[0] is None:
        row = con.execute("SELECT CAST(max(valid_from) AS DATE) FROM observations").fetchone()
    return row[0]
