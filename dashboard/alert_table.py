"""Alert rows for display: a correlation rule's value is a rho, another rule's is a count.

``alerts.value`` holds what fired the alert: Spearman rho for the
capability-tracking and drift rules, a number of values for scores-revised,
nothing for schema changes. Splitting it into ``rho`` and ``value`` lets the
tables show a rho x100 without turning a count into one (``benchwatch.numbers``).
"""

from __future__ import annotations

import pandas as pd

from benchwatch import numbers
from benchwatch.alerting.messages import describe, shown_numbers

CORRELATION_RULES = ("capability-tracking", "drift")


def split_value(alerts: pd.DataFrame) -> pd.DataFrame:
    """``alerts`` with ``rho`` (correlation rules) and ``value`` (every other rule) apart, the
    alert named in words (``what``), and what it measured against its threshold in one unit."""
    is_rho = alerts["rule"].isin(CORRELATION_RULES)
    out = alerts.copy()
    out.insert(out.columns.get_loc("value"), "rho", alerts["value"].where(is_rho))
    out["value"] = alerts["value"].where(~is_rho)
    records = alerts.to_dict("records")
    shown = [shown_numbers(r) for r in records]
    out.insert(0, "what", [describe(r) for r in records])
    out["measured"] = [v for v, _, _ in shown]
    out["measured_threshold"] = [t for _, t, _ in shown]
    out["unit"] = [u for _, _, u in shown]
    return out


def measured_text(frame: pd.DataFrame) -> pd.DataFrame:
    """For the screen: ``measured`` as one text, the value against its threshold in one unit
    ("86.7 (threshold 70.0) rho x100", "95.4% (threshold 5.0%) of a benchmark's values revised");
    ``measured_threshold`` and ``unit`` are said in it. A frame without them is returned as is."""
    if not {"measured", "measured_threshold", "unit"} <= set(frame.columns):
        return frame
    text = [numbers.measured(v, t, u if isinstance(u, str) else "")
            for v, t, u in zip(frame["measured"], frame["measured_threshold"], frame["unit"], strict=True)]
    return frame.drop(columns=["measured_threshold", "unit"]).assign(measured=text)
