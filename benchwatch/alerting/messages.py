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

from benchwatch.alerting.rules import CAPABILITY_TRACKING, DRIFT

# Upstream strings in a message (benchmark keys, source names, messages quoting them) are
# data: shown at most this long, and made inert (``inert``).
MAX_TEXT = 300
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029]")
_MENTION = re.compile(r"@(?=\w)")
_MARKUP = str.maketrans({"<": "‹", ">": "›", "[": "⟦", "]": "⟧"})
# Row fields that can carry upstream strings.
UNTRUSTED = ("benchmark", "source", "model_set", "axis", "message", "key")

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


def dashboard_link(base_url: str, row: Mapping[str, Any]) -> str | None:
    """The dashboard page of the benchmark (None for alerts about a source or a channel)."""
    if not row.get("benchmark") or not row.get("axis"):
        return None
    query = urlencode({"source": row["source"], "benchmark": row["benchmark"], "axis": row["axis"],
                       "model_set": row.get("model_set") or ""})
    return f"{base_url.rstrip('/')}/?{query}"


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
    """One line: state, severity, rule, and what it is about."""
    kind = kind or row["state"]
    row = _inert_row(row)
    what = row.get("benchmark") or row["source"]
    if row["rule"] == "channel-failing":
        what = _details(row).get("channel") or what
    scope = ", ".join(str(p) for p in (row.get("source") if row.get("benchmark") else None,
                                       row.get("model_set"), row.get("axis")) if p)
    rho = _num(row.get("value")) if row["rule"] in (CAPABILITY_TRACKING, DRIFT) else None
    tail = f" rho {rho}" if rho is not None else ""
    return (f"[Benchwatch {_verb(row, kind)} {row['severity']}] {row['rule']}: {what}"
            f"{f' ({scope})' if scope else ''}{tail}")


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
        ci = (f", {round(100 * ci_level)}% CI [{_num(row.get('ci_low'))}, {_num(row.get('ci_high'))}]"
              if _num(row.get("ci_low")) is not None else "")
        lines.append(f"- rho {_num(row.get('value'))}{ci}, n = {row.get('n')} models")
        if row["rule"] == CAPABILITY_TRACKING:
            lines.append(f"- threshold {_num(row.get('threshold'))}; resolves below "
                         f"{_num(details.get('resolve_below'))}")
        else:
            lines.append(f"- rise threshold {_num(row.get('threshold'))} within "
                         f"{details.get('window_days')} days; criterion: {details.get('criterion')}")
            if "from_rho" in details:
                lines.append(f"- from rho {_num(details['from_rho'])} [{_num(details.get('from_ci_low'))}, "
                             f"{_num(details.get('from_ci_high'))}] on {details['from_as_of']} "
                             f"(n = {details.get('from_n')})")
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
