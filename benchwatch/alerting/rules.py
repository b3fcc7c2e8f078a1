"""Alert rules as pure functions over correlation series and the fetch log.

A rule walks each alert key's points in data-time order and emits the
transitions (firing, resolved) it would have made. Running the same walk over
the whole history is the backfill; ``alerts.lifecycle`` decides which
transitions are new and which of those reach people.

Rules and their keys (rule:source:benchmark:axis:model_set):
- capability-tracking: the class is decided (the interval's lower bound >= threshold) and the
  row's q-value <= ``alert_fdr``; resolved when rho falls below threshold - hysteresis.
- drift: the paired bootstrap change in rho since the series' previous as-of date is
  >= ``rise`` with q_drift <= ``alert_fdr``; resolved when rho falls back below the rise
  less hysteresis, or the firing point leaves the look-back window.
- source-failing: N failed fetches of a source in a row.
- schema-changed: a fetch mapped a different column layout than the previous
  good fetch, or failed on a missing/unknown column.
- scores-revised: a fetch revised a material share of a benchmark's values.
- channel-failing: a notification channel failed N delivery rounds in a row.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from datetime import date, timedelta
from itertools import groupby
from typing import Any

import pandas as pd

from benchwatch import numbers
from benchwatch.analysis.circularity import INDEPENDENT
from benchwatch.analysis.engine import is_pooled_remainder
from benchwatch.sources.base import PART_FAILED
from benchwatch.storage.alert_records import Transition

CAPABILITY_TRACKING = "capability-tracking"
DRIFT = "drift"
SOURCE_FAILING = "source-failing"
SCHEMA_CHANGED = "schema-changed"
SCORES_REVISED = "scores-revised"
CHANNEL_FAILING = "channel-failing"
# Rules evaluated from the data (correlations and fetch log) on every refresh.




def alert_key(rule: str, source: str, benchmark: str = "", axis: str = "", model_set: str = "") -> str:
    return ":".join([rule, source, benchmark or "", axis or "", model_set or ""])


SERIES_KEY = ["source", "benchmark", "axis", "model_set"]
# A point's paired drift test since the series' previous as-of date (``analysis.drift``).
DRIFT_TEST = ["drift_change", "p_drift", "q_drift"]


def _series(correlations: pd.DataFrame, min_models: int) -> Iterator[tuple[tuple, list[Any]]]:
    """Each (source, benchmark, axis, model_set) series of safety points with enough models, by as-of.

    Only independent pairs (``analysis.circularity``): a correlation that holds
    by construction is never evidence, so it never fires.
    """
    independent = (correlations["relation"].fillna(INDEPENDENT) == INDEPENDENT
                   if "relation" in correlations else True)
    safety = correlations[(correlations["category"] == "safety") & (correlations["n"] >= min_models)
                          & correlations["rho"].notna() & independent
                          & ~is_pooled_remainder(correlations["model_set"])]
    safety = safety.sort_values([*SERIES_KEY, "as_of"])
    # The benchmark's registry name where the frame has it (messages name benchmarks in words).
    names = safety["name"].fillna(safety["benchmark"]) if "name" in safety else safety["benchmark"]
    safety = safety.assign(label=names)
    # Frames from before the drift test (migration 014) carry none: no point of theirs is tested.
    missing = {c: float("nan") for c in ("q", *DRIFT_TEST) if c not in safety}
    safety = safety.assign(**missing)
    rows = safety[[*SERIES_KEY, "as_of", "rho", "ci_low", "ci_high", "n", "q", *DRIFT_TEST, "label"]
                  ].itertuples(index=False)
    for key, points in groupby(rows, key=lambda r: (r.source, r.benchmark, r.axis, r.model_set)):
        yield key, list(points)


def _number(value: Any) -> float | None:
    return None if value is None or pd.isna(value) else float(value)


def decided_tracking(ci_low: Any, q: Any, threshold: float, alert_fdr: float) -> bool:
    """The capability-tracking claim holds as evidence: the interval's lower bound is at or above the
    threshold (``analysis.classes``) and the row's q-value is at most ``alert_fdr`` (``analysis.evidence``)."""
    low, q = _number(ci_low), _number(q)
    return low is not None and q is not None and low >= threshold and q <= alert_fdr


