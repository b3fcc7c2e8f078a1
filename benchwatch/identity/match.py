"""Match names from outside (a benchmark author's file) to the canonical ids Benchwatch knows.

A name that a source publishes exactly (HELM's "Llama 3 Instruct (70B)") takes
that source's resolution, curated aliases included, so a file copied from a
leaderboard matches as the leaderboard does. Any other name is resolved by
the same rules as every source (``identity.resolve``: normalization); it is
matched when the canonical id is one some source has. The rest are unmatched,
with fuzzy suggestions for review (``identity.suggest``), never applied.

Linear in the number of names: dictionary lookups, one normalization per
distinct name, and suggestions for at most ``SUGGEST_AT_MOST`` names.
"""

from __future__ import annotations

import pandas as pd

from benchwatch.identity.resolve import resolve
from benchwatch.identity.suggest import suggest

OUTSIDE = "(your file)"
SUGGEST_AT_MOST = 50
MATCH_COLUMNS = ["model", "canonical_id", "rule", "detail", "matched"]


def match_names(names: pd.Series, identity: pd.DataFrame) -> pd.DataFrame:
    """One row per name: its canonical id, the rule (``exact name in <source>``, ``exact``,
    ``normalized``, ``alias``) and detail, and whether a stored model has that canonical id.

    ``identity`` is the stored resolution (source, model, canonical_id, match_rule, match_detail).
    """
    distinct = pd.Series(names.drop_duplicates().to_numpy(), dtype=object)
    published = identity.sort_values(["source", "model"]).drop_duplicates("model").set_index("model")
    known = set(identity["canonical_id"])
    rows = []
    unknown = distinct[~distinct.isin(published.index)]
    resolved = resolve(pd.DataFrame({"source": OUTSIDE, "model": unknown, "model_type": None}))
    resolved = resolved.set_index("model")
    for name in distinct:
        if name in published.index:
            row = published.loc[name]
            detail = f"{row['match_rule']}" + (f": {row['match_detail']}" if row["match_detail"] else "")
            rows.append((name, row["canonical_id"], f"exact name in {row['source']}", detail, True))
        else:
            row = resolved.loc[name]
            rows.append((name, row["canonical_id"], row["match_rule"], row["match_detail"] or "",
                         row["canonical_id"] in known))
    frame = pd.DataFrame(rows, columns=MATCH_COLUMNS)
    return frame.set_index("model").loc[names.to_numpy()].reset_index()


def suggestions(unmatched: pd.DataFrame, identity: pd.DataFrame) -> tuple[list[str], int]:
    """Suggested canonical ids for the first ``SUGGEST_AT_MOST`` unmatched rows (model,
    canonical_id), as "id (source: name)" strings, and how many rows got none for lack of room."""
    head = unmatched.head(SUGGEST_AT_MOST)
    found = suggest(head.assign(source=OUTSIDE), identity)
    text = ["; ".join(f"{c['canonical_id']} ({c['source']}: {c['model']})" for c in cands)
            for cands in found]
    return text, max(0, len(unmatched) - len(head))
