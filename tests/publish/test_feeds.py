"""The Atom feeds parse as a reader parses them, one entry per alert with an id that stays the same
from one publish to the next, and an upstream name in a title stays text."""

from __future__ import annotations

import feedparser
import pandas as pd

from benchwatch.pipeline.refresh import refresh
from benchwatch.publish.build import publish
from tests.publish.conftest import FIRST_DAY, LAB, copy_lab, lab_frame, write_lab


def test_the_alerts_feed_has_one_entry_per_alert_with_stable_ids(lab, tmp_path):
    settings = copy_lab(lab, tmp_path / "db")
    site = tmp_path / "site"
    publish(settings, str(site))
    feed = feedparser.parse((site / "feeds" / "alerts.xml").read_bytes())
    alerts = pd.read_csv(site / "latest" / "alerts.csv")
    assert not feed.bozo, feed.bozo_exception
    assert feed.feed.title == "Benchwatch alerts: safety benchmarks that track capabilities"
    # The lab's refusal column tracks its capability score: the one alert.
    assert alerts[["rule", "source", "benchmark", "state"]].values.tolist() == [
        ["capability-tracking", LAB, "refusal", "firing"]]
    [entry] = feed.entries
    assert entry.id == "urn:benchwatch:alert:" + alerts["key"][0].replace(":", "%3A").replace("/", "%2F")
    assert entry.title == f"firing: capability-tracking, Refusal <b>eval</b> ({LAB}, all, pc1)"
    assert entry.link.endswith("benchmarks/lab--refusal.html")
    assert entry.summary == alerts["message"][0]

    write_lab(tmp_path / "db" / "lab.csv", lab_frame(extra_models=5), FIRST_DAY.replace(day=30))
    assert not refresh(settings, [LAB]).failed
    publish(settings, str(site))
    again = feedparser.parse((site / "feeds" / "alerts.xml").read_bytes())
    # Every value moved (a new draw), so the scores-revised alert joins; the tracking alert keeps its id.
    assert sorted(e.id for e in again.entries) == [entry.id, "urn:benchwatch:alert:scores-revised%3Alab%3A%3A%3A"]


def test_the_findings_feed_parses_with_no_findings(lab, tmp_path):
    publish(lab, str(tmp_path / "site"))
    feed = feedparser.parse((tmp_path / "site" / "feeds" / "findings.xml").read_bytes())
    assert not feed.bozo and feed.entries == [] and feed.feed.updated == "2026-05-28T00:00:00Z"
