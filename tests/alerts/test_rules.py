"""The rules as pure functions: each guard (hysteresis, minimum n, bootstrap noise, streaks) is
checked on a series where leaving it out would change the transitions."""

from __future__ import annotations

from datetime import date, datetime

import pandas as pd

from benchwatch.alerting.rules import (
    capability_tracking,
    channel_failing,
    drift,
    schema_changed,
    schema_notes,
    scores_revised,
    source_failing,
)


def series(points: list[tuple], benchmark: str = "truthfulqa", q: float = 0.001) -> pd.DataFrame:
    """(as_of, rho, ci_low, ci_high, n) points of one safety benchmark, each with q-value ``q``."""
    return pd.DataFrame([{"source": "src", "benchmark": benchmark, "axis": "pc1", "model_set": "chat",
                          "category": "safety", "as_of": date.fromisoformat(d), "rho": rho,
                          "ci_low": lo, "ci_high": hi, "n": n, "q": q} for d, rho, lo, hi, n in points])


def states(transitions) -> list[tuple[str, str]]:
    return [(t.state, t.data_time.isoformat()) for t in transitions]


def test_hysteresis_keeps_an_alert_firing_between_the_two_thresholds():
    # 0.68 and 0.66 are below 0.70 but not below 0.70 - 0.05: without hysteresis this would
    # resolve on Feb 1 and fire again on Mar 1 (whose lower bound decides the class again).
    points = series([("2024-01-01", 0.80, 0.72, 0.9, 50), ("2024-02-01", 0.68, 0.6, 0.8, 50),
                     ("2024-03-01", 0.78, 0.71, 0.85, 50), ("2024-04-01", 0.66, 0.6, 0.8, 50),
                     ("2024-05-01", 0.64, 0.5, 0.7, 50)])
    got = capability_tracking(points, threshold=0.70, hysteresis=0.05, min_models=10, alert_fdr=0.05)
    assert states(got) == [("firing", "2024-01-01"), ("resolved", "2024-05-01")]
    assert got[0].value == 0.80 and got[0].n == 50 and got[0].threshold == 0.70
    assert got[0].details["q"] == 0.001 and got[0].details["class"] == "capability-tracking"
    assert got[1].value == 0.64
    flapping = capability_tracking(points, threshold=0.70, hysteresis=0.0, min_models=10, alert_fdr=0.05)
    assert len(flapping) == 4


def test_points_with_too_few_models_neither_fire_nor_resolve():
    points = series([("2024-01-01", 0.95, 0.75, 1.0, 6), ("2024-02-01", 0.75, 0.7, 0.8, 40),
                     ("2024-03-01", 0.20, -0.5, 0.8, 5), ("2024-04-01", 0.82, 0.71, 0.9, 45)])
    got = capability_tracking(points, threshold=0.70, hysteresis=0.05, min_models=10, alert_fdr=0.05)
    # The 6-model 0.95 does not fire (Feb does); the 5-model 0.20 does not resolve.
    assert states(got) == [("firing", "2024-02-01")]
    assert got[0].n == 40
    assert states(capability_tracking(points, 0.70, 0.05, min_models=3, alert_fdr=0.05)) == [
        ("firing", "2024-01-01"), ("resolved", "2024-03-01"), ("firing", "2024-04-01")]


def test_only_a_decided_class_with_a_small_q_fires():
    # b's rho is as high as a's but its interval reaches 0.55: only possibly capability-tracking.
    # c is decided by its interval but its q-value is above alert_fdr; d has no q at all.
    points = pd.concat([series([("2024-01-01", 0.80, 0.72, 0.88, 100)], "a"),
                        series([("2024-01-01", 0.80, 0.55, 0.90, 100)], "b"),
                        series([("2024-01-01", 0.80, 0.71, 0.88, 100)], "c", q=0.06),
                        series([("2024-01-01", 0.80, 0.71, 0.88, 100)], "d", q=float("nan"))])
    got = {t.benchmark: t.severity for t in capability_tracking(points, 0.70, 0.05, 10, alert_fdr=0.05)}
    assert got == {"a": "critical"}
    assert {t.benchmark for t in capability_tracking(points, 0.70, 0.05, 10, alert_fdr=0.10)} == {"a", "c"}


def drift_points(points: list[tuple]) -> pd.DataFrame:
    """(as_of, rho, change, q_drift) points of one safety benchmark with their drift tests (p = q),
    each with an interval of +-0.15 around rho, so two points 0.25 apart have overlapping intervals."""
    frame = series([(d, rho, rho - 0.15, rho + 0.15, 40) for d, rho, _, _ in points])
    return frame.assign(drift_change=[c for *_, c, _ in points], p_drift=[q for *_, q in points],
                        q_drift=[q for *_, q in points])


