"""Alert state and history: one row per alert key, one event per transition."""

from __future__ import annotations

from collections.abc import Iterable

import duckdb
import pandas as pd

from alerts.rules import Transition
from storage.db import transaction, utcnow

ALERT_COLUMNS = ["alert_key", "rule", "source", "benchmark", "model_set", "axis", "severity", "state",
                 "fired_at", "raised_at", "resolved_at", "value", "threshold", "ci_low", "ci_high", "n",
                 "message"]


def record_transitions(
    con: duckdb.DuckDBPyConnection, transitions: Iterable[Transition], run_id: int | None
) -> list[Transition]:
    """Apply transitions not recorded before (by key, state and data time); return those."""
    new = []
    now = utcnow()
    with transaction(con):
        for t in sorted(transitions, key=lambda t: (t.data_time, t.key)):
            seen = con.execute(
                "SELECT count(*) FROM alert_events WHERE alert_key = ? AND state = ? AND data_time = ?",
                [t.key, t.state, t.data_time],
            ).fetchone()[0]
            if seen:
                continue
            new.append(t)
            con.execute(
                "INSERT INTO alert_events (alert_key, state, data_time, recorded_at, value, run_id) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                [t.key, t.state, t.data_time, now, t.value, run_id],
            )
            if t.state == "firing":
                con.execute(
                    """
                    INSERT INTO alerts (alert_key, rule, source, benchmark, axis, model_set, state, severity,
                                        fired_at, raised_at, resolved_at, value, threshold, ci_low, ci_high,
                                        n, message, run_id)
                    VALUES (?, ?, ?, ?, ?, ?, 'firing', ?, ?, ?, NULL, ?, ?, ?, ?, ?, ?, ?)
                    ON CONFLICT (alert_key) DO UPDATE SET
                        state = 'firing', severity = excluded.severity, fired_at = excluded.fired_at,
                        raised_at = excluded.raised_at, resolved_at = NULL, value = excluded.value,
                        threshold = excluded.threshold, ci_low = excluded.ci_low,
                        ci_high = excluded.ci_high, n = excluded.n, message = excluded.message,
                        run_id = excluded.run_id
                    """,
                    [t.key, t.rule, t.source, t.benchmark, t.axis, t.model_set, t.severity,
                     t.data_time, now, t.value, t.threshold, t.ci_low, t.ci_high, t.n, t.message, run_id],
                )
            else:
                con.execute(
                    "UPDATE alerts SET state = 'resolved', resolved_at = ?, value = ?, message = ?, "
                    "run_id = ? WHERE alert_key = ?",
                    [t.data_time, t.value, t.message, run_id, t.key],
                )
    return new


def list_alerts(con: duckdb.DuckDBPyConnection, state: str = "all") -> pd.DataFrame:
    where = "" if state == "all" else "WHERE state = ?"
    params = [] if state == "all" else [state]
    return con.execute(
        f"SELECT {', '.join(ALERT_COLUMNS)} FROM alerts {where} "
        "ORDER BY state = 'firing' DESC, value DESC NULLS LAST, alert_key",
        params,
    ).df()
