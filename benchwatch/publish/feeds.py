"""Atom feeds of alerts and findings: follow Benchwatch in any feed reader, nothing to configure.

One entry per alert (per finding), its id a URN of the alert's key, so a
reader sees an alert once however many times the site is rebuilt; its
``updated`` is when its state last changed, so a resolution shows as an
update. Built with ElementTree, which escapes every upstream string.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import date
from urllib.parse import quote

import pandas as pd

from benchwatch.publish.release import Release

ATOM = "http://www.w3.org/2005/Atom"
ET.register_namespace("", ATOM)


def _stamp(value: object, fallback: date) -> str:
    """RFC 3339 in UTC (the database stores UTC without a zone)."""
    if value is None or pd.isna(value):
        return f"{fallback.isoformat()}T00:00:00Z"
    return pd.Timestamp(value).strftime("%Y-%m-%dT%H:%M:%SZ")


def _add(parent: ET.Element, tag: str, text: str | None = None, **attributes: str) -> ET.Element:
    element = ET.SubElement(parent, f"{{{ATOM}}}{tag}", attributes)
    if text is not None:
        element.text = text
    return element


def _feed(kind: str, title: str, release: Release, entries: list[dict]) -> bytes:
    feed = ET.Element(f"{{{ATOM}}}feed")
    _add(feed, "id", f"urn:benchwatch:feed:{kind}")
    _add(feed, "title", title)
    _add(feed, "updated", max((e["updated"] for e in entries), default=_stamp(None, release.date)))
    _add(feed, "link", rel="alternate", href=f"../{kind}.html")
    author = _add(feed, "author")
    _add(author, "name", "Benchwatch")
    for item in sorted(entries, key=lambda e: (e["updated"], e["id"]), reverse=True):
        entry = _add(feed, "entry")
        _add(entry, "id", item["id"])
        _add(entry, "title", item["title"])
        _add(entry, "updated", item["updated"])
        _add(entry, "link", rel="alternate", href=item["link"])
        _add(entry, "summary", item["summary"], type="text")
    ET.indent(feed)
    return ET.tostring(feed, encoding="utf-8", xml_declaration=True) + b"\n"


def _link(ids: dict[tuple[str, str], str], source: str, benchmark: object, fallback: str) -> str:
    ident = ids.get((source, benchmark)) if isinstance(benchmark, str) else None
    return f"../benchmarks/{ident}.html" if ident else fallback


def alerts_feed(release: Release, ids: dict[tuple[str, str], str]) -> bytes:
    entries = []
    for row in release.frames["alerts"].itertuples(index=False):
        changed = row.resolved_at if row.state == "resolved" else row.raised_at
        subject = row.name if isinstance(row.name, str) else row.source
        entries.append({
            "id": f"urn:benchwatch:alert:{quote(row.key, safe='')}",
            "title": f"{row.state}: {row.rule}, {subject} ({row.source}"
                     + (f", {row.model_set}, {row.axis})" if isinstance(row.axis, str) else ")"),
            "updated": _stamp(changed, release.date), "link": _link(ids, row.source, row.benchmark, "../alerts.html"),
            "summary": row.message if isinstance(row.message, str) else ""})
    return _feed("alerts", "Benchwatch alerts: safety benchmarks that track capabilities", release, entries)


def findings_feed(release: Release, ids: dict[tuple[str, str], str]) -> bytes:
    entries = [{
        "id": f"urn:benchwatch:finding:{quote(row.key, safe='')}",
        "title": f"{row.rule}: {row.name} ({row.source}, {row.model_set}, {row.axis})",
        "updated": _stamp(row.as_of, release.date), "link": _link(ids, row.source, row.benchmark, "../findings.html"),
        "summary": f"{row.message} {row.why}"} for row in release.frames["findings"].itertuples(index=False)]
    return _feed("findings", "Benchwatch findings on frozen data", release, entries)


def files(release: Release, ids: dict[tuple[str, str], str]) -> dict[str, bytes]:
    return {"feeds/alerts.xml": alerts_feed(release, ids), "feeds/findings.xml": findings_feed(release, ids)}
