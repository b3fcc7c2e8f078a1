"""A dated, citable data release: ``releases/YYYY-MM-DD[-N]/``, written once, chained by manifest hash.

A release holds the five tables as CSV and Parquet, a Frictionless
``datapackage.json`` describing every column, ``LICENSES.md`` (the licence and
credit of every source whose rows it carries), ``manifest.json`` (each of
those files' sha256 and the previous release's manifest hash) and
``CITATION.cff`` / ``CITATION.bib`` citing the release by its date and
manifest hash (they cite the manifest, so it cannot list them).

Its date is the data's newest as-of date, never the wall clock, and nothing in
it depends on when it was built: the same database gives the same bytes. A
publish whose content files equal the newest release's writes no release.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import date

import duckdb
import pandas as pd

from benchwatch import __version__
from benchwatch.publish.tables import TABLES, csv_bytes, parquet_bytes
from benchwatch.publish.target import Target
from benchwatch.storage import published_reads
from benchwatch.upstreams import UPSTREAMS

MANIFEST = "manifest.json"
LATEST_MANIFEST = "latest_manifest.json"
# What cites the manifest, so the manifest cannot list it.
CITING = ("CITATION.cff", "CITATION.bib")
TITLE = "Benchwatch: which AI safety benchmarks track capabilities"


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def dumps(document: object) -> bytes:
    """JSON as every published file writes it: sorted keys, two-space indent, a final newline."""
    return (json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False, allow_nan=False) + "\n").encode()


@dataclass
class Release:
    """One release: its id (the folder name), its date, and every file of its folder."""

    id: str
    date: date
    files: dict[str, bytes]
    new: bool
    frames: dict[str, pd.DataFrame] = field(default_factory=dict)

    @property
    def manifest_sha256(self) -> str:
        return sha256(self.files[MANIFEST])

    @property
    def path(self) -> str:
        return f"releases/{self.id}"


def credits(sources: list[str]) -> list[dict]:
    """Licence and attribution of each source, as its upstream asks (a custom source: the user's own)."""
    rows = []
    for name in sources:
        facts = UPSTREAMS.get(name)
        rows.append({"name": name, "license": facts.license if facts else "the publisher's own data",
                     "attribution": facts.attribution if facts else "a custom source of this Benchwatch"})
    return rows


def licences_md(sources: list[dict]) -> bytes:
    lines = ["# Licences and attributions", "",
             "This release carries rows from these sources; reuse them under each one's licence, with its credit.", ""]
    for source in sources:
        lines += [f"## {source['name']}", "", f"- Licence: {source['license']}",
                  f"- Attribution: {source['attribution']}", ""]
    lines += ["The computed results (correlations, findings, alerts) are Benchwatch's, under the MIT licence.", ""]
    return "\n".join(lines).encode()


def datapackage(sources: list[dict]) -> dict:
    """The Frictionless Data Package: a CSV and a Parquet resource per table, every column described."""
    resources = []
    for table in TABLES:
        schema = table.schema()
        if not table.primary_key:
            schema.pop("primaryKey")
        resources.append({"name": table.name, "path": f"{table.name}.csv", "profile": "tabular-data-resource",
                          "format": "csv", "mediatype": "text/csv", "encoding": "utf-8", "title": table.title,
                          "schema": schema})
        resources.append({"name": f"{table.name}-parquet", "path": f"{table.name}.parquet", "format": "parquet",
                          "mediatype": "application/vnd.apache.parquet", "title": f"{table.title} (Parquet)",
                          "schema": schema})
    return {"profile": "tabular-data-package", "name": "benchwatch", "title": TITLE,
            "description": "Spearman correlation of each AI safety benchmark with capability scores (the "
                           "Safetywashing method), per as-of date, with the values it was computed from. rho is a "
                           "fraction in [-1, 1]; a positive rho means the safer value goes with the more capable "
                           "model (values are taken times the benchmark's direction).",
            "sources": [{"title": f"{s['name']}: {s['attribution']} ({s['license']})"} for s in sources],
            "resources": resources}


def content_files(con: duckdb.DuckDBPyConnection) -> tuple[dict[str, bytes], dict[str, pd.DataFrame]]:
    """The files a release's identity rests on (tables, datapackage, licences) and the tables' frames."""
    frames = {table.name: table.frame(con) for table in TABLES}
    files: dict[str, bytes] = {}
    for table in TABLES:
        files[f"{table.name}.csv"] = csv_bytes(table, frames[table.name])
        files[f"{table.name}.parquet"] = parquet_bytes(table, frames[table.name])
    carried = sorted({s for frame in frames.values() for s in frame["source"].dropna().unique()})
    sources = credits(carried)
    files["datapackage.json"] = dumps(datapackage(sources))
    files["LICENSES.md"] = licences_md(sources)
    return files, frames


def citation_cff(release_id: str, day: date, manifest_hash: str) -> bytes:
    return (
        "cff-version: 1.2.0\n"
        'message: "If you use this data, cite this release by its date and manifest hash, and credit each '
        'source as LICENSES.md asks."\n'
        "type: dataset\n"
        f'title: "{TITLE} (release {release_id})"\n'
        "authors:\n"
        '  - name: "Benchwatch"\n'
        f'version: "{release_id}"\n'
        f'date-released: "{day.isoformat()}"\n'
        "license: MIT\n"
        "identifiers:\n"
        "  - type: other\n"
        f'    value: "sha256:{manifest_hash}"\n'
        '    description: "sha256 of the release\'s manifest.json"\n'
    ).encode()


def citation_bib(release_id: str, day: date, manifest_hash: str) -> bytes:
    key = "benchwatch_" + release_id.replace("-", "_")
    return (
        f"@misc{{{key},\n"
        f"  title = {{{{{TITLE}}}, release {release_id}}},\n"
        "  author = {{Benchwatch}},\n"
        f"  year = {{{day.year}}},\n"
        f"  month = {{{day.month}}},\n"
        f"  version = {{{release_id}}},\n"
        f"  note = {{Data release {release_id}, manifest.json sha256 {manifest_hash}}}\n"
        "}\n"
    ).encode()


def latest_release(target: Target) -> tuple[dict, bytes] | None:
    """The newest release's manifest (parsed and raw), from the site's ``latest_manifest.json``."""
    raw = target.read(LATEST_MANIFEST)
    return None if raw is None else (json.loads(raw), raw)


def next_id(day: date, taken: list[str]) -> str:
    """``YYYY-MM-DD``, or ``YYYY-MM-DD-N`` (N from 2) when a release of that date exists."""
    candidate, n = day.isoformat(), 1
    while candidate in taken:
        n += 1
        candidate = f"{day.isoformat()}-{n}"
    return candidate


def plan(con: duckdb.DuckDBPyConnection, target: Target) -> Release:
    """The release this database makes on this site: the newest one again when its content files are
    unchanged, else a new one whose manifest names the newest's hash."""
    day = published_reads.newest_as_of(con)
    if day is None:
        raise ValueError("the published database holds no data yet: run `benchwatch refresh` before publishing")
    files, frames = content_files(con)
    previous = latest_release(target)
    if previous is not None:
        manifest, raw = previous
        if {name: sha256(data) for name, data in files.items()} == {
                name: entry["sha256"] for name, entry in manifest["files"].items()}:
            stored = {name: target.read(f"releases/{manifest['release']}/{name}") for name in (MANIFEST, *CITING)}
            return Release(manifest["release"], date.fromisoformat(manifest["date"]), {**files, **stored}, False,
                           frames)
    release_id = next_id(day, target.folders("releases"))
    manifest = {
        "release": release_id, "date": day.isoformat(), "software": f"benchwatch {__version__}",
        "files": {name: {"sha256": sha256(data), "bytes": len(data)} for name, data in sorted(files.items())},
        "previous": None if previous is None else {"release": previous[0]["release"],
                                                   "manifest_sha256": sha256(previous[1])},
    }
    files[MANIFEST] = dumps(manifest)
    files["CITATION.cff"] = citation_cff(release_id, day, sha256(files[MANIFEST]))
    files["CITATION.bib"] = citation_bib(release_id, day, sha256(files[MANIFEST]))
    return Release(release_id, day, files, True, frames)


def write(release: Release, target: Target) -> None:
    """A new release's folder (never rewritten afterwards), then ``latest/`` and ``latest_manifest.json``."""
    for name, data in sorted(release.files.items()):
        if release.new:
            target.write(f"{release.path}/{name}", data)
        target.write(f"latest/{name}", data)
    target.write(LATEST_MANIFEST, release.files[MANIFEST])
