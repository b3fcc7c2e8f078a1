"""Fuzzy suggestions for unmatched models: listed for a person to review, never applied.

A suggestion pairs an unmatched canonical id with the closest canonical ids
other sources have (``difflib`` ratio on the normalized keys). It is how the
alias file grows: a reviewer who agrees adds the row, with a note. Candidates
are compared only within the same leading token (the model family), which
keeps this fast on tens of thousands of names and keeps "Claude" from being
suggested for "Command". A model published under an organisation other than
its maker (``someuser/llama-3-8b-instruct``: a fine-tune or re-upload) gets no
suggestion: it is a different model by construction, and most of the Open LLM
Leaderboards' entries are such.
"""

from __future__ import annotations

import difflib
from collections import defaultdict

import pandas as pd

CUTOFF = 0.6
SUGGESTIONS = 3


def _family(canonical_id: str) -> str:
    return canonical_id.rsplit("/", 1)[-1].split("-", 1)[0][:4]


def suggest(unmatched: pd.DataFrame, identity: pd.DataFrame, n: int = SUGGESTIONS,
            cutoff: float = CUTOFF) -> list[list[dict]]:
    """For each row of ``unmatched`` (source, canonical_id), the best candidates from other sources.

    Each candidate is {canonical_id, source, model, score}, best first.
    """
    by_family: dict[str, dict[str, list[tuple[str, str]]]] = defaultdict(lambda: defaultdict(list))
    for source, model, canonical in identity[["source", "model", "canonical_id"]].itertuples(index=False):
        if "/" in canonical:
            continue
        by_family[_family(canonical)][canonical].append((source, model))
    out = []
    for source, canonical in unmatched[["source", "canonical_id"]].itertuples(index=False):
        if "/" in canonical:
            out.append([])
            continue
        pool = {cid: [(s, m) for s, m in names if s != source]
                for cid, names in by_family.get(_family(canonical), {}).items()}
        pool = {cid: names for cid, names in pool.items() if names and cid != canonical}
        found = []
        for candidate in difflib.get_close_matches(canonical, list(pool), n=n, cutoff=cutoff):
            other_source, other_model = min(pool[candidate])
            score = difflib.SequenceMatcher(None, canonical, candidate).ratio()
            found.append({"canonical_id": candidate, "source": other_source, "model": other_model,
                          "score": round(score, 3)})
        out.append(found)
    return out