def test_drift_fires_on_a_tested_change_not_on_interval_overlap():
    # +0.25 since the previous date with q = 0.01: fires, though the intervals [0.35, 0.65] and
    # [0.60, 0.90] overlap (the rule before required ci_low(now) > ci_high(before) and stayed silent).
    rose = drift_points([("2023-09-30", 0.50, float("nan"), float("nan")), ("2023-10-31", 0.75, 0.25, 0.01)])
    got = drift(rose, rise=0.20, window_days=180, min_models=10, hysteresis=0.05, alert_fdr=0.05)
    assert states(got) == [("firing", "2023-10-31")]
    assert got[0].details["from_rho"] == 0.50 and abs(got[0].details["rise"] - 0.25) < 1e-9
    assert got[0].details["q_drift"] == 0.01 and "q=0.01" in got[0].message


def test_drift_needs_both_the_size_and_the_q_value_of_the_change():
    noisy = drift_points([("2023-09-30", 0.50, float("nan"), float("nan")), ("2023-10-31", 0.75, 0.25, 0.20)])
    small = drift_points([("2023-09-30", 0.50, float("nan"), float("nan")), ("2023-10-31", 0.60, 0.10, 0.001)])
    untested = series([("2023-09-30", 0.50, 0.45, 0.55, 700), ("2024-01-31", 0.75, 0.70, 0.80, 3000)])
    for frame in (noisy, small, untested):
        assert drift(frame, 0.20, 180, 10, 0.05, alert_fdr=0.05) == []


def test_drift_resolves_when_rho_falls_back_or_the_rise_leaves_the_window():
    fell = drift_points([("2023-09-30", 0.50, float("nan"), float("nan")), ("2023-10-31", 0.75, 0.25, 0.01),
                   ("2023-11-30", 0.68, -0.07, 0.9), ("2023-12-31", 0.64, -0.04, 0.9)])
    # 0.68 is +0.18 over 0.50 (>= 0.15: still firing); 0.64 is +0.14: resolved.
    assert states(drift(fell, 0.20, 180, 10, 0.05, 0.05)) == [("firing", "2023-10-31"), ("resolved", "2023-12-31")]
    stayed = drift_points([("2023-09-30", 0.50, float("nan"), float("nan")), ("2023-10-31", 0.75, 0.25, 0.01),
                     ("2024-06-30", 0.76, 0.01, 0.9)])
    assert states(drift(stayed, 0.20, 180, 10, 0.05, 0.05)) == [("firing", "2023-10-31"), ("resolved", "2024-06-30")]


def fetch_log(rows: list[tuple]) -> pd.DataFrame:
    """(source, status, day, error, warnings, models_revised) rows, in fetch order."""
    return pd.DataFrame([{"source": s, "fetch_id": i + 1, "snapshot": day, "status": status,
                          "started_at": datetime(2026, 1, 1), "observed_at": pd.Timestamp(day) if day else pd.NaT,
                          "error": error, "warnings": warnings, "rows_revised": 0, "models_revised": models}
                         for i, (s, status, day, error, warnings, models) in enumerate(rows)])


def test_source_failing_fires_on_the_nth_failure_in_a_row_and_resolves_on_the_next_good_fetch():
    log = fetch_log([("helm", "failed", None, "HttpError: 503", [], None),
                     ("helm", "failed", None, "HttpError: 503", [], None),
                     ("helm", "ok", "2025-01-02", None, [], None),
                     ("helm", "failed", None, "HttpError: 503", [], None),
                     ("helm", "failed", None, "HttpError: 503", [], None),
                     ("helm", "failed", None, "HttpError: 502", [], None),
                     ("helm", "failed", None, "HttpError: 502", [], None),
                     ("helm", "unchanged", None, None, [], None)])
    got = source_failing(log, after=3)
    assert [(t.state, t.fetch_id) for t in got] == [("firing", 6), ("resolved", 8)]
    assert got[0].value == 3.0 and "HttpError: 502" in got[0].message


V2_GRADIO = "older layout mapped: Gradio page scrape (2024-07 to 2024-12-10)"
V2_SPACE = "older layout mapped: Space API /api/leaderboard/formatted, flattened (2024-12-11 to 2025-03)"


def test_schema_changed_on_a_new_layout_and_on_a_parse_error_naming_a_column():
    log = fetch_log([("v2", "ok", "2024-07-13", None, [V2_GRADIO, "2 duplicate row(s)"], None),
                     ("v2", "ok", "2024-11-26", None, [V2_GRADIO, "5 row(s) without a date"], None),
                     ("v2", "ok", "2024-12-31", None, [V2_SPACE], None),
                     ("v2", "ok", "2025-02-24", None, [V2_SPACE], None),
                     ("v2", "failed", None, "ParseError: v2: rows.json, column 'MATH Lvl 5': not a number", [],
                      None),
                     ("v2", "ok", "2025-03-21", None, [V2_SPACE], None)])
    got = schema_changed(log)
    assert [(t.state, t.fetch_id, t.severity) for t in got] == [
        ("firing", 3, "warning"), ("resolved", 4, "info"), ("firing", 5, "critical"), ("resolved", 6, "info")]
    assert got[0].details == {"before": [V2_GRADIO], "after": [V2_SPACE]}
    # Row-count notes are not part of the shape.
    assert schema_notes([V2_GRADIO, "5 row(s) without a date"]) == (V2_GRADIO,)


