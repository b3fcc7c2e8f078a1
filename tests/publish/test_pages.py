"""The pages of the lab site: every link answers, the charts are static SVG, and a model named to attack a
page stays text in the real browser."""

from __future__ import annotations

import pytest

from benchwatch.publish.build import publish
from tests.publish.conftest import FORMULA, SCRIPT, check_links, served


@pytest.fixture(scope="module")
def lab_site(lab, tmp_path_factory):
    root = tmp_path_factory.mktemp("lab-site")
    publish(lab, str(root))
    return root


def test_every_link_of_the_lab_site_answers(lab_site):
    with served(lab_site) as base:
        status = check_links(base)
    assert {url: code for url, code in status.items() if code != 200} == {}
    # The crawl reached the pages, the data files, the feeds and the API.
    for path in ("benchmarks/lab--refusal.html", "sources/lab.html", "latest/correlations.csv",
                 "releases/2026-05-28/manifest.json", "feeds/alerts.xml", "api/v1/index.json", "methods.html"):
        assert base + path in status, path
    # Every file of the release is linked (the methods page lists them with their sha256).
    release = lab_site / "releases" / "2026-05-28"
    assert {url for url in status if url.startswith(base + "releases/")} == {
        f"{base}releases/2026-05-28/{p.name}" for p in release.iterdir()}


def test_a_hostile_model_name_is_text_in_the_page(lab_site, browser):
    html = (lab_site / "benchmarks" / "lab--refusal.html").read_text()
    assert SCRIPT not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "Refusal &lt;b&gt;eval&lt;/b&gt;" in html and "<b>eval" not in html
    with served(lab_site) as base:
        page = browser.new_page()
        dialogs: list[str] = []
        page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
        page.goto(base + "benchmarks/lab--refusal.html")
        labels = page.locator("svg.chart text.label").all_text_contents()
        page.close()
    assert dialogs == []
    # 30 models: each is labelled on the figure, the two hostile names as the text they are.
    assert len(labels) == 30 and SCRIPT in labels and FORMULA in labels


def test_the_index_lists_each_safety_series_with_its_class(lab_site):
    html = (lab_site / "index.html").read_text()
    assert '<a href="benchmarks/lab--refusal.html#all-pc1">Refusal &lt;b&gt;eval&lt;/b&gt;</a>' in html
    assert "capability-tracking" in html and html.count("<tr><td><a href=\"benchmarks/") == 2