def capability_tracking(
    correlations: pd.DataFrame, threshold: float, hysteresis: float, min_models: int, alert_fdr: float
) -> list[Transition]:
    """Fire when the class is decided (``decided_tracking``); resolve only when rho < threshold - hysteresis.

    A point whose rho alone is above the threshold is only *possibly*
    capability-tracking: shown, never fired. Points with fewer than
    ``min_models`` models are skipped (they neither fire nor resolve), so a thin
    early leaderboard cannot raise an alert.
    """
    transitions = []
    for (source, benchmark, axis, model_set), series in _series(correlations, min_models):
        key = alert_key(CAPABILITY_TRACKING, source, benchmark, axis, model_set)
        firing = False
        for row in series:
            if not firing and decided_tracking(row.ci_low, row.q, threshold, alert_fdr):
                firing = True
                state = "firing"
            elif firing and row.rho < threshold - hysteresis:
                firing = False
                state = "resolved"
            else:
                continue
            ci_low, ci_high, q = _number(row.ci_low), _number(row.ci_high), _number(row.q)
            verb = "tracks capabilities" if state == "firing" else "no longer tracks capabilities"
            interval = f" {numbers.rho_interval(ci_low, ci_high)}" if ci_low is not None and ci_high is not None else ""
            decided = f", q={q:.3g} <= {alert_fdr:g}" if state == "firing" and q is not None else ""
            transitions.append(Transition(
                key=key, rule=CAPABILITY_TRACKING, source=source, benchmark=benchmark, axis=axis,
                model_set=model_set, state=state, data_time=row.as_of, value=float(row.rho),
                threshold=threshold, ci_low=ci_low, ci_high=ci_high,
                n=int(row.n), severity="critical" if state == "firing" else "info",
                message=(f"{row.label} ({source}, {model_set}) {verb}: rho x100 {numbers.rho(row.rho)}"
                         f"{interval} on {axis}, n={int(row.n)}, threshold {numbers.rho(threshold)}{decided}"),
                details={"resolve_below": round(threshold - hysteresis, 6), "q": q, "alert_fdr": alert_fdr,
                         "class": CAPABILITY_TRACKING if state == "firing" else None},
            ))
    return transitions


def tested_rise(change: Any, q_drift: Any, rise: float, alert_fdr: float) -> bool:
    """The drift claim holds as evidence: the paired bootstrap change since the series' previous
    as-of date is at least ``rise`` and its q-value (BH over the run's drift tests at that date,
    ``analysis.drift``) is at most ``alert_fdr``."""
    change, q = _number(change), _number(q_drift)
    return change is not None and q is not None and change >= rise and q <= alert_fdr


def drift(
    correlations: pd.DataFrame, rise: float, window_days: int, min_models: int, hysteresis: float,
    alert_fdr: float,
) -> list[Transition]:
    """Fire when the paired drift test says rho rose by >= ``rise`` (``tested_rise``).

    Each point's ``drift_change`` and ``q_drift`` test the change since the series' previous
    as-of date over the models present at both (``pipeline.analyze``): two intervals of
    mostly the same models are not independent, so their overlap was no test. Rows without a
    test (a series' first date, cross-source axes) never fire. Firing remembers the rho
    before the tested change; the alert resolves when rho has fallen back below that rho +
    ``rise - hysteresis``, or when the firing point leaves the ``window_days`` look-back.
    """
    window = timedelta(days=window_days)
    transitions = []
    for (source, benchmark, axis, model_set), points in _series(correlations, min_models):
        origin: tuple[float, Any] | None = None  # (rho before the tested change, as-of date it fired)
        for now in points:
            if origin is None and tested_rise(now.drift_change, now.q_drift, rise, alert_fdr):
                origin = (float(now.rho - now.drift_change), now.as_of)
                transitions.append(_drift_transition(now, "firing", origin, rise, window_days, alert_fdr))
            elif origin is not None and (now.rho - origin[0] < rise - hysteresis or now.as_of - origin[1] > window):
                transitions.append(_drift_transition(now, "resolved", origin, rise - hysteresis, window_days,
                                                     alert_fdr))
                origin = None
    return transitions


