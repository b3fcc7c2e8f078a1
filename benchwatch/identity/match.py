"""Match names from outside (a benchmark author's file) to the canonical ids Benchwatch knows.

People write a model's name as they please: lower case, dashes for spaces, a
vendor's word or a Hugging Face ``org/`` in front, "March 2025" for 0325. Each
name is tried against these rules in order, the first that finds it wins:

1. ``exact name in <source>``: a source publishes the name as written; it takes that
   source's resolution, curated aliases included, so a file copied from a leaderboard
   matches as the leaderboard does.
2. ``name in <source>, case aside``: a published name differing only in case and spaces.
3. ``exact`` / ``normalized``: the name's normalized key (``identity.normalize``: case,
   separators, known org prefixes and vendor words, date forms, qualifier order) is a
   canonical id some source has; ``normalized name in <source>``: it is the normalized
   key of a name a source publishes, which that source resolves (by an alias) to its id.
4. ``month form``: the key's month written another way (``202503`` for ``0325`` or
   ``2503``; ``0325`` or ``2503`` for ``202503``) is found by rule 3.

A name a rule finds under two or more canonical ids could be either model: it is not
matched (rule ``ambiguous``), and the ids it could be are listed as its suggestions. The
rest are unmatched, with fuzzy suggestions for review (``identity.suggest``), never applied.

Linear in the number of names: normalization over the whole column (``normalize_many``),
one merge per rule, and suggestions for at most ``SUGGEST_AT_MOST`` names.
"""

from __future__ import annotations

from collections.abc import Collection

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from benchwatch.identity.normalize import normalize_many
from benchwatch.identity.suggest import suggest

OUTSIDE = "(your file)"
SUGGEST_AT_MOST = 50
MATCH_COLUMNS = ["model", "canonical_id", "rule", "detail", "matched"]
AMBIGUOUS = "ambiguous"
_CANDIDATES_SHOWN = 5


def match_names(names: pd.Series, identity: pd.DataFrame) -> pd.DataFrame:
    """One row per name: its canonical id, the rule that found it (see the module) and detail,
    and whether it matched a stored model.

    ``identity`` is the stored resolution (source, model, canonical_id, match_rule, match_detail).
    Matched as frames, one merge per rule, each distinct name normalized once, so 100,000 names
    cost a few joins. An ambiguous name's detail lists the ids it could be.
    """
    distinct = names.drop_duplicates().reset_index(drop=True)
    published = identity.sort_values(["source", "model"]).drop_duplicates("model")
    exact = published[_isin(published["model"], distinct)]
    stored_detail = exact["match_detail"].fillna("").astype(str)
    found = [pd.DataFrame({
        "model": exact["model"], "canonical_id": exact["canonical_id"],
        "rule": "exact name in " + exact["source"].astype(str),
        "detail": exact["match_rule"].astype(str) + (": " + stored_detail).where(stored_detail != "", ""),
        "matched": True})]
    rest = distinct[~_isin(distinct, published["model"])]
    if len(rest):
        found.append(_by_rules(rest, identity))
    frame = pd.concat(found, ignore_index=True)
    return frame.iloc[_positions(names, frame["model"])].reset_index(drop=True)[MATCH_COLUMNS]


def _by_rules(rest: pd.Series, identity: pd.DataFrame) -> pd.DataFrame:
    """Rules 2 to 4 for the names no source publishes as written."""
    parsed = normalize_many(rest)
    own = (parsed["key"] + (":" + parsed["variant"].fillna("")).where(parsed["variant"].notna(), "")).to_numpy()
    out = pd.DataFrame({"model": rest.to_numpy(), "canonical_id": own,
                        "rule": np.where(own == rest.to_numpy(), "exact", "normalized"),
                        "detail": parsed["rules"].fillna("").to_numpy(), "matched": False})
    keyed = _keyed(identity)
    steps = [
        (_fold(out["model"]), identity.assign(key=_fold(identity["model"])), lambda s: f"name in {s}, case aside"),
        (out["canonical_id"], keyed, None),
    ]
    for lookup, table, rule in steps:
        open_ = out["rule"].isin(["exact", "normalized"]) & ~out["matched"]
        _apply(out, open_, lookup, table, rule)
    open_ = ~out["matched"] & (out["rule"] != AMBIGUOUS)
    if open_.any():
        alternatives = _month_forms(out.loc[open_, "canonical_id"])
        if len(alternatives):
            _apply(out, open_, None, keyed, lambda s: "month form", alternatives)
    return out


def _arrow(values: pd.Series) -> pa.Array | pa.ChunkedArray:
    """The column as Arrow strings: Arrow-backed text (pandas' ``str``, what a file reads as) as it is
    held, without making a Python string per value; anything else through its values."""
    if isinstance(values.dtype, pd.StringDtype) and values.dtype.storage == "pyarrow":
        return pa.array(values.array).cast(pa.string())
    return pa.array(values.to_numpy(dtype=object), type=pa.string())


def _positions(names: pd.Series, distinct: pd.Series) -> np.ndarray:
    """Where each of ``names`` is in ``distinct`` (which holds every one of them once)."""
    return np.asarray(pc.index_in(_arrow(names), value_set=_arrow(distinct)))


def _isin(values: pd.Series, among: pd.Series) -> np.ndarray:
    """``values.isin(among)`` by one hash table (pandas' Arrow strings build the set value by value)."""
    return np.asarray(pc.is_in(_arrow(values), value_set=_arrow(among.dropna())))


def _fold(names: pd.Series) -> pd.Series:
    """Case and runs of spaces aside: "llama 3 instruct  (8b)" is "Llama 3 Instruct (8B)"."""
    folded = pc.utf8_lower(pc.replace_substring_regex(pc.utf8_trim_whitespace(_arrow(names.astype(str))), r"\s+", " "))
    return pd.Series(np.asarray(folded, dtype=object), index=names.index)


