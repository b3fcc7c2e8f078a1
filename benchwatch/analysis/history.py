"""As-of reconstruction: what was known on a date, and which dates to look at.

Every observation carries its validity interval in data time, so the matrix
a researcher would have seen on any past date is a filter, not a guess.
"""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pandas as pd

FREQUENCIES = {"monthly": "ME", "quarterly": "QE"}


def asof_dates(first: date, last: date, frequency: str = "monthly") -> list[date]:
    """Period ends from ``first`` up to ``last``, and ``last`` itself (the latest point)."""
    ends = pd.date_range(first, last, freq=FREQUENCIES[frequency])
    points = [d.date() for d in ends if d.date() < last]
    return points + [last]


def known_on(history: pd.DataFrame, as_of: date) -> pd.DataFrame:
    """Rows of ``history`` (valid_from, valid_to) known at the end of ``as_of``."""
    return history.loc[known_mask(history, as_of)]


def known_mask(history: pd.DataFrame, as_of: date) -> np.ndarray:
    """Which rows of ``history`` ``known_on`` keeps, as a boolean array (for callers that
    select positions themselves, ``cross.NewestValues``)."""
    cutoff = pd.Timestamp(as_of + timedelta(days=1))
    valid_from, valid_to = history["valid_from"], history["valid_to"]
    if all(isinstance(c.dtype, np.dtype) and c.dtype.kind == "M" for c in (valid_from, valid_to)):
        # Plain datetime64 columns (as storage reads them): the same comparisons on the arrays,
        # without a Series per comparison (the analysis asks thousands of times).
        start, end = valid_from.to_numpy(), valid_to.to_numpy()
        stamp = cutoff.to_datetime64()
        return (start < stamp) & (np.isnat(end) | (end >= stamp))
    return ((valid_from < cutoff) & (valid_to.isna() | (valid_to >= cutoff))).to_numpy(dtype=bool)
