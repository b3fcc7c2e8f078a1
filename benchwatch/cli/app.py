"""The ``benchwatch`` command line: the app and what every command shares.

Commands and their JSON shapes are a contract other tools rely on; table
output is for people (aligned, percentages where the paper uses them).
"""

from __future__ import annotations

import importlib
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
from typer.core import TyperGroup

from benchwatch.settings import Settings, SettingsError, load_settings
from benchwatch.sources import catalog
from benchwatch.storage.db import StorageError, connect, unusable
from benchwatch.storage.writer import preflight, reader_path

# The module of this package that registers each command, in the order ``--help`` lists them. A run
# imports only its command's module (``benchwatch check`` never loads Apprise, Jinja or the refresh's
# flows): start-up is most of a short command's time. tests/cli/test_lazy_commands.py keeps this
# table and the registered commands the same.
COMMAND_MODULES = {
    "backup": "backup", "restore": "backup", "check": "benchmark_check", "correlations": "correlations",
    "dashboard": "dashboard", "findings": "findings", "models": "models", "adjusted": "models",
    "publish": "publish", "refresh": "refresh", "rebuild": "rebuild", "reproduce-paper": "reproduce_paper",
    "serve": "service", "up": "service", "unmapped": "unmapped", "history": "values", "alerts": "alerts",
    "archive": "archive", "sources": "sources",
}


class LazyCommands(TyperGroup):
    """The command group, filled on demand: a command's module is imported when the command is
    looked up (``--help`` and completion list them all, so they import every module)."""

    def list_commands(self, ctx: typer.Context) -> list[str]:
        self._load(*dict.fromkeys(COMMAND_MODULES.values()))
        return [name for name in COMMAND_MODULES if name in self.commands]

    def get_command(self, ctx: typer.Context, cmd_name: str):  # noqa: ANN201 - click's Command
        if cmd_name not in self.commands and cmd_name in COMMAND_MODULES:
            self._load(COMMAND_MODULES[cmd_name])
        return super().get_command(ctx, cmd_name)

    def _load(self, *modules: str) -> None:
        """Import the modules (each registers its commands on ``app``) and add what they registered."""
        for module in modules:
            importlib.import_module(f"{__package__}.{module}")
        built = typer.main.get_group(app)
        for name, command in built.commands.items():
            self.commands.setdefault(name, command)


def _commands() -> None:
    """Benchwatch: does this safety benchmark measure safety, or just capabilities?"""


# A callback makes Typer build a group even before any command module is imported (it builds a
# lone command when one is registered); the callback itself takes no option and does nothing.
app = typer.Typer(add_completion=False, no_args_is_help=True, cls=LazyCommands, callback=_commands,
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
