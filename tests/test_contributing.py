"""CONTRIBUTING.md's recipe for a source, followed for real: a toy source added to a copy of the
package by editing only the files the recipe's table names is refreshed, analysed and listed with its
licence, and the copy differs from the checkout in those files and no other."""

from __future__ import annotations

import filecmp
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.paths import REPO_ROOT

pytestmark = pytest.mark.slow

TOY_MODULE = '''"""A toy leaderboard, one CSV per snapshot: the worked example of CONTRIBUTING.md."""

from __future__ import annotations

import io
from collections.abc import Iterator, Mapping
from datetime import date, datetime
from pathlib import Path

import pandas as pd

from benchwatch.records import ParsedBatch, Previous, Snapshot
from benchwatch.sources.base import Source, published_at, tidy
from benchwatch.sources.http import HttpClient
from benchwatch.upstreams import UPSTREAMS

COLUMNS = ["reasoning", "knowledge", "maths", "refusals"]


class ToySource(Source):
    name = "toy"
    liveness, license, attribution = UPSTREAMS[name]
    homepage = "https://example.org/toy"
    endpoints = {"data": "https://example.org/toy"}

    def replay(self, data_dir: Path, until: date | None = None) -> Iterator[Snapshot]:
        for path in sorted((Path(data_dir) / "toy").glob("*.csv")):
            when = datetime.fromisoformat(path.stem)
            if until is None or when.date() <= until:
                yield Snapshot(self.name, path.stem, when, str(path), {path.name: path.read_bytes()})

    def fetch(self, http: HttpClient, previous: Mapping[str, Previous]) -> Iterator[Snapshot]:
        url = f"{self.urls['data']}/latest.csv"
        got = http.get(url)
        yield Snapshot(self.name, "latest", published_at(got.last_modified), url, {"latest.csv": got.content},
                       mode="live", http_status=got.status)

    def parse(self, snapshot: Snapshot) -> ParsedBatch:
        (name, body), = snapshot.files.items()
        wide = pd.read_csv(io.BytesIO(body))
        rows, _ = tidy(wide, "model", {c: c for c in COLUMNS}, snapshot.observed_at, self.name, name)
        models = pd.DataFrame({"model": wide["model"], "model_set": "all", "model_type": "",
                               "display_name": wide["model"]})
        return ParsedBatch(rows, models)
'''

UPSTREAM_ENTRY = '''    "toy": Upstream(Liveness("live", "a toy board", "https://example.org/toy"), "CC0", "The toy board"),
'''

REGISTRY = """column,benchmark_id,name,category,safety_area,direction,scale,metric
reasoning,toy_reasoning,Toy reasoning,capability,,1,0-1,accuracy
knowledge,toy_knowledge,Toy knowledge,capability,,1,0-1,accuracy
maths,toy_maths,Toy maths,capability,,1,0-1,accuracy
refusals,toy_refusals,Toy refusals,safety,jailbreaks,1,0-1,refusal rate
"""

RUN = """
import json, sys
from pathlib import Path
from benchwatch.pipeline.refresh import refresh
from benchwatch.settings import load_settings
from benchwatch.storage import views
from benchwatch.storage.db import connect
import benchwatch
settings = load_settings(db=Path(sys.argv[1]), replay_dir=Path(sys.argv[2]), bootstrap_resamples=20)
result = refresh(settings, ["toy"])
con = connect(settings.db, read_only=True)
sources = views.sources(con).set_index("name")
rho = con.execute("SELECT rho FROM correlations WHERE source = 'toy' AND benchmark = 'refusals' "
                  "AND axis = 'pc1' ORDER BY as_of DESC LIMIT 1").fetchone()
print(json.dumps({"package": benchwatch.__file__, "failed": [r.source for r in result.failed],
                  "license": sources.loc["toy", "license"], "liveness": sources.loc["toy", "liveness"],
                  "rho": rho[0] if rho else None}))
"""


