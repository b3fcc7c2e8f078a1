"""``match_names`` as frames gives what the per-name look-up gave, name for name, on the identity
table of a replayed database (every recorded source ingested, resolved as the analysis stores it)."""

from __future__ import annotations

import duckdb
import pandas as pd
import pytest

from benchwatch.identity.match import MATCH_COLUMNS, OUTSIDE, match_names
from benchwatch.identity.resolve import resolve
from benchwatch.pipeline.refresh import refresh
from benchwatch.settings import load_settings
from benchwatch.storage import identity as identity_store


def per_name(names: pd.Series, identity: pd.DataFrame) -> pd.DataFrame:
    """The oracle: the per-name ``.loc`` look-up ``match_names`` replaced (kept here only)."""
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


@pytest.fixture(scope="module")
def identity(tmp_path_factory, data_dir) -> pd.DataFrame:
    db = tmp_path_factory.mktemp("match") / "bw.duckdb"
    result = refresh(load_settings(db=db, replay_dir=data_dir), analyze=False)
    assert not result.failed
    with duckdb.connect(str(db), read_only=True) as con:  # what the analysis stores as model_aliases
        return resolve(identity_store.stored_models(con))


def test_frames_match_every_name_as_the_per_name_lookup_did(identity):
    published = pd.Series(identity["model"].unique())
    # Every stored name; each also as a user would retype it (rules other than the exact name);
    # names nobody has; and repeats, in a shuffled order.
    retyped = published.str.upper().str.replace("-", " ", regex=False)
    nobody = pd.Series([f"nobody/model-{k}" for k in range(200)])
    names = pd.concat([published, retyped, nobody, published.head(50)], ignore_index=True)
    names = names.sample(frac=1, random_state=0).reset_index(drop=True)

    got, expected = match_names(names, identity), per_name(names, identity)

    pd.testing.assert_frame_equal(got, expected, check_dtype=False)
    rules = got["rule"].where(~got["rule"].str.startswith("exact name in "), "exact name in a source")
    # Every rule is exercised, and the look-up matched a meaningful share of the retyped names.
    assert {"exact name in a source", "normalized"} <= set(rules)
    assert got["matched"].sum() > len(published) + 50
    assert not got.loc[got["model"].isin(nobody), "matched"].any()
