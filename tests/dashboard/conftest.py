"""A database built from the recorded data (once per session), its published copy, a browser.

The database is the suite's shared full replay (``replayed_db`` in
tests/conftest.py), built by ``benchwatch refresh`` exactly as a user runs it.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest

from benchwatch.storage.publish import published_path
from tests.dashboard.helpers import CHROMIUM


@pytest.fixture(scope="session")
def dashboard_db(replayed_db: Path) -> Path:
    """Every source replayed in full, analyzed and published: the writer's file path (shared:
    tests that write work on a copy, ``helpers.copy_database``)."""
    return replayed_db


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
