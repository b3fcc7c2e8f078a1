"""Figure 5: server-side render time of each dashboard page, at 1x and 10x the data.

Runs every page under Streamlit's AppTest (the script run the server does for
a browser, without the network and the browser's drawing) and prints, per
page, the first render with empty caches (cold: every query runs) and the
median of the next renders (warm: the same published copy, served from the
cache keyed on its version). The Data page opens on its first tab; its
other tabs run only when opened.

The 10x database is a copy of the given one with nine synthetic siblings per
model in every source (``common.add_synthetic_models``), analysed again
(``--scaled-resamples`` bootstrap resamples: the figure is the dashboard's,
not the analysis's) and published.

    python benchmarks/dashboard_render.py [--db PATH] [--repeat N] [--scale 10]

The database is the one ``benchwatch refresh`` writes (``var/benchwatch.duckdb``
by default, or ``BENCHWATCH_DB``); the app reads its published copy.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

import streamlit as st
from common import REPO, Figure, add_synthetic_models, analyze_and_publish, emit
from streamlit.logger import set_log_level
from streamlit.testing.v1 import AppTest

from benchwatch.settings import load_settings
from benchwatch.storage.publish import published_path

APP = REPO / "dashboard" / "app.py"
# Page, and the pickers set on it (as a user would, after it opened).
PAGES: dict[str, tuple[str | None, dict[str, str]]] = {
    "Overview": (None, {}),
    "Benchmark": ("screens/benchmark.py", {}),
    "Benchmark, Open LLM v1 TruthfulQA (largest model set)": (
        "screens/benchmark.py", {"source": "open-llm-leaderboard-v1", "benchmark": "truthfulqa"}),
    "Capabilities": ("screens/capabilities.py", {}),
    "Alerts": ("screens/alerts.py", {}),
    "Data": ("screens/data.py", {}),
}


def timed_run(at: AppTest) -> float:
    started = time.perf_counter()
    at.run()
    elapsed = time.perf_counter() - started
    if at.exception:
        raise SystemExit(f"the page raised: {at.exception[0].value}")
    return elapsed


def opened(page: str | None, picks: dict[str, str]) -> AppTest:
    at = AppTest.from_file(str(APP), default_timeout=600)
    at.run()
    if page is not None:
        at.switch_page(page)
        at.run()
    for key, value in picks.items():
        at.selectbox(key=key).set_value(value).run()
    return at


def measure(page: str | None, picks: dict[str, str], repeat: int) -> tuple[float, float, int]:
    """(cold seconds, warm median seconds, elements shown) for one page."""
    at = opened(page, picks)
    st.cache_data.clear()
    cold = timed_run(at)
    warm = statistics.median(timed_run(at) for _ in range(repeat))
    return cold, warm, len(list(at.main))


def measure_all(db: Path, repeat: int) -> dict[str, tuple[float, float, int]]:
    """Every page on ``db``'s published copy."""
    # The app builds its own settings: hand it this database the way the CLI does.
    os.environ["BENCHWATCH_DB"] = str(db.resolve())
    size = published_path(db).stat().st_size / 2**20
    print(f"database: {published_path(db)} ({size:.0f} MiB)")
    for page, picks in PAGES.values():  # imports, so no page is charged for the modules it loads
        opened(page, picks)
    print(f"{'page':<56}{'cold (s)':>10}{'warm (s)':>10}{'elements':>10}")
    times = {}
    for name, (page, picks) in PAGES.items():
        times[name] = measure(page, picks, repeat)
        cold, warm, elements = times[name]
        print(f"{name:<56}{cold:>10.2f}{warm:>10.2f}{elements:>10}", flush=True)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", type=Path, help="database file (default: settings)")
    parser.add_argument("--repeat", type=int, default=3, help="warm renders per page (median)")
    parser.add_argument("--scale", type=int, default=10, help="models per model in the larger database")
    parser.add_argument("--scaled-resamples", type=int, default=200)
    args = parser.parse_args()
    set_log_level("error")  # not the "no runtime" notices of running outside a server
    settings = load_settings(db=args.db)
    if not published_path(settings.db).exists():
        sys.exit(f"no published copy of {settings.db}: run `benchwatch refresh` first")
    print(f"{platform.processor() or platform.machine()}, {os.cpu_count()} CPUs; "
          f"Python {platform.python_version()}, Streamlit {st.__version__}")
    base = measure_all(settings.db, args.repeat)
    with tempfile.TemporaryDirectory() as tmp:
        scaled_db = Path(tmp) / "scaled.duckdb"
        shutil.copyfile(settings.db, scaled_db)
        os.environ["BENCHWATCH_BOOTSTRAP_RESAMPLES"] = str(args.scaled_resamples)
        started = time.perf_counter()
        models = add_synthetic_models(scaled_db, args.scale)
        analyze_and_publish(scaled_db)
        print(f"\n{args.scale}x database built in {time.perf_counter() - started:.0f} s; models per source: "
              + ", ".join(f"{k} {v:,}" for k, v in models.items()))
        scaled = measure_all(scaled_db, args.repeat)
    figures = []
    for name in PAGES:
        cold, warm, _ = base[name]
        big_cold, big_warm, _ = scaled[name]
        figures += [
            Figure(f"{name}: first render (cold caches), 1x", cold, "s", target="< 1 s at 1x", met=cold < 1),
            Figure(f"{name}: next renders (warm), 1x", warm, "s", target="< 1 s at 1x", met=warm < 1),
            Figure(f"{name}: first render, {args.scale}x", big_cold, "s", peer=cold, peer_name="1x",
                   ratio=big_cold / cold),
            Figure(f"{name}: next renders, {args.scale}x", big_warm, "s", peer=warm, peer_name="1x",
                   ratio=big_warm / warm),
        ]
    emit(f"5. Dashboard pages, server side, at 1x and {args.scale}x the models", figures)


if __name__ == "__main__":
    main()
