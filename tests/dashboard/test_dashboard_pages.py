"""Every page under AppTest on a database built from the recorded data.

Each test checks that the numbers on the page are the database's (the
published copy the app reads), that the widgets change what is shown, and
that no page raises.
"""

from __future__ import annotations

from typing import ClassVar

import duckdb
import numpy as np
import pandas as pd
import pytest
from scipy.stats import spearmanr

from benchwatch.analysis.classes import Bands
from benchwatch.settings import Settings
from benchwatch.sources import SOURCES
from tests.dashboard.helpers import app_test, copy_database

V1 = "open-llm-leaderboard-v1"
PAPER = "safetywashing-paper"

# The default min_models the page decides classes with (settings).
MIN_MODELS = Settings.model_fields["min_models"].default


def frame_by_column(at, column: str, without: str | None = None) -> pd.DataFrame:
    """The one dataframe on the page that has ``column`` (and not ``without``)."""
    frames = [df.value for df in at.dataframe if column in df.value.columns
              and (without is None or without not in df.value.columns)]
    assert len(frames) == 1, f"{len(frames)} tables with column {column!r}"
    return frames[0]


def open_tab(at, label: str) -> None:
    """Switch the Data page's tabs as a click would (only the open tab runs)."""
    at.session_state["data_tab"] = label
    at.run()
    no_exception(at)


def metrics(at) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def no_exception(at) -> None:
    assert not at.exception, [e.value for e in at.exception]


def latest_safety(published: duckdb.DuckDBPyConnection, axis: str, model_set: str | None = None) -> pd.DataFrame:
    """Newest point of each safety series of the latest run, straight from SQL."""
    return published.execute(
        """
        SELECT c.* FROM correlations c JOIN benchmarks b ON b.source = c.source AND b."column" = c.benchmark
        WHERE b.category = 'safety' AND c.axis = ? AND (? IS NULL OR c.model_set = ?)
          AND c.run_id = (SELECT max(run_id) FROM analysis_runs WHERE status = 'ok')
        QUALIFY row_number() OVER (PARTITION BY c.source, c.benchmark, c.model_set ORDER BY c.as_of DESC) = 1
        """,
        [axis, model_set, model_set],
    ).df()