def recipe_files() -> set[str]:
    """The files CONTRIBUTING.md's "Add a source" table names, with the toy's name for <name>."""
    text = (REPO_ROOT / "CONTRIBUTING.md").read_text(encoding="utf-8")
    section = text.split("## Add a source", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("| `")]
    return {re.match(r"\| `([^`]+)`", row).group(1).replace("<name>", "toy") for row in rows}


def changed(original: Path, copy: Path, folders: tuple[str, ...]) -> set[str]:
    """Files added or changed in ``copy`` against ``original``, as paths relative to the root."""
    found = set()
    for folder in folders:
        for path in (copy / folder).rglob("*"):
            if path.is_symlink() or not path.is_file() or "__pycache__" in path.parts:
                continue
            relative = path.relative_to(copy)
            before = original / relative
            if not before.exists() or not filecmp.cmp(before, path, shallow=False):
                found.add(str(relative))
    return found


def test_a_toy_source_needs_only_the_files_the_recipe_names(tmp_path):
    copy = tmp_path / "checkout"
    ignore = shutil.ignore_patterns("__pycache__", "*.egg-info")
    for folder in ("benchwatch", "storage", "flows", "dashboard", "deploy"):
        shutil.copytree(REPO_ROOT / folder, copy / folder, symlinks=True, ignore=ignore)

    (copy / "benchwatch/sources/toy.py").write_text(TOY_MODULE, encoding="utf-8")
    (copy / "benchwatch/data/benchmarks/toy.csv").write_text(REGISTRY, encoding="utf-8")
    upstreams = copy / "benchwatch/upstreams.py"
    upstreams.write_text(upstreams.read_text(encoding="utf-8").replace(
        "UPSTREAMS: dict[str, Upstream] = {\n", "UPSTREAMS: dict[str, Upstream] = {\n" + UPSTREAM_ENTRY), encoding="utf-8")
    catalog = copy / "benchwatch/sources/__init__.py"
    catalog.write_text(catalog.read_text(encoding="utf-8")
                       .replace("from benchwatch.sources.safetywashing import SafetywashingPaper\n",
                                "from benchwatch.sources.safetywashing import SafetywashingPaper\n"
                                "from benchwatch.sources.toy import ToySource\n")
                       .replace("        EveryEvalEver,\n", "        EveryEvalEver,\n        ToySource,\n"),
                       encoding="utf-8")

    touched = changed(REPO_ROOT, copy, ("benchwatch", "storage", "flows", "dashboard", "deploy"))
    assert touched == recipe_files() - {"tests/sources/test_toy.py"}

    data = tmp_path / "data" / "toy"
    data.mkdir(parents=True)
    for day, shift in (("2026-01-01", 0.0), ("2026-06-01", 0.02)):
        lines = ["model,reasoning,knowledge,maths,refusals"]
        for i in range(14):
            skill = i / 14
            lines.append(f"m{i},{skill:.3f},{min(1.0, skill + shift):.3f},{(skill * 7 % 1):.3f},"
                         f"{(0.9 - skill * 0.5):.3f}")
        (data / f"{day}.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")

    run = subprocess.run([sys.executable, "-c", RUN, str(tmp_path / "toy.duckdb"), str(tmp_path / "data")],
                         cwd=copy, capture_output=True, text=True, timeout=600, check=False,
                         env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "PYTHONPATH": str(copy),
                              "BENCHWATCH_CONFIG": str(tmp_path / "none.toml")})
    assert run.returncode == 0, run.stderr[-3000:]
    shown = json.loads(run.stdout.strip().splitlines()[-1])
    assert Path(shown["package"]).parent == copy / "benchwatch"
    assert shown["failed"] == []
    assert (shown["license"], shown["liveness"]) == ("CC0", "live")
    assert shown["rho"] is not None and shown["rho"] < 0  # refusals fall as the toy's capabilities rise
