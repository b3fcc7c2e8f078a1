"""``benchwatch backup`` and ``restore``: history that cannot be lost."""

from __future__ import annotations

from typing import Annotated

import typer

from benchwatch.cli.app import DbOption, app, fail, settings_or_exit
from benchwatch.storage.backup import create_backup, restore_backup
from benchwatch.storage.db import StorageError


@app.command()
def backup(
    to: Annotated[str | None, typer.Option(
        "--to", help="A folder or an s3:// URL (backup_to; default <db folder>/backups).")] = None,
    keep: Annotated[int | None, typer.Option("--keep", min=1, help="Backups kept (backup_keep).")] = None,
    db: DbOption = None,
) -> None:
    """A consistent copy of the database (checkpointed, under the writer lock) and its manifest."""
    settings = settings_or_exit(db=db, backup_to=to, backup_keep=keep)
    try:
        result = create_backup(settings.db, settings.backup_location, settings.backup_keep,
                               settings.backup_endpoint_url, settings.writer_wait_seconds,
                               settings.backup_grace_seconds)
    except StorageError as exc:
        raise fail(str(exc)) from None
    rows = sum(result.manifest["tables"].values())
    typer.echo(f"backed up {settings.db} to {result.location} ({result.manifest['bytes']} bytes, "
               f"{rows} rows in {len(result.manifest['tables'])} tables, schema "
               f"{result.manifest['schema_version']}); removed {len(result.removed)} older backup(s)")


@app.command()
def restore(
    source: Annotated[str, typer.Argument(
        metavar="BACKUP", help="A backup folder or URL, or a folder/URL of backups (the newest is taken).")],
    db: DbOption = None,
) -> None:
    """Check a backup (sha256, opens, schema version, row counts against its manifest) and put it in place.

    A file already at the database path is moved aside, never overwritten.
    """
    settings = settings_or_exit(db=db)
    try:
        restored, manifest, aside = restore_backup(source, settings.db, settings.backup_endpoint_url,
                                                   settings.writer_wait_seconds)
    except StorageError as exc:
        raise fail(str(exc)) from None
    moved = f"; the file that was there is now {aside}" if aside else ""
    typer.echo(f"restored {restored} (taken {manifest['created_at']}, schema {manifest['schema_version']}, "
               f"{sum(manifest['tables'].values())} rows checked) to {settings.db}{moved}")
