"""Every query the dashboard runs, against the published read-only copy.

The dashboard never writes SQL of its own: each page asks for one of these
frames. They take an open connection (the caller opens the published copy
read-only and keeps one connection per render, so every frame on a page comes
from the same complete refresh) and return plain pandas frames or dicts.

The published copy always has the current schema: the writer migrates its
database before it publishes.
"""

from __future__ import annotations

from datetime import date

import duckdb
import pandas as pd

from benchwatch.storage import eee
from benchwatch.storage.alerts import list_alerts
from benchwatch.storage.db import where
from benchwatch.storage.findings import list_findings
from benchwatch.storage.observations import source_status
from benchwatch.storage.results import last_run
from benchwatch.upstreams import UPSTREAMS


def runs(con: duckdb.DuckDBPyConnection) -> dict:
    """The newest good run (what every page shows) and the newest attempt of any status."""
    attempt = con.execute(
        "SELECT run_id, status, started_at, finished_at, data_version, error "
        "FROM analysis_runs ORDER BY run_id DESC LIMIT 1"
    ).fetchone()
    keys = ["run_id", "status", "started_at", "finished_at", "data_version", "error"]
    good = last_run(con)
    if good is not None:
        good["n_stored"] = con.execute(
            "SELECT count(*) FROM correlations WHERE run_id = ?", [good["run_id"]]
        ).fetchone()[0]
        good["n_correlations"] = con.execute(
            "SELECT n_correlations FROM analysis_runs WHERE run_id = ?", [good["run_id"]]
        ).fetchone()[0]
    return {"good": good, "attempt": dict(zip(keys, attempt, strict=True)) if attempt else None}


def correlation_index(con: duckdb.DuckDBPyConnection, run_id: int) -> pd.DataFrame:
    """Which (source, benchmark, model set, axis) series a run has, with what each benchmark is, and
    the most models any of its points had (``max_n``: 0 when no model was ever on both sides)."""
    return con.execute(
        """
        SELECT c.source, c.benchmark, b.name, b.category, b.safety_area, c.model_set, c.axis,
               count(*) AS points, max(c.as_of) AS latest, max(c.n) AS max_n
        FROM correlations c
        LEFT JOIN benchmarks b ON b.source = c.source AND b."column" = c.benchmark
        WHERE c.run_id = ?
        GROUP BY ALL
        ORDER BY c.source, c.benchmark, c.model_set, c.axis
        """,
        [run_id],
    ).df()


def safety_history(
    con: duckdb.DuckDBPyConnection, run_id: int, axis: str | None = None,
    model_set: str | None = None, source: str | None = None,
) -> pd.DataFrame:
    """Every as-of point of every safety benchmark's correlation in a run, oldest first."""
    clause, params = where({"c.axis": axis, "c.model_set": model_set, "c.source": source},
                           ["c.run_id = ?", "b.category = 'safety'"], [run_id])
    return con.execute(
        f"""
        SELECT c.source, c.benchmark, b.name, b.safety_area, c.model_set, c.axis, c.as_of,
               c.rho, c.ci_low, c.ci_high, c.n, coalesce(c.relation, 'independent') AS relation,
               coalesce(c.relation_reason, '') AS relation_reason
        FROM correlations c
        JOIN benchmarks b ON b.source = c.source AND b."column" = c.benchmark
        {clause}
        ORDER BY c.source, c.benchmark, c.model_set, c.axis, c.as_of
        """,
        params,
    ).df()


def benchmark_series(
    con: duckdb.DuckDBPyConnection, run_id: int, source: str, benchmark: str
) -> pd.DataFrame:
    """One benchmark's correlation over data time, for every axis and model set, with the
    signals beside rho (migration 013)."""
    return con.execute(
        """
        SELECT model_set, axis, as_of, rho, ci_low, ci_high, n,
               coalesce(relation, 'independent') AS relation, coalesce(relation_reason, '') AS relation_reason,
               slope, r2, subset_low, subset_high, saturation, partial_rho_time, n_time
        FROM correlations
        WHERE run_id = ? AND source = ? AND benchmark = ?
        ORDER BY model_set, axis, as_of
        """,
        [run_id, source, benchmark],
    ).df()