def _drift_transition(
    now: Any, state: str, origin: tuple[float, Any], rise: float, window_days: int, alert_fdr: float
) -> Transition:
    """One drift transition with the tested numbers it rests on (``details``) and its message."""
    from_rho, fired_on = origin
    source, model_set, axis = now.source, now.model_set, now.axis
    if state == "firing":
        message = (f"{now.label} ({source}, {model_set}) drifted toward capabilities on {axis}: "
                   f"rho x100 {numbers.rho(from_rho)} -> {numbers.rho(now.rho)} on {now.as_of} since the previous "
                   f"as-of date ({numbers.rho(now.drift_change, signed=True)} >= {numbers.rho(rise)}, paired "
                   f"bootstrap q={now.q_drift:.3g} <= {alert_fdr:g}), "
                   f"n={int(now.n)}")
    else:
        message = (f"{now.label} ({source}, {model_set}) no longer drifting on {axis}: rho x100 "
                   f"{numbers.rho(now.rho)} is {numbers.rho(now.rho - from_rho, signed=True)} over "
                   f"{numbers.rho(from_rho)} (the rise fired on {fired_on}; "
                   f"resolves below +{numbers.rho(rise)} or after {window_days} days), n={int(now.n)}")
    details = {"window_days": window_days, "criterion": f"paired bootstrap change, q <= {alert_fdr:g}",
               "rise": round(float(now.rho - from_rho), 6), "from_rho": round(from_rho, 6),
               "fired_on": fired_on.isoformat(), "change": _number(now.drift_change),
               "p_drift": _number(now.p_drift), "q_drift": _number(now.q_drift), "alert_fdr": alert_fdr}
    return Transition(
        key=alert_key(DRIFT, source, now.benchmark, axis, model_set), rule=DRIFT, source=source,
        benchmark=now.benchmark, axis=axis, model_set=model_set, state=state, data_time=now.as_of,
        value=float(now.rho), threshold=rise, ci_low=_number(now.ci_low), ci_high=_number(now.ci_high),
        n=int(now.n), severity="warning" if state == "firing" else "info", message=message, details=details,
    )


def fetch_data_time(row: Any) -> date:
    """A fetch's data time: when its data was published, or when it ran if it brought none."""
    stamp = row.observed_at if pd.notna(row.observed_at) else row.started_at
    return pd.Timestamp(stamp).date()


def failure_streaks(failed: Iterable[bool], after: int) -> Iterator[tuple[int, str, int]]:
    """(position, state, streak) where a run of failures reaches ``after`` (firing) and where the
    first success after it comes (resolved, streak 0): what source- and channel-failing share."""
    streak, firing = 0, False
    for position, bad in enumerate(failed):
        if bad:
            streak += 1
            if not firing and streak >= after:
                firing = True
                yield position, "firing", streak
        else:
            streak = 0
            if firing:
                firing = False
                yield position, "resolved", 0


def source_failing(fetches: pd.DataFrame, after: int) -> list[Transition]:
    """Fire on the ``after``-th failed fetch of a source in a row; resolve on its next good fetch.

    ``fetches``: source, fetch_id, status, started_at, observed_at, error (the fetch log).
    """
    transitions = []
    for source, log in fetches.sort_values("fetch_id").groupby("source", sort=True):
        key = alert_key(SOURCE_FAILING, source)
        rows = list(log.itertuples(index=False))
        for position, state, streak in failure_streaks((r.status == "failed" for r in rows), after):
            row = rows[position]
            message = (f"{source} failed {streak} fetches in a row; last error: {row.error}"
                       if state == "firing" else f"{source} fetched again ({row.status})")
            transitions.append(Transition(
                key=key, rule=SOURCE_FAILING, source=source, benchmark=None, axis=None, model_set=None,
                state=state, data_time=fetch_data_time(row), value=float(streak),
                threshold=float(after), ci_low=None, ci_high=None, n=None,
                severity="critical" if state == "firing" else "info", message=message,
                fetch_id=int(row.fetch_id),
                details={"error": row.error} if state == "firing" else None,
            ))
    return transitions