def _keyed(identity: pd.DataFrame) -> pd.DataFrame:
    """Every stored canonical id under its own key, and every name a source resolves by an alias or
    a rename under the name's normalized key (pointing to the id the source resolves it to)."""
    ids = identity.drop_duplicates("canonical_id")
    own = pd.DataFrame({"key": ids["canonical_id"], "canonical_id": ids["canonical_id"], "source": "",
                        "model": ids["canonical_id"]})
    curated = identity[~identity["match_rule"].isin(["exact", "normalized"])]
    parsed = normalize_many(curated["model"])
    keys = parsed["key"] + (":" + parsed["variant"].fillna("")).where(parsed["variant"].notna(), "")
    named = pd.DataFrame({"key": keys.to_numpy(), "canonical_id": curated["canonical_id"].to_numpy(),
                          "source": curated["source"].to_numpy(), "model": curated["model"].to_numpy()})
    return pd.concat([own, named], ignore_index=True)


def _apply(out: pd.DataFrame, open_: pd.Series, lookup: pd.Series | None, table: pd.DataFrame,
           rule_of, alternatives: pd.DataFrame | None = None) -> None:
    """Look the open rows up in ``table`` (key -> canonical_id, source, model): one candidate id
    matches, two or more make the name ambiguous. ``rule_of(source)`` names a match; None keeps the
    row's own rule (exact/normalized) for a key that is an id, else "normalized name in <source>"."""
    if alternatives is None:
        alternatives = pd.DataFrame({"row": out.index[open_], "key": lookup[open_].to_numpy()})
    hits = alternatives.merge(table, on="key", how="inner").drop_duplicates(["row", "canonical_id"])
    if hits.empty:
        return
    count = hits.groupby("row")["canonical_id"].transform("size")
    single = hits[count == 1].set_index("row")
    if len(single):
        if rule_of is None:
            keeps_own = single["source"] == ""
            rules = out.loc[single.index, "rule"].where(keeps_own, "normalized name in " + single["source"])
            detail = out.loc[single.index, "detail"].where(
                keeps_own, out.loc[single.index, "detail"] + "; " + single["source"] + " publishes "
                + single["model"].map(repr) + " as " + single["canonical_id"]).str.removeprefix("; ")
        else:
            rules = single["source"].map(rule_of)
            found_in = (single["source"] + " has ").where(single["source"] != "", "stored id ")
            detail = (out.loc[single.index, "detail"] + "; " + found_in
                      + single["model"].map(repr)).str.removeprefix("; ")
        out.loc[single.index, ["canonical_id", "rule", "detail"]] = np.column_stack(
            [single["canonical_id"].to_numpy(), rules.to_numpy(), detail.to_numpy()])
        out.loc[single.index, "matched"] = True
    several = hits[count > 1]
    if len(several):
        listed = several.assign(text=several["canonical_id"] + " (" + several["source"].where(several["source"] != "",
                                                                                               "id") + ": "
                                + several["model"].astype(str) + ")")
        text = listed.groupby("row")["text"].agg(lambda t: "; ".join(t.head(_CANDIDATES_SHOWN)))
        out.loc[text.index, "rule"] = AMBIGUOUS
        out.loc[text.index, "detail"] = "could be " + text


def _month_forms(keys: pd.Series) -> pd.DataFrame:
    """Other spellings of a key's last date token read as a month: 202503 -> 0325 (MMYY) and 2503
    (YYMM); 0325 -> 202503; 2503 -> 202503. Rows (row, key); a key without such a token has none."""
    keys = keys[keys.astype(str).str.contains(r"-(?:20\d{4}|\d{4})(?::|$)")]
    parts = keys.str.extract(r"^(?P<head>.*-)(?P<date>20\d{4}|\d{4})(?P<tail>:.*)?$").dropna(subset=["date"])
    parts["tail"] = parts["tail"].fillna("")
    date = parts["date"]
    long = date.str.len() == 6
    forms = []
    mm, yy = date.str[4:6], date.str[2:4]
    ok = long & mm.between("01", "12")
    forms.append(parts[ok].assign(date=(mm + yy)[ok]))
    forms.append(parts[ok].assign(date=(yy + mm)[ok]))
    ab, cd = date.str[0:2], date.str[2:4]
    mmyy = ~long & ab.between("01", "12") & cd.between("20", "39")
    forms.append(parts[mmyy].assign(date=("20" + cd + ab)[mmyy]))
    yymm = ~long & ab.between("20", "39") & cd.between("01", "12")
    forms.append(parts[yymm].assign(date=("20" + ab + cd)[yymm]))
    both = pd.concat(forms)
    return pd.DataFrame({"row": both.index, "key": (both["head"] + both["date"] + both["tail"]).to_numpy()})


def suggestions(unmatched: pd.DataFrame, identity: pd.DataFrame) -> tuple[list[str], int]:
    """Suggested canonical ids for the first ``SUGGEST_AT_MOST`` unmatched rows (model,
    canonical_id, rule, detail), as "id (source: name)" strings, and how many rows got none for
    lack of room. An ambiguous name's suggestions are the ids it could be."""
    head = unmatched.head(SUGGEST_AT_MOST)
    found = suggest(head.assign(source=OUTSIDE), identity)
    text = ["; ".join(f"{c['canonical_id']} ({c['source']}: {c['model']})" for c in cands)
            for cands in found]
    if "rule" in head.columns:
        ambiguous = (head["rule"] == AMBIGUOUS).to_numpy()
        text = [str(detail).removeprefix("could be ") if flag else own
                for own, flag, detail in zip(text, ambiguous, head["detail"], strict=True)]
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
