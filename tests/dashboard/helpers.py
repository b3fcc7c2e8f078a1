"""Helpers of the dashboard tests: a writer pass, the app under AppTest, the app served."""

from __future__ import annotations

import contextlib
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import duckdb
import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from benchwatch.pipeline.refresh import refresh as run_refresh
from benchwatch.settings import Settings
from benchwatch.storage.publish import published_path
from tests.paths import REPO_ROOT

APP = REPO_ROOT / "dashboard" / "app.py"
ARTIFACTS = REPO_ROOT / "artifacts" / "dashboard"
RESAMPLES = 20
# AppTest's per-run timeout: a cold page on a 2-core machine shared with other jobs.
RUN_TIMEOUT = 180


def refresh(settings: Settings, sources: Sequence[str] | None = None, until: date | None = None) -> int | None:
    """One writer pass, the refresh use case the flow runs, with plain steps; returns the run id."""
    result = run_refresh(settings, sources, until=until)
    assert not result.failed, [r.error for r in result.failed]
    return result.run_id


def app_test(db: Path, monkeypatch: pytest.MonkeyPatch, query: dict | None = None,
             page: str | None = None) -> AppTest:
    """The app pointed at ``db`` (through BENCHWATCH_DB, as the CLI does), run.

    On the front page ``query`` is the URL a browser opens. On another page
    (AppTest reaches it only by switching after a first run, when the URL has
    already been read) each entry is picked in its selectbox, in order, as a
    user would.
    """
    monkeypatch.setenv("BENCHWATCH_DB", str(db))
    at = AppTest.from_file(str(APP), default_timeout=RUN_TIMEOUT)
    if page is None:
        at.query_params.update(query or {})
        return at.run()
    at.run()
    at.switch_page(page)
    at.run()
    for key, value in (query or {}).items():
        at.selectbox(key=key).set_value(value).run()
    return at


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class ServedApp:
    """A running ``benchwatch dashboard``."""

    url: str
    process: subprocess.Popen

    def get(self, path: str) -> tuple[int, str]:
        with urllib.request.urlopen(f"{self.url}{path}", timeout=30) as response:
            return response.status, response.read().decode()


@contextlib.contextmanager
def served(db: Path, log: Path) -> Iterator[ServedApp]:
    """``benchwatch dashboard`` on a free loopback port, healthy, until the block ends."""
    port = free_port()
    with open(log, "w") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "benchwatch.cli", "dashboard", "--host", "127.0.0.1",
             "--port", str(port), "--db", str(db)],
            stdout=out, stderr=subprocess.STDOUT)
        try:
            app = ServedApp(f"http://127.0.0.1:{port}", process)
            _wait_healthy(app, log)
            yield app
        finally:
            process.terminate()
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def _wait_healthy(app: ServedApp, log: Path, attempts: int = 600) -> None:
    """Poll the health endpoint until the server answers (a readiness wait, not a timing check)."""
    for _ in range(attempts):
        if app.process.poll() is not None:
            raise RuntimeError(f"dashboard exited: {log.read_text()}")
        try:
            with urllib.request.urlopen(f"{app.url}/_stcore/health", timeout=2) as response:
                if response.read() == b"ok":
                    return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"dashboard never became healthy: {log.read_text()}")


def copy_database(db: Path, target_dir: Path) -> Path:
    """A private copy of a database and its published copy, for tests that write."""
    target = target_dir / db.name
    shutil.copyfile(db, target)
    shutil.copyfile(published_path(db), published_path(target))
    return target


CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"


def xstest_rows(db: Path) -> pd.DataFrame:
    """XSTest's current values as HELM names the models (model, score): a file to upload to the Check page."""
    with duckdb.connect(str(published_path(db)), read_only=True) as con:
        return con.execute("SELECT model, value AS score FROM observations WHERE source = 'helm-safety' "
                           "AND benchmark = 'xstest_safety_score' AND valid_to IS NULL ORDER BY model").df()


def upload_in_browser(page, url: str, path: Path) -> None:
    """Open the Check page and give it ``path`` as a user's file."""
    page.goto(url + "/check")
    page.wait_for_selector("input[type=file]", state="attached", timeout=120_000)
    page.set_input_files("input[type=file]", str(path))