class TestOverview:
    def test_shows_every_safety_benchmark_with_the_database_numbers(self, dashboard_db, published, monkeypatch):
        at = app_test(dashboard_db, monkeypatch)
        no_exception(at)
        table = frame_by_column(at, "trend")
        expected = latest_safety(published, "pc1")
        # 293 series before issue 15, less MACHIAVELLI's counts and rewards (3 + 3 columns, base and chat).
        assert len(expected) == 281
        # Issue 25: a series with no model on both sides (n = 0, no rho) is no data row; it is named below.
        empty = expected[expected["n"] == 0]
        expected = expected[expected["n"] > 0]
        assert len(empty) == 2 and len(table) == len(expected) == 279
        note = next(c.value for c in at.caption if c.value.startswith("Not in the table")).replace("\\", "")
        assert note.startswith("Not in the table: 2 series")
        assert all(f"({r.source}, {r.model_set} · pc1)" in note for r in empty.itertuples())
        merged = table.merge(expected, on=["source", "benchmark", "model_set"], suffixes=("", "_db"))
        assert len(merged) == len(expected)
        # rho is shown x100 (``benchwatch.numbers``), as every view shows it.
        np.testing.assert_allclose(merged["rho"], 100 * merged["rho_db"])
        np.testing.assert_allclose(merged["ci_low"], 100 * merged["ci_low_db"])
        assert (merged["n"] == merged["n_db"]).all()
        truthful = table[(table["source"] == V1) & (table["model_set"] == "chat")].iloc[0]
        db_row = expected[(expected["source"] == V1) & (expected["model_set"] == "chat")].iloc[0]
        assert truthful["rho"] == pytest.approx(100 * db_row["rho"]) and truthful["n"] == 1355
        assert truthful["class"] == "capability-tracking"
        # The sparkline is the whole series, oldest first.
        series = published.execute(
            "SELECT rho FROM correlations WHERE source = ? AND benchmark = 'truthfulqa' AND model_set = 'chat' "
            "AND axis = 'pc1' ORDER BY as_of", [V1]).fetchall()
        np.testing.assert_allclose(truthful["trend"], [r[0] for r in series])
        # Class counts are the classes each independent row's interval decides (``Bands.label``).
        bands = Bands(0.70)
        independent = (expected["relation"].fillna("independent") == "independent").to_numpy()
        labels = pd.Series([bands.label(*(None if pd.isna(v) else float(v) for v in values), MIN_MODELS)
                            for values in zip(expected["rho"], expected["ci_low"], expected["ci_high"],
                                              expected["n"], strict=True)], dtype=object)
        counts = labels[independent].value_counts()
        assert counts.get("capability-tracking", 0) < (expected["rho"] >= 0.70).sum()
        shown = metrics(at)
        for name in ("capability-tracking", "correlated", "separable", "inverse"):
            assert shown[name] == str(counts.get(name, 0))

    def test_open_alerts_findings_sources_and_last_run(self, dashboard_db, published, monkeypatch):
        at = app_test(dashboard_db, monkeypatch)
        firing = published.execute("SELECT alert_key FROM alerts WHERE state = 'firing'").df()
        alerts = frame_by_column(at, "raised_at")
        assert len(alerts) == len(firing) > 0
        assert alerts["what"].str.len().gt(0).all() and not alerts["what"].str.contains("nan").any()
        # Capability-tracking on frozen data is a finding, in its own table, never an open alert;
        # the ones open are on live data (Epoch's HLE calibration error).
        tracking = firing[firing["alert_key"].str.startswith("capability-tracking:")]["alert_key"]
        assert not [k for k in tracking if SOURCES[k.split(":")[1]].liveness.frozen]
        assert set(alerts[alerts["rule"] == "capability-tracking"]["source"]) <= {"epoch", "lmarena", "every-eval-ever"}
        found = frame_by_column(at, "since")
        stored = published.execute("SELECT finding_key, rho FROM findings").df()
        # Only decided classes with q <= alert_fdr are findings (issue 21): few, never none on the replay.
        assert len(found) == len(stored) > 0
        np.testing.assert_allclose(np.sort(found["rho"]), np.sort(100 * stored["rho"]))
        assert found["name"].str.len().gt(0).all()
        sources = frame_by_column(at, "last_status")
        status = published.execute("SELECT source, count(*) AS fetches FROM fetches GROUP BY 1").df()
        assert dict(zip(sources["name"], sources["fetches"])) == dict(zip(status["source"], status["fetches"]))
        liveness = dict(zip(sources["name"], sources["liveness"]))
        assert liveness["epoch"] == "live" and liveness["helm-safety"] == "frozen"
        assert dict(zip(sources["name"], sources["frozen_since"]))["helm-capabilities"] == "2026-06-01"
        run_id, n = published.execute(
            "SELECT run_id, n_correlations FROM analysis_runs WHERE status = 'ok' ORDER BY run_id DESC").fetchone()
        shown = metrics(at)
        assert shown["analysis run shown"] == f"#{run_id}"
        assert shown["correlations in it"] == f"{n:,}"
        assert len(at.get("vega_lite_chart")) == 1

    def test_pickers_filter_the_table(self, dashboard_db, published, monkeypatch):
        at = app_test(dashboard_db, monkeypatch)
        at.selectbox(key="model_set").set_value("chat").run()
        no_exception(at)
        table = frame_by_column(at, "trend")
        assert set(table["model_set"]) == {"chat"}
        assert len(table) == len(latest_safety(published, "pc1", "chat"))
        at.selectbox(key="axis").set_value("compute").run()
        table = frame_by_column(at, "trend")
        assert set(table["axis"]) == {"compute"} and set(table["model_set"]) == {"chat"}
        assert len(table) == len(latest_safety(published, "compute", "chat")) > 140  # the paper's and HELM's

    def test_a_shared_url_opens_the_same_view(self, dashboard_db, monkeypatch):
        at = app_test(dashboard_db, monkeypatch, query={"axis": "compute", "model_set": "base"})
        table = frame_by_column(at, "trend")
        assert set(table["axis"]) == {"compute"} and set(table["model_set"]) == {"base"}
        assert at.selectbox(key="axis").value == "compute"


