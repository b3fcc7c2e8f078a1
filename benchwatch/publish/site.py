"""The HTML pages: Jinja2 templates (``templates/``), autoescaped, charts as inline SVG.

Every string from an upstream (model and benchmark names, messages) reaches a
page only through the template's escaping or ``charts``' own, never as markup.
Links are relative, so the site reads from any folder or host.
"""

from __future__ import annotations

import subprocess
from importlib import resources
from pathlib import Path

import pandas as pd
from jinja2 import Environment, PackageLoader, select_autoescape

from benchwatch import __version__, numbers
from benchwatch.alerting.rules import CAPABILITY_TRACKING, DRIFT
from benchwatch.analysis.classes import Bands
from benchwatch.publish import charts
from benchwatch.publish.api import by_benchmark, slug
from benchwatch.publish.release import Release, sha256
from benchwatch.settings import Settings

SERIES = ["source", "benchmark", "model_set", "axis"]
# A move of rho smaller than this between two as-of dates shows as flat.
FLAT = 0.05


def environment() -> Environment:
    return Environment(loader=PackageLoader("benchwatch.publish", "templates"),
                       autoescape=select_autoescape(["html"], default=True), keep_trailing_newline=True)


def software_commit() -> str:
    """The git commit of the running code when it runs from a checkout, else ""."""
    try:
        done = subprocess.run(["git", "-C", str(Path(__file__).resolve().parent), "rev-parse", "HEAD"],
                              capture_output=True, text=True, timeout=10, check=False)
    except OSError:
        return ""
    return done.stdout.strip() if done.returncode == 0 else ""


def _rho(row: dict | pd.Series) -> str:
    """rho and its interval as the pages show them, x100 (``benchwatch.numbers``): "83.0 [71.0, 90.0]"."""
    if numbers.missing(row["rho"]):
        return numbers.MISSING
    interval = numbers.rho_interval(row["ci_low"], row["ci_high"])
    return numbers.rho(row["rho"]) + ("" if interval == numbers.MISSING else f" {interval}")


def _day(value: object) -> str:
    return numbers.day(value)


def _trend(points: pd.DataFrame) -> tuple[str, str, str]:
    """The arrow since the previous as-of date, its words, and when rho last moved."""
    rhos = points.dropna(subset=["rho"])
    if rhos.empty:
        return "", "no rho", ""
    moved = rhos["rho"].diff().abs() > FLAT / 10
    last_change = _day(rhos.loc[moved, "as_of"].iloc[-1] if moved.any() else rhos["as_of"].iloc[0])
    if len(rhos) < 2:
        return "·", "one as-of date", last_change
    change = rhos["rho"].iloc[-1] - rhos["rho"].iloc[-2]
    if change > FLAT:
        return "↑", f"up {numbers.rho(change)} (x100) since the previous as-of date", last_change
    if change < -FLAT:
        return "↓", f"down {numbers.rho(-change)} (x100) since the previous as-of date", last_change
    return "→", "flat since the previous as-of date", last_change


