"""Every number a person reads, spelled one way: the CLI tables, ``check``, the published report, the dashboard.

Why one module: the same rho used to read 0.867 in one view, 86.7 in another and 86.70% in a
third, and a threshold of 0.05 sat beside a value of 276. The conventions, decided once:

- rho (and its interval, a rise in rho, a partial rho) is shown as the paper shows it, x100 with
  one decimal: ``86.7``, ``[60.3, 85.4]``; each view says so once, in its caption or title
  (``RHO_CAPTION``), never in every cell.
- a share is a percentage: ``75%`` (``share(x, 1)``: ``75.0%``).
- an alert's threshold is shown in the unit of the value beside it (``value_in_unit``).
- a missing value is an em dash, ``MISSING``, never "None", "nan" or a blank.

Machine outputs (``--format json``/``csv``, the published JSON and CSV files, CSV downloads)
keep raw fractions: rho in [-1, 1], shares in [0, 1]. Only what a person reads goes through here.
"""

from __future__ import annotations

import math
from datetime import date, datetime
from typing import Any

import pandas as pd

MISSING = "—"
# From this magnitude on a number is written with a power of ten: its digits would say nothing.
HUGE = 1e9
# Said once per view, in its caption or title, beside the numbers it describes.
RHO_CAPTION = "Spearman rho x100"
RHO_UNIT = "rho x100"
# st.column_config / sprintf formats of the dashboard: a column with ``X100_FORMAT`` holds a
# fraction the table multiplies by 100 before showing it (``scaled``); its CSV stays raw.
X100_FORMAT = "%.1f"
SHARE_FORMAT = "%.0f%%"
COUNT_FORMAT = "localized"
# Vega-Lite (Altair) formats: an axis of shares stored as fractions; a tooltip of a rho the chart
# has already multiplied by 100 (``scaled``).
SHARE_AXIS_FORMAT = ".0%"
RHO_TOOLTIP = ".1f"
# Alert units (``alerting.messages.shown_numbers``) shown x100, and the ones shown as a percentage.
X100_UNITS = {"rho": RHO_UNIT, "rise in rho": f"rise in {RHO_UNIT}"}
SHARE_UNITS = {"share of a benchmark's values revised": "of a benchmark's values revised"}


def missing(value: Any) -> bool:
    """True for None, NaN, NaT and pandas' NA: the values shown as ``MISSING``; and for ``MISSING``
    itself, a cell a table has already written for people (the dashboard's text columns)."""
    if value is None or value is pd.NA or value is pd.NaT or (isinstance(value, str) and value == MISSING):
        return True
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def rho(value: Any, signed: bool = False) -> str:
    """A rho x100 with one decimal: 0.8672 -> "86.7" (``signed``: "+86.7", for a change)."""
    if missing(value):
        return MISSING
    return f"{100 * float(value):{'+' if signed else ''}.1f}"


def rho_interval(low: Any, high: Any) -> str:
    """An interval of rho x100: (0.603, 0.854) -> "[60.3, 85.4]"; either end missing -> ``MISSING``."""
    if missing(low) or missing(high):
        return MISSING
    return f"[{rho(low)}, {rho(high)}]"


def share(value: Any, decimals: int = 0) -> str:
    """A fraction as a percentage: 0.75 -> "75%" (``decimals=1``: "75.0%")."""
    if missing(value):
        return MISSING
    return f"{100 * float(value):.{decimals}f}%"


def count(value: Any) -> str:
    """A whole number with thousands separators: 118485 -> "118,485"."""
    if missing(value):
        return MISSING
    return f"{int(value):,}"


def fraction_of(part: Any, whole: Any) -> str:
    """``part`` of ``whole`` with its share: (65, 87) -> "65/87 (75%)"."""
    if missing(part) or missing(whole):
        return MISSING
    return f"{count(part)}/{count(whole)} ({share(int(part) / int(whole) if int(whole) else math.nan)})"


def number(value: Any) -> str:
    """Any other measured value (a score, a slope, a q): three significant digits, whole with
    separators from 1,000 on, powers of ten from ``HUGE`` on (training FLOP): 0.04512 -> "0.0451",
    276.0 -> "276", 12345.6 -> "12,346", 5.49e23 -> "5.49e+23"."""
    if missing(value):
        return MISSING
    value = float(value)
    if abs(value) >= HUGE:
        return f"{value:.3g}"
    if value.is_integer():
        return f"{int(value):,}"
    return f"{value:,.0f}" if abs(value) >= 1000 else f"{value:.3g}"


def day(value: Any) -> str:
    """A date or timestamp as its day, "2024-06-01"."""
    if missing(value):
        return MISSING
    if isinstance(value, (date, datetime, pd.Timestamp)):
        return value.strftime("%Y-%m-%d")
    return pd.Timestamp(value).strftime("%Y-%m-%d")


def value_in_unit(value: Any, unit: str) -> str:
    """A value in the unit named by ``alerting.messages.shown_numbers``, as a person reads it:
    rho units x100 ("86.7"), shares as percentages ("12.5%"), failures as counts ("3")."""
    if unit in X100_UNITS:
        return rho(value)
    if unit in SHARE_UNITS:
        return share(value, 1)
    return number(value)


def unit_label(unit: str) -> str:
    """The unit as a view names it: "rho" -> "rho x100", a share -> "% of ..."."""
    return X100_UNITS.get(unit) or SHARE_UNITS.get(unit) or unit


def measured(value: Any, threshold: Any, unit: str) -> str:
    """A value against its threshold in one unit: "86.7 (threshold 70.0) rho x100"."""
    if missing(value):
        return MISSING
    return f"{value_in_unit(value, unit)} (threshold {value_in_unit(threshold, unit)}) {unit_label(unit)}".rstrip()


def scaled(frame: pd.DataFrame, columns: list[str] | tuple[str, ...]) -> pd.DataFrame:
    """``frame`` with ``columns`` (fractions) multiplied by 100, for a view that shows them x100
    through a number format (the dashboard's ``X100_FORMAT`` columns); other columns untouched."""
    out = frame.copy()
    for column in columns:
        if column in out.columns:
            out[column] = pd.to_numeric(out[column], errors="coerce") * 100
    return out
