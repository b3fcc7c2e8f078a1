"""Model identities, cross-source axis facts and capability-adjusted residuals.

``model_aliases`` holds the current resolution of every stored model (it is
derived state: rewritten whole, in one transaction, at each analysis).
Residuals and the cross-source axis facts belong to an analysis run and are
written for that run in one transaction right after it; the run records the
identity version last, so a run whose extras never landed is recomputed.
"""

from __future__ import annotations

from datetime import date

import duckdb
import pandas as pd

from benchwatch.storage.db import transaction, where
from benchwatch.storage.results import last_run

IDENTITY_COLUMNS = ["source", "model", "canonical_id", "base_id", "variant", "kind", "kind_rule",
                    "match_rule", "match_detail", "identity_version"]
RESIDUAL_COLUMNS = ["run_id", "source", "model_set", "axis", "benchmark", "as_of", "model",
                    "canonical_id", "value", "axis_value", "value_rank", "axis_rank", "fitted",
                    "residual", "n", "method"]


def stored_models(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Every (source, model, model_type) the sources have written, with the upstream record ids
    of its rows (``record_ids``, where the source gives them) and whether it has a value open now
    (``current``): what tells a renamed model (``identity.records``)."""
    return con.execute(
        """
        SELECT m.source, m.model, m.model_type,
               json_extract_string(m.metadata, '$.record_ids') AS record_ids,
               EXISTS (SELECT 1 FROM observations o WHERE o.source = m.source AND o.model = m.model
                       AND o.valid_to IS NULL) AS current
        FROM models m ORDER BY m.source, m.model
        """
    ).df()


def model_groups(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """(source, model, model_group) of every model whose source names its group (Epoch)."""
    return con.execute(
        """
        SELECT source, model, json_extract_string(metadata, '$.model_group') AS model_group
        FROM models WHERE json_extract_string(metadata, '$.model_group') IS NOT NULL
        ORDER BY source, model
        """
    ).df()


def save_identities(con: duckdb.DuckDBPyConnection, identity: pd.DataFrame, version: str) -> None:
    """Replace the stored resolution with ``identity`` (one row per source model)."""
    frame = identity.assign(identity_version=version)[IDENTITY_COLUMNS]
    frame = frame.astype(object).where(frame.notna(), None)
    with transaction(con):
        con.execute("DELETE FROM model_aliases")
        con.register("identity_df", frame)
        con.execute(f"INSERT INTO model_aliases ({', '.join(IDENTITY_COLUMNS)}) "
                    f"SELECT {', '.join(IDENTITY_COLUMNS)} FROM identity_df")
        con.unregister("identity_df")


def identities(con: duckdb.DuckDBPyConnection, source: str | None = None) -> pd.DataFrame:
    """The stored resolution, optionally of one source."""
    clause, params = where({"source": source})
    return con.execute(
        f"SELECT * EXCLUDE (identity_version) FROM model_aliases {clause} ORDER BY source, model",
        params,
    ).df()


def release_dates(con: duckdb.DuckDBPyConnection, source: str) -> list[date]:
    """Data dates of the source's snapshots that added, revised or withdrew values (HELM: its releases)."""
    rows = con.execute(
        "SELECT DISTINCT observed_at::DATE FROM fetches WHERE source = ? AND status = 'ok' "
        "AND rows_added + rows_revised + rows_withdrawn > 0 AND observed_at IS NOT NULL ORDER BY 1",
        [source],
    ).fetchall()
    return [row[0] for row in rows]


def model_release_dates(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """(source, model, release_date) of every stored model whose source published its release date
    (Epoch's model metadata, kept in ``models.metadata``)."""
    return con.execute(
        """
        SELECT source, model, TRY_CAST(json_extract_string(metadata, '$.release_date') AS TIMESTAMP)::DATE
               AS release_date
        FROM models
        WHERE TRY_CAST(json_extract_string(metadata, '$.release_date') AS TIMESTAMP) IS NOT NULL
        ORDER BY source, model
        """
    ).df()


def run_identity_version(con: duckdb.DuckDBPyConnection, run_id: int) -> str | None:
    row = con.execute("SELECT identity_version FROM analysis_runs WHERE run_id = ?", [run_id]).fetchone()
    return row[0] if row else None


def save_run_extras(
    con: duckdb.DuckDBPyConnection, run_id: int, axes: pd.DataFrame, residuals: pd.DataFrame,
    version: str,
) -> None:
    """A run's residuals and cross-source axis facts, then its identity version, in one transaction."""
    with transaction(con):
        facts = axes.reindex(columns=["source", "model_set", "axis", "as_of", "axis_sources",
                                      "min_coverage"])
        facts = facts[facts["axis_sources"].notna()] if len(facts) else facts
        if len(facts):
            con.register("facts_df", facts)
            con.execute(
                """
                UPDATE capability_axes SET axis_sources = f.axis_sources, min_coverage = f.min_coverage
                FROM facts_df f
                WHERE capability_axes.run_id = ? AND capability_axes.source = f.source
                  AND capability_axes.model_set = f.model_set AND capability_axes.axis = f.axis
                  AND capability_axes.as_of = f.as_of
                """,
                [run_id],
            )
            con.unregister("facts_df")
        if len(residuals):
            frame = residuals.assign(run_id=run_id).reindex(columns=RESIDUAL_COLUMNS)
            con.register("residuals_df", frame)
            con.execute(f"INSERT INTO adjusted_residuals ({', '.join(RESIDUAL_COLUMNS)}) "
                        f"SELECT {', '.join(RESIDUAL_COLUMNS)} FROM residuals_df")
            con.unregister("residuals_df")
        con.execute("UPDATE analysis_runs SET identity_version = ? WHERE run_id = ?", [version, run_id])


def adjusted(
    con: duckdb.DuckDBPyConnection, benchmark: str, axis: str | None = None,
    model_set: str | None = None, source: str | None = None,
) -> pd.DataFrame:
    """Residuals of the latest good run for a benchmark (registry column or benchmark id).

    Sorted within each (source, model set, axis) from the model most safer
    than its capabilities predict to the least.
    """
    run = last_run(con)
    if run is None:
        return pd.DataFrame(columns=["source", "model_set", "axis", "benchmark", "name", *RESIDUAL_COLUMNS[5:]])
    clause, params = where({"r.axis": axis, "r.model_set": model_set, "r.source": source},
                           ["r.run_id = ?", "(r.benchmark = ? OR b.benchmark_id = ?)"],
                           [run["run_id"], benchmark, benchmark])
    return con.execute(
        f"""
        SELECT r.source, r.model_set, r.axis, r.benchmark, b.name, r.as_of, r.model,
               coalesce(r.canonical_id, a.canonical_id) AS canonical_id, r.value, r.axis_value,
               r.value_rank, r.axis_rank, r.fitted, r.residual, r.n, r.method
        FROM adjusted_residuals r
        LEFT JOIN benchmarks b ON b.source = r.source AND b."column" = r.benchmark
        LEFT JOIN model_aliases a ON a.source = r.source AND a.model = r.model
        {clause}
        ORDER BY r.source, r.model_set, r.axis, r.residual DESC, r.model
        """,
        params,
    ).df()