# Warnings in which a parser says it mapped a non-current shape of the payload.
SCHEMA_NOTES = (
    re.compile(r"layout mapped"),
    re.compile(r"no '[^']+' column"),
    re.compile(r"column '[^']+' is not in the registry"),
    re.compile(r"file\(s\) (absent|not mapped)"),
    re.compile(re.escape(PART_FAILED)),  # one file of a multi-file payload failed, the rest stored
)
# A failed fetch whose error names a column or a layout: the payload changed shape.
SCHEMA_ERRORS = re.compile(r"ParseError: .*(, column '|column layout|missing column|missing benchmark)")


def schema_notes(warnings: Iterable[str] | None) -> tuple[str, ...]:
    """The warnings that describe the payload's shape, as a comparable signature."""
    found = [] if warnings is None else list(warnings)
    return tuple(sorted(w for w in found if any(p.search(w) for p in SCHEMA_NOTES)))


def _shape(notes: tuple[str, ...]) -> str:
    return "; ".join(notes) if notes else "the current layout, every known file and column present"


def schema_changed(fetches: pd.DataFrame) -> list[Transition]:
    """Fire when a fetch's shape differs from the previous good fetch's, when one of its files
    fails, or when it breaks the parser.

    The shape of a good fetch is the set of its layout notes (``SCHEMA_NOTES``:
    an older layout mapped, a column or file absent or unmapped). The first good
    fetch of a source sets the baseline; the alert resolves at the next good
    fetch with the same shape as the one that fired it (the new shape is
    stable), or, after a parse failure, at the next good fetch. A file of a
    multi-file payload that failed while the rest was stored (``PART_FAILED``)
    is a break, not a layout: it fires on any fetch where it newly fails, the
    first included, and the alert stays firing until no file fails. Another
    change while firing fires again (``refire``).
    """
    transitions = []
    for source, log in fetches.sort_values("fetch_id").groupby("source", sort=True):
        key = alert_key(SCHEMA_CHANGED, source)
        shape: tuple[str, ...] | None = None
        failing: tuple[str, ...] = ()
        firing = False
        for row in log.itertuples(index=False):
            refire = False
            if row.status == "failed":
                if firing or not SCHEMA_ERRORS.search(row.error or ""):
                    continue
                firing, state, severity = True, "firing", "critical"
                message = f"{source} payload no longer parses: {row.error}"
                details: dict[str, Any] = {"error": row.error}
            elif row.status == "ok":
                notes = schema_notes(row.warnings)
                failed = tuple(n for n in notes if PART_FAILED in n)
                new = tuple(n for n in notes if PART_FAILED not in n)
                changed = shape is not None and new != shape
                broke = bool(set(failed) - set(failing))
                before = (shape or ()) + failing
                shape, failing = new, failed
                if changed or broke:
                    refire = firing
                    firing, state, severity = True, "firing", "warning"
                    message = f"{source} changed shape: now {_shape(notes)} (before: {_shape(before)})"
                    details = {"before": list(before), "after": list(notes)}
                elif firing and not failed:
                    firing, state, severity = False, "resolved", "info"
                    message = f"{source} shape stable again: {_shape(new)}"
                    details = {"shape": list(new)}
                else:
                    continue
            else:
                continue
            transitions.append(Transition(
                key=key, rule=SCHEMA_CHANGED, source=source, benchmark=None, axis=None, model_set=None,
                state=state, data_time=fetch_data_time(row), value=None, threshold=None, ci_low=None,
                ci_high=None, n=None, severity=severity, message=message, fetch_id=int(row.fetch_id),
                details=details, refire=refire,
            ))
    return transitions


