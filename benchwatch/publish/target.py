"""Where a site is written: a folder or an object store URL, through fsspec as backups are
(``storage.backup.filesystem``: the same extra, the same endpoint setting).

Only files whose bytes changed are written, so a host or a CDN sees no change
when nothing changed, and an upload moves only what is new.
"""

from __future__ import annotations

import hashlib

from benchwatch.storage.backup import filesystem


class Target:
    """A site's root: ``site/``, ``file:///srv/site`` or ``s3://bucket/prefix``."""

    def __init__(self, url: str, endpoint_url: str | None = None) -> None:
        self.fs, self.root = filesystem(url, endpoint_url)
        # fsspec shares a filesystem and its cached listings between calls: read what is there now.
        self.fs.invalidate_cache()
        self.written: list[str] = []

    def _path(self, relative: str) -> str:
        return f"{self.root}/{relative}"

    def read(self, relative: str) -> bytes | None:
        """The file's bytes, or None when the site has no such file."""
        try:
            with self.fs.open(self._path(relative), "rb") as handle:
                return handle.read()
        except FileNotFoundError:
            return None

    def folders(self, relative: str) -> list[str]:
        """The names of the folders under ``relative`` (none when it does not exist)."""
        try:
            entries = self.fs.ls(self._path(relative), detail=True)
        except FileNotFoundError:
            return []
        return sorted(e["name"].rstrip("/").rsplit("/", 1)[-1] for e in entries if e["type"] == "directory")

    def _same(self, relative: str, data: bytes) -> bool:
        try:
            info = self.fs.info(self._path(relative))
        except FileNotFoundError:
            return False
        if info.get("size") != len(data):
            return False
        etag = str(info.get("ETag", "")).strip('"')
        if len(etag) == 32 and "-" not in etag:  # an object store's single-part ETag is the MD5
            return etag == hashlib.md5(data, usedforsecurity=False).hexdigest()
        return self.read(relative) == data

    def write(self, relative: str, data: bytes) -> bool:
        """Write the file unless it already holds these bytes; True when written."""
        if self._same(relative, data):
            return False
        path = self._path(relative)
        parent = path.rsplit("/", 1)[0]
        self.fs.makedirs(parent, exist_ok=True)
        with self.fs.open(path, "wb") as handle:
            handle.write(data)
        self.written.append(relative)
        return True
