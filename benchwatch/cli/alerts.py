"""``benchwatch alerts``: list alerts, acknowledge, silence, see history, test the channels.

Listing reads the database read-only. ``ack``, ``silence`` and ``test-notify``
write through the writer door (``storage.writer``: the same storage functions
the dashboard calls), which republishes the read-only copy so readers see the
change at once.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from enum import Enum
from typing import Annotated

import duckdb
import pandas as pd
import typer

from benchwatch import numbers
from benchwatch.alerting.messages import dashboard_link, describe, shown_numbers
from benchwatch.alerting.service import test_notify as send_tests
from benchwatch.cli.app import DbOption, app, err, fail, out, parse_date, read_db, settings_or_exit
from benchwatch.cli.table import Format, FormatOption, WideOption, emit
from benchwatch.settings import Settings
from benchwatch.storage.alerts import AlertNotFound, ack_alert, alert_history, list_alerts, silence_alert
from benchwatch.storage.db import StorageError, utcnow
from benchwatch.storage.writer import writer_door

alerts_app = typer.Typer(invoke_without_command=True, help="Alerts raised by the rules.")
app.add_typer(alerts_app, name="alerts")

JSON_COLUMNS = ["key", "rule", "what", "source", "benchmark", "name", "model_set", "axis", "severity", "state",
                "fired_at", "raised_at", "resolved_at", "value", "threshold", "measured", "measured_threshold",
                "unit", "ci_low", "ci_high", "n", "notified", "delivery", "acked_at", "silenced_until", "message",
                "details", "link"]


class State(str, Enum):
    firing = "firing"
    resolved = "resolved"
    all = "all"


@contextmanager
def _writer(settings: Settings) -> Iterator[duckdb.DuckDBPyConnection]:
    """A writer connection through the writer door; the read-only copy is republished on success."""
    if not settings.db.exists():
        err.print(f"database {settings.db} does not exist yet: run `benchwatch refresh` first", markup=False)
        raise typer.Exit(1)
    try:
        with writer_door(settings.db, settings.writer_wait_seconds) as door:
            yield door.con
    except StorageError as exc:
        err.print(str(exc), markup=False)
        raise typer.Exit(1) from None


def _operate(settings: Settings, verb: Callable[..., dict], key: str, *args: object) -> dict:
    """One of the operator's verbs on an alert, through the writer door; an unknown key or a verb
    that does not apply (acknowledging a resolved alert) is one message, exit 1."""
    with _writer(settings) as con:
        try:
            return verb(con, key, *args)
        except (AlertNotFound, ValueError) as exc:
            err.print(f"no alert with key {key!r}" if isinstance(exc, AlertNotFound) else str(exc), markup=False)
            raise typer.Exit(1) from None


def _frame(con: duckdb.DuckDBPyConnection, state: str, settings: Settings) -> pd.DataFrame:
    frame = list_alerts(con, state).rename(columns={"alert_key": "key", "benchmark_name": "name"})
    frame["details"] = frame["details"].map(lambda d: json.loads(d) if isinstance(d, str) else None)
    records = frame.to_dict("records")
    frame["link"] = [dashboard_link(settings.dashboard_url, row) for row in records]
    frame["what"] = [describe(row) for row in records]
    shown = [shown_numbers(row) for row in records]
    frame["measured"] = [v for v, _, _ in shown]
    frame["measured_threshold"] = [t for _, t, _ in shown]
    frame["unit"] = [u for _, _, u in shown]
    for column in ("fired_at", "resolved_at"):
        frame[column] = pd.to_datetime(frame[column]).dt.strftime("%Y-%m-%d")
    return frame


@alerts_app.callback()
def alerts(
    ctx: typer.Context,
    state: Annotated[State, typer.Option("--state", help="firing, resolved or all.")] = State.all,
    fmt: FormatOption = Format.table,
    wide: WideOption = False,
    db: DbOption = None,
) -> None:
    """Alerts and their state (fired_at / resolved_at are data time; raised_at wall time).

    ``measured`` and ``measured_threshold`` are in one unit, named in ``unit``
    (the rho a capability-tracking alert fired at; the rise a drift alert
    measured; the share of values a rescoring revised). Tables show rho x100,
    as ``correlations`` does, shares as percentages. Findings on frozen data: ``benchwatch findings``.
    """
    if ctx.invoked_subcommand is not None:
        return
    settings = settings_or_exit(db=db)
    with read_db(settings) as con:
        frame = _frame(con, state.value, settings)
    if fmt is not Format.table:
        emit(frame[JSON_COLUMNS], fmt)
        return
    emit(_table(frame), fmt, wide=wide)


def _table(frame: pd.DataFrame) -> pd.DataFrame:
    """The people's view: what in words, the measured value against its threshold in one unit
    (rho x100 as in ``correlations``, shares as percentages: ``numbers.measured``), since when,
    and what became of its message."""
    value = [numbers.measured(v, t, u)
             for v, t, u in zip(frame["measured"], frame["measured_threshold"], frame["unit"], strict=True)]
    since = [r if s == "resolved" and isinstance(r, str) else f
             for s, f, r in zip(frame["state"], frame["fired_at"], frame["resolved_at"], strict=True)]
    return pd.DataFrame({"state": frame["state"], "severity": frame["severity"], "what": frame["what"],
                         "value": value, "since": since, "delivery": frame["delivery"]})


@alerts_app.command()
def ack(
    key: Annotated[str, typer.Argument(help="The alert key, as `benchwatch alerts --format json` shows it.")],
    by: Annotated[str | None, typer.Option("--by", help="Who acknowledges (recorded).")] = None,
    db: DbOption = None,
) -> None:
    """Acknowledge a firing alert: no reminders, no retries of its firing message."""
    row = _operate(settings_or_exit(db=db), ack_alert, key, by)
    out.print(f"acknowledged {key} at {row['acked_at']:%Y-%m-%d %H:%M} UTC", markup=False, highlight=False)


@alerts_app.command()
def silence(
    key: Annotated[str, typer.Argument(help="The alert key.")],
    until: Annotated[str, typer.Option("--until", help="Silence through the end of this date (UTC).")],
    db: DbOption = None,
) -> None:
    """Send nothing about an alert until a date; its changes are still recorded."""
    settings = settings_or_exit(db=db)
    day = parse_date(until, "--until")
    today = utcnow().date()
    if day < today:
        raise fail(f"--until: {day} is in the past (today is {today} UTC); a silence runs through the end "
                   "of a date from today on", 2)
    row = _operate(settings, silence_alert, key, day)
    out.print(f"silenced {key} through {day} (until {row['silenced_until']:%Y-%m-%d %H:%M} UTC)",
              markup=False, highlight=False)


@alerts_app.command()
def history(
    key: Annotated[str | None, typer.Argument(help="One alert's key (default: every alert).")] = None,
    fmt: FormatOption = Format.table,
    db: DbOption = None,
) -> None:
    """Every transition, acknowledgement and silence, with its numbers and disposition.

    Table: a correlation rule's value is rho x100, as in ``alerts`` and ``correlations``.
    """
    settings = settings_or_exit(db=db)
    with read_db(settings) as con:
        frame = alert_history(con, key)
    frame["data_time"] = pd.to_datetime(frame["data_time"]).dt.strftime("%Y-%m-%d")
    if fmt is Format.table:
        from benchwatch.dashboard.alert_table import CORRELATION_RULES

        is_rho = frame["rule"].isin(CORRELATION_RULES)
        frame = frame.assign(value=[numbers.rho(v) if r else numbers.number(v)
                                    for v, r in zip(frame["value"], is_rho, strict=True)])
        emit(frame[["event_id", "state", "data_time", "rule", "key", "value", "n", "disposition"]], fmt,
             title=f"Alert history (a correlation rule's value: {numbers.RHO_CAPTION})")
    else:
        emit(frame, fmt)


@alerts_app.command("test-notify")
def test_notify(db: DbOption = None) -> None:
    """Send a test message to every configured channel (BENCHWATCH_NOTIFY_URLS) and report each."""
    settings = settings_or_exit(db=db)
    if not settings.notify_urls:
        err.print("no notification channels configured: set BENCHWATCH_NOTIFY_URLS or notify_urls")
        raise typer.Exit(1)
    with _writer(settings) as con:
        results = send_tests(settings, con)
    frame = pd.DataFrame([{"channel": r.channel, "result": "sent" if r.ok else "failed",
                           "error": r.error or ""} for r in results])
    emit(frame, Format.table)
    if not all(r.ok for r in results):
        raise typer.Exit(1)
