"""The "Check a benchmark" page: an upload under AppTest and in chromium, the same numbers as
``pipeline.benchmark_check`` on the published copy, the chart, and a database the upload never touches."""

from __future__ import annotations

import io
import re
import time

import duckdb
import pandas as pd
import psutil
import pytest


from benchwatch import numbers
from benchwatch.cli.dashboard import streamlit_command
from benchwatch.pipeline.benchmark_check import check_benchmark
from benchwatch.settings import load_settings
from benchwatch.sources.tabular import scores_from_bytes
from benchwatch.storage.publish import published_path
from tests.dashboard.helpers import ARTIFACTS, RESAMPLES, app_test, refresh, served, upload_in_browser, xstest_rows

PAGE = "screens/benchmark_check.py"
# The results columns the page shows x100 (rho and its intervals; r2 and saturation as percentages).
SHOWN_X100 = ("rho", "ci_low", "ci_high", "subset_low", "subset_high", "partial_rho_time", "r2", "saturation")
CHART = ".vega-embed canvas, .vega-embed svg.marks"


@pytest.fixture(scope="module")
def check_db(tmp_path_factory, data_dir):
    """HELM Safety and Epoch replayed, analysed and published."""
    db = tmp_path_factory.mktemp("checkpage") / "bw.duckdb"
    refresh(load_settings(db=db, replay_dir=data_dir, bootstrap_resamples=RESAMPLES), ["helm-safety", "epoch"])
    return db


@pytest.fixture(scope="module")
def upload(check_db) -> bytes:
    """XSTest's latest values as HELM names the models, plus a model nobody knows."""
    rows = xstest_rows(check_db)
    rows.loc[len(rows)] = ["<b>nobody</b>/unknown-model @everyone", 0.5]
    return rows.to_csv(index=False).encode()


def state(db):
    return [(p.stat().st_mtime_ns, p.stat().st_size) for p in (db, published_path(db))]


def test_check_page_with_an_upload(check_db, upload, monkeypatch):
    before = state(check_db)
    at = app_test(check_db, monkeypatch, page=PAGE)
    assert not at.exception and at.info[0].value == "Upload a file to check it."
    at.file_uploader(key="check_file").set_value(("xstest.csv", upload, "text/csv")).run()
    assert not at.exception, [e.value for e in at.exception]
    with duckdb.connect(str(published_path(check_db)), read_only=True) as con:
        settings = load_settings(db=check_db, bootstrap_resamples=RESAMPLES)
        expected = check_benchmark(con, settings, scores_from_bytes(upload, "xstest.csv"))
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Models"] == f"{len(expected.matches):,}" and metrics["Matched"] == f"{len(expected.matches) - 1:,}"
    shown = next(df.value for df in at.dataframe if "verdict" in df.value.columns)
    pd.testing.assert_frame_equal(shown.reset_index(drop=True), numbers.scaled(expected.results, SHOWN_X100),
                                  check_dtype=False)
    assert len(at.get("vega_lite_chart")) == 1  # the figure
    matches = next(df.value for df in at.dataframe if "suggestions" in df.value.columns)
    assert "<b>nobody</b>/unknown-model @everyone" in set(matches.loc[~matches["matched"], "model"])
    assert state(check_db) == before  # the upload never touches the database


def test_a_bad_upload_says_what_is_wrong(check_db, monkeypatch):
    at = app_test(check_db, monkeypatch, page=PAGE)
    at.file_uploader(key="check_file").set_value(("bad.csv", b"model,score\na,1\na,2\n", "text/csv")).run()
    assert not at.exception
    assert "listed more than once" in at.text[-1].value


@pytest.mark.parametrize(("limits", "message"), [
    ('{"max_bytes": 100}', "more than the 100 accepted (input_limits.max_bytes)"),
    ('{"max_rows": 5}', "rows, more than the 5 accepted (input_limits.max_rows)"),
])
def test_an_upload_over_a_limit_is_refused_with_the_limits_message(check_db, upload, monkeypatch, limits, message):
    monkeypatch.setenv("BENCHWATCH_INPUT_LIMITS", limits)
    at = app_test(check_db, monkeypatch, page=PAGE)
    at.file_uploader(key="check_file").set_value(("xstest.csv", upload, "text/csv")).run()
    assert not at.exception
    assert at.error[0].value == "This file cannot be checked as it is:"
    assert message in at.text[-1].value and not at.metric


def test_the_served_app_caps_uploads_at_the_byte_limit():
    settings = load_settings(input_limits={"max_bytes": 5 * 2**20 + 1})
    command = streamlit_command(settings)
    assert command[command.index("--server.maxUploadSize") + 1] == "6"


def test_check_page_in_a_browser(check_db, upload, browser, tmp_path):
    path = tmp_path / "xstest.csv"
    path.write_bytes(upload)
    with served(check_db, tmp_path / "dashboard.log") as app:
        context = browser.new_context(viewport={"width": 1440, "height": 900})
        page = context.new_page()
        try:
            upload_in_browser(page, app.url, path)
            page.wait_for_selector("[data-testid='stMetric']", timeout=120_000)
            page.wait_for_function("s => document.querySelectorAll(s).length >= 1", arg=CHART, timeout=120_000)
            page.wait_for_function("() => !document.querySelector('[data-testid=\"stStatusWidget\"]')",
                                   timeout=120_000)
            assert page.locator("[data-testid='stException']").count() == 0
            assert page.locator("[data-testid='stDataFrame']").count() == 2
            text = page.evaluate("() => document.querySelector('[data-testid=\"stMain\"]').innerText")
            assert not re.search(r"\b(None|nan|NaN)\b", text), text  # issue 25: no missing word
            height = page.evaluate("() => document.querySelector('[data-testid=\"stMain\"]').scrollHeight")
            page.set_viewport_size({"width": 1440, "height": min(int(height) + 40, 8000)})
            page.wait_for_function("s => document.querySelectorAll(s).length >= 1", arg=CHART, timeout=60_000)
            ARTIFACTS.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(ARTIFACTS / "check.png"))
        finally:
            context.close()


