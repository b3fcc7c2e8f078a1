"""The alert lifecycle, pure: which walked transitions are new, and which reach people.

Every evaluation walks the whole history (``alerts.rules``). Two questions
follow, answered here without I/O:

1. Which transitions change the stored state? For each key, those after the
   key's last recorded transition (by data time; by fetch or delivery round
   for the fetch-log and channel rules) that flip its state (firing <->
   resolved), or fire it again (``refire``: a second rescoring is told). A
   key whose recorded state the walk contradicts (history was revised, a
   setting changed) is restated at its source's latest data time.

2. Is a new transition news, or history (a backfill)? The "data horizon" of
   the previous evaluation decides:
   - the very first evaluation of a database is a backfill: nothing is sent;
   - a transition caused by a fetch (source-failing, schema-changed,
     scores-revised) is news when that fetch is newer than every fetch the
     previous evaluation saw (``fetch_id > last_fetch_id``);
   - a correlation transition (capability-tracking, drift) is news when its
     data time (the as-of date) is after the latest as-of date the previous
     evaluation saw for that source; a source that was watched but had no
     correlations yet counts every transition as news; a source never
     fetched before (newly added) has its history recorded as a backfill;
   - channel-failing is about deliveries, which have no history: always news.
   So ``refresh --replay --until D`` followed by a plain ``refresh`` sends
   exactly what is dated after D (per source) or came with a fetch after D.
   News for a key silenced at that moment is recorded as ``silenced``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from datetime import date

from benchwatch.alerting.rules import CHANNEL_FAILING
from benchwatch.storage.alert_records import (
    BACKFILL,
    NOTIFY,
    SILENCED,
    Horizon,
    Stored,
    Transition,
)


def changes(
    walked: Iterable[Transition],
    stored: Mapping[str, Stored],
    rules: Iterable[str],
    latest: Mapping[str, date],
    today: date,
) -> list[Transition]:
    """The transitions to record, in data-time order.

    ``rules`` are the rules this walk evaluated: a stored firing key of one of
    them that the walk leaves not firing is resolved (at ``latest[source]``,
    or ``today`` when the source has no data any more).
    """
    by_key: dict[str, list[Transition]] = {}
    for t in walked:
        by_key.setdefault(t.key, []).append(t)
    out: list[Transition] = []
    for key, series in by_key.items():
        series.sort(key=lambda t: t.data_time)
        known = stored.get(key)
        state = known.state if known else "resolved"
        for t in series:
            if known is not None and _recorded(t, known):
                continue
            if t.state != state or (t.refire and t.state == "firing"):
                out.append(t)
                state = t.state
        if known is not None and state != series[-1].state:
            # The walk changed state before the last recorded transition: history was
            # revised or a setting changed. Restate the walk's final state now.
            out.append(_restate(known, series[-1], latest, today))
    evaluated = set(rules)
    for key, known in stored.items():
        if key not in by_key and known.state == "firing" and known.rule in evaluated:
            out.append(_restate(known, None, latest, today, key))
    return sorted(out, key=lambda t: (t.data_time, t.key))


def _recorded(t: Transition, known: Stored) -> bool:
    """Whether ``t`` is at or before the key's last recorded transition.

    Fetch-log transitions compare fetch ids and channel-failing delivery
    rounds (both can happen several times a day); correlation transitions
    compare data times.
    """
    if t.fetch_id is not None and known.last_fetch_id:
        return t.fetch_id <= known.last_fetch_id
    if t.round_id is not None and known.last_round_id:
        return t.round_id <= known.last_round_id
    return t.data_time <= known.last_time


def _restate(
    known: Stored, final: Transition | None, latest: Mapping[str, date], today: date, key: str = ""
) -> Transition:
    """The walk's final state for a key whose record disagrees, dated when that became known.

    ``final`` None: the walk no longer produces the key at all, so it resolves.
    """
    when = max(latest.get(known.source, today), known.last_time)
    if final is not None:
        return dataclasses.replace(final, data_time=when, fetch_id=None, round_id=None,
                                   message=final.message + " (re-evaluated history)")
    return Transition(
        key=key, rule=known.rule, source=known.source, benchmark=None, axis=None, model_set=None,
        state="resolved", data_time=when, value=None, threshold=None, ci_low=None, ci_high=None, n=None,
        severity="info", message=f"{key}: no longer fires on the current data and settings",
    )


def is_news(t: Transition, previous: Horizon | None) -> bool:
    """Whether a new transition is news (to send) or history (backfill); see the module doc."""
    if t.rule == CHANNEL_FAILING:
        return True
    if previous is None:
        return False
    if t.fetch_id is not None:
        return t.fetch_id > previous.last_fetch_id
    if t.source not in previous.data_horizons:
        return False
    horizon = previous.data_horizons[t.source]
    return horizon is None or t.data_time > horizon


def decide(
    transitions: Iterable[Transition], previous: Horizon | None, silenced: set[str]
) -> list[Transition]:
    """Stamp each transition's disposition: backfill, notify, or silenced."""
    out = []
    for t in transitions:
        if not is_news(t, previous):
            disposition = BACKFILL
        else:
            disposition = SILENCED if t.key in silenced else NOTIFY
        out.append(dataclasses.replace(t, disposition=disposition))
    return out
