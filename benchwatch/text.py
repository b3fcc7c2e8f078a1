"""Untrusted text exported as data: what the CLI's CSV output and the dashboard's downloads share.

Model and benchmark names come from upstreams anyone can publish to (the Every
Eval Ever datastore is crowdsourced) and from users' own files. A CSV cell a
spreadsheet would run as a formula is made inert; numbers are left as they are.
"""

from __future__ import annotations

import pandas as pd

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_text(frame: pd.DataFrame) -> str:
    """The rows as CSV; a text cell starting with ``=``, ``+``, ``-``, ``@`` (or a tab or a
    carriage return) gets a leading apostrophe, the usual CSV-injection guard."""
    safe = frame.copy()
    for column in safe.columns:
        if safe[column].dtype == object or pd.api.types.is_string_dtype(safe[column]):
            safe[column] = safe[column].map(
                lambda v: "'" + v if isinstance(v, str) and v[:1] in FORMULA_STARTS else v)
    return safe.to_csv(index=False)
