"""``benchwatch unmapped``: benchmarks stored that nobody has mapped, listed for review.

The Every Eval Ever datastore publishes evaluations Benchwatch has never seen.
They are stored as published and count as ``other`` (never safety) until a
reviewer adds a row to ``benchwatch/data/benchmarks/<source>.csv``.
"""

from __future__ import annotations

from typing import Annotated

import typer

from benchwatch.cli.app import DbOption, app, err, read_db, settings_or_exit, valid_source
from benchwatch.cli.table import Format, FormatOption, emit
from benchwatch.storage.observations import unmapped_benchmarks


@app.command()
def unmapped(
    source: Annotated[str | None, typer.Option("--source")] = None,
    fmt: FormatOption = Format.table,
    db: DbOption = None,
) -> None:
    """Benchmarks stored without a registry row: counted as other until reviewed and mapped."""
    settings = settings_or_exit(db=db)
    valid_source(source, settings)
    with read_db(settings) as con:
        frame = unmapped_benchmarks(con, source)
    if frame.empty and fmt is Format.table:
        err.print("every stored benchmark is mapped in the registry", markup=False)
        return
    emit(frame, fmt, title="Not in the reviewed mapping (stored as other; add a registry row to map)")
