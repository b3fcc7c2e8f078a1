"""``benchwatch findings``: what the rules find on frozen sources' data."""

from __future__ import annotations

from typing import Annotated

import duckdb
import pandas as pd
import typer

from benchwatch import numbers
from benchwatch.cli.app import DbOption, app, err, read_db, settings_or_exit, valid_source
from benchwatch.cli.correlations import (
    SIGNAL_SHARES,
    SIGNAL_TABLE,
    SIGNALS_TITLE,
    with_band,
    with_interval,
    with_signals,
)
from benchwatch.cli.table import Format, FormatOption, WideOption, emit


@app.command()
def findings(
    source: Annotated[str | None, typer.Option("--source")] = None,
    fmt: FormatOption = Format.table,
    wide: WideOption = False,
    db: DbOption = None,
) -> None:
    """Findings: what the rules find on frozen sources' data (never alerts, never notified)."""
    from benchwatch.storage.findings import list_findings

    settings = settings_or_exit(db=db)
    valid_source(source, settings)
    with read_db(settings) as con:
        try:
            frame = list_findings(con, source=source)
        except duckdb.CatalogException:
            err.print(f"no findings in {settings.db} yet: run `benchwatch refresh` (it upgrades the database)",
                      markup=False)
            raise typer.Exit(1) from None
    for column in ("since", "as_of"):
        frame[column] = pd.to_datetime(frame[column]).dt.strftime("%Y-%m-%d")
    frame = with_signals(frame, settings)
    if fmt is Format.table:
        frame = frame.assign(q=frame["q"].map(numbers.number),
                             **{"class": frame["class"].fillna("")})
        columns = ["source", "set", "axis", "name", "rule", "class", "rho", "CI×100", "q", "n", "since"]
        emit(with_band(with_interval(frame))[columns + (SIGNAL_TABLE if wide else [])],
             fmt, percent=("rho", "partial_rho_time"), shares=SIGNAL_SHARES, wide=wide, split="source",
             title=f"Findings on frozen data: {numbers.RHO_CAPTION} and its CI" + (SIGNALS_TITLE if wide else ""))
    else:
        emit(frame, fmt)
