"""Renamed upstream rows: where a source gives each row a stable record id (Epoch's ``id``), a
model name that is gone from the source while its record ids live on under another name was
renamed upstream, and the old name is an alias of the new one.

Only a name that holds no current value is renamed: Epoch moved three rows of
``gemini-1.5-pro-001`` to ``gemini-1.5-pro-001-feb24`` (same record ids) in April 2026 while
keeping ``gemini-1.5-pro-001`` itself, with its own ECI, as the May 2024 version. There the rows
moved (the old name's rows are withdrawn by the full snapshot) but the two models stay two.
Pure: frames in, frames out.
"""

from __future__ import annotations

import pandas as pd

RENAME_COLUMNS = ["source", "model", "renamed_to", "record_id"]


def renames(models: pd.DataFrame) -> pd.DataFrame:
    """(source, model, renamed_to, record_id) for every old name renamed upstream.

    ``models``: source, model, record_ids (space-separated, or empty) and current (whether the
    model has a value open now). An old name is renamed to the one current model of its source
    that holds one of its record ids; an old name whose ids are now spread over several current
    models was split, not renamed, and is left alone.
    """
    ids = models[["source", "model", "current", "record_ids"]].dropna(subset=["record_ids"])
    ids = ids.assign(record_id=ids["record_ids"].str.split()).explode("record_id")
    ids = ids[ids["record_id"].fillna("") != ""]
    old, new = ids[~ids["current"].astype(bool)], ids[ids["current"].astype(bool)]
    pairs = old.merge(new, on=["source", "record_id"], suffixes=("", "_new"))
    targets = pairs.groupby(["source", "model"])["model_new"].transform("nunique")
    pairs = pairs[targets == 1].sort_values("record_id").drop_duplicates(["source", "model"])
    return pairs.rename(columns={"model_new": "renamed_to"})[RENAME_COLUMNS].reset_index(drop=True)
