"""Alert state, history and delivery log: every SQL statement of the alert lifecycle.

``alerts`` holds one row per key (its current state, and what an operator did
to it: acknowledged, silenced); ``alert_events`` one row per transition with
the numbers that caused it and its disposition (backfill, notify, silenced);
``notifications`` one row per delivery attempt to one channel. Channels are
stored by redacted label and hash only (``benchwatch.alerting.notify``).

``ack_alert`` and ``silence_alert`` are the operator's two verbs; the CLI and
the dashboard both call them on a writer connection (through
``storage.writer.writer_door``), which publishes.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import date, datetime, timedelta

import duckdb
import pandas as pd

from benchwatch.storage.alert_records import (
    NOTIFY,
    ChannelRef,
    Delivery,
    Horizon,
    Stored,
    Transition,
)
from benchwatch.storage.db import transaction, utcnow, where


class AlertNotFound(KeyError):
    """No alert has this key."""


# --- inputs of the rules ---------------------------------------------------------------

def revision_stats(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Per (revising fetch, benchmark): values revised, models, and values known just before it.
    A withdrawal (a full snapshot no longer listing a value) is not a revision."""
    return con.execute(
        """
        WITH rev AS (
            SELECT revised_by AS fetch_id, source, benchmark, count(*) AS revised,
                   count(DISTINCT model) AS models
            FROM observations WHERE revised_by IS NOT NULL AND closed_reason IS DISTINCT FROM 'withdrawn'
            GROUP BY ALL)
        SELECT r.fetch_id, r.benchmark, r.revised, r.models,
               (SELECT count(*) FROM observations b
                WHERE b.source = r.source AND b.benchmark = r.benchmark AND b.fetch_id < r.fetch_id
                  AND (b.revised_by IS NULL OR b.revised_by >= r.fetch_id)) AS base
        FROM rev r ORDER BY r.fetch_id, r.benchmark
        """
    ).df()


