"""The rehearsal: `--until`, then plain refreshes, delivered to a webhook and a mailbox once each.

Every refresh here is the pipeline's plain functions (ingest, analyze,
evaluate, deliver) on the Safetywashing paper and the Open LLM Leaderboard
v2 snapshots. The rehearsal starts from ``refresh --replay --until
2024-09-30`` (a backfill: v2's July and September 2024 snapshots, of which
September revised 114 values, so ``scores-revised`` is already firing) and
then brings the rest of the history in as new data:

- until 2024-12-15: the paper (published 2024-10-01: a safety benchmark
  decided capability-tracking with q <= 0.05 would be a *finding*, since the
  paper's matrices are frozen: stored, never told; with 27 models none
  survives the false-discovery control across that date's tests) and v2's
  November MATH rescoring (834 values: scores-revised fires again);
- plain: v2's Dec 2024 snapshot (new layout: schema-changed fires; nothing
  material revised: scores-revised resolves), Feb 2025 (layout stable:
  schema-changed resolves; 2,289 MATH values rescored: fires), Mar 2025
  (resolves).

Only the rehearsal test analyzes the paper (seconds per run); the others
replay v2 alone.
"""

from __future__ import annotations

import re
from collections import Counter
from datetime import date

import pytest

from benchwatch.alerting.rules import capability_tracking
from benchwatch.storage import alerts as alert_store
from benchwatch.storage import results as result_store
from benchwatch.storage.db import connect
from benchwatch.storage.findings import list_findings
from tests.alerts.support import (
    LATER_CHANGES,
    MC1_CHAT,
    PAPER,
    SCORES,
    V2,
    make_settings,
    news,
    refresh,
    urls,
)


def test_rehearsal_delivers_each_new_change_exactly_once(db, data_dir, receivers):
    hook, mail = receivers
    settings = make_settings(db, data_dir, urls(hook, mail))
    con = connect(db)

    first, delivery = refresh(con, settings, date(2024, 12, 15), (PAPER, V2))
    told = news(first)
    history = result_store.correlations(con, as_of="all", source=PAPER)
    paper_firing = capability_tracking(history, 0.70, 0.05, min_models=10, alert_fdr=0.05)
    # A few paper rows are decided capability-tracking by their intervals with q <= 0.05 across the
    # hundreds of tests of 2024-10-01 (issue 21; the Brier scores on PC1): findings on frozen data, never
    # alerts. TruthfulQA MC1 (chat), rho 81.2, is only possibly capability-tracking: its lower bound is
    # below 0.70. A looser FDR lets more rows through.
    assert 0 < len(paper_firing) < len(capability_tracking(history, 0.70, 0.05, min_models=10, alert_fdr=1.0))
    assert told == [("FIRING", SCORES)]
    found = list_findings(con, source=PAPER)
    assert len(found) and (found["ci_low"] >= 0.70).all() and (found["q"] <= 0.05).all()
    mc1 = history[(history["benchmark"] == "truthfulqa_mc1") & (history["model_set"] == "chat")
                  & (history["axis"] == "pc1")].iloc[0]
    assert 100 * mc1["rho"] == pytest.approx(81.2, abs=0.05) and mc1["ci_low"] < 0.70
    assert not alert_store.list_alerts(con)["source"].eq(PAPER).any()
    # One message per channel: the rescoring, named in words.
    assert len(hook.received) == 1 and len(mail.messages) == 1
    assert Counter(hook.changes()) == Counter(mail.changes()) == Counter(told)
    message = hook.received[0]
    assert re.fullmatch(r"\[Benchwatch FIRING warning\] scores-revised: open-llm-leaderboard-v2: 834 of \d+ "
                        r"MATH Lvl 5 values revised", message["title"]), message["title"]
    assert "MATH Lvl 5 834 of" in message["message"]
    assert delivery.events_sent == 2 * len(told) and delivery.events_failed == 0

    again, delivery = refresh(con, settings, date(2024, 12, 15), (PAPER, V2))
    assert again == [] and delivery.attempts == []
    assert len(hook.received) == 1 and len(mail.messages) == 1

    rest, delivery = refresh(con, settings, None, (PAPER, V2))
    assert news(rest) == LATER_CHANGES
    # Five changes: one message each, in order; the resolution of November's firing among them.
    assert hook.changes()[len(told):] == LATER_CHANGES
    assert sorted(mail.changes()[len(told):]) == sorted(LATER_CHANGES)
    resolved = hook.received[2]
    assert resolved["title"] == ("[Benchwatch RESOLVED info] scores-revised: open-llm-leaderboard-v2: nothing "
                                 "material revised any more")
    assert "revised nothing material" in resolved["message"] and resolved["type"] == "success"
    rescored = hook.received[4]
    assert "2356 published value(s) of 2291 model(s) across 6 benchmark(s)" in rescored["message"]
    assert "MATH Lvl 5 2289 of 2577" in rescored["message"]

    third, delivery = refresh(con, settings, None, (PAPER, V2))
    assert third == [] and delivery.attempts == []
    assert len(hook.received) == 6 and len(mail.messages) == 6

    listed = alert_store.list_alerts(con).set_index("alert_key")
    assert MC1_CHAT not in listed.index and MC1_CHAT not in set(list_findings(con, source=PAPER)["key"])
    assert listed.loc[SCORES, ["state", "delivery"]].tolist() == ["resolved", "sent"]
    attempts = alert_store.notifications(con)
    assert set(attempts["status"]) == {"sent"} and len(attempts) == 2 * (len(told) + 5)
    assert mail.logins and set(mail.logins) == {b"bwuser"}

    # Minimum n on real data: the paper has at most 27 models per column, so a minimum of 28
    # keeps every one of these alerts quiet.
    safety = history[history["category"] == "safety"]
    assert safety["n"].max() == 27
    assert capability_tracking(history, 0.70, 0.05, min_models=28, alert_fdr=1.0) == []
    con.close()
