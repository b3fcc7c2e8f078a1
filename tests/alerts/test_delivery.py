"""Alerts reaching people: failures and retries, a failing channel, silence, ack, a failing source.

Real receivers on loopback (``tests/alerts/receivers.py``), real history:
the Open LLM Leaderboard v2 replayed from a ``--until 2024-09-30`` backfill
(see ``tests/alerts/support.py``).
"""

from __future__ import annotations

from collections import Counter
from datetime import date

import pandas as pd
import pytest

from benchwatch.registry import load_registry
from benchwatch.storage import alerts as alert_store
from benchwatch.storage.db import connect
from benchwatch.storage.observations import sync_benchmarks
from tests.alerts.receivers import Webhook, free_port
from tests.alerts.support import (
    LATER_CHANGES,
    SCHEMA,
    SCORES,
    TOKEN,
    assert_no_secrets,
    make_settings,
    news,
    refresh,
    urls,
)


def test_a_receiver_that_is_down_gets_everything_on_the_next_run(db, data_dir, receivers):
    hook, mail = receivers
    settings = make_settings(db, data_dir, urls(hook, mail))
    hook.stop()
    mail.stop()
    con = connect(db)
    log: list[str] = []
    transitions, delivery = refresh(con, settings, log=log)
    told = news(transitions)
    assert told == [("FIRING", SCORES), *LATER_CHANGES]
    assert delivery.events_sent == 0 and delivery.events_failed == 2 * 6
    failed = alert_store.notifications(con)
    assert len(failed) == 2 * 6 and set(failed["status"]) == {"failed"}
    assert failed["error"].str.contains("127.0.0.1").all()
    mailto = f"mailto://bwuser:****@127.0.0.1:{mail.port}/ops@example.org?from=bw@example.org"
    assert set(failed["channel"]) == {f"json://127.0.0.1:{hook.port}/hooks/****", mailto}
    assert alert_store.get_alert(con, SCORES)["delivery"] == "failed"
    assert any("failed (6 message(s)); retried next run" in line for line in log)

    hook.start()
    mail.start()
    transitions, delivery = refresh(con, settings, log=log)
    assert transitions == []
    assert Counter(hook.changes()) == Counter(mail.changes()) == Counter(told)
    assert delivery.events_sent == 2 * 6 and delivery.events_failed == 0
    assert alert_store.get_alert(con, SCORES)["delivery"] == "sent"

    refresh(con, settings, log=log)
    assert len(hook.received) == 1 and len(mail.messages) == 1
    assert_no_secrets(con, log)
    assert any(f"json://127.0.0.1:{hook.port}/hooks/****" in line for line in log)
    con.close()


def test_a_permanently_failing_channel_raises_its_own_alert(db, data_dir, receivers):
    hook, _ = receivers
    dead_port = free_port()
    settings = make_settings(db, data_dir, [*urls(hook), f"json://127.0.0.1:{dead_port}/hooks/{TOKEN}"],
                             notify_failing_after=3)
    con = connect(db)
    refresh(con, settings, date(2024, 12, 15))
    assert hook.changes() == [("FIRING", SCORES)]
    _, second = refresh(con, settings, date(2024, 12, 15))
    assert second.transitions == [] and second.events_failed == 1
    _, third = refresh(con, settings, date(2024, 12, 15))
    [fired] = third.transitions
    assert (fired.rule, fired.state, fired.value, fired.disposition) == ("channel-failing", "firing", 3.0, "notify")
    # Told at once through the channel that works; the label has no token.
    assert hook.changes()[-1] == ("FIRING", fired.key)
    assert f"json://127.0.0.1:{dead_port}/hooks/**** failed 3 rounds in a row" in hook.received[-1]["message"]
    assert alert_store.get_alert(con, fired.key)["severity"] == "critical"

    revived = Webhook(dead_port).start()
    try:
        _, fourth = refresh(con, settings, date(2024, 12, 15))
        assert [(t.key, t.state) for t in fourth.transitions] == [(fired.key, "resolved")]
        assert fourth.transitions[0].message.endswith("delivers again")
        # The revived channel gets what it missed, once, and nothing about itself.
        assert revived.changes() == [("FIRING", SCORES)]
        assert hook.changes()[-1] == ("RESOLVED", fired.key)
    finally:
        revived.stop()
    assert_no_secrets(con, [])
    con.close()


