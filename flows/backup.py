"""The ``backup`` flow: the scheduled daily backup of the database (``deploy/prefect.yaml``).

Thin over ``storage.backup.create_backup``: a consistent copy taken inside the
writer door (it waits for a running ingest), written to ``backup_to`` (a
folder or an ``s3://`` URL), keeping the newest ``backup_keep``.
"""

from __future__ import annotations

from prefect import flow

from benchwatch.settings import load_settings
from benchwatch.storage.backup import create_backup


@flow(name="backup", log_prints=True)
def backup(db: str | None = None, to: str | None = None, keep: int | None = None) -> dict:
    """Back up the database; a failure fails the run, so the deployment's history shows it."""
    settings = load_settings(db=db, backup_to=to, backup_keep=keep)
    result = create_backup(settings.db, settings.backup_location, settings.backup_keep,
                           settings.backup_endpoint_url, settings.writer_wait_seconds, settings.backup_grace_seconds)
    print(f"backed up {settings.db} to {result.location}; removed {len(result.removed)} older backup(s)")
    return {"location": result.location, "bytes": result.manifest["bytes"],
            "tables": result.manifest["tables"], "removed": result.removed}
