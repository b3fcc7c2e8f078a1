"""``benchwatch sources check``: is each upstream still there, and does it still look as we parse it?

One cheap request per source, its response held to the same schema checks the
parser applies (``require_columns``, ``numeric_column``, the date columns), so
a renamed column is caught before the next ingest downloads the payload:

- ``lmarena``: the dataset viewer's ``/first-rows`` of ``text``/``latest`` (one
  small JSON: the column list with types, and rows with the publish date);
- ``epoch``: the standalone ``https://epoch.ai/data/eci_scores.csv`` (a few
  hundred rows), whose columns Epoch documents for the current layout;
- ``open-llm-leaderboard-v1``: the results dataset's head commit and its date
  (frozen: an old date is expected; it is never ingested on a schedule);
- ``every-eval-ever``: the datastore's ``flat/latest_manifest.json`` (a small JSON
  descriptor), read by the same ``read_manifest`` the ingest uses.

Sources without a probe are reported as ``not checked``. The result per source:
reachable, HTTP status, format (``recognised``; ``changed`` with what changed;
``unknown`` when the body is not the kind of document expected at all), and the
newest data date the response shows.
"""

from __future__ import annotations

import io
import json
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass
from datetime import date
from typing import Literal
from urllib.parse import urlencode

import pandas as pd

from benchwatch.sources import SOURCES
from benchwatch.sources import every_eval_ever as eee
from benchwatch.sources.base import ParseError, numeric_column, rebase, require_columns
from benchwatch.sources.http import HF_HUB, HF_VIEWER, FetchError, HttpClient
from benchwatch.sources.lmarena import DATASET, LIVE_COLUMNS, LIVE_REQUIRED

FormatState = Literal["recognised", "changed", "unknown", "not checked"]

ECI_SCORES = "https://epoch.ai/data/eci_scores.csv"
# The current layout's eci_scores.csv (epoch/current-layout/SOURCE.md): what ingesting ECI needs.
ECI_REQUIRED = ("Model", "eci", "eci_ci_low", "eci_ci_high", "date")
V1_RESULTS = "open-llm-leaderboard-old/results"


@dataclass(frozen=True)
class CheckResult:
    """What one probe found; ``ok`` is False when the source is down or its format is not ours."""

    source: str
    liveness: str
    url: str | None
    reachable: bool | None
    http_status: int | None
    format: FormatState
    detail: str
    newest_data: date | None
    unmapped: tuple[str, ...] = ()  # declared files the registry does not map (``pipeline.probe``)
    unmapped_safety: tuple[str, ...] = ()  # of those, the ones whose names say safety

    @property
    def ok(self) -> bool:
        return self.format in ("recognised", "not checked") and self.reachable is not False

    def as_dict(self) -> dict[str, object]:
        row = asdict(self)
        row["newest_data"] = self.newest_data.isoformat() if self.newest_data else None
        row["ok"] = self.ok
        return row


class Unrecognised(ValueError):
    """The response is not the kind of document the probe expects (``unknown``)."""


# A probe: (probe URL, check of the body -> (detail, newest data date)). The check raises
# ParseError for a changed layout and Unrecognised for an unknown body.
Check = Callable[[bytes, str], tuple[str, date | None]]


def _arena_url(upstream_base: str | None) -> str:
    query = urlencode({"dataset": DATASET, "config": "text", "split": "latest"})
    return f"{rebase(HF_VIEWER, upstream_base)}/first-rows?{query}"


def _arena(body: bytes, url: str) -> tuple[str, date | None]:
    """The viewer's first rows: every column the parser maps, numbers numeric, dates dates."""
    doc = _json(body)
    if not (isinstance(doc, dict) and isinstance(doc.get("features"), list)
            and isinstance(doc.get("rows"), list)):
        raise Unrecognised("not a dataset-viewer first-rows response (no 'features' and 'rows')")
    columns = [f.get("name") for f in doc["features"] if isinstance(f, dict)]
    rows = pd.DataFrame([r.get("row", {}) for r in doc["rows"] if isinstance(r, dict)], columns=columns)
    require_columns(rows, LIVE_REQUIRED, "lmarena", url)
    if rows.empty:
        raise ParseError("lmarena", url, "no rows in text/latest")
    for column in LIVE_COLUMNS:
        numeric_column(rows, column, "lmarena", url)
    newest = _dates(rows, "leaderboard_publish_date", "lmarena", url)
    return f"text/latest: {len(columns)} columns, first {len(rows)} rows", newest


