"""``benchwatch archive verify``: every archived file re-hashed; the archive a rebuild reads."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from benchwatch.cli.app import app, fail, settings_or_exit
from benchwatch.storage.archive import verify as verify_archive

archive_app = typer.Typer(no_args_is_help=True, help="The raw archive of every fetch.")
app.add_typer(archive_app, name="archive")


ArchiveOption = Annotated[Path | None, typer.Option(
    "--archive", help="The raw archive (archive_dir; default: beside the configured database).")]


def archive_root(archive: Path | None) -> Path:
    """The archive to read: given, or the configured one (computed without a --db override)."""
    return archive or settings_or_exit().archive_path


@archive_app.command("verify")
def verify(archive: ArchiveOption = None) -> None:
    """Re-hash every archived file; report any that is missing or changed (exit 1)."""
    root = archive_root(archive)
    if not root.exists():
        raise fail(f"no archive at {root}")
    result = verify_archive(root)
    for path, problem in result.problems:
        typer.echo(f"{path}: {problem}")
    typer.echo(f"{root}: {result.entries} index entries, {result.blobs} archived files checked, "
               f"{len(result.problems)} problem(s)")
    if result.problems:
        raise typer.Exit(1)
