"""Untrusted text exported as data: what the CLI's CSV output and the dashboard's downloads share.

Model and benchmark names come from upstreams anyone can publish to (the Every
Eval Ever datastore is crowdsourced) and from users' own files. A CSV cell a
spreadsheet would run as a formula is made inert; numbers are left as they are. A name
shown to a person (terminal, HTML) has its control bytes made visible and is cut to a
length (``name_shown_chars``); the data (JSON, CSV, the database) keeps it whole.
"""

from __future__ import annotations

import re

import pandas as pd

# C0 and C1 control characters (NUL, escape sequences, line breaks, DEL...): shown as \xNN.
CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
ELLIPSIS = "…"


def inert(text: str) -> str:
    """``text`` with every control character written out (``\\x00``), so a NUL or a terminal
    escape sequence in a name is seen, never acted on."""
    return CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", text)


def shown(text: str, limit: int) -> str:
    """``text`` made inert and cut to ``limit`` characters, the cut marked with an ellipsis."""
    text = inert(text)
    return text if len(text) <= limit else text[:max(limit - 1, 0)] + ELLIPSIS

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
