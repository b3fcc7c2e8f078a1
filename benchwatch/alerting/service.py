"""Evaluating the rules against the database, and delivering what is news.

The two plain steps ``benchwatch.pipeline`` exposes to the flow (and tests):
``evaluate`` walks every rule over the whole history, records the changes
with their disposition (``alerts.lifecycle``), and remembers the data horizon;
``deliver`` sends what is pending to every configured channel, records each
attempt, retries earlier failures, and raises ``channel-failing`` for a
channel that keeps failing. Neither ever raises because a channel is down.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date

import duckdb
import pandas as pd

from benchwatch.alerting import findings, lifecycle, messages, notify
from benchwatch.alerting.rules import (
    CAPABILITY_TRACKING,
    CHANNEL_FAILING,
    DRIFT,
    SCHEMA_CHANGED,
    SCORES_REVISED,
    SOURCE_FAILING,
    Transition,
    capability_tracking,
    channel_failing,
    drift,
    fetch_data_time,
    schema_changed,
    scores_revised,
    source_failing,
)
from benchwatch.settings import Settings
from benchwatch.storage import alerts as store
from benchwatch.storage import findings as finding_store
from benchwatch.storage import results as result_store
from benchwatch.storage import views
from benchwatch.storage.db import utcnow
from benchwatch.upstreams import UPSTREAMS

Progress = Callable[[str], None]


@dataclass
class DeliveryReport:
    """One delivery step: every message attempt, and the channel-failing changes it caused."""

    attempts: list[notify.Delivery] = field(default_factory=list)
    events_sent: int = 0
    events_failed: int = 0
    transitions: list[Transition] = field(default_factory=list)


def _correlation_rules(history: pd.DataFrame, settings: Settings) -> list[Transition]:
    """capability-tracking and drift over a correlation history."""
    return (capability_tracking(history, settings.capability_threshold, settings.hysteresis, settings.min_models,
                                settings.alert_fdr)
            + drift(history, settings.drift_threshold, settings.drift_window_days, settings.drift_min_models,
                    settings.hysteresis, settings.alert_fdr))


def frozen_sources() -> dict[str, str]:
    """Sources whose data no longer changes (their liveness declaration), with why."""
    return {name: facts.liveness.why for name, facts in UPSTREAMS.items() if facts.liveness.frozen}


def _walk(
    con: duckdb.DuckDBPyConnection, settings: Settings,
) -> tuple[list[Transition], list[str], dict[str, date], dict[str, date], pd.DataFrame]:
    """Every rule over the whole history.

    Returns the transitions, the rules evaluated, the latest data time per
    source (correlations and fetches), the latest as-of date per source, and
    the findings (the correlation rules on frozen sources, ``alerting.findings``).
    """
    history = result_store.correlations(con, as_of="all")
    fetches = views.fetch_log(con, newest_first=False)
    walked: list[Transition] = []
    rules = [SOURCE_FAILING, SCHEMA_CHANGED, SCORES_REVISED]
    asof_latest: dict[str, date] = {}
    found = pd.DataFrame(columns=findings.COLUMNS)
    if not history.empty:
        history["as_of"] = pd.to_datetime(history["as_of"]).dt.date
        frozen = frozen_sources()
        live, still = findings.split(history, frozen)
        walked += _correlation_rules(live, settings)
        found = findings.from_transitions(_correlation_rules(still, settings), still, frozen, settings.alert_fdr)
        rules += [CAPABILITY_TRACKING, DRIFT]
        asof_latest = history.groupby("source")["as_of"].max().to_dict()
    walked += source_failing(fetches, settings.source_failing_after)
    walked += schema_changed(fetches)
    walked += scores_revised(fetches, store.revision_stats(con), settings.revised_min_share,
                             settings.min_models, settings.revised_ignore_sources)
    latest = dict(asof_latest)
    for row in fetches.itertuples(index=False):
        when = fetch_data_time(row)
        latest[row.source] = max(latest.get(row.source, when), when)
    return walked, rules, latest, asof_latest, found


def evaluate(con: duckdb.DuckDBPyConnection, settings: Settings, run_id: int | None) -> list[Transition]:
    """Walk the rules, record what changed (stamped backfill / notify / silenced); return it.

    The correlation rules' results on frozen sources replace the stored findings.
    """
    store.register_channels(con, notify.channels(settings.notify_urls))
    walked, rules, latest, asof_latest, found = _walk(con, settings)
    finding_store.replace_findings(con, found, run_id)
    sources, last_fetch = store.watched_sources(con)
    horizon = lifecycle.Horizon(last_fetch, {s: asof_latest.get(s) for s in sources})
    now = utcnow()
    changed = lifecycle.changes(walked, store.stored_states(con), rules, latest, now.date())
    decided = lifecycle.decide(changed, store.previous_horizon(con), store.silenced_keys(con, now))
    store.record_evaluation(con, run_id, horizon, decided)
    return decided


def _records(frame: pd.DataFrame) -> list[dict]:
    """Rows as dicts with missing values as None (NaN is truthy, None is not)."""
    return [{k: (None if not isinstance(v, (str, list, dict)) and pd.isna(v) else v) for k, v in row.items()}
            for row in frame.to_dict("records")]


def _messages(rows: list[dict], settings: Settings) -> list[tuple[list[dict], str, str, str]]:
    """(rows carried, title, body, kind) per message: one per benchmark (its axes and model sets
    together, ``messages.grouped``) or one alert, or one digest when there are many."""
    groups = messages.grouped(rows)
    if len(groups) > messages.DIGEST_AFTER:
        head, text = messages.digest(rows, settings.dashboard_url)
        kind = "firing" if any(r["kind"] != "resolved" for r in rows) else "resolved"
        return [(rows, head, text, kind)]
    out = []
    for group in groups:
        head, text = messages.group_message(group, settings.dashboard_url, settings.ci_level)
        kind = "firing" if any(r["kind"] != "resolved" for r in group) else "resolved"
        out.append((group, head, text, group[0]["kind"] if len(group) == 1 else kind))
    return out


def _round(
    con: duckdb.DuckDBPyConnection, settings: Settings, chans: list[notify.Channel], round_id: int,
    run_id: int | None, report: DeliveryReport, progress: Progress, only_rule: str | None = None,
) -> None:
    now = utcnow()
    ids = [c.channel_id for c in chans]
    pending = store.pending_deliveries(con, ids, now)
    if settings.renotify_hours and only_rule is None:
        pending = pd.concat([pending, store.renotify_due(con, ids, settings.renotify_hours, now)],
                            ignore_index=True)
    if pending.empty:
        return
    if only_rule is not None:
        pending = pending[pending["rule"] == only_rule]
    for channel in chans:
        rows = _records(pending[pending["channel_id"] == channel.channel_id])
        for carried, head, text, kind in _messages(rows, settings):
            delivery = notify.send(channel, head, text, kind)
            store.record_attempts(con, round_id, carried, delivery, run_id)
            report.attempts.append(delivery)
            if delivery.ok:
                report.events_sent += len(carried)
            else:
                report.events_failed += len(carried)
                progress(f"notify: {channel.label} failed ({len(carried)} message(s)); "
                         f"retried next run: {delivery.error}")
        if rows:
            progress(f"notify: {channel.label}: {len(rows)} alert change(s)")


def deliver(
    con: duckdb.DuckDBPyConnection, settings: Settings, run_id: int | None,
    progress: Progress = lambda _: None,
) -> DeliveryReport:
    """Send everything pending to every channel, then judge the channels themselves.

    A failed attempt is recorded and stays pending for the next run; the flow
    goes on. A channel whose rounds failed ``notify_failing_after`` times in a
    row fires ``channel-failing``, told at once through the other channels.
    """
    report = DeliveryReport()
    chans = notify.channels(settings.notify_urls)
    if not chans:
        return report
    store.register_channels(con, chans)
    round_id = store.next_round(con)
    _round(con, settings, chans, round_id, run_id, report, progress)
    configured = {c.channel_id for c in chans}
    rounds = store.channel_rounds(con)
    walked = channel_failing(rounds[rounds["channel_id"].isin(configured)], settings.notify_failing_after)
    stored = {k: s for k, s in store.stored_states(con).items() if s.rule == CHANNEL_FAILING}
    today = utcnow().date()
    changed = lifecycle.changes(walked, stored, [CHANNEL_FAILING], {}, today)
    if changed:
        decided = lifecycle.decide(changed, None, store.silenced_keys(con, utcnow()))
        report.transitions = store.record_transitions(con, decided, run_id)
        _round(con, settings, chans, round_id, run_id, report, progress, only_rule=CHANNEL_FAILING)
    return report


def test_notify(settings: Settings, con: duckdb.DuckDBPyConnection | None = None) -> list[notify.Delivery]:
    """A test message to every configured channel; each result (recorded when ``con`` is given)."""
    chans = notify.channels(settings.notify_urls)
    head, text = messages.test_message(settings.dashboard_url)
    results = [notify.send(channel, head, text, "test") for channel in chans]
    if con is not None and results:
        store.register_channels(con, chans)
        round_id = store.next_round(con)
        for delivery in results:
            store.record_attempts(con, round_id, [], delivery, None)
    return results
