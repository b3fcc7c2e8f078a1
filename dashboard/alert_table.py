"""Alert rows for display: a correlation rule's value is a rho, another rule's is a count.

``alerts.value`` holds what fired the alert: Spearman rho for the
capability-tracking and drift rules, a number of values for scores-revised,
nothing for schema changes. Splitting it into ``rho`` and ``value`` lets the
tables show a rho as a percentage without turning a count into one.
"""

from __future__ import annotations

import pandas as pd

CORRELATION_RULES = ("capability-tracking", "drift")


def split_value(alerts: pd.DataFrame) -> pd.DataFrame:
    """``alerts`` with ``rho`` (correlation rules) and ``value`` (every other rule) apart."""
    is_rho = alerts["rule"].isin(CORRELATION_RULES)
    out = alerts.copy()
    out.insert(out.columns.get_loc("value"), "rho", alerts["value"].where(is_rho))
    out["value"] = alerts["value"].where(~is_rho)
    return out
