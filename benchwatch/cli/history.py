"""History that cannot be lost: ``rebuild``, ``backup``, ``restore`` and ``archive verify``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from benchwatch.cli.app import DbOption, app, fail, settings_or_exit
from benchwatch.cli.refresh import print_refresh
from benchwatch.storage.db import StorageError

archive_app = typer.Typer(no_args_is_help=True, help="The raw archive of every fetch.")
app.add_typer(archive_app, name="archive")

ArchiveOption = Annotated[Optional[Path], typer.Option(
    "--archive", help="The raw archive (archive_dir; default: beside the configured database).")]


def _archive(archive: Path | None) -> Path:
    """The archive to read: given, or the configured one (computed without a --db override)."""
    return archive or settings_or_exit().archive_path


@app.command()
def rebuild(
    db: DbOption = None,
    archive: ArchiveOption = None,
    replay: Annotated[Optional[Path], typer.Option(
        "--replay", help="The recorded data replayed runs came from (replay_dir).")] = None,
) -> None:
    """Build a new database from the raw archive: every recorded fetch, in order, through today's parsers.

    Alerts are re-derived as a backfill and nobody is notified. The database
    file must not exist (move a damaged one aside first).
    """
    from benchwatch.pipeline.rebuild import NothingToRebuild
    from benchwatch.pipeline.rebuild import rebuild as rebuild_db

    settings = settings_or_exit(db=db, archive_dir=_archive(archive), replay_dir=replay)
    try:
        result = rebuild_db(settings)
    except (NothingToRebuild, StorageError) as exc:
        raise fail(str(exc)) from None
    print_refresh(result)
    typer.echo(f"rebuilt {settings.db} from {settings.archive_path}")
    if result.failed:
        raise fail("some archived fetches could not be ingested again:\n" + "\n".join(
            f"  {report.source}: {report.error}" for report in result.failed))


@archive_app.command("verify")
def verify(archive: ArchiveOption = None) -> None:
    """Re-hash every archived file; report any that is missing or changed (exit 1)."""
    from benchwatch.storage.archive import verify as verify_archive

    root = _archive(archive)
    if not root.exists():
        raise fail(f"no archive at {root}")
    result = verify_archive(root)
    for path, problem in result.problems:
        typer.echo(f"{path}: {problem}")
    typer.echo(f"{root}: {result.entries} index entries, {result.blobs} archived files checked, "
               f"{len(result.problems)} problem(s)")
    if result.problems:
        raise typer.Exit(1)


@app.command()
def backup(
    to: Annotated[Optional[str], typer.Option(
        "--to", help="A folder or an s3:// URL (backup_to; default <db folder>/backups).")] = None,
    keep: Annotated[Optional[int], typer.Option("--keep", min=1, help="Backups kept (backup_keep).")] = None,
    db: DbOption = None,
) -> None:
    """A consistent copy of the database (checkpointed, under the writer lock) and its manifest."""
    from benchwatch.storage.backup import create_backup

    settings = settings_or_exit(db=db, backup_to=to, backup_keep=keep)
    try:
        result = create_backup(settings.db, settings.backup_location, settings.backup_keep,
                               settings.backup_endpoint_url)
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
    from benchwatch.storage.backup import restore_backup

    settings = settings_or_exit(db=db)
    try:
        restored, manifest, aside = restore_backup(source, settings.db, settings.backup_endpoint_url)
    except StorageError as exc:
        raise fail(str(exc)) from None
    moved = f"; the file that was there is now {aside}" if aside else ""
    typer.echo(f"restored {restored} (taken {manifest['created_at']}, schema {manifest['schema_version']}, "
               f"{sum(manifest['tables'].values())} rows checked) to {settings.db}{moved}")
