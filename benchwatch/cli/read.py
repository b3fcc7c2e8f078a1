"""Read commands: the paper reproduction, correlations, sources."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Optional

import pandas as pd
import typer

from benchwatch.cli.app import (
    DbOption,
    Format,
    app,
    emit,
    err,
    out,
    parse_date,
    read_db,
    settings_or_exit,
)


@app.command("reproduce-paper")
def reproduce_paper(
    data: Annotated[Optional[Path], typer.Option("--data", help="Folder holding safetywashing/.")] = None,
    fmt: Annotated[Format, typer.Option("--format")] = Format.table,
) -> None:
    """The paper's method on the paper's matrices: PC1 variance and every correlation."""
    from benchwatch.paper import reproduce
    from benchwatch.sources.base import SourceError

    settings = settings_or_exit(replay_dir=data)
    try:
        result = reproduce(settings.replay_dir)
    except SourceError as exc:
        err.print(str(exc), markup=False)
        raise typer.Exit(1) from None
    if fmt is Format.json:
        typer.echo(json.dumps(
            {k: {"n_models": v["n_models"], "explained_variance": v["explained_variance"],
                 "correlations": v["correlations"], "calibration_vs_mmlu": v["calibration_vs_mmlu"]}
             for k, v in result.items()}, indent=1))
        return
    for model_set, facts in result.items():
        out.print(f"[bold]{model_set}[/bold]: {facts['n_models']} models, PC1 explains "
                  f"{100 * facts['explained_variance']:.1f}% of capability variance")
    rows = pd.DataFrame({k: v["correlations"] for k, v in result.items()})
    rows = rows.rename_axis("benchmark").reset_index().sort_values("chat", ascending=False, na_position="last")
    emit(rows, Format.table if fmt is Format.table else fmt, percent=tuple(result),
          title="Capabilities correlation (Spearman with PC1 score)")


@app.command()
def correlations(
    source: Annotated[Optional[str], typer.Option("--source")] = None,
    model_set: Annotated[Optional[str], typer.Option("--model-set")] = None,
    as_of: Annotated[Optional[str], typer.Option("--as-of", help="DATE, or 'all' (default: latest).")] = None,
    axis: Annotated[Optional[str], typer.Option("--axis")] = None,
    fmt: Annotated[Format, typer.Option("--format")] = Format.table,
    db: DbOption = None,
) -> None:
    """Capabilities correlations from the database (latest as-of point by default)."""
    from benchwatch.storage.results import correlations as read_correlations

    settings = settings_or_exit(db=db)
    if as_of not in (None, "all"):
        parse_date(as_of, "--as-of")
    with read_db(settings) as con:
        frame = read_correlations(con, source=source, model_set=model_set, as_of=as_of, axis=axis)
    frame["as_of"] = pd.to_datetime(frame["as_of"]).dt.strftime("%Y-%m-%d")
    columns = ["source", "model_set", "axis", "benchmark", "as_of", "rho", "ci_low", "ci_high", "n",
               "category", "safety_area"]
    if fmt is Format.table:
        frame = frame[frame["category"] == "safety"] if source is None else frame
        emit(frame[columns[:9]], fmt, percent=("rho", "ci_low", "ci_high"))
    else:
        emit(frame[columns], fmt)


@app.command()
def sources(
    fmt: Annotated[Format, typer.Option("--format")] = Format.table,
    db: DbOption = None,
) -> None:
    """Each source: fetches, last status and error, what it holds, and its licence."""
    from benchwatch.sources import SOURCES
    from benchwatch.storage.observations import source_status

    settings = settings_or_exit(db=db)
    with read_db(settings) as con:
        frame = source_status(con)
    frame["license"] = frame["name"].map(lambda n: SOURCES[n].license if n in SOURCES else "")
    frame["attribution"] = frame["name"].map(lambda n: SOURCES[n].attribution if n in SOURCES else "")
    for column in ("last_fetched_at", "latest_data"):
        frame[column] = pd.to_datetime(frame[column]).dt.strftime("%Y-%m-%d %H:%M")
    if fmt is Format.table:
        emit(frame[["name", "fetches", "last_status", "last_fetched_at", "observations", "revisions",
                     "models", "benchmarks", "latest_data", "last_error"]], fmt)
    else:
        emit(frame, fmt)
