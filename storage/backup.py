"""Backups of the database: a checkpointed copy of the file plus a manifest, in a folder or object storage.

Why a checkpointed copy and not ``EXPORT DATABASE`` to Parquet: the copy is
the database itself, so a restore is one file put back, with its sequences,
keys, indexes and migration history exactly as they were, and checking it is
opening it. An export would have to be re-imported statement by statement and
the sequences (fetch ids, alert ids that rows point at) set again by hand.
DuckDB reads files of older storage versions, so a copy stays restorable after
an upgrade; Parquet's portability to other tools is not needed here (the
published copy and the CLI's JSON/CSV serve that).

Consistency: the copy is taken inside the writer door right after a
``CHECKPOINT``, so no refresh writes during it and the file holds every
committed row. Each backup is a folder ``benchwatch-<UTC time>/`` holding
``benchwatch.duckdb`` and ``manifest.json`` (schema version, row count of
every table, sha256 and size of the file), written last: a folder without a
manifest is an interrupted backup, never restored, and pruned by the next
backup once it is older than ``backup_grace_seconds`` (a backup still uploading
is younger). Folders and ``s3://`` URLs go through fsspec (``s3fs``, the
``[s3]`` extra).

A kill leaves nothing for good: every temporary file or folder beside the
database carries its process id (``benchwatch-backup-<pid>-*``,
``<db>.restore<pid>``, the published copy's ``.tmp<pid>``), and the next backup
or restore removes those of processes no longer running. A restore prepares
the new file and its published copy beside the old ones, then puts them in
place with two renames under a journal (``publish.swap_in``): a kill before the
journal is written leaves the old database and its copy, a kill after it leaves
the journal, which the next writer through the door completes before it opens
the file (the new database and its copy).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import tempfile
from dataclasses import dataclass
from datetime import datetime
from importlib.metadata import version
from pathlib import Path
from typing import Any

import duckdb

from benchwatch.storage.db import StorageError, check_schema, connect, unusable, utcnow
from benchwatch.storage.publish import published_path, swap_in, swap_journal
from benchwatch.storage.writer import writer_door

PREFIX = "benchwatch-"
DB_FILE = "benchwatch.duckdb"
MANIFEST = "manifest.json"
TEMP_PREFIX = "benchwatch-backup-"
# The process id in the name of a temporary file or folder beside the database.
OWNER = re.compile(r"(?:\.restore|\.tmp|^benchwatch-backup-)(\d+)")
STAMP = re.compile(r"benchwatch-(\d{8}T\d{6}\d{6})Z$")


class BackupError(StorageError):
    """A backup cannot be written, found or trusted; the message says which and why."""


@dataclass
class BackupResult:
    location: str
    manifest: dict[str, Any]
    removed: list[str]


def filesystem(url: str, endpoint_url: str | None) -> tuple[Any, str]:
    """The fsspec filesystem and path of a folder or an object-storage URL."""
    import fsspec

    options: dict[str, Any] = {}
    if url.startswith("s3://") and endpoint_url:
        options["client_kwargs"] = {"endpoint_url": endpoint_url}
    try:
        fs, path = fsspec.core.url_to_fs(url, **options)
    except ImportError as exc:
        raise BackupError(f"{url}: this storage needs an extra package ({exc}); "
                          "install Benchwatch with the [s3] extra: pip install 'benchwatch[s3]'") from None
    return fs, path.rstrip("/")


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def table_counts(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    """Rows of every table of the database (the catalog's names, counted through the relation API)."""
    names = [row[0] for row in con.execute(
        "SELECT table_name FROM duckdb_tables() WHERE schema_name = 'main' ORDER BY table_name").fetchall()]
    return {name: int(con.table(name).aggregate("count(*)").fetchall()[0][0]) for name in names}


def describe(copy: Path) -> dict[str, Any]:
    """The manifest of a database file: schema version, row counts, sha256 and size."""
    con = duckdb.connect(str(copy), read_only=True)
    try:
        schema = check_schema(con, copy)
        counts = table_counts(con)
    finally:
        con.close()
    return {"created_at": utcnow().isoformat() + "Z", "schema_version": schema, "tables": counts,
            "sha256": _sha256(copy), "bytes": copy.stat().st_size,
            "duckdb": duckdb.__version__, "benchwatch": version("benchwatch")}


def _complete(fs: Any, root: str) -> list[str]:
    """Paths of the complete backups under ``root`` (those with a manifest), oldest first."""
    if not fs.exists(root):
        return []
    found = [entry["name"].rstrip("/") for entry in fs.ls(root, detail=True) if entry["type"] == "directory"]
    return sorted(p for p in found if p.rsplit("/", 1)[-1].startswith(PREFIX)
                  and fs.exists(f"{p}/{MANIFEST}"))


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def sweep(folder: Path, pattern: str) -> list[Path]:
    """Remove the temporary files and folders matching ``pattern`` in ``folder`` that a process
    no longer running left (its id is in the name: ``OWNER``); returns what was removed."""
    removed = []
    for path in sorted(folder.glob(pattern)):
        owner = OWNER.search(path.name)
        if owner is None or int(owner.group(1)) == os.getpid() or _alive(int(owner.group(1))):
            continue
        if path.is_dir():
            shutil.rmtree(path, ignore_errors=True)
        else:
            path.unlink(missing_ok=True)
        removed.append(path)
    return removed


def _interrupted(fs: Any, root: str, complete: list[str], grace_seconds: float) -> list[str]:
    """Backup folders without a manifest whose name's time is more than ``grace_seconds`` ago
    (younger ones may still be uploading)."""
    if not fs.exists(root):
        return []
    now = utcnow()
    found = []
    for entry in fs.ls(root, detail=True):
        path = entry["name"].rstrip("/")
        stamp = STAMP.search(path.rsplit("/", 1)[-1])
        if entry["type"] != "directory" or stamp is None or path in complete:
            continue
        if (now - datetime.strptime(stamp.group(1), "%Y%m%dT%H%M%S%f")).total_seconds() > grace_seconds:
            found.append(path)
    return found


def _prune(fs: Any, root: str, keep: int, grace_seconds: float) -> list[str]:
    """Delete all but the newest ``keep`` complete backups, and interrupted ones past the grace period."""
    complete = _complete(fs, root)
    doomed = complete[:-keep] if len(complete) > keep else []
    doomed += _interrupted(fs, root, complete, grace_seconds)
    for path in doomed:
        fs.rm(path, recursive=True)
    return sorted(doomed)


def create_backup(db: Path, destination: str, keep: int, endpoint_url: str | None, wait_seconds: float,
                  grace_seconds: float = 3600.0) -> BackupResult:
    """Copy the database consistently to ``destination`` (a folder or URL), keep the newest ``keep``;
    remove what killed backups left (temporary folders beside the database, and interrupted
    backups older than ``grace_seconds``)."""
    db = Path(db)
    if not db.exists():
        raise BackupError(f"database {db} does not exist: nothing to back up")
    sweep(db.parent, f"{TEMP_PREFIX}*")
    fs, root = filesystem(destination, endpoint_url)
    name = PREFIX + utcnow().strftime("%Y%m%dT%H%M%S%fZ")
    with tempfile.TemporaryDirectory(prefix=f"{TEMP_PREFIX}{os.getpid()}-", dir=db.parent) as tmp:
        copy = Path(tmp) / DB_FILE
        with writer_door(db, wait_seconds, publish_copy=False, upgrade=False) as door:
            door.con.execute("CHECKPOINT")
            shutil.copyfile(db, copy)
        manifest = describe(copy)
        target = f"{root}/{name}"
        try:
            fs.makedirs(target, exist_ok=True)
            fs.put_file(str(copy), f"{target}/{DB_FILE}")
            fs.pipe_file(f"{target}/{MANIFEST}", json.dumps(manifest, indent=1, sort_keys=True).encode())
        except OSError as exc:
            raise BackupError(f"cannot write the backup to {destination}: {exc}") from None
    removed = _prune(fs, root, keep, grace_seconds)
    return BackupResult(f"{destination.rstrip('/')}/{name}", manifest, removed)


def list_backups(destination: str, endpoint_url: str | None = None) -> list[str]:
    """The complete backups at ``destination``, oldest first."""
    fs, root = filesystem(destination, endpoint_url)
    return _complete(fs, root)


def _check(copy: Path, manifest: dict[str, Any], backup: str) -> None:
    """The downloaded file is the one the manifest describes: same bytes, it opens, same schema and rows."""
    if _sha256(copy) != manifest.get("sha256"):
        raise BackupError(f"backup {backup} is damaged: {DB_FILE} does not have the sha256 its manifest "
                          "records; try an older backup")
    try:
        found = describe(copy)
    except duckdb.Error as exc:
        raise BackupError(f"backup {backup}: {unusable(Path(backup), exc)}") from None
    except StorageError as exc:
        raise BackupError(f"backup {backup}: {exc}") from None
    if found["schema_version"] != manifest.get("schema_version"):
        raise BackupError(f"backup {backup}: schema version {found['schema_version']}, its manifest says "
                          f"{manifest.get('schema_version')}")
    differ = {t: (found["tables"].get(t), n) for t, n in manifest.get("tables", {}).items()
              if found["tables"].get(t) != n}
    if differ:
        shown = ", ".join(f"{t} has {got} rows, manifest {want}" for t, (got, want) in sorted(differ.items()))
        raise BackupError(f"backup {backup} does not match its manifest: {shown}")


def restore_backup(backup: str, db: Path, endpoint_url: str | None, wait_seconds: float
                   ) -> tuple[str, dict[str, Any], Path | None]:
    """Check a backup (or the newest under a folder of backups) and put it in place at ``db``.

    Returns the backup restored, its manifest, and where a file that was at
    ``db`` was moved (it is kept, never overwritten). The restored file is
    brought up to this release's schema and published for the dashboard.
    """
    db = Path(db)
    fs, path = filesystem(backup, endpoint_url)
    if not fs.exists(f"{path}/{MANIFEST}"):
        found = _complete(fs, path)
        if not found:
            raise BackupError(f"{backup} is not a backup (no {MANIFEST}) and holds no complete backup")
        path = found[-1]
        backup = f"{backup.rstrip('/')}/{path.rsplit('/', 1)[-1]}"
    manifest = json.loads(fs.cat_file(f"{path}/{MANIFEST}"))
    db.parent.mkdir(parents=True, exist_ok=True)
    published = published_path(db)
    tmp = db.with_name(f"{db.name}.restore{os.getpid()}")
    copy = db.with_name(f"{db.name}.restore{os.getpid()}.published")
    try:
        fs.get_file(f"{path}/{DB_FILE}", str(tmp))
        _check(tmp, manifest, backup)
        _prepare(tmp, copy)
        with writer_door(db, wait_seconds, publish_copy=False):
            # Inside the door, a killed restore's journaled swap is complete (``finish_swap``):
            # only then are its files leftovers.
            sweep(db.parent, f"{db.name}.restore*")
            _unlink_stale_asides(db)
            sweep(db.parent, f"{published.name}.tmp*")
            stamp = f"{utcnow():%Y%m%dT%H%M%S}"
            aside = _free_name(db.with_name(f"{db.name}.before-restore-{stamp}")) if db.exists() else None
            if aside is not None:
                os.link(db, aside)  # the old file stays at its path until the new one replaces it
            swap_in(db, tmp, copy, Path(f"{db}.wal.before-restore-{stamp}"))
    finally:
        if not swap_journal(db).exists():  # else the next writer puts them in place
            tmp.unlink(missing_ok=True)
            copy.unlink(missing_ok=True)
    return backup, manifest, aside


def _free_name(path: Path) -> Path:
    """``path``, or ``path-2``, ``path-3``... if a restore within the same second set a file aside there."""
    candidate, n = path, 1
    while candidate.exists():
        n += 1
        candidate = path.with_name(f"{path.name}-{n}")
    return candidate


def _unlink_stale_asides(db: Path) -> None:
    """A ``before-restore`` name that is still the database itself (a hard link to it) was made by
    a restore killed before its swap: the file was never set aside, so the name goes."""
    if not db.exists():
        return
    inode = db.stat().st_ino
    for path in db.parent.glob(f"{db.name}.before-restore-*"):
        if path.stat().st_ino == inode:
            path.unlink()


def _prepare(tmp: Path, copy: Path) -> None:
    """Bring the downloaded file to this release's schema and make its published copy, both
    synced, before anything is put in place."""
    con = connect(tmp)
    try:
        con.execute("CHECKPOINT")
    finally:
        con.close()
    shutil.copyfile(tmp, copy)
    for path in (tmp, copy):
        with open(path, "rb+") as handle:
            os.fsync(handle.fileno())