class TestBenchmark:
    QUERY: ClassVar[dict] = {"source": V1, "benchmark": "truthfulqa", "axis": "pc1", "model_set": "chat"}

    def series(self, published, model_set="chat"):
        return published.execute(
            "SELECT as_of, rho, ci_low, ci_high, n FROM correlations WHERE source = ? AND benchmark = "
            "'truthfulqa' AND axis = 'pc1' AND model_set = ? ORDER BY as_of", [V1, model_set]).df()

    def test_headline_and_trend_are_the_database_series(self, dashboard_db, published, monkeypatch):
        # A shared link (source, benchmark, axis, model set in the URL) to the front page lands here.
        at = app_test(dashboard_db, monkeypatch, query=self.QUERY)
        no_exception(at)
        assert at.header[0].value == "TruthfulQA MC2 \\(0\\-shot\\)"
        last = self.series(published).iloc[-1]
        shown = metrics(at)
        assert shown["capabilities correlation"] == f"{100 * last['rho']:.1f}"
        assert shown["models (n)"] == f"{int(last['n']):,}"
        assert shown["95% bootstrap CI"] == f"[{100 * last['ci_low']:.1f}, {100 * last['ci_high']:.1f}]"
        trend = frame_by_column(at, "ci_high", without="rule")
        every = published.execute(
            "SELECT count(*) FROM correlations WHERE source = ? AND benchmark = 'truthfulqa' AND n >= 10",
            [V1]).fetchone()[0]
        assert len(trend) == every  # all axes and model sets, points with at least min_models
        charts = at.get("vega_lite_chart")
        assert len(charts) == 2  # the trend and the scatter

    def test_toggles_change_the_series_shown(self, dashboard_db, published, monkeypatch):
        at = app_test(dashboard_db, monkeypatch, query=self.QUERY, page="screens/benchmark.py")
        at.toggle(key="only_chosen").set_value(True).run()
        trend = frame_by_column(at, "ci_high", without="rule")
        assert set(trend["model_set"]) == {"chat"} and len(trend) == len(self.series(published))
        at.selectbox(key="model_set").set_value("merges").run()
        thin = published.execute("SELECT count(*) FROM correlations WHERE source = ? AND benchmark = 'truthfulqa' "
                                 "AND model_set = 'merges' AND axis = 'pc1' AND n < 10", [V1]).fetchone()[0]
        assert thin == 1
        merges = self.series(published, "merges")
        assert len(frame_by_column(at, "ci_high", without="rule")) == len(merges) - thin
        at.toggle(key="show_thin").set_value(True).run()
        assert len(frame_by_column(at, "ci_high", without="rule")) == len(merges)

    def test_scatter_is_the_models_the_correlation_used(self, dashboard_db, published, monkeypatch):
        at = app_test(dashboard_db, monkeypatch, query=self.QUERY, page="screens/benchmark.py")
        series = self.series(published)
        # An earlier as-of date: the models known then, and their Spearman rho is the stored one.
        as_of = pd.Timestamp(series["as_of"].iloc[3]).strftime("%Y-%m-%d")
        at.selectbox(key="as_of").set_value(as_of).run()
        no_exception(at)
        points = frame_by_column(at, "PC1")
        assert len(points) == series["n"].iloc[3] == 452
        rho = spearmanr(points["PC1"], points["TruthfulQA MC2 (0-shot)"]).statistic
        assert rho == pytest.approx(series["rho"].iloc[3], abs=1e-12)

    def test_beside_rho_says_the_stored_signals_in_words(self, dashboard_db, published, monkeypatch):
        at = app_test(dashboard_db, monkeypatch, query=self.QUERY, page="screens/benchmark.py")
        no_exception(at)
        last = published.execute(
            "SELECT r2, subset_low, subset_high, saturation FROM correlations WHERE source = ? AND benchmark = "
            "'truthfulqa' AND axis = 'pc1' AND model_set = 'chat' ORDER BY as_of DESC LIMIT 1", [V1]).df().iloc[0]
        text = next(m.value for m in at.markdown if m.value.startswith("**Beside rho**")).replace("\\", "")
        assert f"capabilities explain {last['r2']:.0%} of the spread" in text
        assert f"rho x100 ranges {100 * last['subset_low']:.1f} to {100 * last['subset_high']:.1f}" in text
        assert f"{last['saturation']:.0%} of the models are within 5% of the scale's floor or ceiling" in text
        assert "release date" in text

    def test_provenance(self, dashboard_db, monkeypatch):
        at = app_test(dashboard_db, monkeypatch, query=self.QUERY, page="screens/benchmark.py")
        provenance = frame_by_column(at, "field").set_index("field")["value"]
        assert provenance["source"] == V1 and provenance["benchmark id"] == "truthfulqa_mc2"
        assert provenance["direction"] == "higher = safer" and provenance["scale"] == "0-100"
        assert "Beeching" in provenance["attribution"]

    def test_capability_adjusted_ranking_is_the_stored_residuals(self, dashboard_db, published, monkeypatch):
        at = app_test(dashboard_db, monkeypatch, query=self.QUERY, page="screens/benchmark.py")
        ranking = frame_by_column(at, "residual")
        stored = published.execute(
            "SELECT model, residual FROM adjusted_residuals WHERE source = ? AND benchmark = 'truthfulqa' "
            "AND model_set = 'chat' AND axis = 'pc1' ORDER BY residual DESC, model", [V1]).df()
        assert len(ranking) == len(stored) == 1355
        assert list(ranking["model"]) == list(stored["model"])
        np.testing.assert_allclose(ranking["residual"], 100 * stored["residual"])  # percentile points
        assert list(ranking["rank"]) == list(range(1, len(stored) + 1))

    def test_a_link_to_the_front_page_lands_on_the_benchmark(self, dashboard_db, monkeypatch):
        # Alert notifications link to <dashboard_url>/?source=...&benchmark=...
        at = app_test(dashboard_db, monkeypatch, query=self.QUERY)
        no_exception(at)
        assert at.header[0].value.startswith("TruthfulQA MC2")


