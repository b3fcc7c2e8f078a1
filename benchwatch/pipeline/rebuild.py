"""Rebuild a lost database from the raw archive: the refresh use case in ``rebuild`` mode.

Every source the archive index names is ingested again, run by run in fetch
order (recorded snapshots from the replay data, live payloads from the
archive's blobs), through today's parsers; then the analysis and the alert
rules run once over the whole history. The first evaluation of a database is
a backfill, and delivery is left out altogether: a rebuild notifies nobody.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import duckdb

from benchwatch.alerting.service import DeliveryReport
from benchwatch.pipeline.refresh import Hooks, RefreshResult, refresh
from benchwatch.settings import Settings
from benchwatch.sources import SOURCES
from benchwatch.storage import archive


class NothingToRebuild(ValueError):
    """The target exists, or the archive records nothing to rebuild from."""


def _nobody(con: duckdb.DuckDBPyConnection, settings: Settings, run_id: int | None) -> DeliveryReport:
    return DeliveryReport()


def rebuild(settings: Settings, hooks: Hooks = Hooks()) -> RefreshResult:
    """Build ``settings.db`` (which must not exist) from ``settings.archive_path`` and the replay data."""
    present = [p for p in (settings.db, Path(f"{settings.db}.wal")) if p.exists()]
    if present:
        raise NothingToRebuild(
            f"{present[0]} exists: rebuild writes a new database and never touches an existing file. "
            "Move it aside (or pass --db NEW_PATH), then run rebuild again.")
    recorded = {entry.source for entry in archive.entries(settings.archive_path)}
    names = [name for name in SOURCES if name in recorded]
    if not names:
        raise NothingToRebuild(f"the archive {settings.archive_path} records no fetch: nothing to rebuild from "
                               "(set archive_dir, or --archive, to the archive of the lost database)")
    return refresh(settings, names, "rebuild", force=True, hooks=dataclasses.replace(hooks, notify=_nobody))
