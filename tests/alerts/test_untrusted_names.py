"""A benchmark name from a crowdsourced upstream reaches people as inert text.

Every Eval Ever's evaluation names are published by anyone. One that a
reviewer mapped as safety, named with Slack/Discord mention syntax, markup, a
Markdown link and control characters, fires a capability-tracking alert
through the real rules and is delivered to a real JSON webhook: the message
carries the name, neutralised, and no live mention.
"""

from __future__ import annotations

from datetime import date

import pandas as pd

from benchwatch.alerting import service as alert_service
from benchwatch.registry import load_registry
from benchwatch.settings import load_settings
from benchwatch.storage import results as result_store
from benchwatch.storage.db import connect, utcnow
from benchwatch.storage.observations import record_fetch, sync_benchmarks
from tests.alerts.receivers import Webhook

HOSTILE = ("<!channel> @everyone <@U024BE7LH> [click](http://evil.example) <b>bold</b>\x07\x1b[31m"
           + "=HYPERLINK(1)" + "x" * 10_000)


def test_a_capability_tracking_alert_on_a_hostile_eee_name_is_delivered_inert(tmp_path, data_dir):
    hook = Webhook().start()
    try:
        settings = load_settings(db=tmp_path / "bw.duckdb", replay_dir=data_dir,
                                 notify_urls=[f"json://127.0.0.1:{hook.port}/hooks/t"])
        con = connect(settings.db)
        mapped = {"source": "every-eval-ever", "column": HOSTILE, "benchmark_id": "eee_hostile",
                  "name": HOSTILE, "category": "safety", "safety_area": "truthfulness", "direction": 1,
                  "scale": "0-1", "metric": "", "in_axis": "", "same_construct": ""}
        sync_benchmarks(con, pd.concat([load_registry(), pd.DataFrame([mapped])], ignore_index=True))
        # The service's first pass over a followed source: from then on, a new result is news.
        record_fetch(con, "every-eval-ever", "live", "unchanged", utcnow())
        alert_service.evaluate(con, settings, None)
        correlation = pd.DataFrame([{"source": "every-eval-ever", "model_set": "all", "axis": "pc1",
                                     "benchmark": HOSTILE, "as_of": date.today(), "rho": 0.91,
                                     "ci_low": 0.80, "ci_high": 0.96, "n": 24, "q": 0.001}])
        run_id = result_store.save_run(
            con, utcnow(), "test", {"policy": "drop", "resamples": 200, "seed": 1, "ci_level": 0.95},
            {"correlations": correlation})
        transitions = alert_service.evaluate(con, settings, run_id)
        assert [(t.rule, t.state, t.disposition) for t in transitions] == [
            ("capability-tracking", "firing", "notify")]
        report = alert_service.deliver(con, settings, run_id)
        assert report.events_sent == 1
        [message] = hook.received
        text = message["title"] + "\n" + message["message"]
        for live in ("<!channel>", "@everyone", "<@U024", "[click](", "<b>", "\x07", "\x1b"):
            assert live not in text, live
        assert "‹!channel› @\u200beveryone" in text  # the name is still there, as text
        assert "more characters)" in text  # the 10,000 characters cut (the link keeps them, URL-encoded)
        # Stored as published: the alert's benchmark is the name byte for byte.
        assert con.execute("SELECT benchmark FROM alerts").fetchone()[0] == HOSTILE
        con.close()
    finally:
        hook.stop()