BBQ_ARENA: dict = {"source": "helm-safety", "benchmark": "bbq_accuracy", "axis": "arena", "model_set": "chat"}


def assert_no_none(at) -> None:
    """No rendered table cell and no metric reads "None"."""
    for df in at.dataframe:
        text = df.value.astype(str)
        assert not text.isin(["None", "<NA>", "nan"]).to_numpy().any(), list(df.value.columns)
    for metric in at.metric:
        assert "None" not in metric.value and "None" not in metric.label


class TestReadable:
    """Issue 15: the paper's figure on every axis, names in pickers, empty cells blank."""

    def test_bbq_on_the_arena_axis_shows_the_papers_figure(self, dashboard_db, published, monkeypatch):
        at = app_test(dashboard_db, monkeypatch, query=BBQ_ARENA, page="screens/benchmark.py")
        no_exception(at)
        assert at.header[0].value == "BBQ \\(HELM Safety\\)"
        stored = published.execute(
            "SELECT rho, n FROM correlations WHERE source = 'helm-safety' AND benchmark = 'bbq_accuracy' "
            "AND axis = 'arena' AND model_set = 'chat' ORDER BY as_of DESC LIMIT 1").fetchone()
        assert stored[1] == 55
        points = frame_by_column(at, "Arena")
        assert len(points) == 55
        assert points["name"].str.len().gt(0).all()  # model names for the hover, not ids only
        rho = spearmanr(points["Arena"], points["BBQ (HELM Safety)"]).statistic
        assert rho == pytest.approx(stored[0], abs=1e-12)
        charts = at.get("vega_lite_chart")
        assert len(charts) == 2  # the trend and the scatter with its rank line
        assert any("55 points known" in c.value for c in at.caption)
        assert_no_none(at)

    def test_pickers_show_names(self, dashboard_db, monkeypatch):
        at = app_test(dashboard_db, monkeypatch, query=BBQ_ARENA, page="screens/benchmark.py")
        benchmark = at.selectbox(key="benchmark")
        assert "BBQ (HELM Safety) (safety)" in benchmark.options and "bbq_accuracy" not in benchmark.options
        assert "Arena (arena)" in at.selectbox(key="axis").options
        overview = app_test(dashboard_db, monkeypatch)
        assert "PC1" in overview.selectbox(key="axis").options

    def test_a_circular_pair_is_marked_with_its_reason(self, dashboard_db, monkeypatch):
        at = app_test(dashboard_db, monkeypatch, query={"source": PAPER, "benchmark": "LMSYS_Chatbot_Arena",
                                                        "axis": "arena", "model_set": "chat"},
                      page="screens/benchmark.py")
        no_exception(at)
        warning = " ".join(w.value for w in at.warning)
        assert "same construct" in warning and "never alerted" in warning
        assert not at.get("badge") or all("capability" not in b.proto.label for b in at.get("badge"))

    @pytest.mark.parametrize("page", [None, "screens/benchmark.py", "screens/alerts.py", "screens/capabilities.py"])
    def test_no_none_in_any_table_or_metric(self, dashboard_db, monkeypatch, page):
        at = app_test(dashboard_db, monkeypatch, page=page)
        no_exception(at)
        assert_no_none(at)


