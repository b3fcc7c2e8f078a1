"""What counts as a change, and what counts as news: the lifecycle without a database."""

from __future__ import annotations

from datetime import date

from benchwatch.alerting.lifecycle import (
    BACKFILL,
    NOTIFY,
    SILENCED,
    Horizon,
    Stored,
    changes,
    decide,
    is_news,
)
from benchwatch.alerting.rules import Transition


def t(key: str, state: str, day: str, source: str = "src", fetch_id: int | None = None,
      rule: str = "capability-tracking", refire: bool = False) -> Transition:
    return Transition(key=key, rule=rule, source=source, benchmark="b", axis="pc1", model_set="chat",
                      state=state, data_time=date.fromisoformat(day), value=0.8, threshold=0.7, ci_low=0.7,
                      ci_high=0.9, n=30, severity="warning", message=f"{key} {state}", fetch_id=fetch_id,
                      refire=refire)


TODAY = date(2026, 11, 22)


def test_only_transitions_after_the_last_recorded_one_that_flip_the_state_are_changes():
    walked = [t("k", "firing", "2024-01-31"), t("k", "resolved", "2024-03-31"), t("k", "firing", "2024-05-31")]
    assert changes(walked, {}, ["capability-tracking"], {}, TODAY) == walked
    recorded = {"k": Stored("resolved", date(2024, 3, 31), "capability-tracking", "src")}
    assert changes(walked, recorded, ["capability-tracking"], {}, TODAY) == [walked[2]]
    # A replay --until that recorded the firing on a mid-month point (Jan 15) does not fire
    # again when the full data moves it to the month end (Jan 31).
    partial = {"k": Stored("firing", date(2024, 1, 15), "capability-tracking", "src")}
    assert changes(walked[:1], partial, ["capability-tracking"], {}, TODAY) == []


def test_fetch_transitions_are_deduplicated_by_fetch_not_by_day():
    # Three failures and a recovery on the same day: the resolution is still a change.
    walked = [t("f", "firing", "2026-11-22", fetch_id=3, rule="source-failing"),
              t("f", "resolved", "2026-11-22", fetch_id=4, rule="source-failing")]
    recorded = {"f": Stored("firing", date(2026, 11, 22), "source-failing", "src", last_fetch_id=3)}
    assert changes(walked, recorded, ["source-failing"], {}, TODAY) == [walked[1]]


def test_channel_transitions_are_deduplicated_by_delivery_round():
    walked = [Transition(key="c", rule="channel-failing", source="notify", benchmark="c1", axis=None,
                         model_set=None, state=state, data_time=TODAY, value=None, threshold=3.0, ci_low=None,
                         ci_high=None, n=None, severity="info", message=state, round_id=round_id)
              for state, round_id in [("firing", 3), ("resolved", 4), ("firing", 7)]]
    recorded = {"c": Stored("firing", TODAY, "channel-failing", "notify", last_round_id=3)}
    assert changes(walked, recorded, ["channel-failing"], {}, TODAY) == walked[1:]


def test_a_refire_is_a_change_even_though_the_state_stays_firing():
    walked = [t("r", "firing", "2024-09-27", fetch_id=2, rule="scores-revised"),
              t("r", "firing", "2024-11-26", fetch_id=3, rule="scores-revised", refire=True)]
    recorded = {"r": Stored("firing", date(2024, 9, 27), "scores-revised", "v2", last_fetch_id=2)}
    assert changes(walked, recorded, ["scores-revised"], {}, TODAY) == [walked[1]]


def test_a_recorded_firing_the_walk_no_longer_produces_is_resolved_at_the_sources_latest_data():
    recorded = {"gone": Stored("firing", date(2024, 1, 31), "capability-tracking", "src")}
    got = changes([], recorded, ["capability-tracking"], {"src": date(2024, 6, 19)}, TODAY)
    assert [(c.key, c.state, c.data_time) for c in got] == [("gone", "resolved", date(2024, 6, 19))]
    # Rules this walk did not evaluate (no analysis yet) leave their alerts alone.
    assert changes([], recorded, ["source-failing"], {"src": date(2024, 6, 19)}, TODAY) == []


def test_news_is_what_lies_beyond_the_previous_evaluations_horizon():
    previous = Horizon(last_fetch_id=10, data_horizons={"src": date(2024, 9, 30), "empty": None})
    assert not is_news(t("k", "firing", "2024-09-30"), previous)
    assert is_news(t("k", "firing", "2024-10-01"), previous)
    assert is_news(t("k", "firing", "2020-01-01", source="empty"), previous)     # watched, had no data
    assert not is_news(t("k", "firing", "2025-01-01", source="new-src"), previous)  # never watched
    assert not is_news(t("f", "firing", "2026-01-01", fetch_id=10, rule="source-failing"), previous)
    assert is_news(t("f", "firing", "2020-01-01", fetch_id=11, rule="source-failing"), previous)
    assert not is_news(t("k", "firing", "2030-01-01"), None)  # the first evaluation is a backfill
    assert is_news(t("c", "firing", "2026-01-01", rule="channel-failing"), None)


def test_news_for_a_silenced_key_is_recorded_as_silenced():
    previous = Horizon(0, {"src": None})
    got = decide([t("a", "firing", "2024-10-01"), t("b", "firing", "2024-10-01")], previous, {"b"})
    assert [c.disposition for c in got] == [NOTIFY, SILENCED]
    assert [c.disposition for c in decide(got, None, set())] == [BACKFILL, BACKFILL]
