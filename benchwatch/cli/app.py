"""The ``benchwatch`` command line: the app and what every command shares.

Commands and their JSON shapes are a contract other tools rely on; table
output is for people (aligned, percentages where the paper uses them).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Annotated

import duckdb
import typer
from rich.console import Console

from benchwatch.settings import Settings, SettingsError, load_settings
from benchwatch.sources import catalog
from benchwatch.storage.db import StorageError, connect, unusable
from benchwatch.storage.writer import preflight, reader_path

app = typer.Typer(add_completion=False, no_args_is_help=True,
                  help="Benchwatch: does this safety benchmark measure safety, or just capabilities?")


# Tables fit the terminal (COLUMNS when piped, else 80): names wrap, never cut; --wide for one line per row.
# Plain lines never wrap (they are copied and grepped); tables are laid out to the width.
out = Console(soft_wrap=True)
err = Console(stderr=True, soft_wrap=True)


DbOption = Annotated[Path | None, typer.Option("--db", help="DuckDB file (BENCHWATCH_DB).")]


def settings_or_exit(**overrides) -> Settings:
    """The settings, or exit 2 naming the setting to fix (a custom source taking a built-in
    source's name included)."""
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


@contextmanager
def writing(target: str) -> Iterator[None]:
    """Writing a command's output to ``target`` (a file the user named, or stdout): a missing
    folder, a full disk or a closed pipe is one message and exit 1, not a traceback. Standard
    output is flushed inside, and pointed at /dev/null after a failure so that the interpreter's
    own flush at exit cannot fail again."""
    try:
        yield
        sys.stdout.flush()
    except OSError as exc:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        raise fail(f"cannot write {target}: {exc.strerror or exc}") from None


def usable_or_exit(db: Path) -> None:
    """Stop a command that will write (or serve writers) when the database is unusable:
    damaged, foreign, too new, or held by a non-Benchwatch process (``storage.writer.preflight``)."""
    try:
        preflight(db)
    except StorageError as exc:
        raise fail(str(exc)) from None


@contextmanager
def read_db(settings: Settings) -> Iterator[duckdb.DuckDBPyConnection]:
    """A read-only connection to the published copy (``storage.writer.reader_path``), so a
    refresh never waits for a reader; a file that cannot be opened or read is one message, exit 1.

    DuckDB reports a damaged block only when a query reaches it, so the reads
    inside the block are covered too (I/O errors only: a query's own bug still
    shows its traceback).
    """
    path = reader_path(settings.db)
    try:
        con = connect(path, read_only=True)
    except StorageError as exc:
        raise fail(str(exc)) from None
    try:
        yield con
    except (duckdb.IOException, duckdb.InternalException, duckdb.SerializationException) as exc:
        raise fail(str(unusable(path, exc))) from None
    finally:
        con.close()


def valid_choice(value: str | None, valid: list[str], flag: str) -> str | None:
    """A read filter checked against what exists: an unknown value names the valid ones, exit 2."""
    if value is None or value in valid:
        return value
    err.print(f"{flag}: unknown value {value!r}; valid: {', '.join(sorted(valid)) or '(none yet)'}",
              markup=False, highlight=False)
    raise typer.Exit(2)


def valid_source(source: str | None, settings: Settings) -> str | None:
    """A ``--source`` filter checked against every source the settings follow (custom ones
    included): a typo is an error naming the valid ones, never an empty answer."""
    return valid_choice(source, list(catalog(settings)), "--source")


@contextmanager
def read_source(db: Path | None, source: str | None) -> Iterator[duckdb.DuckDBPyConnection]:
    """``read_db`` for a command filtered by ``--source``: the settings, the source checked
    against them (``valid_source``), then the read-only connection."""
    settings = settings_or_exit(db=db)
    valid_source(source, settings)
    with read_db(settings) as con:
        yield con


def parse_date(value: str | None, flag: str) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        err.print(f"{flag}: not a date (YYYY-MM-DD): {value!r}")
        raise typer.Exit(2) from None
