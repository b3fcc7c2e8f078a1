"""Alert rules as pure functions over correlation series.

A rule walks each benchmark's series of as-of points in data-time order and
emits the transitions (firing, resolved) it would have made. Running the same
walk over the whole history is the backfill; the service records only the
transitions it has not recorded before.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pandas as pd

CAPABILITY_TRACKING = "capability-tracking"


@dataclass(frozen=True)
class Transition:
    key: str
    rule: str
    source: str
    benchmark: str | None
    axis: str | None
    model_set: str | None
    state: str
    data_time: date
    value: float | None
    threshold: float
    ci_low: float | None
    ci_high: float | None
    n: int | None
    severity: str
    message: str


def alert_key(rule: str, source: str, benchmark: str = "", axis: str = "", model_set: str = "") -> str:
    return ":".join([rule, source, benchmark, axis, model_set])


def capability_tracking(
    correlations: pd.DataFrame, threshold: float, hysteresis: float, min_models: int
) -> list[Transition]:
    """Fire when rho >= threshold; resolve only when rho < threshold - hysteresis.

    Points with fewer than ``min_models`` models are skipped (they neither fire
    nor resolve), so a thin early leaderboard cannot raise an alert.
    """
    safety = correlations[(correlations["category"] == "safety") & (correlations["n"] >= min_models)]
    safety = safety[safety["rho"].notna()].sort_values("as_of")
    transitions = []
    for (source, benchmark, axis, model_set), series in safety.groupby(
        ["source", "benchmark", "axis", "model_set"], sort=True
    ):
        key = alert_key(CAPABILITY_TRACKING, source, benchmark, axis, model_set)
        firing = False
        for row in series.itertuples(index=False):
            if not firing and row.rho >= threshold:
                firing = True
                state = "firing"
            elif firing and row.rho < threshold - hysteresis:
                firing = False
                state = "resolved"
            else:
                continue
            severity = "critical" if row.ci_low >= threshold else "warning"
            verb = "tracks capabilities" if state == "firing" else "no longer tracks capabilities"
            transitions.append(Transition(
                key=key, rule=CAPABILITY_TRACKING, source=source, benchmark=benchmark, axis=axis,
                model_set=model_set, state=state, data_time=row.as_of, value=float(row.rho),
                threshold=threshold, ci_low=float(row.ci_low), ci_high=float(row.ci_high),
                n=int(row.n), severity=severity if state == "firing" else "info",
                message=(f"{benchmark} ({source}, {model_set}) {verb}: rho={row.rho:.2f} "
                         f"[{row.ci_low:.2f}, {row.ci_high:.2f}] on {axis}, n={int(row.n)}, "
                         f"threshold {threshold:.2f}"),
            ))
    return transitions
