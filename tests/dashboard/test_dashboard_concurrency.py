"""Refreshes in a loop for minutes while the served app and AppTest read: no error on either side,
and every render shows one complete analysis run.

The writer (ingest, analyze, alerts, publish, in a thread) moves the data
a week forward per pass (LMArena boards and HELM Safety releases as they were
published), so most passes publish a new run with a different number of
correlations, for ``BENCHWATCH_SOAK_SECONDS`` (default 180). Meanwhile the
main thread rerenders the Overview under AppTest and reloads the Overview
and a Benchmark page in chromium from the served app. Runs are append-only,
so after the loop every render is checked against the final published copy:
the run it showed is complete, and its table is exactly that run's rows.
"""

from __future__ import annotations

import os
import threading
import time
from datetime import date, timedelta

import duckdb
import numpy as np
import pandas as pd
import pytest

from benchwatch.settings import load_settings
from benchwatch.storage.publish import published_path
from tests.dashboard.helpers import RESAMPLES, app_test, refresh, served

START = date(2024, 10, 1)
WEEKS = [START + timedelta(weeks=k) for k in range(1, 80)]  # to April 2026: past the last recording
SOURCES = ["helm-safety", "lmarena"]
SOAK_SECONDS = float(os.environ.get("BENCHWATCH_SOAK_SECONDS", "180"))
QUERY = {"axis": "compute"}  # HELM Safety's correlations (training compute) change with each release
BENCHMARK = "/benchmark?source=helm-safety&benchmark=bbq_accuracy&axis=arena"


class Writer(threading.Thread):
    """Refreshes a week later each pass until the deadline (or the recordings run out)."""

    def __init__(self, settings, seconds: float) -> None:
        super().__init__(daemon=True)
        self.settings, self.seconds, self.runs, self.errors = settings, seconds, [], []
        self.elapsed = 0.0

    def run(self) -> None:
        started = time.monotonic()
        try:
            for until in WEEKS:
                if time.monotonic() - started > self.seconds:
                    break
                self.runs.append(refresh(self.settings, SOURCES, until=until))
        except Exception as exc:  # noqa: BLE001 - reported by the test, not lost in the thread
            self.errors.append(exc)
        self.elapsed = time.monotonic() - started


def shown_by_apptest(at) -> dict:
    assert not at.exception, [e.value for e in at.exception]
    labels = {m.label: m.value for m in at.metric}
    table = next(df.value for df in at.dataframe if "trend" in df.value.columns)
    return {"run": int(labels["analysis run shown"].lstrip("#")),
            "n": int(labels["correlations in it"].replace(",", "")),
            "table": table[["source", "benchmark", "model_set", "axis", "rho", "n"]]}


def shown_by_browser(page, url: str) -> dict:
    """The Overview's run and count; the Benchmark page is loaded between, and must not fail."""
    page.goto(url + BENCHMARK)
    page.wait_for_selector("[data-testid='stMetric']", timeout=120_000)
    assert page.locator("[data-testid='stException']").count() == 0
    page.goto(url + "/?axis=compute")
    page.wait_for_selector("[data-testid='stMetric']", timeout=120_000)
    page.wait_for_function("() => !document.querySelector('[data-testid=\"stStatusWidget\"]')",
                           timeout=120_000)
    assert page.locator("[data-testid='stException']").count() == 0
    def value(label: str) -> str:
        box = page.locator("[data-testid='stMetric']", has_text=label).first
        return box.locator("[data-testid='stMetricValue']").inner_text().strip()
    return {"run": int(value("analysis run shown").lstrip("#")),
            "n": int(value("correlations in it").replace(",", ""))}


def run_rows(con: duckdb.DuckDBPyConnection, run_id: int) -> pd.DataFrame:
    return con.execute(
        """
        SELECT c.source, c.benchmark, c.model_set, c.axis, c.rho, c.n
        FROM correlations c JOIN benchmarks b ON b.source = c.source AND b."column" = c.benchmark
        WHERE c.run_id = ? AND b.category = 'safety' AND c.axis = 'compute'
        QUALIFY row_number() OVER (PARTITION BY c.source, c.benchmark, c.model_set ORDER BY c.as_of DESC) = 1
        """,
        [run_id],
    ).df()


@pytest.mark.slow
@pytest.mark.long
def test_refreshes_while_the_dashboard_is_read(tmp_path, data_dir, browser, monkeypatch):
    settings = load_settings(db=tmp_path / "bw.duckdb", replay_dir=data_dir, bootstrap_resamples=RESAMPLES)
    first_run = refresh(settings, ["safetywashing-paper", "epoch", *SOURCES], until=START)
    log = tmp_path / "dashboard.log"
    with served(settings.db, log) as app:
        page = browser.new_page()
        at = app_test(settings.db, monkeypatch, query=QUERY)
        renders = [shown_by_apptest(at)]
        views = [shown_by_browser(page, app.url)]
        writer = Writer(settings, SOAK_SECONDS)
        writer.start()
        while writer.is_alive():
            renders.append(shown_by_apptest(at.run()))
            views.append(shown_by_browser(page, app.url))
            assert app.get("/_stcore/health") == (200, "ok")
        writer.join()
        renders.append(shown_by_apptest(at.run()))
        views.append(shown_by_browser(page, app.url))
        page.close()

    assert not writer.errors, writer.errors
    published_runs = [r for r in writer.runs if r is not None]
    # Minutes of it (unless the recordings ran out first), most passes publishing a new run.
    assert writer.elapsed >= SOAK_SECONDS or len(writer.runs) == len(WEEKS), (writer.elapsed, len(writer.runs))
    assert len(published_runs) >= len(writer.runs) // 2 and len(set(published_runs)) == len(published_runs)
    assert len({r["run"] for r in renders}) > 2 and len({v["run"] for v in views}) > 2  # they saw runs change
    assert "Traceback" not in log.read_text(errors="replace")
    print(f"soak: {writer.elapsed:.0f} s, {len(writer.runs)} refreshes ({len(published_runs)} new runs), "
          f"{len(renders)} AppTest renders, {len(views)} browser loads of two pages each")
    final = duckdb.connect(str(published_path(settings.db)), read_only=True)
    try:
        runs = final.execute(
            "SELECT run_id, status, finished_at IS NOT NULL, n_correlations FROM analysis_runs").df()
        complete = {int(r.run_id): int(r.n_correlations) for r in runs.itertuples()
                    if r.status == "ok" and r._3}
        counts = dict(final.execute("SELECT run_id, count(*) FROM correlations GROUP BY 1").fetchall())
        assert renders[0]["run"] == views[0]["run"] == first_run
        assert renders[-1]["run"] == views[-1]["run"] == published_runs[-1]
        assert len({complete[r] for r in (first_run, published_runs[-1])}) == 2  # the runs differ
        for render in renders:
            run = render["run"]
            assert run in complete and render["n"] == complete[run] == counts[run]
            expected = run_rows(final, run)
            expected = expected[expected["n"] > 0]  # a series with no models is named under the table, not a row
            shown = render["table"]
            merged = shown.merge(expected, on=["source", "benchmark", "model_set", "axis"], suffixes=("", "_db"))
            assert len(shown) == len(expected) == len(merged)
            np.testing.assert_allclose(merged["rho"], 100 * merged["rho_db"])  # shown x100
            assert (merged["n"] == merged["n_db"]).all()
        for view in views:
            assert view["run"] in complete and view["n"] == complete[view["run"]]
    finally:
        final.close()
