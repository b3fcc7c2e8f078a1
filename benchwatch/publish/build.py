"""One publish: read the published copy once, lay out the site, write only what changed."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import duckdb
import pandas as pd

from benchwatch.publish import api, feeds
from benchwatch.publish import release as releases
from benchwatch.publish.site import SERIES, Pages
from benchwatch.publish.target import Target
from benchwatch.settings import Settings
from benchwatch.storage import published_reads, views
from benchwatch.storage.results import last_run


@dataclass(frozen=True)
class Published:
    """What a publish did: the release the site shows, whether it is new, the files it wrote."""

    release: str
    manifest_sha256: str
    new_release: bool
    written: tuple[str, ...]


def scatters(con: duckdb.DuckDBPyConnection, run_id: int, correlations: pd.DataFrame) -> dict[tuple, pd.DataFrame]:
    """The paper's figure for each safety series at its newest as-of date: each model's score and value."""
    safety = correlations[correlations["category"] == "safety"]
    newest = safety.groupby(SERIES, sort=True)["as_of"].max()
    return {key: views.scatter(con, run_id, *key, pd.Timestamp(as_of).date()) for key, as_of in newest.items()}


def publish(settings: Settings, to: str) -> Published:
    """Build the site from the copy the last refresh published beside ``settings.db`` into ``to``
    (a folder or an ``s3://`` URL, reached with ``backup_endpoint_url`` when set)."""
    target = Target(to, settings.backup_endpoint_url)
    con = published_reads.open_published(Path(settings.db))
    try:
        release = releases.plan(con, target)
        sources = views.sources(con)
        run = last_run(con) or {}
        figures = scatters(con, run.get("run_id", -1), release.frames["correlations"])
    finally:
        con.close()
    ids = api.benchmark_ids(release.frames["correlations"])
    pages = Pages(release, sources, ids, figures, run, settings)
    site = {**api.files(release, sources, ids), **feeds.files(release, ids), **pages.files()}
    # Everything is built before anything is written: a failed build leaves the site as it was.
    releases.write(release, target)
    for path, data in sorted(site.items()):
        target.write(path, data)
    return Published(release.id, release.manifest_sha256, release.new, tuple(target.written))
