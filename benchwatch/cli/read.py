"""Read commands: the paper reproduction, correlations, sources."""

from __future__ import annotations

import json
from enum import Enum
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
    sources_app,
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


@sources_app.callback()
def sources(
    ctx: typer.Context,
    fmt: Annotated[Format, typer.Option("--format")] = Format.table,
    db: DbOption = None,
) -> None:
    """Each source: live or frozen (since, why, evidence), fetches, last status, newest data, licence."""
    if ctx.invoked_subcommand is not None:
        return
    from benchwatch.storage.views import sources as source_rows

    settings = settings_or_exit(db=db)
    with read_db(settings) as con:
        frame = source_rows(con)
    for column in ("last_fetched_at", "latest_data"):
        frame[column] = pd.to_datetime(frame[column]).dt.strftime("%Y-%m-%d %H:%M")
    if fmt is Format.table:
        emit(frame[["name", "liveness", "frozen_since", "fetches", "last_status", "last_fetched_at",
                    "observations", "models", "benchmarks", "latest_data", "last_error"]], fmt)
    else:
        emit(frame, fmt)


class CheckFormat(str, Enum):
    table = "table"
    json = "json"


@sources_app.command("check")
def sources_check(
    source: Annotated[Optional[list[str]], typer.Option("--source", help="Only this source (repeatable).")] = None,
    fmt: Annotated[CheckFormat, typer.Option("--format")] = CheckFormat.table,
    record: Annotated[bool, typer.Option(
        "--record", help="Log failures in the fetch log (source-failing, schema-changed read it).")] = False,
    db: DbOption = None,
) -> None:
    """One cheap request per source: reachable, HTTP status, format recognised/changed/unknown, newest data.

    Exits 1 when a probed source is unreachable or its format changed or is unknown.
    """
    from benchwatch.pipeline.sources_check import run_sources_check
    from benchwatch.sources.base import SourceError

    settings = settings_or_exit(db=db)
    try:
        results = run_sources_check(settings, source, record=record)
    except (ValueError, SourceError, OSError) as exc:
        err.print(str(exc), markup=False)
        raise typer.Exit(2) from None
    rows = [result.as_dict() for result in results]
    if fmt is CheckFormat.json:
        typer.echo(json.dumps(rows, indent=1))
    else:
        frame = pd.DataFrame(rows)[["source", "liveness", "reachable", "http_status", "format",
                                    "newest_data", "detail"]]
        emit(frame, Format.table, title="Upstreams")
    if not all(result.ok for result in results):
        raise typer.Exit(1)