class TestCapabilities:
    def test_axes_loadings_and_ranking_are_the_database(self, dashboard_db, published, monkeypatch):
        at = app_test(dashboard_db, monkeypatch, query={"source": PAPER, "model_set": "chat"},
                      page="screens/capabilities.py")
        no_exception(at)
        axes = frame_by_column(at, "explained_variance")
        pc1 = axes[(axes["model_set"] == "chat") & (axes["axis"] == "pc1")]
        assert round(pc1["explained_variance"].iloc[0], 1) == 70.8  # a share, shown in %
        loadings = frame_by_column(at, "loading")
        assert set(loadings["axis"]) == {"pc1"}
        stored = published.execute(
            "SELECT benchmark, loading FROM capability_loadings WHERE source = ? AND model_set = 'chat' "
            "AND benchmark NOT LIKE '%:%'", [PAPER]).df()
        assert dict(zip(loadings["benchmark"], loadings["loading"])) == pytest.approx(
            dict(zip(stored["benchmark"], stored["loading"])))
        ranking = frame_by_column(at, "rank")
        scores = published.execute(
            "SELECT model, score FROM capability_scores WHERE source = ? AND model_set = 'chat' AND axis = 'pc1' "
            "ORDER BY score DESC", [PAPER]).df()
        assert len(ranking) == 26 and list(ranking["model"]) == list(scores["model"])
        assert len(at.get("vega_lite_chart")) == 2  # explained variance, loadings (one date: no trend)

    def test_joint_axis_has_the_other_sources_columns(self, dashboard_db, published, monkeypatch):
        at = app_test(dashboard_db, monkeypatch, query={"source": PAPER, "axis": "pc1-joint", "model_set": "chat"},
                      page="screens/capabilities.py")
        no_exception(at)
        loadings = frame_by_column(at, "loading")
        stored = published.execute(
            "SELECT count(*) FROM capability_loadings WHERE source = ? AND model_set = 'chat' "
            "AND benchmark LIKE '%:%'", [PAPER]).fetchone()[0]
        assert set(loadings["axis"]) == {"pc1-joint"} and len(loadings) == stored > 12
        assert loadings["name"].str.contains(r"\(open-llm-leaderboard-v[12]\)").any()

    def test_model_set_picker(self, dashboard_db, monkeypatch):
        at = app_test(dashboard_db, monkeypatch, query={"source": PAPER, "model_set": "chat"},
                      page="screens/capabilities.py")
        at.selectbox(key="model_set").set_value("base").run()
        assert len(frame_by_column(at, "rank")) == 27
        at.selectbox(key="source").set_value(V1).run()
        no_exception(at)
        assert len(at.get("vega_lite_chart")) == 3  # v1 has eleven dates: the loadings' trend too
        # v1 has no "base" set: the picker falls back, and the dates picker lists v1's as-of points.
        assert at.selectbox(key="model_set").value in {"all (no split)", "chat", "fine-tuned", "merges", "pretrained"}
        assert len(at.selectbox(key="scores_as_of").options) >= 7


