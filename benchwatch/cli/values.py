"""``benchwatch history``: every value a source published for a model, and how each one ended.

A value is open (current), revised (a later snapshot published another value for it) or
withdrawn (a later full snapshot no longer listed it). Nothing is deleted: a withdrawn value
stays here, and as-of analyses of dates before the withdrawal still use it.
"""

from __future__ import annotations

from typing import Annotated, Optional

import typer

from benchwatch.cli.app import DbOption, app, read_source
from benchwatch.cli.table import Format, FormatOption, emit
from benchwatch.storage.views import value_history


@app.command()
def history(
    model: Annotated[Optional[str], typer.Argument(help="One model as its source names it (default: all).")] = None,
    source: Annotated[Optional[str], typer.Option("--source")] = None,
    benchmark: Annotated[Optional[str], typer.Option("--benchmark")] = None,
    withdrawn: Annotated[bool, typer.Option("--withdrawn", help="Only the withdrawn values.")] = False,
    fmt: FormatOption = Format.table,
    db: DbOption = None,
) -> None:
    """Published values with their validity and how each ended: current, revised or withdrawn."""
    with read_source(db, source) as con:
        frame = value_history(con, source, model, benchmark, withdrawn)
    emit(frame, fmt, title="Values and how each ended", empty="no stored value matches")
