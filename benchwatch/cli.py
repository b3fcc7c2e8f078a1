"""The ``benchwatch`` command line.

Commands and their JSON shapes are a contract other tools rely on; table
output is for people (aligned, percentages where the paper uses them).
"""

from __future__ import annotations

import json
import os
import sys
from contextlib import closing
from datetime import date
from enum import Enum
from pathlib import Path
from typing import Annotated, Optional

import pandas as pd
import typer
from rich.console import Console
from rich.table import Table

from benchwatch.settings import Settings, SettingsError, load_settings
from storage.db import StorageError, connect

app = typer.Typer(add_completion=False, no_args_is_help=True,
                  help="Benchwatch: does this safety benchmark measure safety, or just capabilities?")
alerts_app = typer.Typer(invoke_without_command=True, help="Alerts raised by the rules.")
app.add_typer(alerts_app, name="alerts")
# Tables stay readable when piped: wide rows are not folded to 80 columns.
out = Console(width=None if sys.stdout.isatty() else 160)
err = Console(stderr=True)


class Format(str, Enum):
    table = "table"
    json = "json"
    csv = "csv"


DbOption = Annotated[Optional[Path], typer.Option("--db", help="DuckDB file (BENCHWATCH_DB).")]


def _settings(**overrides) -> Settings:
    try:
        return load_settings(**overrides)
    except SettingsError as exc:
        err.print(f"[red]{exc}[/red]", markup=True, highlight=False)
        raise typer.Exit(2) from None


def _read(settings: Settings):
    try:
        return closing(connect(settings.db, read_only=True))
    except StorageError as exc:
        err.print(str(exc), markup=False)
        raise typer.Exit(1) from None


def _emit(frame: pd.DataFrame, fmt: Format, percent: tuple[str, ...] = (), title: str = "") -> None:
    """Print a frame as JSON records, CSV, or an aligned table with percentages."""
    if fmt is Format.json:
        records = json.loads(frame.to_json(orient="records", date_format="iso"))
        for rec in records:
            for key, value in rec.items():
                if key in ("as_of", "fired_at", "resolved_at") and isinstance(value, str):
                    rec[key] = value[:10] if value.endswith("T00:00:00.000") else value
        typer.echo(json.dumps(records, indent=1))
        return
    if fmt is Format.csv:
        typer.echo(frame.to_csv(index=False), nl=False)
        return
    if frame.empty:
        out.print("(nothing to show)")
        return
    table = Table(title=title or None, show_lines=False, header_style="bold")
    for column in frame.columns:
        justify = "right" if pd.api.types.is_numeric_dtype(frame[column]) else "left"
        table.add_column(f"{column} %" if column in percent else column, justify=justify)
    for row in frame.itertuples(index=False):
        cells = []
        for column, value in zip(frame.columns, row, strict=True):
            if value is None or (isinstance(value, float) and pd.isna(value)):
                cells.append("")
            elif column in percent:
                cells.append(f"{100 * value:.1f}")
            elif isinstance(value, float):
                cells.append(f"{value:.3g}")
            elif isinstance(value, pd.Timestamp):
                cells.append(value.strftime("%Y-%m-%d"))
            else:
                cells.append(str(value))
        table.add_row(*cells)
    out.print(table, markup=False, highlight=False)


def _prefect_defaults() -> None:
    """Defaults for Prefect's own settings on a machine with no internet and 2 cores."""
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "90")
    os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")


@app.command()
def refresh(
    source: Annotated[Optional[list[str]], typer.Option("--source", help="Only these sources (repeatable).")] = None,
    replay: Annotated[Optional[str], typer.Option(
        "--replay", help="Replay recorded snapshots (the default), optionally from DIR.",
        is_flag=False, flag_value="")] = None,
    live: Annotated[bool, typer.Option("--live", help="Fetch from the real upstreams over the internet.")] = False,
    until: Annotated[Optional[str], typer.Option("--until", help="Replay only data up to this date (YYYY-MM-DD).")] = None,
    db: DbOption = None,
) -> None:
    """One pass of the refresh flow: ingest, analyze, evaluate alerts, summarize."""
    if live and replay is not None:
        err.print("--live and --replay are exclusive")
        raise typer.Exit(2)
    settings = _settings(db=db, replay_dir=replay or None)
    until_date = _date(until, "--until")
    from sources import SOURCES

    unknown = [name for name in source or [] if name not in SOURCES]
    if unknown:
        err.print(f"unknown source {unknown[0]!r}; known sources: {', '.join(SOURCES)}")
        raise typer.Exit(2)
    _prefect_defaults()
    from flows.refresh import refresh as refresh_flow

    try:
        result = refresh_flow(
            sources=source, mode="live" if live else "replay", until=until_date,
            db=str(settings.db), replay_dir=str(settings.replay_dir),
        )
    except (ValueError, StorageError) as exc:
        err.print(str(exc), markup=False)
        raise typer.Exit(1) from None
    _print_refresh(result)
    if any(r.status == "failed" for r in result["reports"]):
        raise typer.Exit(1)


