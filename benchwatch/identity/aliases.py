"""The curated alias file: the matches normalization cannot decide, each with its reason.

``benchwatch/data/aliases.csv`` has one row per source model name that must
resolve to a canonical id other than its normalized key: a dateless display
name that stands for one dated snapshot ("Claude 3 Opus" on LMArena is
claude-3-opus-20240229), a serving variant of the same weights ("Llama 3.1
Instruct Turbo (8B)" on HELM is Llama-3.1-8B-Instruct served in FP8), or the
reasoning effort a provider uses by default (Epoch's ``_medium`` row of an
OpenAI reasoning model is that model as called without an effort). The note
says why; it is shown wherever the match is reported.
"""

from __future__ import annotations

import re
from importlib.resources import files
from importlib.resources.abc import Traversable

import pandas as pd

ALIASES_FILE = files("benchwatch") / "data" / "aliases.csv"
COLUMNS = ["canonical_id", "source", "model", "note"]
CANONICAL = re.compile(r"^[a-z0-9][a-z0-9.+\-/]*(?::[a-z0-9]+)?$")


class AliasError(ValueError):
    """The alias file is malformed; the message names the file and line."""


def load_aliases(path: Traversable = ALIASES_FILE) -> pd.DataFrame:
    """Validated alias rows (canonical_id, source, model, note, line).

    Every row needs all four fields, a canonical id in normalized form
    (lower case, no spaces, an optional ``:variant``), and a (source, model)
    pair no other row names: one name cannot mean two models.
    """
    with path.open("r", encoding="utf-8") as handle:
        frame = pd.read_csv(handle, dtype=str, keep_default_na=False, comment=None)
    missing = [c for c in COLUMNS if c not in frame.columns]
    if missing:
        raise AliasError(f"{path.name}: missing column(s) {missing}; expected {COLUMNS}")
    frame = frame[COLUMNS].apply(lambda column: column.str.strip())
    frame["line"] = range(2, len(frame) + 2)
    for row in frame.itertuples(index=False):
        where = f"{path.name} line {row.line}"
        empty = [c for c in COLUMNS if not getattr(row, c)]
        if empty:
            raise AliasError(f"{where}: empty {', '.join(empty)}")
        if not CANONICAL.match(row.canonical_id):
            raise AliasError(f"{where}: canonical id {row.canonical_id!r} is not in normalized form "
                             "(lower case, no spaces, optional ':variant')")
    duplicated = frame.duplicated(["source", "model"], keep=False)
    if duplicated.any():
        first = frame[duplicated].iloc[0]
        raise AliasError(f"{path.name} line {first['line']}: {first['source']} model "
                         f"{first['model']!r} is aliased more than once")
    return frame.reset_index(drop=True)