SCORES_EPOCH = "scores-revised:epoch:::"


class TestAlerts:
    def test_history_filters_and_numbers(self, dashboard_db, published, monkeypatch):
        at = app_test(dashboard_db, monkeypatch, page="screens/alerts.py")
        no_exception(at)
        stored = published.execute("SELECT alert_key, rule, state, source, value, n FROM alerts").df()
        table = frame_by_column(at, "silenced_until")
        assert len(table) == len(stored)
        at.selectbox(key="alert_source").set_value("epoch").run()
        table = frame_by_column(at, "silenced_until")
        assert set(table["source"]) == {"epoch"} and len(table) == (stored["source"] == "epoch").sum() >= 2
        picker = at.selectbox(key="alert")
        # The picker names each alert in words; its key stays in the URL and the table.
        assert all(not label.startswith(("scores-revised:", "schema-changed:")) for label in picker.options)
        assert any("values revised" in label for label in picker.options)
        at.selectbox(key="alert").set_value(SCORES_EPOCH).run()
        row = stored.set_index("alert_key").loc[SCORES_EPOCH]
        assert metrics(at)["value at its last change"] == f"{row['value']:g}"
        assert metrics(at)["n"] == f"{int(row['n']):,}"
        # The threshold in the unit of the value it is compared with: a share, as a percentage.
        assert metrics(at)["threshold (share of a benchmark's values revised)"] == "5.0%"
        history = frame_by_column(at, "disposition")
        events = published.execute("SELECT state, data_time FROM alert_events WHERE alert_key = ? ORDER BY event_id",
                                   [SCORES_EPOCH]).df()
        assert list(history["state"]) == list(events["state"])

    def test_ack_and_silence_write_through_storage_and_republish(self, dashboard_db, tmp_path, monkeypatch):
        db = copy_database(dashboard_db, tmp_path)
        key = SCORES_EPOCH
        at = app_test(db, monkeypatch, query={"alert": key}, page="screens/alerts.py")
        at.selectbox(key="alert").set_value(key).run()
        at.button(key="ack").click().run()
        no_exception(at)
        assert any("Acknowledged" in s.value for s in at.success)
        acked = frame_by_column(at, "silenced_until").set_index("alert_key").loc[key, "acked_at"]
        assert pd.notna(acked)  # the page re-read the republished copy
        at.date_input(key="silence_until").set_value(pd.Timestamp("2030-01-31").date()).run()
        at.button(key="silence").click().run()
        no_exception(at)
        history = frame_by_column(at, "disposition")
        assert {"acknowledged", "silenced"} <= set(history["state"])
        writer = duckdb.connect(str(db), read_only=True)
        try:
            acked_at, by, until = writer.execute(
                "SELECT acked_at, acked_by, silenced_until FROM alerts WHERE alert_key = ?", [key]).fetchone()
        finally:
            writer.close()
        assert acked_at is not None and by == "dashboard" and str(until).startswith("2030-02-01")


