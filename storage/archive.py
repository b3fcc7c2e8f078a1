"""The raw archive: the source of truth a database can be rebuilt from.

Every live payload is stored as it arrived, gzip-compressed and named by the
sha256 of its bytes (``blobs/ab/<sha256>.gz``), and every fetch gets one line
in an append-only index (``index.jsonl``): when, which source and location,
the validators (ETag, Last-Modified), the HTTP status, the label and data time,
and the hashes of what it brought. A recorded snapshot that was replayed gets
a line too (its bytes stay in the replay data, named by their hash), and so
does a fetch that failed before any payload arrived. Replaying the index in
order through today's parsers (``benchwatch rebuild``) gives back the history
a lost database held: Epoch re-fits ECI and Arena overwrites its ``latest``
split, so upstream no longer serves those past states.

The index lives beside the blobs, not in DuckDB, so the archive survives the
database. Only a writer (under the writer lock) appends to it; a line torn by
a crash is skipped when read and reported by ``verify``.

Archives written before the index had one manifest per payload
(``manifests/<source>/<hash>.json``); they are still read, ordered by data
time, before the index's lines.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from benchwatch.records import Snapshot

INDEX = "index.jsonl"


def _write_once(path: Path, data: bytes) -> None:
    """Atomic create: a crash leaves either no file or the whole file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + f".tmp{os.getpid()}")
    tmp.write_bytes(data)
    os.replace(tmp, path)


def blob_path(root: Path, digest: str) -> Path:
    return root / "blobs" / digest[:2] / f"{digest}.gz"


def _store_blobs(root: Path, snapshot: Snapshot) -> tuple[dict[str, str], dict[str, str]]:
    """Write each file of the snapshot once; (name -> content sha256, blob written -> its file's sha256)."""
    files, stored = {}, {}
    for name, content in snapshot.files.items():
        digest = hashlib.sha256(content).hexdigest()
        path = blob_path(root, digest)
        if not path.exists():
            packed = gzip.compress(content, mtime=0)
            _write_once(path, packed)
            stored[digest] = hashlib.sha256(packed).hexdigest()
        files[name] = digest
    return files, stored


@dataclass
class Entry:
    """One line of the index: one fetch (live or failed) or one replayed recorded snapshot."""

    run: str
    fetched_at: str
    source: str
    mode: str  # "live" or "replay"
    status: str  # "ok" (a payload), "unchanged" (HTTP 304) or "failed" (no payload arrived)
    label: str | None = None
    location: str | None = None
    observed_at: str | None = None
    http_status: int | None = None
    etag: str | None = None
    last_modified: str | None = None
    content_hash: str | None = None
    files: dict[str, str] = field(default_factory=dict)
    stored: dict[str, str] = field(default_factory=dict)
    until: str | None = None
    error: str | None = None

    def snapshot(self, root: Path) -> Snapshot:
        """The archived live snapshot this entry names, its bytes read back from the blobs."""
        files = {name: gzip.decompress(blob_path(root, digest).read_bytes())
                 for name, digest in self.files.items()}
        return Snapshot(
            source=self.source, label=self.label or "", location=self.location or "",
            observed_at=datetime.fromisoformat(self.observed_at) if self.observed_at else datetime.min,
            files=files, mode="live", http_status=self.http_status, etag=self.etag,
            last_modified=self.last_modified, not_modified=self.status == "unchanged",
        )


class Recorder:
    """Appends one run's fetches to the index (a run is one ``ingest_source`` call)."""

    def __init__(self, root: Path, run: str, until: str | None = None) -> None:
        self.root, self.run, self.until = root, run, until
        self._unsynced = False

    def _append(self, entry: Entry) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        line = (json.dumps(entry.__dict__, sort_keys=True, separators=(",", ":")) + "\n").encode()
        with open(self.root / INDEX, "ab+") as handle:
            # A line torn by a crash is ended first, so it costs only itself, not this entry.
            if handle.seek(0, os.SEEK_END) > 0:
                handle.seek(-1, os.SEEK_END)
                if handle.read(1) != b"\n":
                    line = b"\n" + line
            handle.write(line)
        self._unsynced = True

    def sync(self) -> None:
        """Make the lines appended so far durable; called before the database commits what they name,
        so the archive never knows less than the database (one fsync per write, not per line)."""
        if self._unsynced:
            with open(self.root / INDEX, "rb") as handle:
                os.fsync(handle.fileno())
            self._unsynced = False

    def _entry(self, snapshot: Snapshot, fetched_at: datetime, status: str) -> Entry:
        return Entry(
            run=self.run, fetched_at=fetched_at.isoformat(), source=snapshot.source, mode=snapshot.mode,
            status=status, label=snapshot.label, location=snapshot.location,
            observed_at=snapshot.observed_at.isoformat(), http_status=snapshot.http_status,
            etag=snapshot.etag, last_modified=snapshot.last_modified,
            until=self.until if snapshot.mode == "replay" else None,
        )

    def snapshot(self, snapshot: Snapshot, fetched_at: datetime) -> None:
        """A live payload (stored), a 304 (no payload), or a replayed recorded snapshot (hash only)."""
        if snapshot.not_modified:
            self._append(self._entry(snapshot, fetched_at, "unchanged"))
            return
        entry = self._entry(snapshot, fetched_at, "ok")
        entry.content_hash = snapshot.content_hash
        if snapshot.mode == "live":
            entry.files, entry.stored = _store_blobs(self.root, snapshot)
        self._append(entry)

    def failure(self, source: str, fetched_at: datetime, error: str, http_status: int | None,
                location: str | None) -> None:
        """A fetch that failed before a payload arrived: replayed as the same failure."""
        self._append(Entry(run=self.run, fetched_at=fetched_at.isoformat(), source=source, mode="live",
                           status="failed", location=location, http_status=http_status, error=error))


