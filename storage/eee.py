"""Every Eval Ever records held, and the provenance of each score (migration 015).

The datastore's manifest names every record by object path and sha256. What
Benchwatch holds of that listing (``eee_records``) is what lets a refresh fetch
only records it has not stored, and find the records (or whole collections) the
manifest stopped naming: those are unlisted here, never deleted, and their values
withdrawn through the observations' own withdrawal (``revisions.chain``). A record
listed under another collection is moved here (its collection updated), its values untouched.
``eee_scores`` ties every score to the record it came from, so a point can say
who measured it (first or third party), which adapter published it and when the
adapter's cron read its upstream.
"""

from __future__ import annotations

from datetime import date

import duckdb
import pandas as pd

from benchwatch.storage.db import where

SOURCE = "every-eval-ever"
RECORD_COLUMNS = ["object_path", "sha256", "collection", "model", "source_name", "evaluator_relationship",
                  "adapter", "cron_run_date", "retrieved_at"]
# What a point shows of where its value came from (``score_provenance``'s columns beyond the key).
PROVENANCE_COLUMNS = ["collection", "evaluator_relationship", "adapter", "cron_run_date"]
SCORE_COLUMNS = ["object_path", "sha256", "model", "benchmark", "evaluation_name", "declared_area", "value",
                 "observed_at"]


def known_records(con: duckdb.DuckDBPyConnection) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The records the last manifest listed (object_path, sha256, collection) and the keys each
    supplies (object_path, model, benchmark): what the next manifest is compared with."""
    records = con.execute(
        "SELECT object_path, sha256, collection FROM eee_records WHERE listed").df()
    scores = con.execute(
        """
        SELECT s.object_path, s.model, s.benchmark FROM eee_scores s
        JOIN eee_records r ON r.object_path = s.object_path AND r.sha256 = s.sha256 AND r.listed
        """).df()
    return records, scores


def save_provenance(con: duckdb.DuckDBPyConnection, provenance: dict[str, pd.DataFrame], fetch_id: int) -> None:
    """Write one snapshot's records, their scores, the records it unlists and those moved into its
    collection (inside the caller's transaction, with the observations they explain)."""
    unlisted = provenance.get("unlisted", pd.DataFrame(columns=["object_path"]))
    moved = provenance.get("moved", pd.DataFrame(columns=["object_path", "sha256", "collection"]))
    records = provenance.get("records", pd.DataFrame(columns=RECORD_COLUMNS)).reindex(columns=RECORD_COLUMNS)
    scores = provenance.get("scores", pd.DataFrame(columns=SCORE_COLUMNS)).reindex(columns=SCORE_COLUMNS)
    if len(unlisted):
        con.register("eee_unlisted_df", unlisted[["object_path"]])
        con.execute("UPDATE eee_records SET listed = false, unlisted_by = ? "
                    "WHERE listed AND object_path IN (SELECT object_path FROM eee_unlisted_df)", [fetch_id])
        con.unregister("eee_unlisted_df")
    if len(moved):
        con.register("eee_moved_df", moved[["object_path", "sha256", "collection"]])
        con.execute("UPDATE eee_records r SET collection = m.collection, fetch_id = ? FROM eee_moved_df m "
                    "WHERE r.listed AND r.object_path = m.object_path AND r.sha256 = m.sha256", [fetch_id])
        con.unregister("eee_moved_df")
    if len(records):
        con.register("eee_records_df", records.astype(object).where(records.notna(), None))
        con.execute(
            """
            INSERT INTO eee_records
            SELECT object_path, sha256, collection, model, source_name, evaluator_relationship, adapter,
                   TRY_CAST(cron_run_date AS DATE), retrieved_at, true, ?, NULL FROM eee_records_df
            ON CONFLICT (object_path) DO UPDATE SET
                sha256 = excluded.sha256, collection = excluded.collection, model = excluded.model,
                source_name = excluded.source_name, evaluator_relationship = excluded.evaluator_relationship,
                adapter = excluded.adapter, cron_run_date = excluded.cron_run_date,
                retrieved_at = excluded.retrieved_at, listed = true, fetch_id = excluded.fetch_id,
                unlisted_by = NULL
            """, [fetch_id])
        con.unregister("eee_records_df")
    if len(scores):
        con.register("eee_scores_df", scores)
        con.execute("INSERT INTO eee_scores SELECT * FROM eee_scores_df ON CONFLICT DO NOTHING")
        con.unregister("eee_scores_df")


def score_provenance(con: duckdb.DuckDBPyConnection, model: str | None = None,
                     benchmark: str | None = None, as_of: date | None = None) -> pd.DataFrame:
    """Each EEE observation's provenance: the newest record supplying its (model, benchmark) at or
    before the value's start (model, benchmark, valid_from, collection, evaluator_relationship,
    adapter, cron_run_date). With ``as_of``: only the values known by the end of that day (published
    by then and not yet closed), the analysis's rule, so a point drawn for a date has its own."""
    fixed, params = ["o.source = ?"], [SOURCE]
    if as_of is not None:
        fixed += ["o.valid_from < (?::DATE + INTERVAL 1 DAY)",
                  "(o.valid_to IS NULL OR o.valid_to >= (?::DATE + INTERVAL 1 DAY))"]
        params += [as_of, as_of]
    clause, params = where({"o.model": model, "o.benchmark": benchmark}, fixed, params)
    return con.execute(
        f"""
        WITH scored AS (
            SELECT s.model, s.benchmark, s.observed_at, r.collection, r.evaluator_relationship, r.adapter,
                   r.cron_run_date
            FROM eee_scores s JOIN eee_records r ON r.object_path = s.object_path)
        SELECT o.source, o.model, o.benchmark, o.valid_from, p.collection, p.evaluator_relationship,
               p.adapter, p.cron_run_date
        FROM (SELECT * FROM observations o {clause}) o
        ASOF LEFT JOIN scored p ON p.model = o.model AND p.benchmark = o.benchmark
                               AND p.observed_at <= o.valid_from
        """, params).df()


def unmapped_by_collection(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """EEE evaluations stored that no registry row maps, one row per (collection, evaluation) with
    how many models and current values it has, and the safety area its own metadata names, if any
    (``declared_area``: the most common one its results declare), largest first within a collection."""
    return con.execute(
        """
        WITH current AS (
            SELECT o.model, o.benchmark FROM observations o
            LEFT JOIN benchmarks b ON b.source = o.source AND b."column" = o.benchmark
            WHERE o.source = ? AND o.valid_to IS NULL AND b."column" IS NULL),
        held AS (
            SELECT r.collection, s.model, s.benchmark, any_value(s.evaluation_name) AS evaluation_name,
                   mode(s.declared_area) AS declared_area
            FROM eee_scores s JOIN eee_records r ON r.object_path = s.object_path AND r.sha256 = s.sha256
            WHERE r.listed GROUP BY ALL)
        SELECT h.collection, h.benchmark, any_value(h.evaluation_name) AS evaluation_name,
               count(DISTINCT h.model) AS models, mode(h.declared_area) AS declared_area
        FROM held h JOIN current c ON c.model = h.model AND c.benchmark = h.benchmark
        GROUP BY h.collection, h.benchmark
        ORDER BY h.collection, models DESC, h.benchmark
        """, [SOURCE]).df()