def benchmark_info(con: duckdb.DuckDBPyConnection, source: str, benchmark: str) -> dict | None:
    """The registry row of a benchmark: what it is, its metric, direction and scale."""
    frame = con.execute(
        'SELECT * FROM benchmarks WHERE source = ? AND "column" = ?', [source, benchmark]
    ).df()
    return None if frame.empty else frame.iloc[0].to_dict()


def findings(con: duckdb.DuckDBPyConnection, source: str | None = None,
             benchmark: str | None = None) -> pd.DataFrame:
    """Findings on frozen data (``storage.findings``), strongest first."""
    return list_findings(con, source, benchmark)


def alerts(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Every alert, firing first, with its numbers, operator actions and delivery state."""
    return list_alerts(con, "all")


def alert_events(
    con: duckdb.DuckDBPyConnection, key: str | None = None, source: str | None = None,
    benchmark: str | None = None,
) -> pd.DataFrame:
    """Alert events (transitions, acks, silences) with the alert they belong to, in order."""
    clause, params = where({"e.alert_key": key, "a.source": source, "a.benchmark": benchmark})
    return con.execute(
        f"""
        SELECT e.*, a.source, a.benchmark, a.model_set, a.axis
        FROM alert_events e LEFT JOIN alerts a USING (alert_key)
        {clause}
        ORDER BY e.event_id
        """,
        params,
    ).df()


def sources(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Each source ever fetched: live or frozen (since when, why, the upstream's own statement),
    its fetch log summary, what it holds and its newest data date, and its licence."""
    frame = source_status(con)
    known = frame["name"].map(UPSTREAMS.get)
    liveness = known.map(lambda facts: facts.liveness if facts is not None else None)
    frame.insert(1, "liveness", liveness.map(lambda live: live.state if live else "unknown"))
    frame.insert(2, "frozen_since", liveness.map(lambda live: live.since.isoformat() if live and live.since else None))
    frame["liveness_why"] = liveness.map(lambda live: live.why if live else "")
    frame["evidence"] = liveness.map(lambda live: live.evidence if live else "")
    frame["license"] = known.map(lambda facts: facts.license if facts is not None else "")
    frame["attribution"] = known.map(lambda facts: facts.attribution if facts is not None else "")
    return frame


def fetch_log(con: duckdb.DuckDBPyConnection, source: str | None = None, limit: int | None = None,
              newest_first: bool = True) -> pd.DataFrame:
    """The fetch log (replay reads and live requests) with how many distinct models each fetch
    revised: the dashboard's table (newest first) and the fetch rules' input (in order)."""
    clause, params = where({"f.source": source})
    order = "DESC" if newest_first else "ASC"
    return con.execute(
        f"""
        WITH revised AS (
            SELECT revised_by AS fetch_id, count(DISTINCT model) AS models_revised
            FROM observations WHERE revised_by IS NOT NULL AND closed_reason IS DISTINCT FROM 'withdrawn'
            GROUP BY revised_by)
        SELECT f.fetch_id, f.source, f.mode, f.snapshot, f.status, f.started_at, f.finished_at,
               f.http_status, f.observed_at, f.rows_parsed, f.rows_added, f.rows_revised,
               r.models_revised, f.rows_withdrawn, f.error, len(f.warnings) AS n_warnings, f.warnings,
               array_to_string(f.warnings, ' | ') AS warnings_text
        FROM fetches f LEFT JOIN revised r USING (fetch_id) {clause}
        ORDER BY f.fetch_id {order}
        LIMIT ?
        """,
        [*params, limit],
    ).df()


def revision_batches(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Each fetch that revised published values: how many, over which models and benchmarks."""
    return con.execute(
        """
        SELECT f.fetch_id, f.source, f.snapshot, f.observed_at, count(*) AS values_revised,
               count(DISTINCT o.model) AS models, count(DISTINCT o.benchmark) AS n_benchmarks,
               string_agg(DISTINCT o.benchmark, ', ' ORDER BY o.benchmark) AS benchmarks
        FROM observations o JOIN fetches f ON f.fetch_id = o.revised_by
        WHERE o.closed_reason IS DISTINCT FROM 'withdrawn'
        GROUP BY ALL
        ORDER BY f.fetch_id
        """
    ).df()


def revisions(con: duckdb.DuckDBPyConnection, fetch_id: int) -> pd.DataFrame:
    """The values one fetch revised: old and new value side by side, largest change first."""
    return con.execute(
        """
        SELECT o.model, o.benchmark, o.value AS old_value, n.value AS new_value,
               n.value - o.value AS change, o.valid_from AS published, o.valid_to AS revised
        FROM observations o
        LEFT JOIN observations n
          ON n.source = o.source AND n.model = o.model AND n.benchmark = o.benchmark
         AND n.fetch_id = o.revised_by AND n.valid_from = o.valid_to
        WHERE o.revised_by = ? AND o.closed_reason IS DISTINCT FROM 'withdrawn'
        ORDER BY abs(n.value - o.value) DESC NULLS LAST, o.model, o.benchmark
        """,
        [fetch_id],
    ).df()


def value_history(con: duckdb.DuckDBPyConnection, source: str | None = None, model: str | None = None,
                  benchmark: str | None = None, withdrawn_only: bool = False) -> pd.DataFrame:
    """Published values with their validity and how each ended (``current``, ``revised``,
    ``withdrawn``), and the snapshot that ended it; by source, model, benchmark, then date."""
    return con.execute(
        """
        SELECT o.source, o.model, o.benchmark, o.value, o.valid_from, o.valid_to,
               coalesce(o.closed_reason, CASE WHEN o.valid_to IS NULL THEN 'current' END) AS status,
               f.snapshot AS ended_by
        FROM observations o LEFT JOIN fetches f ON f.fetch_id = o.revised_by
        WHERE (?::VARCHAR IS NULL OR o.source = ?) AND (?::VARCHAR IS NULL OR o.model = ?)
          AND (?::VARCHAR IS NULL OR o.benchmark = ?) AND (NOT ? OR o.closed_reason = 'withdrawn')
        ORDER BY o.source, o.model, o.benchmark, o.valid_from
        """,
        [source, source, model, model, benchmark, benchmark, withdrawn_only],
    ).df()


def capability_axes(con: duckdb.DuckDBPyConnection, run_id: int, source: str | None = None) -> pd.DataFrame:
    """Each axis per source, model set and as-of date: models, dropped, explained variance,
    and where a cross-source axis came from."""
    clause, params = where({"source": source}, ["run_id = ?"], [run_id])
    return con.execute(
        f"""
        SELECT source, model_set, axis, as_of, n_models, n_dropped, n_benchmarks, explained_variance,
               missing_policy, axis_sources, min_coverage
        FROM capability_axes {clause}
        ORDER BY source, model_set, axis, as_of
        """,
        params,
    ).df()


def capability_loadings(
    con: duckdb.DuckDBPyConnection, run_id: int, source: str, model_set: str
) -> pd.DataFrame:
    """PC1 loadings of one source and model set at every as-of date, with benchmark names.

    A loading on another source's column (``source:column``) belongs to the
    joint axis (``pc1-joint``, PC1 over capability benchmarks joined across
    sources); a bare column name to the source's own ``pc1``.
    """
    return con.execute(
        """
        WITH l AS (
            SELECT as_of, benchmark, loading, strpos(benchmark, ':') > 0 AS joint,
                   CASE WHEN strpos(benchmark, ':') > 0 THEN split_part(benchmark, ':', 1) ELSE source END
                       AS column_source,
                   CASE WHEN strpos(benchmark, ':') > 0 THEN substr(benchmark, strpos(benchmark, ':') + 1)
                        ELSE benchmark END AS column_name
            FROM capability_loadings WHERE run_id = ? AND source = ? AND model_set = ?)
        SELECT l.as_of, CASE WHEN l.joint THEN 'pc1-joint' ELSE 'pc1' END AS axis, l.benchmark,
               coalesce(b.name, l.column_name) || CASE WHEN l.joint THEN ' (' || l.column_source || ')' ELSE '' END
                   AS name,
               l.loading
        FROM l LEFT JOIN benchmarks b ON b.source = l.column_source AND b."column" = l.column_name
        ORDER BY l.as_of, axis, l.loading DESC
        """,
        [run_id, source, model_set],
    ).df()


def capability_ranking(
    con: duckdb.DuckDBPyConnection, run_id: int, source: str, model_set: str, axis: str, as_of: date
) -> pd.DataFrame:
    """Models by capabilities score (highest first) at one as-of date."""
    return con.execute(
        """
        SELECT row_number() OVER (ORDER BY s.score DESC, s.model) AS rank, s.model,
               m.display_name, s.score
        FROM capability_scores s
        LEFT JOIN models m ON m.source = s.source AND m.model = s.model
        WHERE s.run_id = ? AND s.source = ? AND s.model_set = ? AND s.axis = ? AND s.as_of = ?::DATE
        ORDER BY rank
        """,
        [run_id, source, model_set, axis, as_of],
    ).df()


def scatter(
    con: duckdb.DuckDBPyConnection, run_id: int, source: str, benchmark: str, model_set: str,
    axis: str, as_of: date,
) -> pd.DataFrame:
    """Each model's capability-axis value and benchmark value as known at ``as_of``.

    The axis value is the stored score of the model on that axis (the source's
    PC1, or a cross-source axis: ECI, Arena, compute, pc1-joint, stored under
    the source's own model names for the set's members); an axis with no
    stored scores (the source's own training compute) is the source's compute
    column as published, and the ``accuracy`` axis of a calibration metric is its
    paired accuracy column as published (``benchmarks.paired_accuracy``). The
    benchmark value is as published (not oriented), known by the end of
    ``as_of``: published by then and not yet revised, the analysis's rule. A
    source that does not split its models itself (stored set ``all``) is split
    by their resolved kind, as the analysis splits it (``engine.split_by_kind``).
    """
    return con.execute(
        """
        WITH members AS (
            SELECT m.model, m.display_name FROM models m
            LEFT JOIN model_aliases a ON a.source = m.source AND a.model = m.model
            WHERE m.source = $source AND ($set = 'all' OR m.model_set = $set
              OR (m.model_set IN ('all', 'unknown') AND a.kind = $set) OR EXISTS (
                SELECT 1 FROM capability_scores WHERE run_id = $run AND source = $source AND model_set = $set
                  AND axis = $axis AND as_of = $as_of::DATE))),
        known AS (
            SELECT o.model, o.benchmark, o.value FROM observations o
            WHERE o.source = $source AND o.valid_from < ($as_of::DATE + INTERVAL 1 DAY)
              AND (o.valid_to IS NULL OR o.valid_to >= ($as_of::DATE + INTERVAL 1 DAY))),
        stored AS (
            SELECT model, score FROM capability_scores
            WHERE run_id = $run AND source = $source AND model_set = $set AND axis = $axis
              AND as_of = $as_of::DATE),
        compute AS (
            SELECT k.model, k.value AS score FROM known k
            JOIN benchmarks b ON b.source = $source AND b."column" = k.benchmark AND b.category = 'compute'
            WHERE $axis = 'compute' AND NOT EXISTS (SELECT 1 FROM stored)),
        paired AS (
            SELECT k.model, k.value AS score FROM known k
            JOIN benchmarks b ON b.source = $source AND b."column" = $benchmark AND b.paired_accuracy = k.benchmark
            WHERE $axis = 'accuracy' AND NOT EXISTS (SELECT 1 FROM stored)),
        axis_values AS (SELECT * FROM stored UNION ALL SELECT * FROM compute UNION ALL SELECT * FROM paired)
        SELECT m.model, m.display_name, a.score AS axis_value, k.value
        FROM members m
        JOIN axis_values a USING (model)
        JOIN known k ON k.model = m.model AND k.benchmark = $benchmark
        ORDER BY a.score DESC, m.model
        """,
        {"source": source, "set": model_set, "as_of": as_of, "run": run_id, "axis": axis,
         "benchmark": benchmark},
    ).df()


def point_provenance(con: duckdb.DuckDBPyConnection, source: str, benchmark: str, as_of: date) -> pd.DataFrame:
    """Where each value ``scatter`` draws for ``as_of`` came from (model, collection,
    evaluator_relationship, adapter, cron_run_date): kept for Every Eval Ever only (``storage.eee``),
    no rows for another source."""
    if source != eee.SOURCE:
        return pd.DataFrame(columns=["model", *eee.PROVENANCE_COLUMNS])
    found = eee.score_provenance(con, benchmark=benchmark, as_of=as_of)
    return found.sort_values("valid_from").drop_duplicates("model", keep="last")[["model", *eee.PROVENANCE_COLUMNS]]


def model_groups_of(con: duckdb.DuckDBPyConnection, source: str) -> pd.DataFrame:
    """(model, model_group) of the source's models whose canonical model a source puts in a group
    (Epoch's ``model_metadata.csv``): the first group by name, as the analysis takes it
    (``analysis.cross.group_of``), so the dashboard's points are the correlation's."""
    return con.execute(
        """
        WITH grouped AS (
            SELECT a.canonical_id, min(json_extract_string(m.metadata, '$.model_group')) AS model_group
            FROM models m JOIN model_aliases a ON a.source = m.source AND a.model = m.model
            WHERE json_extract_string(m.metadata, '$.model_group') IS NOT NULL
            GROUP BY a.canonical_id)
        SELECT a.model, g.model_group FROM model_aliases a JOIN grouped g USING (canonical_id)
        WHERE a.source = ? ORDER BY a.model
        """,
        [source],
    ).df()


def adjusted_ranking(
    con: duckdb.DuckDBPyConnection, run_id: int, source: str, benchmark: str, model_set: str, axis: str,
) -> pd.DataFrame:
    """Models by capability-adjusted residual (safer than their capabilities predict first).

    The residuals are the analysis's (``adjusted_residuals``: a rank-on-rank
    regression of the oriented benchmark on the axis, at the latest as-of
    point), with the models' display names.
    """
    return con.execute(
        """
        SELECT row_number() OVER (ORDER BY r.residual DESC, r.model) AS rank, r.model, m.display_name,
               r.canonical_id, r.value, r.axis_value, r.value_rank, r.axis_rank, r.fitted, r.residual, r.n,
               r.method, r.as_of
        FROM adjusted_residuals r
        LEFT JOIN models m ON m.source = r.source AND m.model = r.model
        WHERE r.run_id = ? AND r.source = ? AND r.benchmark = ? AND r.model_set = ? AND r.axis = ?
        ORDER BY rank
        """,
        [run_id, source, benchmark, model_set, axis],
    ).df()


def identity_summary(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Per source: models, how they were matched, and how many share an id with another source."""
    return con.execute(
        """
        WITH shared AS (
            SELECT canonical_id FROM model_aliases GROUP BY canonical_id HAVING count(DISTINCT source) > 1)
        SELECT a.source, count(*) AS models,
               count(*) FILTER (a.match_rule = 'exact') AS exact,
               count(*) FILTER (a.match_rule = 'normalized') AS normalized,
               count(*) FILTER (a.match_rule = 'alias') AS alias,
               count(s.canonical_id) AS matched_elsewhere,
               count(s.canonical_id) / count(*) AS matched_fraction
        FROM model_aliases a LEFT JOIN shared s USING (canonical_id)
        GROUP BY a.source ORDER BY a.source
        """
    ).df()


def unmatched_models(con: duckdb.DuckDBPyConnection, source: str) -> pd.DataFrame:
    """A source's models whose canonical id no other source has (they never join across sources)."""
    return con.execute(
        """
        SELECT a.model, m.display_name, a.canonical_id, a.kind, a.match_rule, a.match_detail
        FROM model_aliases a
        LEFT JOIN models m ON m.source = a.source AND m.model = a.model
        WHERE a.source = ? AND NOT EXISTS (
            SELECT 1 FROM model_aliases o WHERE o.canonical_id = a.canonical_id AND o.source <> a.source)
        ORDER BY a.model
        """,
        [source],
    ).df()


def models_per_source(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """How many models each source names, per model set."""
    return con.execute(
        "SELECT source, model_set, count(*) AS models FROM models GROUP BY ALL ORDER BY source, model_set"
    ).df()