def scores_revised(
    fetches: pd.DataFrame, revisions: pd.DataFrame, min_share: float, min_models: int,
    ignore: Iterable[str] = (),
) -> list[Transition]:
    """Fire when a fetch revised at least ``min_share`` of a benchmark's values for >= ``min_models`` models.

    ``revisions``: fetch_id, benchmark, revised (values), models, base (the
    benchmark's values known just before that fetch). A fetch that revises a
    handful of re-evaluated models stays quiet; a rescoring (the Open LLM
    Leaderboard v2's MATH Lvl 5, Nov 2024 and Feb 2025) fires. The alert
    resolves at the next good fetch of the source that revises nothing
    material. A further material revision while firing fires again (``refire``):
    each rescoring is told. Sources in ``ignore`` revise by design (LMArena refits every
    rating on each release) and are skipped.
    """
    skip = set(ignore)
    by_fetch = {fid: part for fid, part in revisions.groupby("fetch_id")}
    transitions = []
    good = fetches[(fetches["status"] == "ok") & ~fetches["source"].isin(skip)]
    for source, log in good.sort_values("fetch_id").groupby("source", sort=True):
        key = alert_key(SCORES_REVISED, source)
        firing = False
        for row in log.itertuples(index=False):
            part = by_fetch.get(row.fetch_id)
            if part is None:
                part = revisions.iloc[0:0]
            share = part["revised"] / part["base"].where(part["base"] > 0)
            material = part[(share >= min_share) & (part["models"] >= min_models)]
            refire = firing and len(material) > 0
            if len(material):
                firing, state = True, "firing"
            elif firing:
                firing, state = False, "resolved"
            else:
                continue
            total = int(part["revised"].sum())
            models = (int(row.models_revised) if pd.notna(row.models_revised)
                      else int(part["models"].max()) if len(part) else 0)
            benchmarks = {r.benchmark: {"revised": int(r.revised), "base": int(r.base)}
                          for r in part.sort_values("revised", ascending=False).itertuples(index=False)}
            if state == "firing":
                top = ", ".join(f"{r.benchmark} {int(r.revised)} of {int(r.base)}"
                                for r in material.sort_values("revised", ascending=False).itertuples())
                message = (f"{source} revised {total} published value(s) of {models} model(s) across "
                           f"{len(part)} benchmark(s) in its {row.snapshot} data; rescored: {top}")
            else:
                message = f"{source}: {row.snapshot} revised nothing material ({total} value(s))"
            transitions.append(Transition(
                key=key, rule=SCORES_REVISED, source=source, benchmark=None, axis=None, model_set=None,
                state=state, data_time=fetch_data_time(row), value=float(total), threshold=min_share,
                ci_low=None, ci_high=None, n=models, severity="warning" if state == "firing" else "info",
                message=message, fetch_id=int(row.fetch_id), refire=refire,
                details={"snapshot": row.snapshot, "benchmarks": benchmarks,
                         "material": sorted(material["benchmark"])},
            ))
    return transitions


def channel_failing(rounds: pd.DataFrame, after: int) -> list[Transition]:
    """Fire when a channel failed ``after`` delivery rounds in a row; resolve on a round it succeeds.

    ``rounds``: channel_id, channel (redacted label), round_id, attempted_at,
    failed (every attempt of the round failed), error. Dated at wall time:
    deliveries have no data time.
    """
    transitions = []
    for channel_id, log in rounds.sort_values("round_id").groupby("channel_id", sort=True):
        key = alert_key(CHANNEL_FAILING, "notify", channel_id)
        rows = list(log.itertuples(index=False))
        for position, state, streak in failure_streaks((bool(r.failed) for r in rows), after):
            row = rows[position]
            message = (f"notification channel {row.channel} failed {streak} rounds in a row: {row.error}"
                       if state == "firing" else f"notification channel {row.channel} delivers again")
            transitions.append(Transition(
                key=key, rule=CHANNEL_FAILING, source="notify", benchmark=channel_id, axis=None,
                model_set=None, state=state, data_time=pd.Timestamp(row.attempted_at).date(),
                value=float(streak), threshold=float(after), ci_low=None, ci_high=None, n=None,
                severity="critical" if state == "firing" else "info", message=message,
                round_id=int(row.round_id),
                details={"channel": row.channel, "error": row.error if state == "firing" else None},
            ))
    return transitions