def channel_rounds(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Per channel and delivery round: whether every attempt failed, and the last error."""
    return con.execute(
        """
        SELECT channel_id, any_value(channel) AS channel, round_id, max(attempted_at) AS attempted_at,
               bool_and(status = 'failed') AS failed, max(error) AS error
        FROM notifications WHERE kind <> 'test'
        GROUP BY channel_id, round_id ORDER BY channel_id, round_id
        """
    ).df()


# --- the lifecycle's memory ------------------------------------------------------------

def stored_states(con: duckdb.DuckDBPyConnection) -> dict[str, Stored]:
    """Each key's current state and the data time of its last firing/resolved transition."""
    rows = con.execute(
        """
        SELECT a.alert_key, a.state, a.rule, a.source, max(e.data_time), coalesce(max(e.fetch_id), 0),
               coalesce(max(e.round_id), 0)
        FROM alerts a
        LEFT JOIN alert_events e ON e.alert_key = a.alert_key AND e.state IN ('firing', 'resolved')
        GROUP BY ALL
        """
    ).fetchall()
    return {key: Stored(state, last_time or date.min, rule, source, int(last_fetch), int(last_round))
            for key, state, rule, source, last_time, last_fetch, last_round in rows}


def previous_horizon(con: duckdb.DuckDBPyConnection) -> Horizon | None:
    """What the last evaluation had seen, or None before the first (which is a backfill)."""
    row = con.execute(
        "SELECT eval_id, last_fetch_id FROM alert_evaluations ORDER BY eval_id DESC LIMIT 1"
    ).fetchone()
    if row is None:
        return None
    horizons = con.execute(
        "SELECT source, data_horizon FROM alert_horizons WHERE eval_id = ?", [row[0]]
    ).fetchall()
    return Horizon(int(row[1]), dict(horizons))


def watched_sources(con: duckdb.DuckDBPyConnection) -> tuple[list[str], int]:
    """Sources fetched at least once, and the newest fetch id."""
    sources = [r[0] for r in con.execute("SELECT DISTINCT source FROM fetches ORDER BY 1").fetchall()]
    last = con.execute("SELECT coalesce(max(fetch_id), 0) FROM fetches").fetchone()[0]
    return sources, int(last)


def silenced_keys(con: duckdb.DuckDBPyConnection, now: datetime) -> set[str]:
    rows = con.execute("SELECT alert_key FROM alerts WHERE silenced_until > ?", [now]).fetchall()
    return {r[0] for r in rows}


def record_evaluation(
    con: duckdb.DuckDBPyConnection, run_id: int | None, horizon: Horizon,
    transitions: list[Transition],
) -> int:
    """Record one evaluation and its transitions in one transaction; returns the evaluation id."""
    now = utcnow()
    with transaction(con):
        eval_id = con.execute(
            "INSERT INTO alert_evaluations (run_id, evaluated_at, last_fetch_id, transitions, notified) "
            "VALUES (?, ?, ?, ?, ?) RETURNING eval_id",
            [run_id, now, horizon.last_fetch_id, len(transitions),
             sum(t.disposition == NOTIFY for t in transitions)],
        ).fetchone()[0]
        for source, data_horizon in horizon.data_horizons.items():
            con.execute("INSERT INTO alert_horizons VALUES (?, ?, ?)", [eval_id, source, data_horizon])
        _record(con, transitions, run_id, eval_id, now)
    return int(eval_id)


def record_transitions(
    con: duckdb.DuckDBPyConnection, transitions: Iterable[Transition], run_id: int | None
) -> list[Transition]:
    """Record transitions outside an evaluation (the channel-failing rule after a delivery round)."""
    transitions = list(transitions)
    with transaction(con):
        _record(con, transitions, run_id, None, utcnow())
    return transitions


def _record(
    con: duckdb.DuckDBPyConnection, transitions: list[Transition], run_id: int | None,
    eval_id: int | None, now: datetime,
) -> None:
    for t in sorted(transitions, key=lambda t: (t.data_time, t.key)):
        details = json.dumps(t.details, default=str) if t.details is not None else None
        event_id = con.execute(
            """
            INSERT INTO alert_events (alert_key, state, data_time, recorded_at, value, run_id, rule, severity,
                                      threshold, ci_low, ci_high, n, message, details, fetch_id, round_id,
                                      disposition, eval_id)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING event_id
            """,
            [t.key, t.state, t.data_time, now, t.value, run_id, t.rule, t.severity, t.threshold, t.ci_low,
             t.ci_high, t.n, t.message, details, t.fetch_id, t.round_id, t.disposition or "backfill", eval_id],
        ).fetchone()[0]
        if t.state == "firing":
            con.execute(
                """
                INSERT INTO alerts (alert_key, rule, source, benchmark, axis, model_set, state, severity,
                                    fired_at, raised_at, resolved_at, value, threshold, ci_low, ci_high,
                                    n, message, run_id, details, last_event_id)
                VALUES (?, ?, ?, ?, ?, ?, 'firing', ?, ?, ?, NULL, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT (alert_key) DO UPDATE SET
                    state = 'firing', severity = excluded.severity, fired_at = excluded.fired_at,
                    raised_at = excluded.raised_at, resolved_at = NULL, value = excluded.value,
                    threshold = excluded.threshold, ci_low = excluded.ci_low,
                    ci_high = excluded.ci_high, n = excluded.n, message = excluded.message,
                    run_id = excluded.run_id, details = excluded.details,
                    last_event_id = excluded.last_event_id, acked_at = NULL, acked_by = NULL
                """,
                [t.key, t.rule, t.source, t.benchmark, t.axis, t.model_set, t.severity, t.data_time, now,
                 t.value, t.threshold, t.ci_low, t.ci_high, t.n, t.message, run_id, details, event_id],
            )
        else:
            con.execute(
                "UPDATE alerts SET state = 'resolved', resolved_at = ?, value = coalesce(?, value), "
                "ci_low = coalesce(?, ci_low), ci_high = coalesce(?, ci_high), n = coalesce(?, n), "
                "message = ?, run_id = ?, last_event_id = ? WHERE alert_key = ?",
                [t.data_time, t.value, t.ci_low, t.ci_high, t.n, t.message, run_id, event_id, t.key],
            )


# --- delivery --------------------------------------------------------------------------

def register_channels(con: duckdb.DuckDBPyConnection, channels: Iterable[ChannelRef]) -> None:
    """Remember configured channels; a new one only receives events recorded after it appeared."""
    last_event = con.execute("SELECT coalesce(max(event_id), 0) FROM alert_events").fetchone()[0]
    for channel in channels:
        con.execute(
            "INSERT INTO notify_channels VALUES (?, ?, ?, ?) ON CONFLICT (channel_id) DO UPDATE SET "
            "label = excluded.label",
            [channel.channel_id, channel.label, utcnow(), last_event],
        )


_MESSAGE_FIELDS = """
    e.event_id, e.alert_key AS key, e.rule, a.source, a.benchmark, a.axis, a.model_set, e.state,
    e.severity, e.data_time, a.fired_at, a.raised_at, e.value, e.threshold, e.ci_low, e.ci_high, e.n,
    e.message, e.details,
    (SELECT b.name FROM benchmarks b WHERE b.source = a.source AND b."column" = a.benchmark) AS benchmark_name
"""


def pending_deliveries(
    con: duckdb.DuckDBPyConnection, channel_ids: list[str], now: datetime
) -> pd.DataFrame:
    """(event, channel) pairs still to deliver: news not yet sent to that channel.

    Skipped: events recorded before the channel appeared, keys silenced now,
    firing events of an alert acknowledged since, and a channel-failing alert
    about the channel itself. Failed attempts stay pending: the next round retries.
    """
    if not channel_ids:
        return pd.DataFrame()
    return con.execute(
        f"""
        SELECT c.channel_id, e.state AS kind, {_MESSAGE_FIELDS}
        FROM alert_events e
        JOIN alerts a ON a.alert_key = e.alert_key
        JOIN notify_channels c ON c.channel_id IN (SELECT unnest(?::VARCHAR[]))
        WHERE e.disposition = 'notify' AND e.event_id > c.first_event_id
          AND NOT (coalesce(a.silenced_until > ?, false))
          AND NOT (e.state = 'firing' AND a.acked_at IS NOT NULL AND a.acked_at >= e.recorded_at)
          AND NOT (e.rule = 'channel-failing' AND a.benchmark = c.channel_id)
          AND NOT EXISTS (SELECT 1 FROM notifications n
                          WHERE n.event_id = e.event_id AND n.channel_id = c.channel_id
                            AND n.status = 'sent' AND n.kind IN ('firing', 'resolved'))
        ORDER BY c.channel_id, e.event_id
        """,
        [channel_ids, now],
    ).df()


def renotify_due(
    con: duckdb.DuckDBPyConnection, channel_ids: list[str], hours: float, now: datetime
) -> pd.DataFrame:
    """Firing alerts whose last message to a channel is older than ``hours``: reminders.

    Only alerts that were told at least once (not backfill), not acknowledged
    and not silenced.
    """
    if not channel_ids:
        return pd.DataFrame()
    return con.execute(
        f"""
        SELECT n.channel_id, 'renotify' AS kind, {_MESSAGE_FIELDS}
        FROM alerts a
        JOIN alert_events e ON e.event_id = a.last_event_id
        JOIN notifications n ON n.event_id = e.event_id AND n.status = 'sent'
             AND n.kind IN ('firing', 'renotify')
        WHERE a.state = 'firing' AND a.acked_at IS NULL AND NOT (coalesce(a.silenced_until > ?, false))
          AND n.channel_id IN (SELECT unnest(?::VARCHAR[]))
        GROUP BY ALL
        HAVING max(n.attempted_at) < ?
        ORDER BY n.channel_id, e.event_id
        """,
        [now, channel_ids, now - timedelta(hours=hours)],
    ).df()


def next_round(con: duckdb.DuckDBPyConnection) -> int:
    return int(con.execute("SELECT nextval('notify_round_id_seq')").fetchone()[0])


def record_attempts(
    con: duckdb.DuckDBPyConnection, round_id: int, rows: list[dict], delivery: Delivery,
    run_id: int | None,
) -> None:
    """One attempt row per event the message carried (a digest carries several)."""
    now = utcnow()
    with transaction(con):
        for row in rows or [{"event_id": None, "key": None, "kind": "test"}]:
            con.execute(
                """
                INSERT INTO notifications (round_id, event_id, alert_key, channel_id, channel, kind,
                                           attempted_at, status, error, batch_size, run_id)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """,
                [round_id, row["event_id"], row["key"], delivery.channel_id, delivery.channel, row["kind"],
                 now, "sent" if delivery.ok else "failed", delivery.error, max(len(rows), 1), run_id],
            )


def notifications(con: duckdb.DuckDBPyConnection, key: str | None = None) -> pd.DataFrame:
    """The delivery log, newest first (redacted channel labels only)."""
    clause, params = where({"alert_key": key})
    return con.execute(
        f"SELECT notification_id, round_id, event_id, alert_key AS key, channel, kind, attempted_at, status, "
        f"error, batch_size FROM notifications {clause} ORDER BY notification_id DESC",
        params,
    ).df()


# --- the operator's verbs --------------------------------------------------------------

def _require(con: duckdb.DuckDBPyConnection, key: str) -> tuple[str, str | None]:
    row = con.execute("SELECT state, rule FROM alerts WHERE alert_key = ?", [key]).fetchone()
    if row is None:
        raise AlertNotFound(key)
    return row[0], row[1]


def ack_alert(con: duckdb.DuckDBPyConnection, key: str, by: str | None = None) -> dict:
    """Acknowledge a firing alert: no reminders, no retries of its firing message.

    Cleared when the alert fires again, so a new firing is told. Its
    resolution is still told. Raises ``AlertNotFound``, or ``ValueError`` when
    the alert is not firing.
    """
    state, _ = _require(con, key)
    if state != "firing":
        raise ValueError(f"alert {key!r} is {state}, not firing: nothing to acknowledge")
    now = utcnow()
    with transaction(con):
        con.execute("UPDATE alerts SET acked_at = ?, acked_by = ? WHERE alert_key = ?", [now, by, key])
        con.execute(
            "INSERT INTO alert_events (alert_key, state, data_time, recorded_at, message, disposition) "
            "VALUES (?, 'acknowledged', NULL, ?, ?, 'backfill')",
            [key, now, f"acknowledged{f' by {by}' if by else ''}"],
        )
    return get_alert(con, key)


def silence_alert(con: duckdb.DuckDBPyConnection, key: str, until: date | datetime) -> dict:
    """Send nothing about ``key`` until ``until`` (a date means through the end of that day, UTC).

    Transitions are still recorded (disposition ``silenced``); they are not
    sent later. A past ``until`` lifts the silence. Raises ``AlertNotFound``.
    """
    _require(con, key)
    if not isinstance(until, datetime):
        until = datetime.combine(until + timedelta(days=1), datetime.min.time())
    now = utcnow()
    with transaction(con):
        con.execute("UPDATE alerts SET silenced_until = ? WHERE alert_key = ?", [until, key])
        con.execute(
            "INSERT INTO alert_events (alert_key, state, data_time, recorded_at, message, disposition) "
            "VALUES (?, 'silenced', NULL, ?, ?, 'backfill')",
            [key, now, f"silenced until {until:%Y-%m-%d %H:%M} UTC"],
        )
    return get_alert(con, key)


# --- reading ---------------------------------------------------------------------------

_LIST_SQL = """
    WITH last_sent AS (
        SELECT event_id, max(attempted_at) FILTER (status = 'sent') AS notified,
               bool_or(status = 'sent') AS any_sent, bool_or(status = 'failed') AS any_failed
        FROM notifications WHERE event_id IS NOT NULL GROUP BY event_id)
    SELECT a.alert_key, a.rule, a.source, a.benchmark, a.model_set, a.axis, a.severity, a.state,
           a.fired_at, a.raised_at, a.resolved_at, a.value, a.threshold, a.ci_low, a.ci_high, a.n,
           a.message, a.details, a.acked_at, a.silenced_until, s.notified, b.name AS benchmark_name,
           CASE WHEN e.disposition <> 'notify' THEN e.disposition
                WHEN s.any_sent THEN 'sent'
                WHEN s.any_failed THEN 'failed'
                WHEN NOT EXISTS (SELECT 1 FROM notify_channels c WHERE c.first_event_id < e.event_id)
                    THEN 'no-channels'
                ELSE 'pending' END AS delivery
    FROM alerts a
    LEFT JOIN alert_events e ON e.event_id = a.last_event_id
    LEFT JOIN last_sent s ON s.event_id = a.last_event_id
    LEFT JOIN benchmarks b ON b.source = a.source AND b."column" = a.benchmark
"""


def list_alerts(con: duckdb.DuckDBPyConnection, state: str = "all") -> pd.DataFrame:
    """Alerts, firing first, newest first; ``notified`` is when the current state was last delivered.

    ``delivery`` says what became of the current state's message: sent, failed
    (retried next run), pending, backfill (history, never sent), silenced, or
    no-channels.
    """
    clause, params = where({"a.state": None if state == "all" else state})
    return con.execute(
        f"{_LIST_SQL} {clause} ORDER BY a.state = 'firing' DESC, a.fired_at DESC NULLS LAST, "
        "a.value DESC NULLS LAST, a.alert_key",
        params,
    ).df()


def get_alert(con: duckdb.DuckDBPyConnection, key: str) -> dict:
    frame = con.execute(f"{_LIST_SQL} WHERE a.alert_key = ?", [key]).df()
    if frame.empty:
        raise AlertNotFound(key)
    return frame.iloc[0].to_dict()


def alert_history(con: duckdb.DuckDBPyConnection, key: str | None = None) -> pd.DataFrame:
    """Transitions (and acknowledgements, silences) in order, with their numbers and disposition."""
    clause, params = where({"alert_key": key})
    return con.execute(
        f"SELECT event_id, alert_key AS key, rule, state, data_time, recorded_at, value, threshold, ci_low, "
        f"ci_high, n, severity, disposition, message FROM alert_events {clause} ORDER BY event_id",
        params,
    ).df()
