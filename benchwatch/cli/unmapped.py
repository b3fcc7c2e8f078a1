"""``benchwatch unmapped``: benchmarks stored that nobody has mapped, listed for review.

The Every Eval Ever datastore publishes evaluations Benchwatch has never seen.
They are stored as published and count as ``other`` (never safety) until a
reviewer adds a row to ``benchwatch/data/benchmarks/<source>.csv``.
"""

from __future__ import annotations

from typing import Annotated

import typer

from benchwatch.cli.app import DbOption, app, read_source
from benchwatch.cli.table import Format, FormatOption, emit
from benchwatch.storage.observations import unmapped_benchmarks


@app.command()
def unmapped(
    source: Annotated[str | None, typer.Option("--source")] = None,
    fmt: FormatOption = Format.table,
    db: DbOption = None,
) -> None:
    """Benchmarks stored without a registry row: counted as other until reviewed and mapped."""
    with read_source(db, source) as con:
        frame = unmapped_benchmarks(con, source)
    emit(frame, fmt, title="Not in the reviewed mapping (stored as other; add a registry row to map)",
         empty="every stored benchmark is mapped in the registry")