def _legacy(root: Path, indexed: set[str]) -> list[Entry]:
    """Manifests of archives written before the index, not already named by it, oldest data first."""
    found = []
    for path in sorted((root / "manifests").glob("*/*.json")):
        manifest = json.loads(path.read_text())
        if path.stem in indexed:
            continue
        found.append(Entry(
            run=f"legacy-{path.stem}", fetched_at="", source=manifest["source"], mode="live", status="ok",
            label=manifest["label"], location=manifest["location"], observed_at=manifest["observed_at"],
            http_status=manifest["http_status"], etag=manifest["etag"],
            last_modified=manifest["last_modified"], content_hash=path.stem, files=manifest["files"]))
    return sorted(found, key=lambda e: e.observed_at or "")


def read_index(root: Path) -> tuple[list[Entry], list[int]]:
    """Every entry in fetch order, and the line numbers of lines that could not be read."""
    entries, torn = [], []
    index = root / INDEX
    if index.exists():
        with open(index, encoding="utf-8", errors="replace") as handle:
            for number, line in enumerate(handle, start=1):
                try:
                    entries.append(Entry(**json.loads(line)))
                except (ValueError, TypeError):
                    torn.append(number)
    indexed = {e.content_hash for e in entries if e.content_hash}
    return _legacy(root, indexed) + entries, torn


def entries(root: Path, source: str | None = None) -> list[Entry]:
    """The index's entries (of one source), in fetch order."""
    found, _ = read_index(root)
    return [e for e in found if source is None or e.source == source]


def runs(root: Path, source: str) -> list[list[Entry]]:
    """A source's entries grouped by the ingest run that made them, in fetch order."""
    grouped: list[list[Entry]] = []
    for entry in entries(root, source):
        if grouped and grouped[-1][0].run == entry.run:
            grouped[-1].append(entry)
        else:
            grouped.append([entry])
    return grouped


def archived_snapshots(root: Path, source: str) -> Iterator[Snapshot]:
    """The newest archived live payload of each location of ``source``, as it was fetched.

    Only the newest: observations are append-only, so re-parsing an older
    payload would "revise" values back to their past state. Re-parsing the
    newest payload with today's parser records, as revisions, exactly what
    the parser now reads differently.
    """
    newest: dict[str, Entry] = {}
    for entry in entries(root, source):
        if entry.mode == "live" and entry.status == "ok":
            current = newest.get(entry.location or "")
            if current is None or (entry.observed_at or "") >= (current.observed_at or ""):
                newest[entry.location or ""] = entry
    for entry in sorted(newest.values(), key=lambda e: e.observed_at or ""):
        yield entry.snapshot(root)


@dataclass
class Verification:
    """What ``verify`` checked and what it found wrong (file, problem)."""

    blobs: int = 0
    entries: int = 0
    problems: list[tuple[str, str]] = field(default_factory=list)


def verify(root: Path) -> Verification:
    """Re-hash every archived file: each blob must exist, decompress, hash to its name and,
    where the index recorded it, have the exact stored bytes; every index line must read."""
    result = Verification()
    found, torn = read_index(root)
    result.entries = len(found)
    for number in torn:
        result.problems.append((str(root / INDEX), f"line {number} is not a complete index entry"))
    expected: dict[str, str | None] = {}
    for entry in found:
        for digest in entry.files.values():
            expected.setdefault(digest, None)
        for digest, stored in entry.stored.items():
            expected[digest] = stored
    on_disk = {p.name.removesuffix(".gz"): p for p in (root / "blobs").glob("*/*.gz")}
    for digest in sorted(set(expected) | set(on_disk)):
        path = on_disk.get(digest, blob_path(root, digest))
        result.blobs += 1
        if not path.exists():
            result.problems.append((str(path), "missing (named by the index)"))
            continue
        packed = path.read_bytes()
        stored = expected.get(digest)
        if stored is not None and hashlib.sha256(packed).hexdigest() != stored:
            result.problems.append((str(path), "changed: its bytes differ from those archived"))
            continue
        try:
            content = gzip.decompress(packed)
        except (OSError, EOFError, zlib.error) as exc:
            result.problems.append((str(path), f"changed: cannot be decompressed ({exc})"))
            continue
        if hashlib.sha256(content).hexdigest() != digest:
            result.problems.append((str(path), "changed: its content no longer hashes to its name"))
    return result