def test_silence_keeps_a_key_quiet_but_recorded(db, data_dir, receivers):
    hook, mail = receivers
    settings = make_settings(db, data_dir, urls(hook, mail))
    con = connect(db)
    refresh(con, settings, date(2024, 12, 15))
    alert_store.silence_alert(con, SCORES, date(2099, 1, 1))
    transitions, _ = refresh(con, settings)
    assert [(t.state, t.key, t.disposition) for t in transitions] == [
        ("firing", SCHEMA, "notify"), ("resolved", SCORES, "silenced"), ("resolved", SCHEMA, "notify"),
        ("firing", SCORES, "silenced"), ("resolved", SCORES, "silenced")]
    # Without the silence these would be five messages (the rehearsal test).
    assert hook.changes()[1:] == [("FIRING", SCHEMA), ("RESOLVED", SCHEMA)]
    assert sorted(mail.changes()[1:]) == sorted([("FIRING", SCHEMA), ("RESOLVED", SCHEMA)])
    assert alert_store.get_alert(con, SCORES)["delivery"] == "silenced"
    # Lifting the silence does not send what happened during it.
    alert_store.silence_alert(con, SCORES, date(2000, 1, 1))
    refresh(con, settings)
    assert len(hook.received) == 3
    con.close()


def test_ack_stops_reminders_of_a_firing_alert(db, data_dir, receivers):
    hook, _ = receivers
    # Reminders after a few microseconds: every run re-notifies what is still firing and was told.
    settings = make_settings(db, data_dir, urls(hook), renotify_hours=1e-9)
    con = connect(db)
    refresh(con, settings, date(2024, 12, 15))
    refresh(con, settings, date(2024, 12, 15))
    assert hook.changes() == [("FIRING", SCORES), ("STILL FIRING", SCORES)]
    with pytest.raises(alert_store.AlertNotFound):
        alert_store.ack_alert(con, "capability-tracking:nowhere:::")
    assert pd.notna(alert_store.ack_alert(con, SCORES, by="tester")["acked_at"])
    refresh(con, settings, date(2024, 12, 15))
    refresh(con, settings, date(2024, 12, 15))
    assert hook.changes() == [("FIRING", SCORES), ("STILL FIRING", SCORES)]
    history = alert_store.alert_history(con, SCORES)
    assert history["state"].tolist() == ["firing", "firing", "acknowledged"]
    # Its resolution is still told, and the next firing is told and reminded again.
    refresh(con, settings)
    assert hook.changes()[2:] == LATER_CHANGES
    con.close()


def test_a_source_failing_three_refreshes_in_a_row_is_told_and_so_is_its_recovery(tmp_path, data_dir, receivers):
    hook, _ = receivers
    db = tmp_path / "bw.duckdb"
    con = connect(db)
    sync_benchmarks(con, load_registry())
    broken = make_settings(db, tmp_path / "no-data-here", urls(hook), source_failing_after=3)
    for _run in range(4):
        refresh(con, broken)
    key = "source-failing:open-llm-leaderboard-v2:::"
    # The first failure was the database's first evaluation (a backfill); the third is news.
    assert hook.changes() == [("FIRING", key)]
    assert "failed 3 fetches in a row" in hook.received[0]["message"]
    assert "no recorded snapshot found" in hook.received[0]["message"]
    transitions, _ = refresh(con, make_settings(db, data_dir, urls(hook)))
    assert (key, "resolved", "notify") in [(t.key, t.state, t.disposition) for t in transitions]
    assert hook.changes().count(("RESOLVED", key)) == 1
    con.close()
