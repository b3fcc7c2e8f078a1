"""Raw payload archive: every live fetch's bytes, compressed and content-addressed.

Parsers improve and upstreams change shape; keeping the exact bytes means
any past fetch can be parsed again (``benchwatch refresh --reparse``)
without asking the upstream for a state it no longer serves.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import os
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

from benchwatch.sources.base import Snapshot


def _write_once(path: Path, data: bytes) -> None:
    """Atomic create: a crash leaves either no file or the whole file."""
    if path.exists():
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + f".tmp{os.getpid()}")
    tmp.write_bytes(data)
    os.replace(tmp, path)


def archive_snapshot(root: Path, snapshot: Snapshot) -> Path:
    """Store the snapshot's files as gzip blobs by sha256, and a manifest naming them."""
    files = {}
    for name, content in snapshot.files.items():
        digest = hashlib.sha256(content).hexdigest()
        _write_once(root / "blobs" / digest[:2] / f"{digest}.gz", gzip.compress(content, mtime=0))
        files[name] = digest
    manifest = {
        "source": snapshot.source,
        "label": snapshot.label,
        "observed_at": snapshot.observed_at.isoformat(),
        "location": snapshot.location,
        "http_status": snapshot.http_status,
        "etag": snapshot.etag,
        "last_modified": snapshot.last_modified,
        "files": files,
    }
    path = root / "manifests" / snapshot.source / f"{snapshot.content_hash}.json"
    _write_once(path, json.dumps(manifest, indent=1, sort_keys=True).encode())
    return path


def archived_snapshots(root: Path, source: str) -> Iterator[Snapshot]:
    """The newest archived live snapshot of each location of ``source``, as it was fetched.

    Only the newest: observations are append-only, so re-parsing an older
    payload would "revise" values back to their past state. Re-parsing the
    newest payload with today's parser records, as revisions, exactly what
    the parser now reads differently.
    """
    newest: dict[str, dict] = {}
    for path in (root / "manifests" / source).glob("*.json"):
        manifest = json.loads(path.read_text())
        current = newest.get(manifest["location"])
        if current is None or manifest["observed_at"] > current["observed_at"]:
            newest[manifest["location"]] = manifest
    for manifest in sorted(newest.values(), key=lambda m: m["observed_at"]):
        files = {
            name: gzip.decompress((root / "blobs" / digest[:2] / f"{digest}.gz").read_bytes())
            for name, digest in manifest["files"].items()
        }
        yield Snapshot(
            source=manifest["source"], label=manifest["label"],
            observed_at=datetime.fromisoformat(manifest["observed_at"]),
            location=manifest["location"], files=files, mode="live",
            http_status=manifest["http_status"], etag=manifest["etag"],
            last_modified=manifest["last_modified"],
        )
