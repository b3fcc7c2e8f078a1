"""The app served by ``benchwatch dashboard`` on loopback, driven by Debian's chromium.

Screenshots of every page (``page-*.png``; the Check page's is ``check.png``, taken by its own
test) and of a few views are taken once the Altair charts have rendered, and kept under
``artifacts/dashboard/``.
"""

from __future__ import annotations

import re

import pandas as pd
import pytest

from benchwatch.analysis.classes import Bands
from tests.dashboard.helpers import ARTIFACTS, served

CHART = ".vega-embed canvas, .vega-embed svg.marks"
TRUTHFULQA = "/benchmark?source=open-llm-leaderboard-v1&benchmark=truthfulqa&axis=pc1&model_set=fine-tuned"
BBQ_ARENA = "/benchmark?source=helm-safety&benchmark=bbq_accuracy&axis=arena&model_set=chat"
# Every page and every Data tab as a browser opens it (the Check page: test_benchmark_check_page).
PAGES = {"overview": "/", "benchmark": "/benchmark", "capabilities": "/capabilities", "alerts": "/alerts",
         "data-sources": "/data", "data-revisions": "/data?data_tab=Revisions",
         "data-models": "/data?data_tab=Models", "data-paper": "/data?data_tab=Paper+reproduction"}
# What a missing value must never read as, on a page as a person reads it.
MISSING_WORDS = re.compile(r"\b(None|nan|NaN|NaT)\b")


@pytest.fixture(scope="module")
def app(dashboard_db, tmp_path_factory):
    with served(dashboard_db, tmp_path_factory.mktemp("served") / "dashboard.log") as running:
        yield running


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1440, "height": 900})
    tab = context.new_page()
    yield tab
    context.close()


def wait_rendered(page, charts: int) -> None:
    """Until the script run is over and ``charts`` Vega charts have drawn their canvas or svg."""
    page.wait_for_selector("[data-testid='stMetric']", timeout=120_000)
    page.wait_for_function(
        "n => document.querySelectorAll('.vega-embed canvas, .vega-embed svg.marks').length >= n",
        arg=charts, timeout=120_000)
    page.wait_for_function(
        "() => !document.querySelector('[data-testid=\"stStatusWidget\"]')", timeout=120_000)


def screenshot(page, name: str) -> None:
    """The whole page: the main area scrolls inside the window, so grow the window to fit it."""
    height = page.evaluate("() => document.querySelector('[data-testid=\"stMain\"]').scrollHeight")
    page.set_viewport_size({"width": 1440, "height": min(int(height) + 40, 8000)})
    page.wait_for_function(
        "n => document.querySelectorAll('.vega-embed canvas, .vega-embed svg.marks').length >= n",
        arg=1, timeout=60_000)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / name))


def metric(page, label: str) -> str:
    box = page.locator("[data-testid='stMetric']", has_text=label).first
    return box.locator("[data-testid='stMetricValue']").inner_text().strip()


def test_overview_in_a_browser(app, page, published):
    page.goto(app.url)
    wait_rendered(page, charts=1)
    assert page.locator("[data-testid='stException']").count() == 0
    for heading in ("Benchwatch", "Open alerts", "Findings on frozen data",
                    "Safety benchmarks: capabilities correlation now", "Sources", "Last run"):
        assert page.get_by_role("heading", name=heading).count() == 1, heading
    run_id, n = published.execute(
        "SELECT run_id, n_correlations FROM analysis_runs WHERE status = 'ok' ORDER BY run_id DESC").fetchone()
    assert metric(page, "analysis run shown") == f"#{run_id}"
    assert metric(page, "correlations in it") == f"{n:,}"
    assert page.locator("[data-testid='stDataFrame']").count() == 4  # alerts, findings, benchmarks, sources
    assert page.get_by_text("Data sources and attribution").count() == 1
    assert page.get_by_text(re.compile("Beeching et al")).count() >= 1
    screenshot(page, "overview.png")


def test_benchmark_page_in_a_browser(app, page, published):
    page.goto(app.url + TRUTHFULQA)
    wait_rendered(page, charts=2)
    assert page.locator("[data-testid='stException']").count() == 0
    assert page.get_by_role("heading", name="TruthfulQA MC2 (0-shot)").count() == 1
    rho, n = published.execute(
        "SELECT rho, n FROM correlations WHERE source = 'open-llm-leaderboard-v1' AND benchmark = 'truthfulqa' "
        "AND axis = 'pc1' AND model_set = 'fine-tuned' ORDER BY as_of DESC LIMIT 1").fetchone()
    assert metric(page, "capabilities correlation") == f"{100 * rho:.1f}"
    assert metric(page, "models (n)") == f"{n:,}"
    for heading in ("Correlation over data time", "Models: benchmark against the capability axis",
                    "Capability-adjusted ranking", "Provenance"):
        assert page.get_by_role("heading", name=heading).count() == 1, heading
    assert page.locator(".vega-embed").count() == 2
    assert page.get_by_text("Beside rho").count() == 1
    assert page.get_by_text(re.compile(r"capabilities explain \d+% of the spread")).count() == 1
    assert page.get_by_text(re.compile(r"over random halves of the models, rho x100 ranges")).count() == 1
    screenshot(page, "benchmark.png")


