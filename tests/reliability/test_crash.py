"""SIGKILL refreshes at random points and run two at once: nothing lost, nothing half-written.

A small, seeded version of ``tests.reliability.crash.run_trials`` (the
reliability report runs the full one with 20 kills).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.reliability import crash as reliability


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("reliability")


def test_killed_refreshes_recover_to_the_uninterrupted_state(workdir: Path, data_dir: Path) -> None:
    report = reliability.crash_trials(workdir, data_dir, kills=4, seed=9, per_chain=2)
    assert report.crashes == 4
    assert report.failures == []
    assert report.databases_opened >= 4
    assert (report.half_written_fetches, report.orphan_rows) == (0, 0)
    assert (report.rows_lost, report.mismatches) == (0, 0)
    # the compared reference is a real refresh, not an empty database
    reference = reliability.state(workdir / "reference.duckdb")
    assert len(reference["observations"]) > 10_000 and len(reference["correlations"]) > 100


@pytest.mark.long
def test_two_refreshes_at_once_wait_or_exit_clearly(workdir: Path, data_dir: Path) -> None:
    report = reliability.concurrency_trials(workdir, data_dir)
    assert report.failures == []
    assert report.concurrent_runs == 4 and report.busy_exits == 1
    assert (report.half_written_fetches, report.rows_lost, report.mismatches) == (0, 0, 0)


@pytest.mark.long
def test_kills_aim_at_each_stage_in_turn(workdir: Path, data_dir: Path) -> None:
    (workdir / "aimed").mkdir()
    report = reliability.crash_trials(workdir / "aimed", data_dir, kills=8, seed=3, per_chain=4)
    assert report.crashes == 8 and report.failures == []
    assert (report.rows_lost, report.mismatches) == (0, 0)
    # Every stage is struck, however short (ingest takes about a second of an 8-second refresh).
    assert set(report.kills_by_stage) >= {"ingest", "analysis", "alerts"}, report.kills_by_stage
