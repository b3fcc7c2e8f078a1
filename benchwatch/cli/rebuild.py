"""``benchwatch rebuild``: the database again from the raw archive (or a replay)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from benchwatch.cli.app import DbOption, app, fail, settings_or_exit
from benchwatch.cli.archive import ArchiveOption, archive_root
from benchwatch.cli.refresh import print_refresh
from benchwatch.pipeline.rebuild import NothingToRebuild
from benchwatch.pipeline.rebuild import rebuild as rebuild_db
from benchwatch.storage.db import StorageError


@app.command()
def rebuild(
    db: DbOption = None,
    archive: ArchiveOption = None,
    replay: Annotated[Path | None, typer.Option(
        "--replay", help="The recorded data replayed runs came from (replay_dir).")] = None,
) -> None:
    """Build a new database from the raw archive: every recorded fetch, in order, through today's parsers.

    Alerts are re-derived as a backfill and nobody is notified. The database
    file must not exist (move a damaged one aside first).
    """
    settings = settings_or_exit(db=db, archive_dir=archive_root(archive), replay_dir=replay)
    try:
        result = rebuild_db(settings)
    except (NothingToRebuild, StorageError) as exc:
        raise fail(str(exc)) from None
    print_refresh(result)
    typer.echo(f"rebuilt {settings.db} from {settings.archive_path}")
    if result.failed:
        raise fail("some archived fetches could not be ingested again:\n" + "\n".join(
            f"  {report.source}: {report.error}" for report in result.failed))