class Pages:
    """Every page of one release, from its frames, the sources, and the scatters of each series."""

    def __init__(self, release: Release, sources: pd.DataFrame, ids: dict[tuple[str, str], str],
                 scatters: dict[tuple, pd.DataFrame], run: dict, settings: Settings) -> None:
        self.release, self.sources, self.ids, self.scatters, self.run = release, sources, ids, scatters, run
        self.settings = settings
        self.bands = Bands(tracking=settings.capability_threshold)
        self.env = environment()
        frame = release.frames["correlations"]
        self.safety = frame[frame["category"] == "safety"]
        self.split = {"correlations": by_benchmark(self.safety),
                      **{name: by_benchmark(release.frames[name]) for name in ("findings", "alerts")}}
        self.liveness = dict(zip(sources["name"], sources["liveness"], strict=True))

    def _klass(self, row: pd.Series) -> str:
        if row["relation"] != "independent":
            return f"not evidence: {row['relation']}"
        return self.bands.label(row["rho"], row["ci_low"], row["ci_high"], row["n"], self.settings.min_models) or ""

    def _render(self, template: str, root: str, **context: object) -> bytes:
        page = self.env.get_template(template).render(root=root, release=self.release,
                                                      bands=self.bands.describe(), **context)
        return page.encode("utf-8")

    def series(self) -> list[dict]:
        """One row per safety series at its newest point, as the index lists it."""
        rows = []
        for key, points in self.safety.groupby(SERIES, sort=True):
            latest = points.iloc[-1]
            arrow, words, last_change = _trend(points)
            rows.append({"key": key, "id": self.ids[key[:2]], "anchor": slug(f"{key[2]}-{key[3]}"),
                         "source": key[0], "source_id": slug(key[0]), "name": latest["name"], "model_set": key[2],
                         "axis": key[3], "rho": _rho(latest), "n": int(latest["n"]), "klass": self._klass(latest),
                         "trend": arrow, "trend_words": words, "last_change": last_change,
                         "liveness": self.liveness.get(key[0], "unknown"), "value": latest["rho"]})
        return rows

    def index(self, rows: list[dict]) -> bytes:
        frame = pd.DataFrame(rows)
        axes = [(axis, group.sort_values(["value", "source", "name"], ascending=[False, True, True],
                                         na_position="last").to_dict("records"))
                for axis, group in frame.groupby("axis", sort=True)] if rows else []
        return self._render("index.html", "", axes=axes)

    def benchmark(self, key: tuple[str, str], rows: list[dict]) -> bytes:
        frame = self.split["correlations"][key]
        first = frame.iloc[0]
        by_series = dict(tuple(frame.groupby(["model_set", "axis"], sort=True)))
        series = []
        for row in (r for r in rows if r["key"][:2] == key):
            points = by_series[(row["model_set"], row["axis"])]
            title = f"{first['name']}: rho against {row['axis']} ({row['model_set']}) over as-of dates"
            scatter = self.scatters.get(row["key"])
            newest = points.iloc[-1]
            series.append({
                **row, "latest": row["rho"], "relation": newest["relation"],
                "trend_svg": charts.trend(points, self.settings.capability_threshold, title),
                "scatter_date": _day(newest["as_of"]),
                "scatter_svg": None if scatter is None or scatter.empty else charts.scatter(
                    scatter, row["axis"], str(first["name"]), f"{first['name']} against {row['axis']}"),
                "points": [{"as_of": _day(p["as_of"]), "rho": numbers.rho(p["rho"]),
                            "interval": numbers.rho_interval(p["ci_low"], p["ci_high"]),
                            "n": numbers.count(p["n"]), "q": numbers.number(p["q"])}
                           for p in points.to_dict("records")]})
        none = {name: self.release.frames[name].iloc[:0] for name in ("findings", "alerts")}
        info = {"id": self.ids[key], "source": key[0], "source_id": slug(key[0]), "benchmark": key[1],
                "name": first["name"], "safety_area": first["safety_area"],
                "direction_words": "higher is safer" if first["direction"] == 1 else "lower is safer (negated)",
                "series": series,
                "findings": self._records(self.split["findings"].get(key, none["findings"])),
                "alerts": self._records(self.split["alerts"].get(key, none["alerts"]))}
        return self._render("benchmark.html", "../", info=info)

    def _records(self, frame: pd.DataFrame) -> list[dict]:
        """Findings or alerts as the pages list them, each linked to its benchmark's page."""
        out = []
        for row in frame.to_dict("records"):
            record = {name: numbers.MISSING if numbers.missing(value) else value for name, value in row.items()}
            record.update({name: _day(row[name]) for name in ("as_of", "since", "fired_at") if name in row})
            key = (row["source"], row["benchmark"])
            record["link"] = f"benchmarks/{self.ids[key]}.html" if key in self.ids else ""
            record["name"] = row["name"] if isinstance(row["name"], str) else row["source"]
            if "rho" in row:
                record["rho"] = _rho(row)
                record["klass"] = row["class"] if isinstance(row["class"], str) else ""
            if "value" in row:  # a correlation rule's value is a rho; another rule's a count
                record["value"] = (numbers.rho(row["value"]) if row.get("rule") in (CAPABILITY_TRACKING, DRIFT)
                                   else numbers.number(row["value"]))
            out.append(record)
        return out

    def source_records(self) -> list[dict]:
        return [{**{k: (numbers.MISSING if numbers.missing(v) else v) for k, v in row.items()},
                 "id": slug(row["name"]), "last_fetched_at": _day(row["last_fetched_at"]),
                 "latest_data": _day(row["latest_data"])} for row in self.sources.to_dict("records")]

    def methods(self) -> bytes:
        settings = [("capability_threshold (tracking band, alert threshold)", self.settings.capability_threshold),
                    ("min_models", self.settings.min_models), ("alert_fdr", self.settings.alert_fdr),
                    *((name, self.run.get(name)) for name in ("resamples", "seed", "ci_level", "missing_policy"))]
        files = [(name, len(data), sha256(data)) for name, data in sorted(self.release.files.items())]
        return self._render("methods.html", "", settings=settings, version=__version__, commit=software_commit(),
                            files=files)

    def files(self) -> dict[str, bytes]:
        rows = self.series()
        out = {"index.html": self.index(rows), "methods.html": self.methods(),
               "alerts.html": self._render("alerts.html", "", alerts=self._records(self.release.frames["alerts"])),
               "findings.html": self._render("findings.html", "",
                                             findings=self._records(self.release.frames["findings"]))}
        for key, ident in self.ids.items():
            out[f"benchmarks/{ident}.html"] = self.benchmark(key, rows)
        sources = self.source_records()
        out["sources.html"] = self._render("sources.html", "", sources=sources)
        for source in sources:
            listed = [{"id": ident, "name": self.split["correlations"][key]["name"].iloc[0]}
                      for key, ident in self.ids.items() if key[0] == source["name"]]
            out[f"sources/{source['id']}.html"] = self._render("source.html", "../", s=source, benchmarks=listed)
        out["style.css"] = resources.files("benchwatch.publish").joinpath("templates/style.css").read_bytes()
        return out
