"""Resolve every source's models to canonical ids, and say how well sources overlap.

Resolution order, per (source, model): a curated alias if the file names the
pair, else a rename the upstream's record ids show (``identity.records``: the old
name resolves as the new one does), else the normalized key (``identity.normalize``). Each row records which
one applied (``match_rule``) and its detail (the normalization rules that
changed the name, or the alias note and line), so a match between two sources
is explained by its two rows. Nothing fuzzy is ever applied here: fuzzy
suggestions (``identity.suggest``) are only listed for review.

Base versus chat is resolved here too (``kind``, by ``identity.kinds``): a
marker in the name, the source's own flag, its declared population, a name
pattern (Epoch), else unknown; ``kind_rule`` says which decided.
"""

from __future__ import annotations

import hashlib
from importlib.resources import files
from importlib.resources.abc import Traversable

import pandas as pd

from benchwatch.identity.aliases import ALIASES_FILE, load_aliases
from benchwatch.identity.kinds import kind_of
from benchwatch.identity.normalize import normalize
from benchwatch.identity.records import renames

IDENTITY_COLUMNS = ["source", "model", "canonical_id", "base_id", "variant", "kind", "kind_rule",
                    "match_rule", "match_detail"]


def identity_version(aliases_file: Traversable = ALIASES_FILE) -> str:
    """Fingerprint of the rules and the alias file: a change means re-resolving."""
    digest = hashlib.sha256()
    rules = sorted((p for p in files("benchwatch.identity").iterdir() if p.name.endswith(".py")),
                   key=lambda p: p.name)
    for path in [*rules, aliases_file]:
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def resolve(models: pd.DataFrame, aliases: pd.DataFrame | None = None) -> pd.DataFrame:
    """One identity row per (source, model) of ``models`` (columns source, model, model_type, and
    where known record_ids and current, for renames)."""
    if aliases is None:
        aliases = load_aliases()
    curated = {(a.source, a.model): a for a in aliases.itertuples(index=False)}
    renamed = ({(r.source, r.model): r for r in renames(models).itertuples(index=False)}
               if {"record_ids", "current"} <= set(models.columns) else {})
    rows = []
    for source, model, model_type in models[["source", "model", "model_type"]].itertuples(index=False):
        rename = renamed.get((source, model))
        parsed = normalize(rename.renamed_to if rename is not None else model)
        alias = curated.get((source, model))
        kind, kind_rule = kind_of(source, model, model_type, parsed.kind)
        if alias is not None:
            canonical, rule = alias.canonical_id, "alias"
            detail = f"aliases.csv line {alias.line}: {alias.note}"
        elif rename is not None:
            new = curated.get((source, rename.renamed_to))
            canonical, rule = (new.canonical_id if new is not None else parsed.canonical_id), "record id"
            detail = f"renamed upstream to {rename.renamed_to!r} (record id {rename.record_id})"
        elif parsed.canonical_id == model:
            canonical, rule, detail = model, "exact", ""
        else:
            canonical, rule, detail = parsed.canonical_id, "normalized", ", ".join(parsed.rules)
        base_id, _, variant = canonical.partition(":")
        rows.append((source, model, canonical, base_id, variant or None, kind, kind_rule, rule, detail))
    return pd.DataFrame(rows, columns=IDENTITY_COLUMNS)


def matched_sources(identity: pd.DataFrame) -> pd.Series:
    """For each identity row, the other sources that have a model with the same canonical id."""
    by_id = identity.groupby("canonical_id")["source"].agg(lambda s: sorted(set(s)))
    others = identity["canonical_id"].map(by_id)
    return pd.Series([[s for s in found if s != own] for found, own in
                      zip(others, identity["source"], strict=True)], index=identity.index)


def coverage(identity: pd.DataFrame) -> pd.DataFrame:
    """Fraction of each source's models whose canonical id another source also has."""
    ids = identity.groupby("source")["canonical_id"].agg(set)
    rows = []
    for source, own in identity.groupby("source")["canonical_id"]:
        for other, theirs in ids.items():
            if other == source:
                continue
            matched = int(own.isin(theirs).sum())
            rows.append({"source": source, "other_source": other, "matched": matched,
                         "models": len(own), "fraction": matched / len(own)})
    return pd.DataFrame(rows, columns=["source", "other_source", "matched", "models", "fraction"])
