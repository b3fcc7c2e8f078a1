"""The ``benchwatch`` command line: the app and what every command shares.

Commands and their JSON shapes are a contract other tools rely on; table
output is for people (aligned, percentages where the paper uses them).
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from enum import Enum
from pathlib import Path
from typing import Annotated, Optional

import duckdb
import pandas as pd
import typer
from rich import box
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
# Tables fit the terminal (COLUMNS when piped, else 80): names wrap, never cut; --wide for one line per row.
# Plain lines never wrap (they are copied and grepped); tables are laid out to the width.
out = Console(soft_wrap=True)
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


WideOption = Annotated[bool, typer.Option("--wide", help="One line per row, however wide the terminal.")]
# Columns that wrap (never cut) when a table is wider than the terminal; the rest keep one line.
# A text column wider than this wraps too when the table does not fit.
LONG_TEXT = 24
WRAPPED = ("name", "benchmark", "message", "reason", "class", "model", "source", "what", "value", "display_name")


def _cell(value: object, column: str, percent: tuple[str, ...]) -> str:
    if value is None or value is pd.NA or (isinstance(value, float) and pd.isna(value)):
        return ""
    if column in percent:
        return f"{100 * value:.1f}"
    if isinstance(value, bool):
        return "yes" if value else ""
    if isinstance(value, float):
        return f"{value:,.0f}" if abs(value) >= 1000 else f"{value:.3g}"
    if isinstance(value, pd.Timestamp):
        return value.strftime("%Y-%m-%d")
    return str(value)


def emit(frame: pd.DataFrame, fmt: Format, percent: tuple[str, ...] = (), title: str = "",
         wide: bool = False, split: str | None = None) -> None:
    """Print a frame as JSON records, CSV, or an aligned table.

    Tables: ``percent`` columns are shown x100 under "<column>×100" (the
    paper's convention; rho is not a percentage); a column with one value in
    every row is said once under the table instead of repeated; names wrap,
    never cut, to the terminal's width (``--wide``: one line per row);
    ``split`` prints one table per value of that column (e.g. per source).
    """
    if fmt is Format.json:
        records = json.loads(frame.to_json(orient="records", date_format="iso"))
        for rec in records:
            for key, value in rec.items():
                if key in ("as_of", "fired_at", "resolved_at", "since") and isinstance(value, str):
                    rec[key] = value[:10] if value.endswith("T00:00:00.000") else value
        typer.echo(json.dumps(records, indent=1))
        return
    if fmt is Format.csv:
        typer.echo(csv_text(frame), nl=False)
        return
    if frame.empty:
        out.print("(nothing to show)")
        return
    if split is not None and frame[split].nunique() > 1:
        for value, part in frame.groupby(split, sort=False):
            emit(part, fmt, percent, f"{title}: {split} {value}" if title else f"{split} {value}", wide)
            out.print()
        return
    constant = {}
    if len(frame) > 1:
        for column in frame.columns:
            cells = {_cell(v, column, percent) for v in frame[column]}
            if len(cells) == 1:
                constant[column] = next(iter(cells))
    shown = [c for c in frame.columns if c not in constant]
    headers = [f"{c}×100" if c in percent else c for c in shown]
    cells = [[_cell(v, c, percent) for c, v in zip(shown, row, strict=True)]
             for row in frame[shown].itertuples(index=False)]
    console = Console(width=100_000, soft_wrap=True) if wide else out
    widths, wraps = (None, [False] * len(shown)) if wide else _widths(
        headers, cells, [c in WRAPPED for c in shown], console.width)
    table = Table(header_style="bold", box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False)
    for i, (column, header) in enumerate(zip(shown, headers, strict=True)):
        numeric = pd.api.types.is_numeric_dtype(frame[column]) and column not in constant
        table.add_column(header, justify="right" if numeric else "left", overflow="fold",
                         no_wrap=not wraps[i], width=None if widths is None else widths[i])
    for row in cells:
        table.add_row(*row)
    if title:
        console.print(title, style="bold italic", markup=False, highlight=False, soft_wrap=wide)
    console.print(table, markup=False, highlight=False, crop=False)
    said = [f"{c}: {v}" for c, v in constant.items() if v]
    if said:
        console.print("every row: " + " · ".join(said), markup=False, highlight=False, soft_wrap=False)


def _widths(headers: list[str], cells: list[list[str]], wraps: list[bool], total: int
            ) -> tuple[list[int], list[bool]]:
    """Column widths that fit ``total``: short columns keep their full width, the wrapping ones
    (names, and any long text) share the rest, each at least as wide as its longest word, so no
    word is cut. Returns the widths and which columns wrap."""
    natural = [max([len(h), *(len(row[i]) for row in cells)]) for i, h in enumerate(headers)]
    room = total - 3 * (len(headers) - 1) - 1  # padding and the divider between columns
    if sum(natural) <= room:
        return natural, [False] * len(natural)
    wraps = [wrap or width > LONG_TEXT for wrap, width in zip(wraps, natural, strict=True)]
    fixed = sum(w for w, wrap in zip(natural, wraps, strict=True) if not wrap)
    longest = [max([1, *(len(word) for row in cells for word in row[i].split()), *map(len, headers[i].split())])
               for i in range(len(headers))]
    flexible = [i for i, wrap in enumerate(wraps) if wrap]
    widths = list(natural)
    spare = max(0, room - fixed - sum(longest[i] for i in flexible))
    extra = sum(natural[i] - longest[i] for i in flexible) or 1
    for i in flexible:
        widths[i] = longest[i] + min(natural[i] - longest[i], (natural[i] - longest[i]) * spare // extra)
    return widths, wraps


def valid_choice(value: Optional[str], valid: list[str], flag: str) -> Optional[str]:
    """A read filter checked against what exists: an unknown value names the valid ones, exit 2."""
    if value is None or value in valid:
        return value
    err.print(f"{flag}: unknown value {value!r}; valid: {', '.join(sorted(valid)) or '(none yet)'}",
              markup=False, highlight=False)
    raise typer.Exit(2)


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
