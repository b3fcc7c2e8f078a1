"""``benchwatch publish``: the static, citable report of the published database copy."""

from __future__ import annotations

from typing import Annotated

import typer

from benchwatch.cli.app import DbOption, app, fail, settings_or_exit
from benchwatch.publish.build import publish as build_site
from benchwatch.storage.db import StorageError


@app.command()
def publish(
    out: Annotated[str | None, typer.Option("--out", help="A folder to write the site into.")] = None,
    to: Annotated[str | None, typer.Option(
        "--to", help="A URL to upload the site to (s3://bucket/prefix); only changed files are sent.")] = None,
    db: DbOption = None,
) -> None:
    """Build the static report (pages, data release, JSON API, feeds) from the published copy.

    A release is written only when the data changed since the newest one; the same database gives the
    same bytes. Without --out or --to it goes to publish_to (default <db folder>/site).
    """
    if out is not None and to is not None:
        raise fail("give --out DIR or --to URL, not both", 2)
    settings = settings_or_exit(db=db, publish_to=out or to)
    try:
        done = build_site(settings, settings.publish_location)
    except (StorageError, ValueError) as exc:
        raise fail(str(exc)) from None
    state = "new release" if done.new_release else "release unchanged"
    typer.echo(f"published {settings.publish_location}: {state} {done.release} (manifest sha256 "
               f"{done.manifest_sha256}); {len(done.written)} file(s) written")
