"""Analysis runs and their results: written whole, read from the latest good run."""

from __future__ import annotations

from datetime import date

import duckdb
import pandas as pd

from benchwatch.storage.db import transaction, utcnow, where

# What a correlation row carries beside rho, its interval and n (``analysis.evidence``).
EVIDENCE = ["interval", "axis_refit", "p_tracking", "p_positive", "p_inverse", "q", "note"]
# Beside rho on every correlation row (``analysis.signals``; migration 013).
SIGNAL_COLUMNS = ["slope", "r2", "subset_low", "subset_high", "saturation", "partial_rho_time", "n_time"]
# The paired drift test since the series' previous as-of date (``analysis.drift``; migration 014).
DRIFT_COLUMNS = ["drift_change", "p_drift", "q_drift"]

RESULT_TABLES = {
    "axes": ("capability_axes", ["run_id", "source", "model_set", "axis", "as_of", "n_models",
                                 "n_dropped", "n_benchmarks", "explained_variance", "missing_policy"]),
    "loadings": ("capability_loadings", ["run_id", "source", "model_set", "as_of", "benchmark", "loading"]),
    "scores": ("capability_scores", ["run_id", "source", "model_set", "axis", "as_of", "model", "score"]),
    "correlations": ("correlations", ["run_id", "source", "model_set", "axis", "benchmark", "as_of",
                                      "rho", "ci_low", "ci_high", "n", "relation", "relation_reason",
                                      *EVIDENCE, *SIGNAL_COLUMNS, *DRIFT_COLUMNS]),
}


def last_run(con: duckdb.DuckDBPyConnection) -> dict | None:
    """The newest successful run (status ok), or None before the first."""
    row = con.execute(
        "SELECT run_id, data_version, missing_policy, resamples, seed, ci_level, finished_at "
        "FROM analysis_runs WHERE status = 'ok' ORDER BY run_id DESC LIMIT 1"
    ).fetchone()
    if row is None:
        return None
    keys = ["run_id", "data_version", "missing_policy", "resamples", "seed", "ci_level", "finished_at"]
    return dict(zip(keys, row, strict=True))


def lacks_signals(con: duckdb.DuckDBPyConnection, run_id: int) -> bool:
    """A run stored before migration 013: rows with a rho but no signals beside it, so the next
    analysis recomputes even if nothing else changed."""
    return con.execute("SELECT count(*) > 0 FROM correlations WHERE run_id = ? AND rho IS NOT NULL AND slope IS NULL",
                       [run_id]).fetchone()[0]


def lacks_drift_test(con: duckdb.DuckDBPyConnection, run_id: int) -> bool:
    """A run stored before migration 014: no row carries a drift test though some own-axis series
    has a rho at two as-of dates, so the next analysis recomputes even if nothing else changed."""
    return con.execute(
        """
        SELECT NOT EXISTS (SELECT 1 FROM correlations WHERE run_id = $run AND drift_change IS NOT NULL)
           AND EXISTS (SELECT 1 FROM correlations WHERE run_id = $run AND rho IS NOT NULL
                       AND axis IN ('pc1', 'compute')
                       GROUP BY source, model_set, axis, benchmark HAVING count(DISTINCT as_of) > 1)
        """, {"run": run_id}).fetchone()[0]


def save_run(
    con: duckdb.DuckDBPyConnection,
    started_at,
    data_version: str,
    params: dict,
    frames: dict[str, pd.DataFrame],
) -> int:
    """Insert a run and all its result rows in one transaction; returns the run id."""
    with transaction(con):
        run_id = con.execute(
            """
            INSERT INTO analysis_runs (started_at, status, data_version, missing_policy, resamples, seed, ci_level)
            VALUES (?, 'ok', ?, ?, ?, ?, ?) RETURNING run_id
            """,
            [started_at, data_version, params["policy"], params["resamples"], params["seed"],
             params["ci_level"]],
        ).fetchone()[0]
        for key, (table, columns) in RESULT_TABLES.items():
            frame = frames.get(key)
            if frame is None or frame.empty:
                continue
            frame = frame.assign(run_id=run_id).reindex(columns=columns)
            con.register("result_df", frame)
            con.execute(f"INSERT INTO {table} ({', '.join(columns)}) SELECT {', '.join(columns)} FROM result_df")
            con.unregister("result_df")
        n = len(frames.get("correlations", []))
        con.execute(
            "UPDATE analysis_runs SET finished_at = ?, n_correlations = ? WHERE run_id = ?",
            [utcnow(), n, run_id],
        )
    return int(run_id)