def test_the_papers_figure_for_bbq_on_the_arena_axis(app, page, published):
    """Issue 15: a cross-source axis has its scatter, one point per model, names on hover."""
    page.goto(app.url + BBQ_ARENA)
    wait_rendered(page, charts=2)
    assert page.locator("[data-testid='stException']").count() == 0
    assert page.get_by_role("heading", name="BBQ (HELM Safety)").count() == 1
    rho, n = published.execute(
        "SELECT rho, n FROM correlations WHERE source = 'helm-safety' AND benchmark = 'bbq_accuracy' "
        "AND axis = 'arena' AND model_set = 'chat' ORDER BY as_of DESC LIMIT 1").fetchone()
    assert n == 55 and metric(page, "models (n)") == "55"
    assert metric(page, "capabilities correlation") == f"{100 * rho:.1f}"
    assert page.get_by_text(re.compile(r"55 points known on")).count() == 1
    assert page.get_by_text("No per-model values are stored").count() == 0
    assert "axis=arena" in page.url and "benchmark=bbq_accuracy" in page.url  # ids in the URL, names shown
    page.get_by_role("heading", name="Models: benchmark against the capability axis").scroll_into_view_if_needed()
    screenshot(page, "benchmark-bbq-arena.png")


def test_a_picker_writes_the_url_so_the_view_can_be_shared(app, page, published):
    page.goto(app.url)
    wait_rendered(page, charts=1)
    picker = page.locator("[data-testid='stSelectbox']", has_text="Model set").locator("input")
    picker.click()
    picker.fill("chat")  # the searchable picker: type, then choose the exact option
    page.get_by_role("option", name="chat", exact=True).click()
    page.wait_for_url(re.compile(r"model_set=chat"), timeout=60_000)
    shared = page.url
    fresh = page.context.new_page()  # someone else opening the shared link
    fresh.goto(shared)
    wait_rendered(fresh, charts=1)
    rows = published.execute(
        """
        SELECT c.rho, c.ci_low, c.ci_high, c.n, c.relation
        FROM correlations c JOIN benchmarks b ON b.source = c.source AND b."column" = c.benchmark
        WHERE b.category = 'safety' AND c.axis = 'pc1' AND c.model_set = 'chat'
        QUALIFY row_number() OVER (PARTITION BY c.source, c.benchmark ORDER BY c.as_of DESC) = 1
        """).df()
    bands = Bands(0.70)  # classes decided by each independent row's interval, as the page counts them
    labels = pd.Series([bands.label(*(None if pd.isna(v) else float(v) for v in values), 10)
                        for values in zip(rows["rho"], rows["ci_low"], rows["ci_high"], rows["n"], strict=True)],
                       dtype=object)
    independent = (rows["relation"].fillna("independent") == "independent").to_numpy()
    counts = labels[independent].value_counts()
    for name in ("capability-tracking", "correlated", "separable", "inverse"):
        assert metric(fresh, name) == str(counts.get(name, 0)), name


def test_data_page_runs_only_the_open_tab_and_a_link_opens_the_paper_reproduction(app, page):
    page.goto(app.url + "/data")
    page.wait_for_selector("[data-testid='stDataFrame']", timeout=120_000)
    page.get_by_role("tab", name="Paper reproduction").click()
    page.wait_for_url(re.compile(r"data_tab=Paper\+reproduction|data_tab=Paper%20reproduction"), timeout=60_000)
    page.wait_for_selector("[data-testid='stMetric']", timeout=120_000)
    assert metric(page, "reported figures reproduced (±0.1)") == "5 / 5"
    fresh = page.context.new_page()
    fresh.goto(page.url)  # the shared link opens on that tab
    fresh.wait_for_selector("[data-testid='stMetric']", timeout=120_000)
    assert metric(fresh, "reported figures reproduced (±0.1)") == "5 / 5"
    assert fresh.locator("[data-testid='stException']").count() == 0


def missing_words(page) -> list[str]:
    """The lines of the page's text (its main area: headings, captions, metrics, notes) that read
    "None", "nan" or "NaN"."""
    text = page.evaluate("() => document.querySelector('[data-testid=\"stMain\"]').innerText")
    return [line for line in text.splitlines() if MISSING_WORDS.search(line)]


def whole_page_shot(page, name: str) -> None:
    """The whole page, its charts (if any) drawn."""
    height = page.evaluate("() => document.querySelector('[data-testid=\"stMain\"]').scrollHeight")
    page.set_viewport_size({"width": 1440, "height": min(int(height) + 40, 8000)})
    charts = page.locator(".vega-embed").count()
    page.wait_for_function("n => document.querySelectorAll('.vega-embed canvas, .vega-embed svg.marks').length >= n",
                           arg=charts, timeout=60_000)
    page.wait_for_function("() => !document.querySelector('[data-testid=\"stStatusWidget\"]')", timeout=120_000)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / name))


@pytest.mark.parametrize("name", list(PAGES))
def test_every_page_reads_no_missing_word_and_is_kept_as_a_screenshot(app, page, name):
    """Issue 25: each page and Data tab opened in chromium: no error box, no "None" / "nan" in its
    text, and its screenshot in artifacts/dashboard/page-<name>.png."""
    page.goto(app.url + PAGES[name])
    page.wait_for_selector("[data-testid='stDataFrame']", timeout=180_000)
    page.wait_for_function("() => !document.querySelector('[data-testid=\"stStatusWidget\"]')", timeout=180_000)
    assert page.locator("[data-testid='stException']").count() == 0, name
    assert missing_words(page) == [], name
    whole_page_shot(page, f"page-{name}.png")
