"""``benchwatch unmapped``: benchmarks stored that nobody has mapped, listed for review.

The Every Eval Ever datastore publishes evaluations Benchwatch has never seen (hundreds of them).
They are stored as published and count as ``other`` (never safety) until a reviewer adds a row to
``benchwatch/data/benchmarks/<source>.csv``. EEE's are grouped by collection (the adapter that
publishes them), largest first, with how many unmapped evaluations each collection holds, so a
reviewer maps a collection at a time; ``--suggest`` adds the safety area an evaluation's own
metadata names (its description or the details its adapter tagged it with), and nothing where it
names none: a suggestion is never guessed from a benchmark's name.
"""

from __future__ import annotations

from typing import Annotated

import pandas as pd
import typer

from benchwatch.cli.app import DbOption, app, read_source
from benchwatch.cli.table import Format, FormatOption, emit
from benchwatch.storage.eee import SOURCE as EEE
from benchwatch.storage.eee import unmapped_by_collection
from benchwatch.storage.observations import unmapped_benchmarks


def grouped(frame: pd.DataFrame, by_collection: pd.DataFrame, suggest: bool) -> pd.DataFrame:
    """The unmapped list with EEE's rows by collection (``in_collection``: that collection's
    unmapped evaluations) and, with ``suggest``, the area each evaluation's metadata names."""
    eee = by_collection.assign(source=EEE, category="other",
                               in_collection=by_collection.groupby("collection")["benchmark"].transform("size"))
    eee = eee.merge(frame[["source", "benchmark", "observations", "latest"]], on=["source", "benchmark"],
                    how="left")
    others = frame[frame["source"] != EEE].assign(collection=None, in_collection=None, declared_area=None)
    columns = ["source", "collection", "in_collection", "benchmark", "category", "models", "observations",
               "latest"] + (["declared_area"] if suggest else [])
    out = pd.concat([others, eee], ignore_index=True)[columns]
    return out.rename(columns={"declared_area": "suggested_safety_area"})


@app.command()
def unmapped(
    source: Annotated[str | None, typer.Option("--source")] = None,
    suggest: Annotated[bool, typer.Option(
        "--suggest", help="Show the safety area an evaluation's own metadata names (none where it names none).")
    ] = False,
    fmt: FormatOption = Format.table,
    db: DbOption = None,
) -> None:
    """Benchmarks stored without a registry row: counted as other until reviewed and mapped."""
    with read_source(db, source) as con:
        frame = unmapped_benchmarks(con, source)
        by_collection = unmapped_by_collection(con) if source in (None, EEE) else None
    if by_collection is not None and len(by_collection):
        frame = grouped(frame, by_collection, suggest)
    emit(frame, fmt, title="Not in the reviewed mapping (stored as other; add a registry row to map)",
         empty="every stored benchmark is mapped in the registry")