def record_skipped_run(con: duckdb.DuckDBPyConnection, started_at, data_version: str, params: dict) -> int:
    """Nothing changed since the last run: say so without recomputing."""
    return int(con.execute(
        """
        INSERT INTO analysis_runs (started_at, finished_at, status, data_version, missing_policy,
                                   resamples, seed, ci_level)
        VALUES (?, ?, 'skipped', ?, ?, ?, ?, ?) RETURNING run_id
        """,
        [started_at, utcnow(), data_version, params["policy"], params["resamples"], params["seed"],
         params["ci_level"]],
    ).fetchone()[0])


def correlations(
    con: duckdb.DuckDBPyConnection,
    source: str | None = None,
    model_set: str | None = None,
    as_of: date | str | None = None,
    axis: str | None = None,
    benchmark: str | None = None,
) -> pd.DataFrame:
    """Correlations of the latest good run, joined with what each benchmark is.

    ``as_of=None`` gives each source's latest as-of point; ``"all"`` every
    point; a date the latest point on or before it, per series (source, model
    set, axis, benchmark).
    """
    run = last_run(con)
    if run is None:
        return pd.DataFrame(columns=["source", "model_set", "axis", "benchmark", "as_of", "rho",
                                     "ci_low", "ci_high", "n", "relation", "relation_reason", *EVIDENCE,
                                     "name", "category", "safety_area", "direction", "benchmark_id", "scale",
                                     *SIGNAL_COLUMNS, *DRIFT_COLUMNS])
    fixed, fixed_params = ["c.run_id = ?"], [run["run_id"]]
    if as_of is None:
        fixed.append("c.as_of = (SELECT max(as_of) FROM correlations l "
                     "WHERE l.run_id = c.run_id AND l.source = c.source)")
    elif as_of != "all":
        fixed.append("c.as_of = (SELECT max(as_of) FROM correlations l WHERE l.run_id = c.run_id "
                     "AND l.source = c.source AND l.model_set = c.model_set AND l.axis = c.axis "
                     "AND l.benchmark = c.benchmark AND l.as_of <= ?::DATE)")
        fixed_params.append(as_of)
    clause, params = where({"c.source": source, "c.model_set": model_set, "c.axis": axis,
                            "c.benchmark": benchmark}, fixed, fixed_params)
    return con.execute(
        f"""
        SELECT c.source, c.model_set, c.axis, c.benchmark, c.as_of, c.rho, c.ci_low, c.ci_high, c.n,
               coalesce(c.relation, 'independent') AS relation, coalesce(c.relation_reason, '') AS relation_reason,
               c.interval, c.axis_refit, c.p_tracking, c.p_positive, c.p_inverse, c.q, coalesce(c.note, '') AS note,
               b.name, b.category, b.safety_area, b.direction, b.benchmark_id, b.scale,
               {', '.join(f"c.{column}" for column in [*SIGNAL_COLUMNS, *DRIFT_COLUMNS])}
        FROM correlations c
        LEFT JOIN benchmarks b ON b.source = c.source AND b."column" = c.benchmark
        {clause}
        ORDER BY c.source, c.model_set, c.axis, c.benchmark, c.as_of
        """,
        params,
    ).df()


def latest_axis_scores(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Every capability axis of the latest good run at its latest as-of date, one row per model:
    (source, model_set, axis, as_of, model, canonical_id, score). ``model`` is the name the
    analysis stored (the source's own), ``canonical_id`` its resolution (``model_aliases``)."""
    run = last_run(con)
    columns = ["source", "model_set", "axis", "as_of", "model", "canonical_id", "score"]
    if run is None:
        return pd.DataFrame(columns=columns)
    return con.execute(
        """
        WITH latest AS (
            SELECT source, model_set, axis, max(as_of) AS as_of FROM capability_scores
            WHERE run_id = ? GROUP BY source, model_set, axis)
        SELECT s.source, s.model_set, s.axis, s.as_of, s.model,
               coalesce(a.canonical_id, s.model) AS canonical_id, s.score
        FROM capability_scores s JOIN latest l USING (source, model_set, axis, as_of)
        LEFT JOIN model_aliases a ON a.source = s.source AND a.model = s.model
        WHERE s.run_id = ?
        ORDER BY s.source, s.model_set, s.axis, s.model
        """,
        [run["run_id"], run["run_id"]],
    ).df()


def filter_values(con: duckdb.DuckDBPyConnection) -> dict[str, list[str]]:
    """The values read filters accept: every source, axis and model set of the latest good run."""
    found: dict[str, list[str]] = {"source": [], "axis": [], "model_set": []}
    run = last_run(con)
    if run is None:
        return found
    rows = con.execute(
        """
        SELECT DISTINCT 'source', source FROM correlations WHERE run_id = $run
        UNION SELECT DISTINCT 'axis', axis FROM correlations WHERE run_id = $run
        UNION SELECT DISTINCT 'model_set', model_set FROM correlations WHERE run_id = $run
        ORDER BY 1, 2
        """,
        {"run": run["run_id"]},
    ).fetchall()
    for kind, value in rows:
        found[kind].append(value)
    return found
