"""Match names from outside (a benchmark author's file) to the canonical ids Benchwatch knows.

A name that a source publishes exactly (HELM's "Llama 3 Instruct (70B)") takes
that source's resolution, curated aliases included, so a file copied from a
leaderboard matches as the leaderboard does. Any other name is resolved by
the same rules as every source (``identity.resolve``: normalization); it is
matched when the canonical id is one some source has. The rest are unmatched,
with fuzzy suggestions for review (``identity.suggest``), never applied.

Linear in the number of names: one merge per rule, one normalization per
distinct name, and suggestions for at most ``SUGGEST_AT_MOST`` names.
"""

from __future__ import annotations

from collections.abc import Collection

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
    Matched as frames, one merge per rule (a name a source publishes first, then the rules),
    so 100,000 names cost a few joins rather than 100,000 index look-ups.
    """
    distinct = pd.DataFrame({"model": pd.Series(names.drop_duplicates().to_numpy(), dtype=object)})
    published = identity.sort_values(["source", "model"]).drop_duplicates("model")
    exact = distinct.merge(published[["model", "source", "canonical_id", "match_rule", "match_detail"]],
                           on="model", how="inner")
    stored_detail = exact["match_detail"].fillna("").astype(str)
    exact = pd.DataFrame({
        "model": exact["model"], "canonical_id": exact["canonical_id"],
        "rule": "exact name in " + exact["source"].astype(str),
        "detail": exact["match_rule"].astype(str) + (": " + stored_detail).where(stored_detail != "", ""),
        "matched": True})
    unknown = distinct[~distinct["model"].isin(published["model"])]
    resolved = resolve(pd.DataFrame({"source": OUTSIDE, "model": unknown["model"], "model_type": None}))
    resolved = unknown.merge(resolved[["model", "canonical_id", "match_rule", "match_detail"]], on="model",
                             how="left")
    ruled = pd.DataFrame({
        "model": resolved["model"], "canonical_id": resolved["canonical_id"], "rule": resolved["match_rule"],
        "detail": resolved["match_detail"].fillna(""),
        "matched": resolved["canonical_id"].isin(identity["canonical_id"])})
    frame = pd.concat([exact, ruled], ignore_index=True)
    return pd.DataFrame({"model": names.to_numpy()}).merge(frame, on="model", how="left")[MATCH_COLUMNS]


def suggestions(unmatched: pd.DataFrame, identity: pd.DataFrame) -> tuple[list[str], int]:
    """Suggested canonical ids for the first ``SUGGEST_AT_MOST`` unmatched rows (model,
    canonical_id), as "id (source: name)" strings, and how many rows got none for lack of room."""
    head = unmatched.head(SUGGEST_AT_MOST)
    found = suggest(head.assign(source=OUTSIDE), identity)
    text = ["; ".join(f"{c['canonical_id']} ({c['source']}: {c['model']})" for c in cands)
            for cands in found]
    return text, max(0, len(unmatched) - len(head))


def matched_as_checked(identity: pd.DataFrame, sources: Collection[str]) -> pd.DataFrame:
    """``identity`` with the models of ``sources`` (custom sources: files of your own) resolved as
    ``benchwatch check`` matches a file's names (``match_names`` against the other sources), so a
    saved file's models are the ones its check compared: a name HELM publishes takes HELM's
    resolution, its curated aliases included, which the plain rules alone would miss."""
    own = identity["source"].isin(list(sources))
    if not own.any():
        return identity
    found = match_names(identity.loc[own, "model"], identity[~own])
    out = identity.copy()
    canonical = found["canonical_id"].to_numpy()
    out.loc[own, "canonical_id"] = canonical
    out.loc[own, "base_id"] = [str(c).partition(":")[0] for c in canonical]
    out.loc[own, "variant"] = [str(c).partition(":")[2] or None for c in canonical]
    # A name another source publishes keeps that source's rule (the stored rules are the resolver's).
    published = found["rule"].str.startswith("exact name in ")
    out.loc[own, "match_rule"] = found["rule"].where(~published, found["detail"].str.partition(":")[0]).to_numpy()
    out.loc[own, "match_detail"] = (found["rule"] + ": " + found["detail"]).where(published, found["detail"]).to_numpy()
    return out
