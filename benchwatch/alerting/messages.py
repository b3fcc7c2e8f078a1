"""Notification texts: what fired, the numbers, since when, and where to look.

Pure: rows in, (title, body) out. A row is an alert event joined with its
alert (see ``storage.alerts.pending_deliveries``). Bodies are Markdown;
Apprise converts them for channels that want HTML (e-mail) or text.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from typing import Any
from urllib.parse import urlencode

import pandas as pd

from benchwatch.alerting.rules import (
    CAPABILITY_TRACKING,
    CHANNEL_FAILING,
    DRIFT,
    SCHEMA_CHANGED,
    SCORES_REVISED,
    SOURCE_FAILING,
)
from benchwatch import numbers
from benchwatch.analysis.cross import AXIS_LABELS

# Upstream strings in a message (benchmark keys, source names, messages quoting them) are
# data: shown at most this long, and made inert (``inert``).
MAX_TEXT = 300
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029]")
_MENTION = re.compile(r"@(?=\w)")
_MARKUP = str.maketrans({"<": "‹", ">": "›", "[": "⟦", "]": "⟧"})
# Row fields that can carry upstream strings.
UNTRUSTED = ("benchmark", "benchmark_name", "name", "source", "model_set", "axis", "message", "key")

# More pending messages than this for one channel in one round go out as one digest.
DIGEST_AFTER = 5
# A digest lists at most this many alerts; the rest are counted and left to the dashboard.
DIGEST_MAX_LINES = 250


def inert(text: object) -> str:
    """An upstream string as inert text in Slack, Discord, Markdown, HTML e-mail and JSON alike.

    ``<`` and ``>`` become ‹ › (no ``<!channel>``, ``<@U1>``, ``<b>``, ``<http://...|x>``), an
    ``@`` before a word gets a zero-width space (no ``@everyone``, ``@here``), Markdown's link
    brackets are replaced by look-alikes, control characters are shown as escapes, and anything
    past ``MAX_TEXT`` characters is cut with a count of what was cut.
    """
    raw = str(text)
    cut = raw[:MAX_TEXT]
    safe = _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", cut.translate(_MARKUP))
    safe = _MENTION.sub("@\u200b", safe).replace("\n", " ")
    if len(raw) > MAX_TEXT:
        safe += f"… ({len(raw) - MAX_TEXT} more characters)"
    return safe


def _inert_row(row: Mapping[str, Any]) -> dict[str, Any]:
    """The row with every field that can carry an upstream string made inert."""
    return {k: (inert(v) if k in UNTRUSTED and isinstance(v, str) else v) for k, v in row.items()}


def text(value: Any) -> str | None:
    """A string field, or None when missing (None, NaN, empty): never the text "nan"."""
    return value if isinstance(value, str) and value else None


def dashboard_link(base_url: str, row: Mapping[str, Any]) -> str | None:
    """The dashboard page of the benchmark (None for alerts about a source or a channel)."""
    if not text(row.get("benchmark")) or not text(row.get("axis")):
        return None
    query = {"source": row["source"], "benchmark": row["benchmark"], "axis": row["axis"]}
    if text(row.get("model_set")):
        query["model_set"] = row["model_set"]
    return f"{base_url.rstrip('/')}/?{urlencode(query)}"


def axis_label(axis: Any) -> str:
    return AXIS_LABELS.get(axis, str(axis)) if text(axis) else ""


def describe(row: Mapping[str, Any]) -> str:
    """An alert named in words: "BBQ (helm-safety), chat, Arena axis: rho 75.3" (rho x100, as
    every view shows it: ``benchwatch.numbers``), "epoch: 272 of 283 eci values revised"."""
    rule, source = row["rule"], row["source"]
    details = _details(row)
    if rule in (CAPABILITY_TRACKING, DRIFT):
        name = text(row.get("benchmark_name")) or row.get("benchmark")
        value = numbers.rho(row.get("value"))
        what = "rho" if rule == CAPABILITY_TRACKING else "rise"
        tested = ""
        if rule == DRIFT and details.get("rise") is not None:
            value = numbers.rho(details["rise"])
            tested = f", q {_num(details['q_drift'], '.3g')}" if details.get("q_drift") is not None else ""
        return (f"{name} ({source}), {row.get('model_set')}, {axis_label(row.get('axis'))} axis: "
                f"{what} {value}{tested}")
    resolved = row.get("state") == "resolved"
    if rule == SCORES_REVISED:
        if resolved:
            return f"{source}: nothing material revised any more"
        counts = details.get("benchmarks") or {}
        parts = [f"{counts[b]['revised']} of {counts[b]['base']} {b} values"
                 for b in details.get("material") or [] if b in counts]
        return f"{source}: {', '.join(parts) or 'published values'} revised"
    if rule == SOURCE_FAILING:
        return (f"{source}: fetching again" if resolved
                else f"{source}: {_num(row.get('value'), '.0f')} failed fetches in a row")
    if rule == SCHEMA_CHANGED:
        return f"{source}: shape stable again" if resolved else f"{source}: the payload changed shape"
    if rule == CHANNEL_FAILING:
        return f"channel {details.get('channel') or row.get('benchmark')}: failing deliveries"
    return f"{rule}: {source}"


def _day(value: Any) -> str:
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return "?"
    if isinstance(value, (date, datetime, pd.Timestamp)):
        return value.strftime("%Y-%m-%d")
    return str(value)[:10]


def _num(value: Any, fmt: str = ".2f") -> str | None:
    if value is None or pd.isna(value):
        return None
    return format(float(value), fmt)


def _details(row: Mapping[str, Any]) -> dict[str, Any]:
    raw = row.get("details")
    if isinstance(raw, str):
        return json.loads(raw)
    return dict(raw or {})


def _verb(row: Mapping[str, Any], kind: str) -> str:
    if kind == "renotify":
        return "STILL FIRING"
    return "FIRING" if row["state"] == "firing" else "RESOLVED"


def title(row: Mapping[str, Any], kind: str | None = None) -> str:
    """One line: state, severity, rule, and what it is about, in words."""
    kind = kind or row["state"]
    row = _inert_row(row)
    return f"[Benchwatch {_verb(row, kind)} {row['severity']}] {row['rule']}: {describe(row)}"


def body(row: Mapping[str, Any], dashboard_url: str, ci_level: float, kind: str | None = None) -> str:
    """The full message: what happened, the numbers that made it, since when, the key, the link."""
    kind = kind or row["state"]
    link = dashboard_link(dashboard_url, row)
    row = _inert_row(row)
    lines = [str(row["message"]), ""]
    details = _details(row)
    fired = _day(row.get("fired_at"))
    if row["state"] == "firing":
        lines.append(f"- firing since {fired} (data time); raised {_day(row.get('raised_at'))}")
    else:
        lines.append(f"- fired {fired}, resolved {_day(row.get('data_time'))} (data time)")
    if row["rule"] in (CAPABILITY_TRACKING, DRIFT):
        ci = (f", {round(100 * ci_level)}% CI {numbers.rho_interval(row.get('ci_low'), row.get('ci_high'))}"
              if _num(row.get("ci_low")) is not None else "")
        lines.append(f"- {numbers.RHO_CAPTION}: rho {numbers.rho(row.get('value'))}{ci}, n = {row.get('n')} models")
        if row["rule"] == CAPABILITY_TRACKING:
            lines.append(f"- threshold {numbers.rho(row.get('threshold'))}; resolves below "
                         f"{numbers.rho(details.get('resolve_below'))}")
        else:
            if "rise" in details:
                lines.append(f"- rise {numbers.rho(details['rise'])} "
                             f"(threshold {numbers.rho(row.get('threshold'))})")
            lines.append(f"- rise threshold {numbers.rho(row.get('threshold'))} within "
                         f"{details.get('window_days')} days; criterion: {details.get('criterion')}")
            if details.get("q_drift") is not None:
                lines.append(f"- from rho {numbers.rho(details.get('from_rho'))}: change "
                             f"{numbers.rho(details.get('change'), signed=True)} "
                             f"since the previous as-of date, p = {_num(details.get('p_drift'), '.3g')}, "
                             f"q = {_num(details['q_drift'], '.3g')} (paired bootstrap)")
    elif row.get("value") is not None and not pd.isna(row.get("value")):
        lines.append(f"- value {_num(row.get('value'), 'g')}, threshold {_num(row.get('threshold'), 'g')}"
                     + (f", models {row.get('n')}" if row.get("n") is not None and not pd.isna(row.get("n"))
                        else ""))
    lines.append(f"- source {row['source']}" + (f", benchmark {row['benchmark']}" if row.get("benchmark") else "")
                 + (f", model set {row['model_set']}" if row.get("model_set") else "")
                 + (f", axis {row['axis']}" if row.get("axis") else ""))
    lines.append(f"- key: {row['key']}")
    if link:
        lines.append(f"- dashboard: {link}")
    return "\n".join(lines)


def group_key(row: Mapping[str, Any]) -> tuple:
    """What one message covers (as Alertmanager's ``group_by``): a benchmark of a source, all
    its axes and model sets together; each change of an alert about a source or a channel on its own."""
    if text(row.get("benchmark")) and row["rule"] in (CAPABILITY_TRACKING, DRIFT):
        return ("benchmark", row["source"], row["benchmark"])
    return ("event", row["key"], row.get("event_id"), row.get("kind"))


def grouped(rows: Sequence[Mapping[str, Any]]) -> list[list[Mapping[str, Any]]]:
    """Rows in groups (``group_key``), in the order each group first appears."""
    groups: dict[tuple, list[Mapping[str, Any]]] = {}
    for row in rows:
        groups.setdefault(group_key(row), []).append(row)
    return list(groups.values())


def group_message(rows: Sequence[Mapping[str, Any]], dashboard_url: str, ci_level: float) -> tuple[str, str]:
    """One message for one benchmark's alert changes: every axis and model set it concerns."""
    first = rows[0]
    if len(rows) == 1:
        return title(first, first.get("kind")), body(first, dashboard_url, ci_level, first.get("kind"))
    name = inert(text(first.get("benchmark_name")) or first["benchmark"])
    firing = sum(1 for r in rows if r["state"] == "firing")
    head = (f"[Benchwatch] {name} ({inert(first['source'])}): {len(rows)} alert changes, {firing} firing, "
            f"{len(rows) - firing} resolved")
    lines = [head, ""]
    for row in rows:
        lines += [f"## {title(row, row.get('kind'))}", body(row, dashboard_url, ci_level, row.get("kind")), ""]
    return head, "\n".join(lines).rstrip()


def digest(rows: Sequence[Mapping[str, Any]], dashboard_url: str) -> tuple[str, str]:
    """One message for many alert changes: a line each (capped), counted by state."""
    firing = sum(1 for r in rows if r["state"] == "firing")
    head = f"[Benchwatch] {len(rows)} alert changes: {firing} firing, {len(rows) - firing} resolved"
    lines = [head, ""]
    for row in rows[:DIGEST_MAX_LINES]:
        link = dashboard_link(dashboard_url, row)
        safe = _inert_row(row)
        lines.append(f"- {title(row, row.get('kind'))} since {_day(row.get('data_time'))}: "
                     f"{safe['message']} (key: {safe['key']})" + (f" {link}" if link else ""))
    if len(rows) > DIGEST_MAX_LINES:
        lines.append(f"- ... and {len(rows) - DIGEST_MAX_LINES} more: {dashboard_url}")
    return head, "\n".join(lines)


def test_message(dashboard_url: str) -> tuple[str, str]:
    return ("[Benchwatch] test notification",
            f"This channel is configured for Benchwatch alerts. Dashboard: {dashboard_url}")


def run_summary(transitions: Sequence[Any], attempts: Sequence[Any], limit: int = 200) -> str:
    """Markdown for a flow run's artifact: the alert changes it recorded and what was delivered.

    ``transitions`` are ``alerts.rules.Transition`` (with their disposition);
    ``attempts`` are ``alerts.notify.Delivery``.
    """
    told = sum(t.disposition == "notify" for t in transitions)
    counts = (f"{len(transitions)} change(s): {told} to notify, "
              f"{sum(t.disposition == 'backfill' for t in transitions)} backfill (history, not sent), "
              f"{sum(t.disposition == 'silenced' for t in transitions)} silenced.")
    lines = ["# Benchwatch alert changes", "", counts, ""]
    if transitions:
        lines += ["| state | rule | source | benchmark | model set | axis | data time | value | n | disposition |",
                  "|---|---|---|---|---|---|---|---|---|---|"]
        for t in list(transitions)[:limit]:
            value = _num(t.value, ".3g") or ""
            lines.append(f"| {t.state} | {t.rule} | {t.source} | {t.benchmark or ''} | {t.model_set or ''} | "
                         f"{t.axis or ''} | {t.data_time} | {value} | {t.n if t.n is not None else ''} | "
                         f"{t.disposition} |")
        if len(transitions) > limit:
            lines.append(f"\n... and {len(transitions) - limit} more (`benchwatch alerts history`).")
    if attempts:
        lines += ["", "## Deliveries", "", "| channel | messages | sent | failed | last error |", "|---|---|---|---|---|"]
        by_channel: dict[str, list[Any]] = {}
        for a in attempts:
            by_channel.setdefault(a.channel, []).append(a)
        for channel, tries in by_channel.items():
            errors = [a.error for a in tries if a.error]
            lines.append(f"| {channel} | {len(tries)} | {sum(a.ok for a in tries)} | "
                         f"{sum(not a.ok for a in tries)} | {errors[-1] if errors else ''} |")
    return "\n".join(lines)


def shown_numbers(row: Mapping[str, Any]) -> tuple[float | None, float | None, str]:
    """An alert's measured value and its threshold in one unit, and that unit in words.

    capability-tracking: rho against the rho threshold; drift: the rise it
    measured against the rise threshold (not the level reached); scores-revised:
    the largest share of a benchmark's values revised against the minimum share;
    failing rules: failures in a row against the streak that fires.
    """
    rule, details = row["rule"], _details(row)
    value, threshold = row.get("value"), row.get("threshold")
    value = None if value is None or pd.isna(value) else float(value)
    threshold = None if threshold is None or pd.isna(threshold) else float(threshold)
    if rule == CAPABILITY_TRACKING:
        return value, threshold, "rho"
    if rule == DRIFT:
        rise = details.get("rise")
        return (None if rise is None else float(rise)), threshold, "rise in rho"
    if rule == SCORES_REVISED:
        counts = details.get("benchmarks") or {}
        shares = [c["revised"] / c["base"] for b, c in counts.items()
                  if b in (details.get("material") or counts) and c.get("base")]
        return (max(shares) if shares else None), threshold, "share of a benchmark's values revised"
    if rule in (SOURCE_FAILING, CHANNEL_FAILING):
        return value, threshold, "failures in a row"
    return None, None, ""
