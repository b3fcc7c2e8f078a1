"""Writing fetches and observations, and reading them back as of a date.

Observations are append-only. A value that differs from the open row for the
same (source, model, benchmark) closes that row (``valid_to``, ``revised_by``)
and opens a new one, so a retroactive rescoring is kept as history. Each
snapshot is written in one transaction: it lands whole or not at all.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date, datetime

import duckdb
import pandas as pd

from sources.base import MODEL_COLUMNS, ParsedBatch, Previous, Snapshot
from storage.db import transaction, utcnow


@dataclass
class IngestResult:
    fetch_id: int
    status: str
    rows_parsed: int = 0
    rows_added: int = 0
    rows_revised: int = 0
    warnings: list[str] = field(default_factory=list)
    error: str | None = None


def sync_benchmarks(con: duckdb.DuckDBPyConnection, registry: pd.DataFrame) -> None:
    """Make the benchmarks table equal the registry files (they are the truth)."""
    with transaction(con):
        con.execute("DELETE FROM benchmarks")
        con.register("registry_df", registry)
        con.execute(
            'INSERT INTO benchmarks SELECT source, "column", benchmark_id, name, category, '
            "nullif(safety_area, ''), direction, scale, nullif(metric, '') FROM registry_df"
        )
        con.unregister("registry_df")


def previous_fetches(con: duckdb.DuckDBPyConnection, source: str) -> dict[str, Previous]:
    """Validators per location for conditional requests: the newest ETag/Last-Modified
    seen (a 304 keeps them valid) and the content hash of the newest stored payload."""
    rows = con.execute(
        """
        WITH validators AS (
            SELECT location, etag, last_modified FROM fetches
            WHERE source = ? AND mode = 'live' AND status IN ('ok', 'unchanged')
              AND (etag IS NOT NULL OR last_modified IS NOT NULL)
            QUALIFY row_number() OVER (PARTITION BY location ORDER BY fetch_id DESC) = 1),
        payloads AS (
            SELECT location, content_hash FROM fetches
            WHERE source = ? AND mode = 'live' AND status = 'ok'
            QUALIFY row_number() OVER (PARTITION BY location ORDER BY fetch_id DESC) = 1)
        SELECT coalesce(v.location, p.location), v.etag, v.last_modified, p.content_hash
        FROM validators v FULL OUTER JOIN payloads p ON p.location = v.location
        """,
        [source, source],
    ).fetchall()
    return {loc: Previous(etag, lm, h) for loc, etag, lm, h in rows}


def already_ingested(con: duckdb.DuckDBPyConnection, source: str, content_hash: str) -> bool:
    return bool(con.execute(
        "SELECT count(*) FROM fetches WHERE source = ? AND content_hash = ? AND status = 'ok'",
        [source, content_hash],
    ).fetchone()[0])


def record_fetch(
    con: duckdb.DuckDBPyConnection,
    source: str,
    mode: str,
    status: str,
    started_at: datetime,
    snapshot: Snapshot | None = None,
    error: str | None = None,
    http_status: int | None = None,
    location: str | None = None,
    warnings: list[str] | None = None,
) -> int:
    """A fetch that wrote no observations: failed, or unchanged upstream."""
    row = con.execute(
        """
        INSERT INTO fetches (source, mode, snapshot, location, started_at, finished_at, status,
                             http_status, etag, last_modified, content_hash, observed_at, error, warnings)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING fetch_id
        """,
        [
            source, mode,
            snapshot.label if snapshot else None,
            snapshot.location if snapshot else location,
            started_at, utcnow(), status,
            http_status if http_status is not None else (snapshot.http_status if snapshot else None),
            snapshot.etag if snapshot else None,
            snapshot.last_modified if snapshot else None,
            snapshot.content_hash if snapshot and snapshot.files else None,
            snapshot.observed_at if snapshot else None,
            error, warnings or [],
        ],
    ).fetchone()
    return int(row[0])


def _models_frame(models: pd.DataFrame) -> pd.DataFrame:
    """The fixed model columns plus any extra ones folded into a JSON metadata column."""
    models = models.drop_duplicates("model", keep="first")
    extra = [c for c in models.columns if c not in MODEL_COLUMNS]
    out = models.reindex(columns=MODEL_COLUMNS).astype(object).where(models.notna(), None)
    out["metadata"] = (
        [json.dumps({k: v for k, v in rec.items() if pd.notna(v)}, default=str)
         for rec in models[extra].to_dict("records")]
        if extra else None
    )
    return out


def ingest(
    con: duckdb.DuckDBPyConnection,
    source: str,
    snapshot: Snapshot,
    batch: ParsedBatch,
    started_at: datetime,
) -> IngestResult:
    """Write one parsed snapshot: new values, revisions, models, and its fetch row."""
    recorded_at = utcnow()
    incoming = batch.observations[["model", "benchmark", "value", "observed_at"]].copy()
    incoming["observed_at"] = pd.to_datetime(incoming["observed_at"]).astype("datetime64[us]")
    parsed = len(incoming)
    # One row per key, the first seen by data time: DuckDB would otherwise keep
    # an arbitrary one of two conflicting rows without complaint.
    incoming = incoming.sort_values("observed_at", kind="stable").drop_duplicates(["model", "benchmark"])
    models = _models_frame(batch.models)
    with transaction(con):
        fetch_id = record_fetch(con, source, snapshot.mode, "ok", started_at, snapshot,
                                warnings=batch.warnings)
        con.register("incoming_df", incoming)
        con.register("models_df", models)
        # Close the open rows this batch revises (a changed value at the
        # published precision; the cheap ``<>`` spares ``is_revision`` the
        # equal values). A closed row's valid_to is its successor's valid_from.
        revised = con.execute(
            """
            UPDATE observations o
            SET valid_to = greatest(i.observed_at, ?::TIMESTAMP, o.valid_from), revised_by = ?
            FROM incoming_df i
            WHERE o.source = ? AND o.valid_to IS NULL AND o.model = i.model AND o.benchmark = i.benchmark
              AND o.value <> i.value AND is_revision(o.value, i.value)
            """,
            [snapshot.observed_at, fetch_id, source],
        ).fetchone()[0]
        # Then every key without an open row is written: the new ones, and the
        # revised ones, which start where their just-closed predecessor ends.
        written = con.execute(
            """
            INSERT INTO observations (source, model, benchmark, value, valid_from, fetch_id, recorded_at)
            SELECT ?, i.model, i.benchmark, i.value, coalesce(o.valid_to, i.observed_at), ?, ?
            FROM incoming_df i
            LEFT JOIN (SELECT model, benchmark, valid_to, revised_by FROM observations
                       WHERE source = ? AND (valid_to IS NULL OR revised_by = ?)) o USING (model, benchmark)
            WHERE o.model IS NULL OR o.revised_by = ?
            """,
            [source, fetch_id, recorded_at, source, fetch_id, fetch_id],
        ).fetchone()[0]
        added = written - revised
        con.execute(
            """
            INSERT INTO models
            SELECT ?, m.model, m.model_type, coalesce(m.model_set, 'all'), m.display_name,
                   m.metadata, ?, ? FROM models_df m
            ON CONFLICT (source, model) DO UPDATE SET
                model_type = excluded.model_type, model_set = excluded.model_set,
                display_name = excluded.display_name, metadata = excluded.metadata
            """,
            [source, snapshot.observed_at, fetch_id],
        )
        con.execute(
            "UPDATE fetches SET rows_parsed = ?, rows_added = ?, rows_revised = ?, finished_at = ? "
            "WHERE fetch_id = ?",
            [parsed, int(added), int(revised), utcnow(), fetch_id],
        )
        con.unregister("incoming_df")
        con.unregister("models_df")
    return IngestResult(fetch_id, "ok", parsed, int(added), int(revised), batch.warnings)


def observations_as_of(
    con: duckdb.DuckDBPyConnection, source: str, as_of: date | None = None
) -> pd.DataFrame:
    """Long frame (model, model_set, model_type, benchmark, value) known on ``as_of``.

    Known on a date means published by the end of that day and not yet
    revised by then; ``None`` means everything current.
    """
    if as_of is None:
        where, params = "o.valid_to IS NULL", [source]
    else:
        where = ("o.valid_from < (?::DATE + INTERVAL 1 DAY) "
                 "AND (o.valid_to IS NULL OR o.valid_to >= (?::DATE + INTERVAL 1 DAY))")
        params = [source, as_of, as_of]
    return con.execute(
        f"""
        SELECT o.model, m.model_set, m.model_type, o.benchmark, o.value
        FROM observations o JOIN models m ON m.source = o.source AND m.model = o.model
        WHERE o.source = ? AND {where}
        """,
        params,
    ).df()


def history_frame(con: duckdb.DuckDBPyConnection, source: str) -> pd.DataFrame:
    """Every observation row of a source with its validity interval, for as-of slicing in memory."""
    return con.execute(
        """
        SELECT o.model, m.model_set, m.model_type, o.benchmark, o.value, o.valid_from, o.valid_to
        FROM observations o JOIN models m ON m.source = o.source AND m.model = o.model
        WHERE o.source = ?
        """,
        [source],
    ).df()


def data_span(con: duckdb.DuckDBPyConnection, source: str) -> tuple[datetime, datetime] | None:
    """First and last data time of a source's observations (including revisions)."""
    row = con.execute(
        "SELECT min(valid_from), greatest(max(valid_from), max(valid_to)) FROM observations WHERE source = ?",
        [source],
    ).fetchone()
    return None if row[0] is None else (row[0], row[1])


