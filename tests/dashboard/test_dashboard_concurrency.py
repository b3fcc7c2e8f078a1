"""Refreshes in a loop while the served app and AppTest read: no error on either side, and every
render shows one complete analysis run.

The writer (ingest, analyze, alerts, publish, in a thread) brings one more
HELM Safety release per pass, so each pass publishes a new run with a
different number of correlations. Meanwhile the main thread rerenders the
Overview under AppTest and reloads it in chromium from the served app. Runs
are append-only, so after the loop every render is checked against the final
published copy: the run it showed is complete, and its table is exactly that
run's rows.
"""

from __future__ import annotations

import threading
from datetime import date

import duckdb
import numpy as np
import pandas as pd
import pytest

from benchwatch.settings import load_settings
from storage.publish import published_path
from tests.dashboard.helpers import RESAMPLES, app_test, refresh, served

START = date(2025, 3, 1)
RELEASES = [date(2025, 4, 15), date(2025, 6, 1), date(2025, 8, 1), date(2025, 11, 1), date(2026, 5, 1)]
QUERY = {"axis": "compute"}  # HELM Safety's correlations (training compute) change with each release


class Writer(threading.Thread):
    def __init__(self, settings) -> None:
        super().__init__(daemon=True)
        self.settings, self.runs, self.errors = settings, [], []

    def run(self) -> None:
        try:
            for until in RELEASES:
                self.runs.append(refresh(self.settings, ["helm-safety"], until=until))
        except Exception as exc:  # noqa: BLE001 - reported by the test, not lost in the thread
            self.errors.append(exc)


def shown_by_apptest(at) -> dict:
    assert not at.exception, [e.value for e in at.exception]
    labels = {m.label: m.value for m in at.metric}
    table = next(df.value for df in at.dataframe if "trend" in df.value.columns)
    return {"run": int(labels["analysis run shown"].lstrip("#")),
            "n": int(labels["correlations in it"].replace(",", "")),
            "table": table[["source", "benchmark", "model_set", "axis", "rho", "n"]]}


def shown_by_browser(page, url: str) -> dict:
    page.goto(url)
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
def test_refreshes_while_the_dashboard_is_read(tmp_path, data_dir, browser, monkeypatch):
    settings = load_settings(db=tmp_path / "bw.duckdb", replay_dir=data_dir, bootstrap_resamples=RESAMPLES)
    first_run = refresh(settings, ["safetywashing-paper", "helm-safety"], until=START)
    with served(settings.db, tmp_path / "dashboard.log") as app:
        page = browser.new_page()
        at = app_test(settings.db, monkeypatch, query=QUERY)
        renders = [shown_by_apptest(at)]
        views = [shown_by_browser(page, app.url + "/?axis=compute")]
        writer = Writer(settings)
        writer.start()
        while writer.is_alive():
            renders.append(shown_by_apptest(at.run()))
            views.append(shown_by_browser(page, app.url + "/?axis=compute"))
            assert app.get("/_stcore/health") == (200, "ok")
        writer.join()
        renders.append(shown_by_apptest(at.run()))
        views.append(shown_by_browser(page, app.url + "/?axis=compute"))
        page.close()

    assert not writer.errors, writer.errors
    assert len(writer.runs) == len(RELEASES) and None not in writer.runs
    final = duckdb.connect(str(published_path(settings.db)), read_only=True)
    try:
        runs = final.execute(
            "SELECT run_id, status, finished_at IS NOT NULL, n_correlations FROM analysis_runs").df()
        complete = {int(r.run_id): int(r.n_correlations) for r in runs.itertuples()
                    if r.status == "ok" and r._3}
        counts = dict(final.execute("SELECT run_id, count(*) FROM correlations GROUP BY 1").fetchall())
        assert renders[0]["run"] == views[0]["run"] == first_run
        assert renders[-1]["run"] == views[-1]["run"] == writer.runs[-1]
        assert len({complete[r] for r in (first_run, writer.runs[-1])}) == 2  # the runs differ
        for render in renders:
            run = render["run"]
            assert run in complete and render["n"] == complete[run] == counts[run]
            expected = run_rows(final, run)
            shown = render["table"]
            merged = shown.merge(expected, on=["source", "benchmark", "model_set", "axis"], suffixes=("", "_db"))
            assert len(shown) == len(expected) == len(merged)
            np.testing.assert_allclose(merged["rho"], merged["rho_db"])
            assert (merged["n"] == merged["n_db"]).all()
        for view in views:
            assert view["run"] in complete and view["n"] == complete[view["run"]]
    finally:
        final.close()
