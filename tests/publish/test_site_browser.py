"""The README's first command, then `benchwatch publish --out site/`: the site served on loopback and read
in the real browser without JavaScript (index, BBQ on the Arena axis, TruthfulQA on the Open LLM Leaderboard
v1, alerts, methods), every internal and data-file link answering 200, screenshots in artifacts/publish/."""

from __future__ import annotations

import json

import jsonschema
import pandas as pd
import pytest

from benchwatch.publish.api import schema
from tests.clirun import run
from tests.paths import REPO_ROOT
from tests.publish.conftest import check_links, served

pytestmark = pytest.mark.slow

ARTIFACTS = REPO_ROOT / "artifacts" / "publish"
BBQ = "helm-safety--bbq-accuracy"
TRUTHFULQA = "open-llm-leaderboard-v1--truthfulqa"


@pytest.fixture(scope="module")
def site(replayed_db, tmp_path_factory):
    root = tmp_path_factory.mktemp("full-site") / "site"
    done = run("publish", "--db", str(replayed_db), "--out", str(root))
    assert "new release" in done.stdout
    return root


def test_the_pages_read_without_javascript(site, browser):
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    context = browser.new_context(java_script_enabled=False, viewport={"width": 1200, "height": 900})
    page = context.new_page()
    seen = {}
    with served(site) as base:
        for name, path in (("index", "index.html"), ("bbq-arena", f"benchmarks/{BBQ}.html#chat-arena"),
                           ("truthfulqa", f"benchmarks/{TRUTHFULQA}.html"), ("alerts", "alerts.html"),
                           ("methods", "methods.html")):
            response = page.goto(base + path)
            assert response.status == 200, path
            seen[name] = (page.locator("h1").inner_text(), page.locator("main").inner_text(),
                          page.locator("main tbody tr").count())
            page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=name != "index")
            if name == "bbq-arena":
                bbq_charts = page.locator("#chat-arena svg.chart").count()
    context.close()
    assert seen["index"][0] == "Which AI safety benchmarks track capabilities"
    assert "Axis: arena" in seen["index"][1] and "BBQ" in seen["index"][1]
    assert "chat models against the arena axis" in seen["bbq-arena"][1]
    assert bbq_charts == 2  # the trend with its band, and the models against the Arena score
    assert "pretrained models against the pc1 axis" in seen["truthfulqa"][1]
    # The replay's alerts are about data (rescorings, layout changes): one row each, as in alerts.csv.
    alerts = pd.read_csv(site / "latest" / "alerts.csv")
    assert seen["alerts"][0] == "Alerts" and len(alerts) == seen["alerts"][2] > 0
    assert all(rule in seen["alerts"][1] for rule in alerts["rule"]) and "None" not in seen["alerts"][1]
    assert "Settings used" in seen["methods"][1] and "capability_threshold" in seen["methods"][1]


def test_every_internal_and_data_link_answers(site):
    with served(site) as base:
        status = check_links(base)
    assert {url: code for url, code in status.items() if code != 200} == {}
    release = json.loads((site / "latest_manifest.json").read_bytes())["release"]
    # Every file of the release is linked (from the methods page), the data as well as the pages.
    assert {url for url in status if url.startswith(f"{base}releases/{release}/")} == {
        f"{base}releases/{release}/{p.name}" for p in (site / "releases" / release).iterdir()}
    for path in (f"benchmarks/{BBQ}.html", f"api/v1/benchmarks/{BBQ}.json", "latest/correlations.csv",
                 "feeds/findings.xml", "sources/epoch.html"):
        assert base + path in status, path


def test_the_api_of_the_full_replay_validates(site):
    api = site / "api" / "v1"
    index = json.loads((api / "index.json").read_bytes())
    for name in ("sources", "alerts"):
        jsonschema.Draft202012Validator(schema(name)).validate(json.loads((api / f"{name}.json").read_bytes()))
    validator = jsonschema.Draft202012Validator(schema("benchmark"))
    for listed in index["benchmarks"]:
        validator.validate(json.loads((api / listed["path"]).read_bytes()))
    bbq = json.loads((api / "benchmarks" / f"{BBQ}.json").read_bytes())
    arena = next(s for s in bbq["series"] if (s["model_set"], s["axis"]) == ("chat", "arena"))
    assert len(arena["points"]) > 1 and bbq["direction"] == 1
