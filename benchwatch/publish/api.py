"""The static JSON API: ``api/v1/`` files a script reads without running anything.

``index.json`` lists every safety benchmark; ``benchmarks/{id}.json`` holds each
of its series (model set x axis) with every as-of point, its findings and
alerts; ``sources.json`` and ``alerts.json`` the rest. Each file names the
release it came from (id and manifest hash). Their JSON schemas are in
``schemas/`` beside this module and stay stable across releases: a field is
only ever added.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from datetime import date, datetime
from importlib import resources

import pandas as pd

from benchwatch.publish.release import Release, dumps
from benchwatch.publish.tables import TABLES

API = "api/v1"
SCHEMAS = ("index", "benchmark", "sources", "alerts")
POINT = ["as_of", "rho", "ci_low", "ci_high", "n", "q", "partial_rho_time", "drift_change", "p_drift"]
SERIES_KEY = ["model_set", "axis"]
FINDING = ["key", "rule", "model_set", "axis", "since", "as_of", "rho", "ci_low", "ci_high", "n", "q", "class",
           "threshold", "message", "why"]
ALERT = ["key", "rule", "source", "benchmark", "name", "model_set", "axis", "state", "severity", "fired_at",
         "raised_at", "resolved_at", "value", "threshold", "ci_low", "ci_high", "n", "message"]
SOURCE = ["name", "liveness", "frozen_since", "license", "attribution", "last_fetched_at", "last_status",
          "observations", "models", "benchmarks", "latest_data"]


def schema(name: str) -> dict:
    """The JSON schema of one API file (``index``, ``benchmark``, ``sources``, ``alerts``)."""
    return json.loads(resources.files("benchwatch.publish").joinpath(f"schemas/{name}.schema.json").read_text())


# Columns the release describes as dates (DuckDB gives them as timestamps): shown without a time.
DATES = {f["name"] for table in TABLES for f in table.fields if f["type"] == "date"}


def plain(value: object, day: bool = False) -> object:
    """A cell as JSON: NaN and NaT as null, dates and times as ISO strings, numpy scalars as Python ones."""
    if value is None or value is pd.NaT or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return None
    if isinstance(value, pd.Timestamp | datetime):
        return value.strftime("%Y-%m-%d" if day else "%Y-%m-%dT%H:%M:%S")
    if isinstance(value, date):
        return value.isoformat()
    if hasattr(value, "item"):
        return plain(value.item())
    return value


def records(frame: pd.DataFrame, columns: list[str]) -> list[dict]:
    return [{c: plain(v, c in DATES) for c, v in row.items()} for row in frame[columns].to_dict("records")]


def by_benchmark(frame: pd.DataFrame) -> dict[tuple[str, str], pd.DataFrame]:
    """The rows of each (source, benchmark), split once (filtering per benchmark is quadratic)."""
    return {key: group for key, group in frame.groupby(["source", "benchmark"], sort=True)}


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "x"


def benchmark_ids(correlations: pd.DataFrame) -> dict[tuple[str, str], str]:
    """A stable, file-safe id per safety benchmark: ``source--column`` slugged, with a short hash of the
    exact names when two slug alike."""
    keys = sorted(set(correlations.loc[correlations["category"] == "safety", ["source", "benchmark"]]
                      .itertuples(index=False, name=None)))
    slugs = {key: f"{slug(key[0])}--{slug(key[1])}" for key in keys}
    taken = pd.Series(list(slugs.values())).value_counts()
    return {key: s if taken[s] == 1 else f"{s}-{hashlib.sha256('/'.join(key).encode()).hexdigest()[:8]}"
            for key, s in slugs.items()}


def stamp(release: Release) -> dict:
    return {"release": release.id, "date": release.date.isoformat(), "manifest_sha256": release.manifest_sha256,
            "data": f"releases/{release.id}/"}


def benchmark_document(release: Release, key: tuple[str, str], ident: str,
                       split: dict[str, dict[tuple[str, str], pd.DataFrame]]) -> dict:
    """One safety benchmark: what it is, each series with its points, its findings and alerts."""
    rows = split["correlations"][key]
    first = rows.iloc[0]
    empty = {name: release.frames[name].iloc[:0] for name in ("findings", "alerts")}
    series = [{"model_set": model_set, "axis": axis, "relation": group["relation"].iloc[-1],
               "points": records(group, POINT)}
              for (model_set, axis), group in rows.groupby(SERIES_KEY, sort=True)]
    return {**stamp(release), "id": ident, "source": key[0], "benchmark": key[1], "name": first["name"],
            "safety_area": plain(first["safety_area"]), "direction": int(first["direction"]), "series": series,
            "findings": records(split["findings"].get(key, empty["findings"]), FINDING),
            "alerts": records(split["alerts"].get(key, empty["alerts"]), ALERT)}


def files(release: Release, sources: pd.DataFrame, ids: dict[tuple[str, str], str]) -> dict[str, bytes]:
    """Every file of the API, by its path in the site."""
    split = {name: by_benchmark(release.frames[name]) for name in ("correlations", "findings", "alerts")}
    out = {f"{API}/benchmarks/{ident}.json": dumps(benchmark_document(release, key, ident, split))
           for key, ident in ids.items()}
    listed = []
    for key, ident in ids.items():
        document = json.loads(out[f"{API}/benchmarks/{ident}.json"])
        listed.append({"id": ident, "source": key[0], "benchmark": key[1], "name": document["name"],
                       "safety_area": document["safety_area"], "path": f"benchmarks/{ident}.json",
                       "series": len(document["series"])})
    out[f"{API}/index.json"] = dumps({**stamp(release), "benchmarks": listed, "sources": "sources.json",
                                      "alerts": "alerts.json"})
    out[f"{API}/sources.json"] = dumps({**stamp(release), "sources": records(sources, SOURCE)})
    out[f"{API}/alerts.json"] = dumps({**stamp(release), "alerts": records(release.frames["alerts"], ALERT)})
    for name in SCHEMAS:
        out[f"{API}/schemas/{name}.schema.json"] = dumps(schema(name))
    return out
