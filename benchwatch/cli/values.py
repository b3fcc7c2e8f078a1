"""``benchwatch history``: every value a source published for a model, and how each one ended.

A value is open (current), revised (a later snapshot published another value for it) or
withdrawn (a later full snapshot no longer listed it). Nothing is deleted: a withdrawn value
stays here, and as-of analyses of dates before the withdrawal still use it. An Every Eval Ever
value also says where it came from: its collection, first or third party, the adapter and its cron
run date (``storage.eee``).
"""

from __future__ import annotations

from typing import Annotated, Optional

import pandas as pd
import typer

from benchwatch.cli.app import DbOption, app, read_source
from benchwatch.cli.table import Format, FormatOption, emit
from benchwatch.storage.eee import SOURCE as EEE
from benchwatch.storage.eee import score_provenance
from benchwatch.storage.views import value_history


def with_provenance(frame: pd.DataFrame, provenance: pd.DataFrame) -> pd.DataFrame:
    """Every Eval Ever values with who measured each (first or third party), from which collection,
    by which adapter and cron run (empty for other sources)."""
    columns = ["collection", "evaluator_relationship", "adapter", "cron_run_date"]
    return frame.merge(provenance[["source", "model", "benchmark", "valid_from", *columns]],
                       on=["source", "model", "benchmark", "valid_from"], how="left")


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
        if (frame["source"] == EEE).any():
            frame = with_provenance(frame, score_provenance(con, model, benchmark))
    emit(frame, fmt, title="Values and how each ended", empty="no stored value matches")