def test_column_pickers_name_the_columns_the_file_has(check_db, upload, monkeypatch):
    """Issue 25: a file whose columns the check cannot guess: pick them from its header, as
    ``--model-column`` / ``--score-column`` do, and get the same result as the guessed file."""
    rows = pd.read_csv(io.BytesIO(upload))
    renamed = pd.DataFrame({"Who": rows["model"], "XSTest refusal": rows["score"], "notes": "x"}).to_csv(
        index=False).encode()
    at = app_test(check_db, monkeypatch, page=PAGE)
    at.file_uploader(key="check_file").set_value(("mine.csv", renamed, "text/csv")).run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.selectbox(key="check_model_column").options == ["Who", "XSTest refusal", "notes"]
    assert at.selectbox(key="check_model_column").value is None and not at.metric  # nothing guessed: asked
    assert "Choose the model column and the score column" in at.info[-1].value
    at.selectbox(key="check_model_column").set_value("Who").run()
    at.selectbox(key="check_score_column").set_value("XSTest refusal").run()
    assert not at.exception, [e.value for e in at.exception]
    with duckdb.connect(str(published_path(check_db)), read_only=True) as con:
        settings = load_settings(db=check_db, bootstrap_resamples=RESAMPLES)
        expected = check_benchmark(con, settings, scores_from_bytes(upload, "mine.csv"))
    shown = next(df.value for df in at.dataframe if "verdict" in df.value.columns)
    pd.testing.assert_frame_equal(shown.reset_index(drop=True), numbers.scaled(expected.results, SHOWN_X100),
                                  check_dtype=False)
    assert {m.label: m.value for m in at.metric}["Models"] == f"{len(expected.matches):,}"


def test_an_upload_over_the_limit_is_refused_in_a_browser(check_db, upload, browser, tmp_path, monkeypatch):
    """Issue 27: over input_limits.max_bytes the page refuses the file with the bound's message;
    over server.maxUploadSize (the same bound rounded up to whole megabytes) Streamlit's uploader
    refuses it before it is sent."""
    monkeypatch.setenv("BENCHWATCH_INPUT_LIMITS", '{"max_bytes": 2000}')
    over_page, over_server = tmp_path / "xstest.csv", tmp_path / "huge.csv"
    over_page.write_bytes(upload)
    assert 2000 < len(upload) < 2**20
    over_server.write_bytes(upload + b"".join(b"padding-model-%d,0.5\n" % i for i in range(80_000)))
    assert over_server.stat().st_size > 2**20
    with served(check_db, tmp_path / "dashboard.log") as app:
        context = browser.new_context(viewport={"width": 1440, "height": 900})
        page = context.new_page()
        try:
            upload_in_browser(page, app.url, over_page)
            page.wait_for_selector("[data-testid='stAlertContentError']", timeout=120_000)
            text = page.evaluate("() => document.querySelector('[data-testid=\"stMain\"]').innerText")
            assert "This file cannot be checked as it is:" in text
            assert f"{len(upload):,} bytes, more than the 2,000 accepted (input_limits.max_bytes)" in text
            assert page.locator("[data-testid='stMetric']").count() == 0  # nothing was checked
            upload_in_browser(page, app.url, over_server)
            refused = page.get_by_text(re.compile(r"File must be 1(\.0)?\s?MB or smaller"))
            refused.first.wait_for(timeout=60_000)
            assert page.locator("[data-testid='stMetric']").count() == 0
            page.get_by_text("Upload a file to check it.").wait_for(timeout=60_000)  # the upload never reached the page
        finally:
            context.close()


def check_children(server) -> set[int]:
    """The server's live check child processes (a running check's and the waiting spare)."""
    found = set()
    for child in psutil.Process(server.pid).children(recursive=True):
        try:
            if "benchwatch.dashboard.background" in " ".join(child.cmdline()):
                found.add(child.pid)
        except (psutil.ZombieProcess, psutil.NoSuchProcess):
            continue  # one that already ended
    return found


def test_a_check_stops_when_its_tab_closes(check_db, upload, browser, tmp_path):
    """Issue 27: a long check whose tab is closed is killed, not run to its end for nobody."""
    path = tmp_path / "long.csv"
    names = "".join(f"nobody-knows-model-{i:06d},{(i % 97) / 97:.4f}\n" for i in range(90_000))
    path.write_bytes(upload + names.encode())  # 90,000 names to match: far longer than this test waits
    log = tmp_path / "dashboard.log"
    with served(check_db, log) as app:
        context = browser.new_context(viewport={"width": 1440, "height": 900})
        page = context.new_page()
        upload_in_browser(page, app.url, path)
        page.get_by_text(re.compile(r"Checking long\.csv… \d+ s")).first.wait_for(timeout=120_000)
        running = check_children(app.process)
        assert len(running) == 2  # the check's child and the next spare
        context.close()  # the tab goes away mid-check
        for _ in range(600):  # a readiness wait for the kill, not a timing check
            if "a check stopped before it finished" in log.read_text():
                break
            time.sleep(0.1)
        assert "a check stopped before it finished" in log.read_text()
        killed = int(re.search(r"child process (\d+) killed", log.read_text()).group(1))
        assert killed in running
        assert not psutil.pid_exists(killed) or psutil.Process(killed).status() == psutil.STATUS_ZOMBIE
        assert len(check_children(app.process) & running) == 1  # the spare waits on
