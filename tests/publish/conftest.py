"""A small lab database for the publish tests (one custom source of 30 models, two of them named
to attack a page, ``<script>``, and a spreadsheet, ``=HYPERLINK``; refreshed in a few seconds), a browser,
a loopback static server and a link checker."""

from __future__ import annotations

import functools
import os
import shutil
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from html.parser import HTMLParser
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urldefrag, urljoin

import numpy as np
import pandas as pd
import pytest

from benchwatch.pipeline.refresh import refresh
from benchwatch.settings import Settings, load_settings
from tests.dashboard.conftest import browser  # noqa: F401 - Debian's chromium through Playwright

LAB = "lab"
SCRIPT = "<script>alert(1)</script>"
FORMULA = '=HYPERLINK("http://evil.example","click")'
# The file's modification time dates its values: 2026-05-28 (UTC), the first release's date.
FIRST_DAY = datetime(2026, 5, 28, 9, 0, tzinfo=UTC)


def lab_frame(extra_models: int = 0, seed: int = 7) -> pd.DataFrame:
    """Three capability columns and a safety column tracking the same skill (it fires the capability-tracking
    alert), and one that does not, over 30 (+extra) models."""
    rng = np.random.default_rng(seed)
    n = 30 + extra_models
    skill = rng.normal(size=n)
    names = [f"model-{i:02d}" for i in range(n - 2)] + [SCRIPT, FORMULA]
    return pd.DataFrame({"Model": names, **{c: skill + rng.normal(0, .3, n) for c in ("reasoning", "knowledge",
                                                                                    "maths")},
                         "refusal": skill + rng.normal(0, .2, n), "overrefusal": rng.normal(size=n)})


def write_lab(path: Path, frame: pd.DataFrame, when: datetime) -> None:
    frame.to_csv(path, index=False)
    os.utime(path, (when.timestamp(), when.timestamp()))


def lab_settings(db: Path, csv: Path, data_dir: Path) -> Settings:
    entry = {"name": LAB, "path": str(csv), "format": "csv", "model_column": "Model",
             "benchmarks": [{"column": c, "category": "capability"} for c in ("reasoning", "knowledge", "maths")]
             + [{"column": "refusal", "name": "Refusal <b>eval</b>", "category": "safety",
                 "safety_area": "jailbreaks", "direction": 1},
                {"column": "overrefusal", "category": "safety", "safety_area": "alignment", "direction": -1}]}
    return load_settings(db=db, replay_dir=data_dir, bootstrap_resamples=50, custom_sources=[entry])


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory, data_dir: Path) -> Settings:
    """The lab source refreshed once (analysed, published): read it; copy it (``copy_lab``) to write."""
    root = tmp_path_factory.mktemp("lab")
    write_lab(root / "lab.csv", lab_frame(), FIRST_DAY)
    settings = lab_settings(root / "bw.duckdb", root / "lab.csv", data_dir)
    assert not refresh(settings, [LAB]).failed
    return settings


def copy_lab(settings: Settings, to: Path) -> Settings:
    """A writable copy of the lab database and its file."""
    to.mkdir(parents=True, exist_ok=True)
    source = Path(settings.db).parent
    for name in ("bw.duckdb", "bw.published.duckdb", "lab.csv"):
        shutil.copy2(source / name, to / name)
    return lab_settings(to / "bw.duckdb", to / "lab.csv", Path(settings.replay_dir))


@contextmanager
def served(root: Path) -> Iterator[str]:
    """The folder served on loopback by the standard library's static server, as `python -m http.server`."""
    handler = functools.partial(QuietHandler, directory=str(root))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


class QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - the base class's name
        pass


class Links(HTMLParser):
    """The href and src of every element of a page."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.found += [value for name, value in attrs if name in ("href", "src") and value]


def check_links(base: str, start: str = "index.html") -> dict[str, int]:
    """Every internal link reachable from ``start``, pages crawled, each answered status by URL."""
    status: dict[str, int] = {}
    pending = [urljoin(base, start)]
    while pending:
        url = pending.pop()
        if url in status:
            continue
        try:
            with urllib.request.urlopen(url, timeout=30) as response:
                status[url] = response.status
                body = response.read() if url.endswith(".html") else b""
        except urllib.error.HTTPError as exc:
            status[url] = exc.code
            continue
        parser = Links()
        parser.feed(body.decode("utf-8"))
        for link in parser.found:
            target = urldefrag(urljoin(url, link)).url
            if target.startswith(base) and target not in status:
                pending.append(target)
    return status
