"""One publish: read the published copy once, lay out the site, write only what changed."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from benchwatch.publish import api, feeds
from benchwatch.publish import release as releases
from benchwatch.publish.target import Target
from benchwatch.settings import Settings
from benchwatch.storage import published_reads, views


@dataclass(frozen=True)
class Published:
    """What a publish did: the release the site shows, whether it is new, the files it wrote."""

    release: str
    manifest_sha256: str
    new_release: bool
    written: tuple[str, ...]


def publish(settings: Settings, to: str) -> Published:
    """Build the site from the copy the last refresh published beside ``settings.db`` into ``to``
    (a folder or an ``s3://`` URL, reached with ``backup_endpoint_url`` when set)."""
    target = Target(to, settings.backup_endpoint_url)
    con = published_reads.open_published(Path(settings.db))
    try:
        release = releases.plan(con, target)
        sources = views.sources(con)
    finally:
        con.close()
    releases.write(release, target)
    ids = api.benchmark_ids(release.frames["correlations"])
    for path, data in sorted({**api.files(release, sources, ids), **feeds.files(release, ids)}.items()):
        target.write(path, data)
    return Published(release.id, release.manifest_sha256, release.new, tuple(target.written))