def data_version(con: duckdb.DuckDBPyConnection) -> str:
    """Changes whenever an observation is added or revised; analysis is skipped when equal."""
    row = con.execute(
        "SELECT coalesce(max(observation_id), 0), count(valid_to) FROM observations"
    ).fetchone()
    return f"obs{row[0]}-rev{row[1]}"


def source_status(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """One row per source ever fetched: fetch log summary and what it holds now."""
    return con.execute(
        """
        WITH last AS (
            SELECT source, status AS last_status, coalesce(finished_at, started_at) AS last_fetched_at,
                   error AS last_error
            FROM fetches QUALIFY row_number() OVER (PARTITION BY source ORDER BY fetch_id DESC) = 1),
        counts AS (
            SELECT source, count(*) AS fetches, count(*) FILTER (status = 'failed') AS failed_fetches
            FROM fetches GROUP BY source),
        held AS (
            SELECT source, count(*) AS observations, count(valid_to) AS revisions,
                   count(DISTINCT model) AS models, count(DISTINCT benchmark) AS benchmarks,
                   max(valid_from) AS latest_data
            FROM observations GROUP BY source)
        SELECT c.source AS name, c.fetches, c.failed_fetches, l.last_status, l.last_fetched_at,
               l.last_error, coalesce(h.observations, 0) AS observations,
               coalesce(h.revisions, 0) AS revisions, coalesce(h.models, 0) AS models,
               coalesce(h.benchmarks, 0) AS benchmarks, h.latest_data
        FROM counts c JOIN last l USING (source) LEFT JOIN held h USING (source)
        ORDER BY c.source
        """
    ).df()
