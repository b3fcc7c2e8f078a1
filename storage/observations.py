"""Writing fetches and observations, and reading them back as of a date.

Observations are append-only. A value that differs from the open row for the
same (source, model, benchmark) closes that row (``valid_to``, ``revised_by``)
and opens a new one, so a retroactive rescoring is kept as history. Each
snapshot lands whole or not at all: a run of snapshots is written in one
transaction.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

import duckdb
import numpy as np
import pandas as pd

from benchwatch.records import DECLARED_COLUMNS, MODEL_COLUMNS, ParsedBatch, Previous, Snapshot
from benchwatch.storage import eee, revisions
from benchwatch.storage.db import transaction, utcnow, where


@dataclass(frozen=True)
class IngestResult:
    """What writing one snapshot did (its fetch row's counts): a failure raises instead, so there
    is no status; the caller sums these into its source's report."""

    fetch_id: int
    rows_parsed: int
    rows_added: int
    rows_revised: int
    rows_withdrawn: int
    warnings: list[str]


def sync_benchmarks(con: duckdb.DuckDBPyConnection, registry: pd.DataFrame) -> None:
    """Make the benchmarks table equal the registry files (they are the truth)."""
    with transaction(con):
        con.execute("DELETE FROM benchmarks")
        con.register("registry_df", registry.assign(paired_accuracy=registry["paired_accuracy"].fillna("")))
        con.execute(
            'INSERT INTO benchmarks SELECT source, "column", benchmark_id, name, category, '
            "nullif(safety_area, ''), direction, scale, nullif(metric, ''), nullif(in_axis, ''), "
            "nullif(same_construct, ''), nullif(paired_accuracy, '') FROM registry_df"
        )
        con.unregister("registry_df")


def axis_members(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """(source, column, axis, relation, origin) for every benchmark that is part of a capability
    axis (``part``) or measures the same construct as one (``same``): correlating it with that
    axis holds by construction.

    ``origin`` says whose word it is: ``upstream`` where the upstream itself declared it (Epoch's
    ``in_eci``, stored at ingest in ``upstream_benchmarks``), which then replaces the registry's
    ``in_axis`` for that benchmark, even when it says "none"; else ``registry``.
    """
    return con.execute(
        """
        WITH declared AS (
            SELECT source, "column", in_axis FROM upstream_benchmarks WHERE in_axis IS NOT NULL),
        part AS (
            SELECT source, "column", in_axis, 'upstream' AS origin FROM declared WHERE in_axis <> ''
            UNION ALL
            SELECT b.source, b."column", b.in_axis, 'registry' FROM benchmarks b
            WHERE b.in_axis IS NOT NULL
              AND NOT EXISTS (SELECT 1 FROM declared d WHERE d.source = b.source AND d."column" = b."column"))
        SELECT source, "column", trim(unnest(string_split(in_axis, ' '))) AS axis, 'part' AS relation, origin
        FROM part
        UNION ALL
        SELECT source, "column", trim(unnest(string_split(same_construct, ' '))), 'same', 'registry'
        FROM benchmarks WHERE same_construct IS NOT NULL
        ORDER BY source, "column", axis
        """
    ).df()


def upstream_benchmarks(con: duckdb.DuckDBPyConnection, source: str) -> pd.DataFrame:
    """What ``source`` itself said of its benchmarks at its newest fetch that said anything."""
    return con.execute(
        'SELECT "column", upstream_name, source_file, score_column, scale, in_axis, superseded_by, '
        'fetch_id, observed_at FROM upstream_benchmarks WHERE source = ? ORDER BY "column"',
        [source],
    ).df()


def _save_declared(con: duckdb.DuckDBPyConnection, source: str, pending: list[Pending],
                   fetch_ids: np.ndarray) -> None:
    """The newest declaring snapshot of a run replaces what the source declared before."""
    newest = next(((k, p) for k, p in reversed(list(enumerate(pending))) if len(p.batch.declared)), None)
    if newest is None:
        return
    k, item = newest
    frame = item.batch.declared.reindex(columns=DECLARED_COLUMNS).astype(object)
    con.register("declared_df", frame.where(frame.notna(), None))
    con.execute("DELETE FROM upstream_benchmarks WHERE source = ?", [source])
    con.execute(
        """
        INSERT INTO upstream_benchmarks
        SELECT ?, benchmark, upstream_name, source_file, score_column, scale, in_axis, superseded_by, ?, ?
        FROM declared_df
        """,
        [source, int(fetch_ids[k]), item.snapshot.observed_at],
    )
    con.unregister("declared_df")


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


def ingested_hashes(con: duckdb.DuckDBPyConnection, source: str) -> set[str]:
    """Content hashes of every payload of ``source`` already written: seen bytes are skipped."""
    rows = con.execute(
        "SELECT DISTINCT content_hash FROM fetches WHERE source = ? AND status = 'ok' "
        "AND content_hash IS NOT NULL",
        [source],
    ).fetchall()
    return {row[0] for row in rows}


def fetch_row(
    source: str,
    mode: str,
    status: str,
    started_at: datetime,
    snapshot: Snapshot | None = None,
    error: str | None = None,
    http_status: int | None = None,
    location: str | None = None,
    warnings: list[str] | None = None,
    counts: tuple[int, int, int] = (0, 0, 0),
    withdrawn: int = 0,
) -> dict[str, object]:
    """One row of the fetch log; ``counts`` are rows parsed, added and revised; ``withdrawn`` the
    values a full snapshot no longer lists."""
    return {
        "source": source, "mode": mode, "status": status,
        "snapshot": snapshot.label if snapshot else None,
        "location": snapshot.location if snapshot else location,
        "started_at": started_at, "finished_at": utcnow(),
        "http_status": http_status if http_status is not None else (snapshot.http_status if snapshot else None),
        "etag": snapshot.etag if snapshot else None,
        "last_modified": snapshot.last_modified if snapshot else None,
        "content_hash": snapshot.content_hash if snapshot and snapshot.files else None,
        "observed_at": snapshot.observed_at if snapshot else None,
        "error": error, "warnings": [str(w) for w in warnings or []],
        "rows_parsed": counts[0], "rows_added": counts[1], "rows_revised": counts[2],
        "rows_withdrawn": withdrawn,
    }


def record_fetches(con: duckdb.DuckDBPyConnection, rows: list[dict[str, object]]) -> list[int]:
    """Append rows to the fetch log in one statement; their ids, in the rows' order."""
    ids = sorted(r[0] for r in con.execute(
        "SELECT nextval('fetch_id_seq') FROM range(?)", [len(rows)]).fetchall())
    frame = pd.DataFrame(rows, columns=list(rows[0])).assign(fetch_id=ids)
    con.register("fetch_rows_df", frame)
    con.execute(
        """
        INSERT INTO fetches BY NAME
        SELECT * REPLACE (warnings::VARCHAR[] AS warnings, http_status::INTEGER AS http_status,
                          observed_at::TIMESTAMP AS observed_at)
        FROM fetch_rows_df
        """
    )
    con.unregister("fetch_rows_df")
    return ids


def record_fetch(con: duckdb.DuckDBPyConnection, source: str, mode: str, status: str,
                 started_at: datetime, **details: object) -> int:
    """One fetch that wrote no observations: failed, or unchanged upstream."""
    return record_fetches(con, [fetch_row(source, mode, status, started_at, **details)])[0]


def _models_frame(models: pd.DataFrame) -> pd.DataFrame:
    """One row per model: the newest snapshot's fixed columns and extra ones (folded into
    a JSON metadata column), and ``first_part``, the snapshot that first listed it."""
    first_part = models.groupby("model", sort=False)["_part"].min()
    # Within a snapshot the first row of a model counts; across snapshots the newest.
    models = (models.drop_duplicates(["model", "_part"], keep="first")
              .drop_duplicates("model", keep="last").reset_index(drop=True))
    extra = [c for c in models.columns if c not in MODEL_COLUMNS and c != "_part"]
    out = models.reindex(columns=MODEL_COLUMNS).astype(object).where(models.notna(), None)
    out["metadata"] = (
        [json.dumps({k: v for k, v in rec.items() if pd.notna(v)}, default=str)
         for rec in models[extra].to_dict("records")]
        if extra else None
    )
    out["first_part"] = first_part.loc[models["model"]].to_numpy()
    return out


@dataclass(frozen=True)
class Pending:
    """A parsed snapshot waiting to be written."""

    snapshot: Snapshot
    batch: ParsedBatch
    started_at: datetime

    @property
    def rows(self) -> int:
        return len(self.batch.observations)


def ingest(
    con: duckdb.DuckDBPyConnection,
    source: str,
    snapshot: Snapshot,
    batch: ParsedBatch,
    started_at: datetime,
) -> IngestResult:
    """Write one parsed snapshot: new values, revisions, models, and its fetch row."""
    return ingest_many(con, source, [Pending(snapshot, batch, started_at)])[0]


def ingest_many(
    con: duckdb.DuckDBPyConnection, source: str, pending: list[Pending], full: bool = False,
    max_withdrawn_share: float = 1.0,
) -> list[IngestResult]:
    """Write a run of parsed snapshots, oldest first, in one transaction.

    The same rows as writing them one by one (``storage.revisions`` walks the
    chain), at the cost of a handful of statements rather than a handful per
    snapshot: a replay of 131 LMArena snapshots is one write, not 131.
    ``full``: the source's snapshots are whole states, so what one no longer lists is
    withdrawn (``revisions.chain``); one that would withdraw more than ``max_withdrawn_share``
    raises ``revisions.MassWithdrawal`` before anything is written.
    """
    if not pending:
        return []
    recorded_at = utcnow()
    parts = [p.batch.observations[["model", "benchmark", "value", "observed_at"]] for p in pending]
    models = _models_frame(pd.concat(
        [p.batch.models.assign(_part=k) for k, p in enumerate(pending)], ignore_index=True))
    with transaction(con):
        open_rows = con.execute(
            "SELECT observation_id, model, benchmark, value, valid_from FROM observations "
            "WHERE source = ? AND valid_to IS NULL",
            [source],
        ).df()
        walked = revisions.chain(open_rows, parts, [p.snapshot.observed_at for p in pending],
                                 full, max_withdrawn_share,
                                 [p.batch.withdrawn[["model", "benchmark"]] for p in pending])
        fetch_ids = np.array(record_fetches(con, [
            fetch_row(source, p.snapshot.mode, "ok", p.started_at, p.snapshot, warnings=p.batch.warnings,
                      counts=(p.rows, int(walked.added[k]), int(walked.revised[k])),
                      withdrawn=int(walked.withdrawn[k]))
            for k, p in enumerate(pending)
        ]), dtype=np.int64)
        new_rows = walked.rows.assign(
            fetch_id=fetch_ids[walked.rows["part"].to_numpy()],
            revised_by=_fetch_or_null(fetch_ids, walked.rows["revised_by"]),
            closed_reason=_reasons(walked.rows["withdrawn"]).where(walked.rows["revised_by"] >= 0, None),
        )
        closed = walked.closed.assign(revised_by=fetch_ids[walked.closed["revised_by"].to_numpy()],
                                      closed_reason=_reasons(walked.closed["withdrawn"]))
        con.register("new_rows_df", new_rows)
        con.register("closed_df", closed)
        con.register("models_df", models.assign(
            first_seen=[pending[k].snapshot.observed_at for k in models["first_part"]],
            fetch_id=fetch_ids[models["first_part"].to_numpy()],
        ))
        # Close the stored rows the run revises; a closed row's valid_to is
        # its successor's valid_from.
        con.execute(
            """
            UPDATE observations o SET valid_to = c.valid_to, revised_by = c.revised_by,
                                      closed_reason = c.closed_reason
            FROM closed_df c WHERE o.observation_id = c.observation_id
            """
        )
        con.execute(
            """
            INSERT INTO observations (source, model, benchmark, value, valid_from, valid_to,
                                      fetch_id, revised_by, recorded_at, closed_reason)
            SELECT ?, model, benchmark, value, valid_from, valid_to, fetch_id, revised_by, ?, closed_reason
            FROM new_rows_df
            """,
            [source, recorded_at],
        )
        con.execute(
            """
            INSERT INTO models
            SELECT ?, m.model, m.model_type, coalesce(m.model_set, 'all'), m.display_name,
                   m.metadata, m.first_seen, m.fetch_id FROM models_df m
            ON CONFLICT (source, model) DO UPDATE SET
                model_type = excluded.model_type, model_set = excluded.model_set,
                display_name = excluded.display_name, metadata = excluded.metadata
            """,
            [source],
        )
        for name in ("new_rows_df", "closed_df", "models_df"):
            con.unregister(name)
        _save_declared(con, source, pending, fetch_ids)
        for k, p in enumerate(pending):
            if p.batch.provenance:
                eee.save_provenance(con, p.batch.provenance, int(fetch_ids[k]))
    return [
        IngestResult(int(fetch_ids[k]), p.rows, int(walked.added[k]), int(walked.revised[k]),
                     int(walked.withdrawn[k]), p.batch.warnings)
        for k, p in enumerate(pending)
    ]


def _reasons(withdrawn: pd.Series) -> pd.Series:
    """Why each closed row was closed: ``withdrawn`` (no successor) or ``revised``."""
    return pd.Series(np.where(withdrawn.to_numpy(dtype=bool), "withdrawn", "revised"), index=withdrawn.index,
                     dtype=object)


def _fetch_or_null(fetch_ids: np.ndarray, parts: pd.Series) -> pd.Series:
    """Snapshot positions to fetch ids, -1 (not revised) to NULL."""
    positions = parts.to_numpy()
    return pd.Series(fetch_ids[np.maximum(positions, 0)], dtype="Int64").where(positions >= 0)


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
            SELECT source, count(*) AS observations,
                   count(valid_to) FILTER (closed_reason IS DISTINCT FROM 'withdrawn') AS revisions,
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


def unmapped_benchmarks(con: duckdb.DuckDBPyConnection, source: str | None = None) -> pd.DataFrame:
    """Benchmarks stored that no registry row maps: counted as ``other`` (never safety) until a
    reviewer maps them. One row per (source, benchmark) with how many models and values it has."""
    clause, params = where({"o.source": source}, ['b."column" IS NULL', "o.valid_to IS NULL"])
    return con.execute(
        f"""
        SELECT o.source, o.benchmark, 'other' AS category, count(DISTINCT o.model) AS models,
               count(*) AS observations, max(o.valid_from) AS latest
        FROM observations o
        LEFT JOIN benchmarks b ON b.source = o.source AND b."column" = o.benchmark
        {clause}
        GROUP BY o.source, o.benchmark ORDER BY o.source, o.benchmark
        """,
        params,
    ).df()
