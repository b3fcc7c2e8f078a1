"""Notification texts: alerts named in words, one message per benchmark, links without "nan",
and the findings split (frozen sources never reach the alert rules)."""

from __future__ import annotations

from datetime import date

import pandas as pd

from benchwatch.alerting import findings, messages
from benchwatch.alerting.rules import capability_tracking

URL = "http://dash.example/bw"


def row(**fields) -> dict:
    base = {"key": "k", "rule": "capability-tracking", "source": "helm-safety", "benchmark": "bbq_accuracy",
            "benchmark_name": "BBQ (HELM Safety)", "axis": "arena", "model_set": "chat", "state": "firing",
            "kind": "firing", "severity": "warning", "value": 0.753, "threshold": 0.70, "ci_low": 0.60,
            "ci_high": 0.85, "n": 55, "message": "m", "details": {"resolve_below": 0.65},
            "fired_at": date(2024, 11, 8), "raised_at": None, "data_time": date(2024, 11, 8), "event_id": 1}
    return {**base, **fields}


def test_an_alert_is_named_in_words():
    assert messages.describe(row()) == "BBQ (HELM Safety) (helm-safety), chat, Arena axis: rho 75.3"
    revised = row(rule="scores-revised", source="epoch", benchmark=None, axis=None, model_set=None, value=270.0,
                  details={"benchmarks": {"eci": {"revised": 272, "base": 283}}, "material": ["eci"]})
    assert messages.describe(revised) == "epoch: 272 of 283 eci values revised"
    value, threshold, unit = messages.shown_numbers(revised | {"threshold": 0.05})
    assert round(value, 3) == round(272 / 283, 3) and threshold == 0.05 and "share" in unit


def test_a_drift_alert_shows_the_rise_it_measured_next_to_its_threshold():
    drifted = row(rule="drift", value=0.76, threshold=0.20, details={"rise": 0.30, "window_days": 180})
    assert messages.shown_numbers(drifted) == (0.30, 0.20, "rise in rho")
    assert messages.describe(drifted).endswith("rise 30.0")
    assert "- rise 30.0 (threshold 20.0)" in messages.body(drifted, URL, 0.95)


def test_a_tested_drift_alert_says_its_change_and_q_value():
    drifted = row(rule="drift", value=0.76, threshold=0.20,
                  details={"rise": 0.30, "window_days": 180, "from_rho": 0.46, "change": 0.30, "p_drift": 0.002,
                           "q_drift": 0.01, "criterion": "paired bootstrap change, q <= 0.05"})
    assert messages.describe(drifted).endswith("rise 30.0, q 0.01")
    body = messages.body(drifted, URL, 0.95)
    assert "change +30.0 since the previous as-of date, p = 0.002, q = 0.01 (paired bootstrap)" in body
    assert "criterion: paired bootstrap change, q <= 0.05" in body


def test_links_never_read_nan():
    assert messages.dashboard_link(URL, row(model_set=float("nan"))) == (
        f"{URL}/?source=helm-safety&benchmark=bbq_accuracy&axis=arena")
    assert messages.dashboard_link(URL, row(benchmark=float("nan"), axis=float("nan"))) is None


def test_one_message_per_benchmark_with_its_axes_and_model_sets():
    rows = [row(key="a", axis="arena", event_id=1), row(key="b", axis="eci", model_set="all", event_id=2),
            row(key="c", benchmark="xstest_safety_score", benchmark_name="XSTest (HELM Safety)", event_id=3),
            row(key="d", rule="schema-changed", benchmark=None, axis=None, model_set=None, value=None,
                details={}, event_id=4),
            row(key="d", rule="schema-changed", benchmark=None, axis=None, model_set=None, value=None,
                state="resolved", kind="resolved", details={}, event_id=5)]
    groups = messages.grouped(rows)
    assert [[r["key"] for r in g] for g in groups] == [["a", "b"], ["c"], ["d"], ["d"]]
    head, text = messages.group_message(groups[0], URL, 0.95)
    assert head == "[Benchwatch] BBQ (HELM Safety) (helm-safety): 2 alert changes, 2 firing, 0 resolved"
    assert "chat, Arena axis" in text and "all, ECI axis" in text
    assert text.count("- key: ") == 2  # both alerts, each with its key and link


def test_frozen_sources_make_findings_not_alerts():
    # The paper's MC1 (chat) is decided: lower bound 0.72 >= 0.70, q 0.01. Its base row is only
    # possibly capability-tracking (lower bound 0.6): shown, never a finding.
    points = pd.DataFrame({
        "source": ["safetywashing-paper", "safetywashing-paper", "epoch"],
        "benchmark": ["truthfulqa_mc1", "truthfulqa_mc1", "cybench_external"],
        "axis": ["pc1", "pc1", "eci"], "model_set": ["chat", "base", "all"],
        "as_of": [date(2024, 10, 1), date(2024, 10, 1), date(2026, 4, 19)],
        "rho": [0.81, 0.80, 0.75], "ci_low": [0.72, 0.6, 0.5], "ci_high": [0.9, 0.9, 0.9], "n": [26, 27, 22],
        "q": [0.01, 0.2, 0.3], "category": ["safety"] * 3, "relation": ["independent"] * 3})
    live, frozen = findings.split(points, {"safetywashing-paper": "static files"})
    assert list(live["source"]) == ["epoch"] and list(frozen["source"]) == ["safetywashing-paper"] * 2
    found = findings.from_transitions(capability_tracking(frozen, 0.70, 0.05, 10, 0.05), frozen,
                                      {"safetywashing-paper": "static files"}, 0.05)
    assert len(found) == 1 and found.iloc[0]["rho"] == 0.81 and found.iloc[0]["since"] == date(2024, 10, 1)
    assert found.iloc[0]["why"] == "safetywashing-paper is frozen: static files"
    assert found.iloc[0]["q"] == 0.01 and found.iloc[0]["class"] == "capability-tracking"
    assert found.iloc[0]["ci_low"] >= found.iloc[0]["threshold"]


def test_a_finding_whose_latest_point_is_no_longer_decided_is_not_stated():
    # Fired in 2024 (decided); the latest point is still above 0.65 (hysteresis keeps the walk
    # firing) but its lower bound is 0.5: the finding's numbers would not be evidence.
    frozen = pd.DataFrame({
        "source": ["safetywashing-paper"] * 2, "benchmark": ["truthfulqa_mc1"] * 2, "axis": ["pc1"] * 2,
        "model_set": ["chat"] * 2, "as_of": [date(2024, 1, 1), date(2024, 10, 1)], "rho": [0.85, 0.72],
        "ci_low": [0.75, 0.5], "ci_high": [0.95, 0.85], "n": [26, 26], "q": [0.001, 0.3],
        "category": ["safety"] * 2, "relation": ["independent"] * 2})
    walked = capability_tracking(frozen, 0.70, 0.05, 10, 0.05)
    assert [t.state for t in walked] == ["firing"]
    assert findings.from_transitions(walked, frozen, {}, 0.05).empty