class TestData:
    def test_sources_fetches_and_revisions(self, dashboard_db, published, monkeypatch):
        at = app_test(dashboard_db, monkeypatch, page="screens/data.py")
        no_exception(at)
        sources = frame_by_column(at, "attribution")
        assert len(sources) == len(SOURCES) and sources["license"].str.len().gt(0).all()
        assert sources["evidence"].str.startswith("https://").all()
        assert set(sources["liveness"]) == {"live", "frozen"}
        log = frame_by_column(at, "rows_parsed")
        assert len(log) == published.execute("SELECT count(*) FROM fetches").fetchone()[0]
        at.selectbox(key="log_source").set_value("open-llm-leaderboard-v2").run()
        assert set(frame_by_column(at, "rows_parsed")["source"]) == {"open-llm-leaderboard-v2"}
        assert not [df for df in at.dataframe if "values_revised" in df.value.columns]  # a closed tab never ran
        open_tab(at, "Revisions")
        assert not [df for df in at.dataframe if "rows_parsed" in df.value.columns]
        batches = frame_by_column(at, "values_revised")
        stored = published.execute("SELECT revised_by, count(*) FROM observations WHERE revised_by IS NOT NULL "
                                   "AND closed_reason IS DISTINCT FROM 'withdrawn' GROUP BY 1").fetchall()
        assert dict(zip(batches["fetch_id"], batches["values_revised"])) == dict(stored)
        # The Open LLM Leaderboard v2 MATH rescorings are among them.
        v2 = batches[batches["source"] == "open-llm-leaderboard-v2"]
        assert v2["benchmarks"].str.contains("MATH Lvl 5").any()
        fetch_id = int(v2.sort_values("values_revised").iloc[-1]["fetch_id"])
        at.selectbox(key="revision_fetch").set_value(fetch_id).run()
        revised = frame_by_column(at, "old_value")
        assert len(revised) == dict(stored)[fetch_id]
        assert revised["new_value"].notna().all()

    def test_paper_reproduction_beside_the_reported_values(self, dashboard_db, monkeypatch):
        at = app_test(dashboard_db, monkeypatch, page="screens/data.py")
        open_tab(at, "Paper reproduction")
        check = frame_by_column(at, "agrees")
        assert check["agrees"].all() and len(check) == 5
        computed = {(r.quantity, r.model_set, r.benchmark): round(r.computed, 1) for r in check.itertuples()}
        assert computed == {
            ("explained_variance", "base", ""): 78.3, ("explained_variance", "chat", ""): 70.8,
            ("capabilities_correlation", "chat", "truthfulqa_mc1"): 81.2,
            ("capabilities_correlation", "base", "truthfulqa_mc1"): 69.7,
            ("capabilities_correlation", "chat", "wmdp"): -88.6,
        }
        assert metrics(at)["reported figures reproduced (±0.1)"] == "5 / 5"
        table = frame_by_column(at, "chat (computed)")
        assert len(table) == 163  # the paper's 166 less MACHIAVELLI's three counts


@pytest.mark.parametrize("page", [None, "screens/benchmark.py", "screens/capabilities.py", "screens/alerts.py",
                                  "screens/data.py"])
def test_no_data_yet_is_a_clear_empty_state(page, tmp_path, monkeypatch):
    at = app_test(tmp_path / "never-refreshed.duckdb", monkeypatch, page=page)
    no_exception(at)
    assert any("No data yet" in i.value for i in at.info)