def test_schema_changed_names_a_failed_file_even_on_the_first_fetch():
    """One file of a multi-file payload failed and the rest was stored (fetch ok): that is a
    change of shape from the start, named by file, and it resolves when the file parses again."""
    failed = ("file failed, not ingested: gpqa_diamond.csv, column 'Best score (across scorers)': "
              "missing column(s)")
    log = fetch_log([("epoch", "ok", "2026-10-01", None, [failed, "3 row(s) without a Model version"], None),
                     ("epoch", "ok", "2026-10-02", None, [failed], None),
                     ("epoch", "ok", "2026-10-03", None, [], None)])
    got = schema_changed(log)
    assert [(t.state, t.fetch_id) for t in got] == [("firing", 1), ("resolved", 3)]
    assert "gpqa_diamond.csv" in got[0].message and got[0].details == {"before": [], "after": [failed]}


def test_scores_revised_needs_a_material_share_and_enough_models_and_refires_per_rescoring():
    log = fetch_log([("v2", "ok", "2024-07-13", None, [], None),
                     ("v2", "ok", "2024-09-27", None, [], 6),
                     ("v2", "ok", "2024-11-26", None, [], 836),
                     ("v2", "ok", "2024-12-31", None, [], 6),
                     ("v2", "ok", "2025-02-24", None, [], 2291),
                     ("arena", "ok", "2025-02-24", None, [], 300)])
    revisions = pd.DataFrame([
        {"fetch_id": 2, "benchmark": "BBH", "revised": 6, "models": 6, "base": 40},   # 15% but 6 models
        {"fetch_id": 3, "benchmark": "MATH Lvl 5", "revised": 834, "models": 834, "base": 6800},
        {"fetch_id": 3, "benchmark": "BBH", "revised": 16, "models": 16, "base": 6800},
        {"fetch_id": 4, "benchmark": "BBH", "revised": 6, "models": 6, "base": 7000},
        {"fetch_id": 5, "benchmark": "MATH Lvl 5", "revised": 2289, "models": 2289, "base": 2577},
        {"fetch_id": 6, "benchmark": "rating", "revised": 300, "models": 300, "base": 300},
    ])
    got = scores_revised(log, revisions, min_share=0.05, min_models=10, ignore=["arena"])
    assert [(t.state, t.fetch_id, t.refire) for t in got] == [
        ("firing", 3, False), ("resolved", 4, False), ("firing", 5, False)]
    assert got[0].value == 850 and got[0].n == 836
    assert got[0].details["material"] == ["MATH Lvl 5"]
    assert "MATH Lvl 5 834 of 6800" in got[0].message
    # Two rescorings in a row: the second is told too (a refire), not merged into the first.
    back_to_back = scores_revised(log[log["fetch_id"] != 4], revisions, 0.05, 10, ["arena"])
    assert [(t.state, t.fetch_id, t.refire) for t in back_to_back] == [("firing", 3, False), ("firing", 5, True)]


def test_scores_revised_resolves_on_a_fetch_that_revises_nothing():
    log = fetch_log([("v2", "ok", "2024-11-26", None, [], 836), ("v2", "ok", "2024-12-31", None, [], None)])
    revisions = pd.DataFrame([{"fetch_id": 1, "benchmark": "MATH Lvl 5", "revised": 834, "models": 834,
                               "base": 6800}])
    got = scores_revised(log, revisions, min_share=0.05, min_models=10)
    assert [(t.state, t.fetch_id, t.n, t.value) for t in got] == [("firing", 1, 836, 834.0),
                                                                  ("resolved", 2, 0, 0.0)]
    assert "revised nothing material (0 value(s))" in got[1].message


def test_channel_failing_counts_rounds_not_messages():
    rounds = pd.DataFrame([{"channel_id": "c1", "channel": "json://127.0.0.1:9/hook", "round_id": r,
                            "attempted_at": datetime(2026, 1, r), "failed": failed, "error": "refused"}
                           for r, failed in [(1, True), (2, True), (3, True), (4, True), (5, False)]])
    got = channel_failing(rounds, after=3)
    assert [(t.state, t.data_time.day, t.round_id) for t in got] == [("firing", 3, 3), ("resolved", 5, 5)]
    assert got[0].key == "channel-failing:notify:c1::"
