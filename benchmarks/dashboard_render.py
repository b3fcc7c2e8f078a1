"""Server-side render time of each dashboard page on a full database.

Runs every page under Streamlit's AppTest (the script run the server does for
a browser, without the network and the browser's drawing) and prints, per
page, the first render with empty caches (cold: every query runs) and the
median of the next renders (warm: the same published copy, served from the
cache keyed on its version).

    python benchmarks/dashboard_render.py [--db PATH] [--repeat N]

The database is the one ``benchwatch refresh`` writes (``var/benchwatch.duckdb``
by default, or ``BENCHWATCH_DB``); the app reads its published copy.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time
from pathlib import Path

import streamlit as st
from streamlit.logger import set_log_level
from streamlit.testing.v1 import AppTest

from benchwatch.settings import REPO_ROOT, load_settings
from storage.publish import published_path

APP = REPO_ROOT / "dashboard" / "app.py"
PAGES = {
    "Overview": None,
    "Benchmark": "views/benchmark.py",
    "Capabilities": "views/capabilities.py",
    "Alerts": "views/alerts.py",
    "Data": "views/data.py",
}


def timed_run(at: AppTest) -> float:
    started = time.perf_counter()
    at.run()
    elapsed = time.perf_counter() - started
    if at.exception:
        raise SystemExit(f"the page raised: {at.exception[0].value}")
    return elapsed


def measure(page: str | None, repeat: int) -> tuple[float, float, int]:
    """(cold seconds, warm median seconds, elements shown) for one page."""
    at = AppTest.from_file(str(APP), default_timeout=600)
    if page is not None:
        at.run()
        at.switch_page(page)
    st.cache_data.clear()
    cold = timed_run(at)
    warm = statistics.median(timed_run(at) for _ in range(repeat))
    return cold, warm, len(list(at.main))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", type=Path, help="database file (default: settings)")
    parser.add_argument("--repeat", type=int, default=3, help="warm renders per page (median)")
    args = parser.parse_args()
    set_log_level("error")  # not the "no runtime" notices of running outside a server
    settings = load_settings(db=args.db)
    if not published_path(settings.db).exists():
        sys.exit(f"no published copy of {settings.db}: run `benchwatch refresh` first")
    # The app builds its own settings: hand it this database the way the CLI does.
    os.environ["BENCHWATCH_DB"] = str(settings.db.resolve())
    size = published_path(settings.db).stat().st_size / 2**20
    print(f"database: {published_path(settings.db)} ({size:.0f} MiB); {platform.processor() or platform.machine()}, "
          f"{os.cpu_count()} CPUs; Python {platform.python_version()}, Streamlit {st.__version__}")
    AppTest.from_file(str(APP), default_timeout=600).run()  # imports, so the first page is not charged
    print(f"{'page':<14}{'cold (s)':>10}{'warm (s)':>10}{'elements':>10}")
    for name, page in PAGES.items():
        cold, warm, elements = measure(page, args.repeat)
        print(f"{name:<14}{cold:>10.2f}{warm:>10.2f}{elements:>10}")


if __name__ == "__main__":
    main()
