"""Findings apart from alerts, pure: which correlation results can still change.

An alert is about what can still change: a live source's safety data (its
own axes or other sources' axes, which still move) and data problems. A
frozen source's safety columns cannot move, so what the correlation rules
find there (capability-tracking, drift) is a *finding*: stored and shown,
never an open alert, never a notification. ``split`` routes the correlation
history; ``from_transitions`` turns the frozen part's walk into findings.

A finding states the series' latest numbers, so a capability-tracking finding
is kept only when its latest point is still evidence (decided by its interval,
q <= ``alert_fdr``); a firing walk whose latest point is only *possibly*
capability-tracking is shown as a correlation, not stated as a finding.
"""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd

from benchwatch.alerting.rules import CAPABILITY_TRACKING, SERIES_KEY, decided_tracking
from benchwatch.storage.alert_records import Transition

COLUMNS = ["finding_key", "rule", "source", "benchmark", "axis", "model_set", "since", "as_of", "rho",
           "ci_low", "ci_high", "n", "q", "class", "threshold", "message", "why"]


def split(history: pd.DataFrame, frozen: Iterable[str]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(rows the alert rules watch, rows that only make findings): by the safety data's source."""
    still = history["source"].isin(set(frozen))
    return history[~still], history[still]


def from_transitions(
    transitions: Iterable[Transition], history: pd.DataFrame, why: dict[str, str], alert_fdr: float
) -> pd.DataFrame:
    """One finding per key whose walk ends firing: since when, and the series' latest numbers.

    ``why`` maps a source to why it is frozen (its liveness declaration).
    """
    last: dict[str, Transition] = {}
    for t in sorted(transitions, key=lambda t: t.data_time):
        last[t.key] = t
    firing = [t for t in last.values() if t.state == "firing"]
    if not firing:
        return pd.DataFrame(columns=COLUMNS)
    latest = history.sort_values("as_of").drop_duplicates(SERIES_KEY, keep="last").set_index(SERIES_KEY)
    rows = []
    for t in firing:
        point = latest.loc[(t.source, t.benchmark, t.axis, t.model_set)]
        q = point.get("q")
        tracking = t.rule == CAPABILITY_TRACKING
        if tracking and not decided_tracking(point["ci_low"], q, t.threshold, alert_fdr):
            continue
        rows.append({
            "finding_key": t.key, "rule": t.rule, "source": t.source, "benchmark": t.benchmark,
            "axis": t.axis, "model_set": t.model_set, "since": t.data_time, "as_of": point["as_of"],
            "rho": point["rho"], "ci_low": point["ci_low"], "ci_high": point["ci_high"], "n": point["n"],
            "q": q, "class": CAPABILITY_TRACKING if tracking else None,
            "threshold": t.threshold, "message": t.message,
            "why": f"{t.source} is frozen: {why.get(t.source, 'it no longer changes')}",
        })
    if not rows:
        return pd.DataFrame(columns=COLUMNS)
    return pd.DataFrame(rows, columns=COLUMNS).sort_values("finding_key", ignore_index=True)
