"""A database built from the recorded data (once per session), its published copy, a browser.

The database is built with the pipeline's own functions (ingest, analyze,
alerts) and published, exactly as a refresh does, with few bootstrap
resamples to keep it quick.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest
from benchwatch.storage.publish import published_path

from benchwatch.settings import load_settings
from tests.dashboard.helpers import CHROMIUM, RESAMPLES, refresh


@pytest.fixture(scope="session")
def dashboard_db(tmp_path_factory: pytest.TempPathFactory, data_dir: Path) -> Path:
    """Every source replayed in full, analyzed and published: the writer's file path."""
    db = tmp_path_factory.mktemp("dashboard") / "bw.duckdb"
    refresh(load_settings(db=db, replay_dir=data_dir, bootstrap_resamples=RESAMPLES))
    return db


@pytest.fixture
def published(dashboard_db: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    """The published copy, read-only: the numbers the dashboard must show."""
    con = duckdb.connect(str(published_path(dashboard_db)), read_only=True)
    yield con
    con.close()


@pytest.fixture(scope="module")
def browser():
    """Debian's chromium driven by Playwright (never a downloaded browser build)."""
    if not Path(CHROMIUM).exists():
        message = "chromium is not installed: run tests/dashboard/install-browser.sh"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"])
        yield instance
        instance.close()
