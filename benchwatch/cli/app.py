"""The ``benchwatch`` command line: the app and what every command shares.

Commands and their JSON shapes are a contract other tools rely on; table
output is for people (aligned, percentages where the paper uses them).
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from enum import Enum
from pathlib import Path
from typing import Annotated, Optional

import duckdb
import pandas as pd
import typer
from rich.console import Console
from rich.table import Table

from benchwatch.settings import Settings, SettingsError, load_settings
from benchwatch.storage.db import StorageError, connect, preflight, unusable
from benchwatch.text import csv_text

app = typer.Typer(add_completion=False, no_args_is_help=True,
                  help="Benchwatch: does this safety benchmark measure safety, or just capabilities?")
alerts_app = typer.Typer(invoke_without_command=True, help="Alerts raised by the rules.")
app.add_typer(alerts_app, name="alerts")
sources_app = typer.Typer(invoke_without_command=True,
                          help="Each source: live or frozen, what it holds; `sources check` probes the upstreams.")
app.add_typer(sources_app, name="sources")
# Tables stay readable when piped: wide rows are not folded to 80 columns.
out = Console(width=None if sys.stdout.isatty() else 160)
err = Console(stderr=True, soft_wrap=True)


class Format(str, Enum):
    table = "table"
    json = "json"
    csv = "csv"


DbOption = Annotated[Optional[Path], typer.Option("--db", help="DuckDB file (BENCHWATCH_DB).")]


def settings_or_exit(**overrides) -> Settings:
    """The settings, or exit 2 naming the setting to fix (a custom source taking a built-in
    source's name included)."""
    from benchwatch.sources import catalog

    try:
        settings = load_settings(**overrides)
        catalog(settings)
        return settings
    except SettingsError as exc:
        err.print(f"[red]{exc}[/red]", markup=True, highlight=False)
        raise typer.Exit(2) from None


def fail(message: str, code: int = 1) -> typer.Exit:
    """Print one message on stderr and give the Exit to raise (non-zero)."""
    err.print(message, markup=False, highlight=False)
    return typer.Exit(code)


def usable_or_exit(db: Path) -> None:
    """Stop a command that will write (or serve writers) when the database is unusable:
    damaged, foreign, too new, or held by a non-Benchwatch process (``storage.db.preflight``)."""
    try:
        preflight(db)
    except StorageError as exc:
        raise fail(str(exc)) from None


@contextmanager
def read_db(settings: Settings) -> Iterator[duckdb.DuckDBPyConnection]:
    """A read-only connection; a database that cannot be opened or read is one message, exit 1.

    DuckDB reports a damaged block only when a query reaches it, so the reads
    inside the block are covered too (I/O errors only: a query's own bug still
    shows its traceback).
    """
    try:
        con = connect(settings.db, read_only=True)
    except StorageError as exc:
        raise fail(str(exc)) from None
    try:
        yield con
    except (duckdb.IOException, duckdb.InternalException, duckdb.SerializationException) as exc:
        raise fail(str(unusable(settings.db, exc))) from None
    finally:
        con.close()


def emit(frame: pd.DataFrame, fmt: Format, percent: tuple[str, ...] = (), title: str = "") -> None:
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
        typer.echo(csv_text(frame), nl=False)
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


def prefect_defaults() -> None:
    """Defaults for Prefect's own settings on a machine with no internet and 2 cores."""
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "90")
    os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")


def parse_date(value: Optional[str], flag: str) -> Optional[date]:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        err.print(f"{flag}: not a date (YYYY-MM-DD): {value!r}")
        raise typer.Exit(2) from None