def _epoch(body: bytes, url: str) -> tuple[str, date | None]:
    """``eci_scores.csv`` in the documented current columns, ECI numeric, dated by model release."""
    try:
        table = pd.read_csv(io.BytesIO(body))
    except (UnicodeDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise Unrecognised(f"not a CSV: {exc}") from None
    if table.shape[1] < 2:
        raise Unrecognised(f"not a table of scores: columns {list(table.columns)[:5]}")
    require_columns(table, ECI_REQUIRED, "epoch", url)
    if table.empty:
        raise ParseError("epoch", url, "no rows")
    for column in ECI_REQUIRED[1:4]:
        numeric_column(table, column, "epoch", url)
    newest = _dates(table, "date", "epoch", url)
    return f"eci_scores.csv: {len(table)} model groups", newest


def _v1_url(upstream_base: str | None) -> str:
    hub = rebase(HF_HUB, upstream_base)
    return f"{hub}/api/datasets/{V1_RESULTS}?expand=sha&expand=lastModified"


def _v1(body: bytes, url: str) -> tuple[str, date | None]:
    """The results dataset's head commit and when it last changed (frozen: long ago)."""
    doc = _json(body)
    if not isinstance(doc, dict) or not isinstance(doc.get("sha"), str):
        raise Unrecognised("not a Hub dataset info response (no 'sha')")
    modified = pd.to_datetime(doc.get("lastModified"), errors="coerce", utc=True)
    newest = None if pd.isna(modified) else modified.date()
    return f"head {doc['sha'][:12]}, last modified {newest or 'unknown'} (frozen)", newest


def _eee_url(upstream_base: str | None) -> str:
    return f"{rebase(eee.EveryEvalEver.endpoints['data'], upstream_base)}/{eee.MANIFEST}"


def _eee(body: bytes, url: str) -> tuple[str, date | None]:
    """The manifest descriptor: its snapshot's hash, record count and creation time."""
    if body.lstrip().startswith(b"<"):
        raise Unrecognised("an HTML page, not a datastore manifest")
    manifest = eee.read_manifest(body, url)
    created = eee.created_at(manifest)
    return (f"manifest {manifest['manifest_core_sha256'][:12]}: {manifest['aggregate_file_count']} records, "
            f"{manifest.get('benchmark_count', '?')} collections"), created.date() if created else None


PROBES: dict[str, tuple[Callable[[str | None], str], Check]] = {
    "every-eval-ever": (_eee_url, _eee),
    "lmarena": (_arena_url, _arena),
    "epoch": (lambda base: rebase(ECI_SCORES, base), _epoch),
    "open-llm-leaderboard-v1": (_v1_url, _v1),
}


def check_source(name: str, http: HttpClient, upstream_base: str | None = None) -> CheckResult:
    """Probe one source; never raises for an upstream's fault (that is the result)."""
    if name not in SOURCES:
        raise ValueError(f"unknown source {name!r}; known sources: {', '.join(SOURCES)}")
    liveness = SOURCES[name].liveness.state
    if name not in PROBES:
        return CheckResult(name, liveness, None, None, None, "not checked",
                           f"no probe ({liveness}); its ingest checks it", None)
    url_of, check = PROBES[name]
    url = url_of(upstream_base)
    try:
        response = http.get(url)
    except FetchError as exc:
        return CheckResult(name, liveness, url, False, exc.status, "unknown", str(exc), None)
    try:
        detail, newest = check(response.content, url)
    except ParseError as exc:
        return CheckResult(name, liveness, url, True, response.status, "changed", f"ParseError: {exc}", None)
    except Unrecognised as exc:
        return CheckResult(name, liveness, url, True, response.status, "unknown", str(exc), None)
    return CheckResult(name, liveness, url, True, response.status, "recognised", detail, newest)


def check_sources(names: Iterable[str], http: HttpClient, upstream_base: str | None = None) -> list[CheckResult]:
    """Every named source probed, in order."""
    return [check_source(name, http, upstream_base) for name in names]


def _json(body: bytes) -> object:
    try:
        return json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise Unrecognised(f"not JSON: {exc}") from None


def _dates(frame: pd.DataFrame, column: str, source: str, url: str) -> date | None:
    """The newest date of a column; a cell that is not a date is a changed format."""
    raw = frame[column]
    parsed = pd.to_datetime(raw, errors="coerce", utc=True, format="ISO8601")
    bad = parsed.isna() & raw.notna() & (raw.astype(str).str.strip() != "")
    if bad.any():
        row = int(bad.to_numpy().nonzero()[0][0])
        raise ParseError(source, url, f"not a date: {str(raw.iloc[row])[:40]!r}", column=column, row=row)
    return None if parsed.isna().all() else parsed.max().date()