def _print_refresh(result: dict) -> None:
    reports = pd.DataFrame([{
        "source": r.source, "status": r.status, "snapshots": r.snapshots,
        "rows added": r.rows_added, "revised": r.rows_revised, "error": r.error or "",
    } for r in result["reports"]])
    _emit(reports, Format.table, title="Sources")
    top = result["top"]
    if len(top):
        shown = top[["source", "model_set", "axis", "name", "rho", "ci_low", "ci_high", "n"]].rename(
            columns={"name": "benchmark"})
        _emit(shown, Format.table, percent=("rho", "ci_low", "ci_high"),
              title="Most capability-correlated safety benchmarks (latest data)")
    run = result["run_id"]
    out.print(f"analysis run: {run if run is not None else 'skipped (nothing new)'}; "
              f"new alert transitions: {len(result['transitions'])}")


def _date(value: Optional[str], flag: str) -> Optional[date]:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        err.print(f"{flag}: not a date (YYYY-MM-DD): {value!r}")
        raise typer.Exit(2) from None


@app.command("reproduce-paper")
def reproduce_paper(
    data: Annotated[Optional[Path], typer.Option("--data", help="Folder holding safetywashing/.")] = None,
    fmt: Annotated[Format, typer.Option("--format")] = Format.table,
) -> None:
    """The paper's method on the paper's matrices: PC1 variance and every correlation."""
    from benchwatch.paper import reproduce
    from sources.base import SourceError

    settings = _settings(replay_dir=data)
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
    _emit(rows, Format.table if fmt is Format.table else fmt, percent=tuple(result),
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
    from storage.results import correlations as read_correlations

    settings = _settings(db=db)
    if as_of not in (None, "all"):
        _date(as_of, "--as-of")
    with _read(settings) as con:
        frame = read_correlations(con, source=source, model_set=model_set, as_of=as_of, axis=axis)
    frame["as_of"] = pd.to_datetime(frame["as_of"]).dt.strftime("%Y-%m-%d")
    columns = ["source", "model_set", "axis", "benchmark", "as_of", "rho", "ci_low", "ci_high", "n",
               "category", "safety_area"]
    if fmt is Format.table:
        frame = frame[frame["category"] == "safety"] if source is None else frame
        _emit(frame[columns[:9]], fmt, percent=("rho", "ci_low", "ci_high"))
    else:
        _emit(frame[columns], fmt)


@app.command()
def sources(
    fmt: Annotated[Format, typer.Option("--format")] = Format.table,
    db: DbOption = None,
) -> None:
    """Each source: fetches, last status and error, what it holds, and its licence."""
    from sources import SOURCES
    from storage.observations import source_status

    settings = _settings(db=db)
    with _read(settings) as con:
        frame = source_status(con)
    frame["license"] = frame["name"].map(lambda n: SOURCES[n].license if n in SOURCES else "")
    frame["attribution"] = frame["name"].map(lambda n: SOURCES[n].attribution if n in SOURCES else "")
    for column in ("last_fetched_at", "latest_data"):
        frame[column] = pd.to_datetime(frame[column]).dt.strftime("%Y-%m-%d %H:%M")
    if fmt is Format.table:
        _emit(frame[["name", "fetches", "last_status", "last_fetched_at", "observations", "revisions",
                     "models", "benchmarks", "latest_data", "last_error"]], fmt)
    else:
        _emit(frame, fmt)


@alerts_app.callback()
def alerts(
    ctx: typer.Context,
    state: Annotated[str, typer.Option("--state", help="firing, resolved or all.")] = "all",
    fmt: Annotated[Format, typer.Option("--format")] = Format.table,
    db: DbOption = None,
) -> None:
    """Alerts and their state."""
    if ctx.invoked_subcommand is not None:
        return
    from storage.alerts import list_alerts

    if state not in ("firing", "resolved", "all"):
        err.print(f"--state must be firing, resolved or all, not {state!r}")
        raise typer.Exit(2)
    settings = _settings(db=db)
    with _read(settings) as con:
        frame = list_alerts(con, state).rename(columns={"alert_key": "key"})
    for column in ("fired_at", "resolved_at"):
        frame[column] = pd.to_datetime(frame[column]).dt.strftime("%Y-%m-%d")
    if fmt is Format.table:
        _emit(frame[["state", "severity", "source", "model_set", "axis", "benchmark", "value",
                     "threshold", "n", "fired_at", "resolved_at"]], fmt, percent=("value", "threshold"))
    else:
        _emit(frame, fmt)


def main() -> None:
    app()


if __name__ == "__main__":
    sys.exit(main())
