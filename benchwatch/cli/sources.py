"""``benchwatch sources``: each source, live or frozen, what it holds; ``sources check`` probes the upstreams."""

from __future__ import annotations

import json
from enum import Enum
from typing import Annotated

import pandas as pd
import typer

from benchwatch.analysis.cross import EXTERNAL_AXES
from benchwatch.cli.app import DbOption, app, err, read_db, settings_or_exit
from benchwatch.cli.table import Format, FormatOption, emit
from benchwatch.pipeline.probe import run_sources_check
from benchwatch.sources.errors import SourceError
from benchwatch.sources.lmarena import CONFIGS as ARENA_BOARDS
from benchwatch.storage.views import sources as source_rows

sources_app = typer.Typer(invoke_without_command=True,
                          help="Each source: live or frozen, what it holds; `sources check` probes the upstreams.")
app.add_typer(sources_app, name="sources")


@sources_app.callback()
def sources(
    ctx: typer.Context,
    fmt: FormatOption = Format.table,
    db: DbOption = None,
) -> None:
    """Each source: live or frozen (since, why, evidence), fetches, last status, newest data, licence."""
    if ctx.invoked_subcommand is not None:
        return

    settings = settings_or_exit(db=db)
    with read_db(settings) as con:
        frame = source_rows(con)
    for column in ("last_fetched_at", "latest_data"):
        frame[column] = pd.to_datetime(frame[column]).dt.strftime("%Y-%m-%d %H:%M")
    frame["boards"] = frame["name"].map(lambda name: ", ".join(ARENA_BOARDS) if name == "lmarena" else "")
    frame["axes"] = frame["name"].map(axes_of)
    if fmt is Format.table:
        emit(frame[["name", "liveness", "frozen_since", "fetches", "last_status", "last_fetched_at",
                    "observations", "models", "benchmarks", "latest_data", "boards", "axes", "last_error"]], fmt)
    else:
        emit(frame, fmt)


def axes_of(source: str) -> str:
    """The cross-source capability axes a source gives (``analysis.cross.EXTERNAL_AXES``), e.g.
    Epoch's ``eci, compute, horizon``: what its data is used for beside its own columns."""
    return ", ".join(axis for axis, spec in EXTERNAL_AXES.items() if any(s == source for s, _ in spec))


class CheckFormat(str, Enum):
    table = "table"
    json = "json"


@sources_app.command("check")
def sources_check(
    source: Annotated[list[str] | None, typer.Option("--source", help="Only this source (repeatable).")] = None,
    fmt: Annotated[CheckFormat, typer.Option("--format")] = CheckFormat.table,
    record: Annotated[bool, typer.Option(
        "--record", help="Log failures in the fetch log (source-failing, schema-changed read it).")] = False,
    db: DbOption = None,
) -> None:
    """One cheap request per source: reachable, HTTP status, format recognised/changed/unknown, newest data.

    Exits 1 when a probed source is unreachable or its format changed or is unknown.
    """
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
        frame = pd.DataFrame(rows)
        http = frame["http_status"].map(lambda s: "" if s is None or pd.isna(s) else str(int(s)))
        frame = pd.DataFrame({
            "source": frame["source"], "live": frame["liveness"], "format": frame["format"],
            "http": http.where(frame["reachable"] != False, "down"),
            "newest": frame["newest_data"].fillna(""), "detail": frame["detail"]})
        emit(frame, Format.table, title="Upstreams")
    if not all(result.ok for result in results):
        raise typer.Exit(1)
