"""A lost database rebuilt from the raw archive: live refreshes against loopback upstreams that
change between runs (new models, an Open LLM v2 MATH rescoring, Epoch's ECI re-fit, a new Arena
board), the database deleted, ``benchwatch rebuild``, and the same observations; and
``benchwatch archive verify`` finding one flipped byte."""

from __future__ import annotations

import calendar
import shutil
from datetime import date, datetime
from email.utils import formatdate
from pathlib import Path

import duckdb
import pandas as pd
import pyarrow as pa
import pytest
from typer.testing import CliRunner

from benchwatch.cli import app
from benchwatch.pipeline.refresh import refresh
from benchwatch.settings import load_settings
from benchwatch.storage import archive
from tests.loopback import Fault
from tests.sources import test_epoch, test_lmarena, test_open_llm_v2

V2, EPOCH, ARENA = "open-llm-leaderboard-v2", "epoch", "lmarena"
OBSERVATIONS = """
    SELECT o.source, o.model, o.benchmark, o.value, o.valid_from, o.valid_to, r.revisions
    FROM observations o JOIN (
        SELECT source, model, benchmark, count(*) - 1 AS revisions FROM observations GROUP BY ALL) r
    USING (source, model, benchmark)
    ORDER BY ALL
"""


def dated(upstream, path: str, day: datetime) -> None:
    upstream.routes[path].last_modified = formatdate(calendar.timegm(day.timetuple()), usegmt=True)


def serve_v2(upstream, table: pd.DataFrame, day: datetime) -> None:
    test_open_llm_v2.serve_parquet(
        upstream, test_open_llm_v2.parquet_bytes(pa.Table.from_pandas(table, preserve_index=False)))
    dated(upstream, test_open_llm_v2.PARQUET, day)


def serve_epoch(upstream, folder: Path, day: date) -> None:
    test_epoch.serve(upstream, test_epoch.zip_of(test_epoch.folder_files(folder), day),
                     datetime(day.year, day.month, day.day))


def serve_arena(upstream, board: str) -> None:
    test_lmarena.serve(upstream, test_lmarena.parquet(test_lmarena.arena_rows(board)))


def observations(db: Path) -> pd.DataFrame:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute(OBSERVATIONS).df()
    finally:
        con.close()


@pytest.fixture
def lived(upstream, tmp_path, data_dir):
    """Three live refreshes of three sources whose upstreams change between runs."""
    settings = load_settings(
        db=tmp_path / "bw.duckdb", replay_dir=data_dir, upstream_base=upstream.url, http_retries=0,
        bootstrap_resamples=0,
        # A channel that would record an attempt if anything were sent.
        notify_urls=f"json://127.0.0.1:{upstream.url.rsplit(':', 1)[1]}/hook")
    first = test_open_llm_v2.contents_table(test_open_llm_v2.raw("2025-03-21")).to_pandas().head(60)
    rescored = first.copy()
    rescored.loc[:19, "MATH Lvl 5"] = rescored.loc[:19, "MATH Lvl 5"] + 3.0
    newcomers = first.head(5).assign(fullname=lambda f: "new-org/" + f["fullname"].str.split("/").str[-1],
                                     eval_name=lambda f: "new-org_" + f["eval_name"])
    second = pd.concat([rescored, newcomers], ignore_index=True)
    runs = [
        (first, datetime(2025, 3, 21), test_epoch.MARCH, date(2026, 3, 9), "2025-07-07"),
        (second, datetime(2025, 4, 2), test_epoch.APRIL, date(2026, 4, 19), "2025-07-16"),
        (second, datetime(2025, 4, 2), test_epoch.APRIL, date(2026, 4, 19), "2025-07-18"),
    ]
    for table, v2_day, folder, epoch_day, board in runs:
        serve_v2(upstream, table, v2_day)
        serve_epoch(upstream, folder, epoch_day)
        serve_arena(upstream, board)
        result = refresh(settings, [V2, EPOCH, ARENA], "live")
        assert not result.failed, [r.error for r in result.failed]
    # Then Epoch's server fails once: the failure is part of the history too.
    upstream.inject(test_epoch.ZIP_PATH, Fault("status", 503))
    [failed] = refresh(settings, [EPOCH], "live", analyze=False).failed
    assert "503" in failed.error
    return settings


def test_rebuild_gives_back_every_observation_and_notifies_nobody(lived, tmp_path):
    settings = lived
    before = observations(settings.db)
    by_source = before.groupby("source")
    # The history is really there: the rescoring and the re-fit are revisions, the newcomers rows.
    revised = before[before["revisions"] > 0].groupby("source")["model"].nunique()
    assert revised[V2] == 20 and revised[EPOCH] > 100 and revised[ARENA] > 100
    assert by_source["model"].nunique()[V2] == 65
    entries = archive.entries(settings.archive_path)
    assert [e.status for e in entries if e.source == V2] == ["ok", "ok", "unchanged"]
    assert [e.status for e in entries if e.source == EPOCH] == ["ok", "ok", "unchanged", "failed"]

    settings.db.unlink()
    for stale in settings.db.parent.glob(settings.db.name + "*"):
        stale.unlink()
    result = CliRunner().invoke(app, ["rebuild", "--db", str(settings.db)], catch_exceptions=False,
                                env={"BENCHWATCH_ARCHIVE_DIR": str(settings.archive_path),
                                     "BENCHWATCH_NOTIFY_URLS": ",".join(u.get_secret_value()
                                                                        for u in settings.notify_urls),
                                     "BENCHWATCH_BOOTSTRAP_RESAMPLES": "0"})
    assert result.exit_code == 0, result.output
    after = observations(settings.db)
    pd.testing.assert_frame_equal(after, before)

    con = duckdb.connect(str(settings.db), read_only=True)
    try:
        dispositions = {d for (d,) in con.execute("SELECT DISTINCT disposition FROM alert_events").fetchall()}
        notified = con.execute("SELECT count(*) FROM notifications").fetchone()[0]
        statuses = con.execute("SELECT source, status, count(*) FROM fetches GROUP BY ALL ORDER BY ALL").fetchall()
    finally:
        con.close()
    assert dispositions <= {"backfill"} and notified == 0
    assert (V2, "unchanged", 1) in statuses and (V2, "ok", 2) in statuses and (EPOCH, "failed", 1) in statuses
    # The archive is read, never appended to, by a rebuild.
    assert archive.entries(settings.archive_path) == entries


def test_rebuild_refuses_an_existing_file(lived):
    result = CliRunner().invoke(app, ["rebuild", "--db", str(lived.db)],
                                env={"BENCHWATCH_ARCHIVE_DIR": str(lived.archive_path)})
    assert result.exit_code == 1
    assert f"{lived.db} exists: rebuild writes a new database" in result.output
    assert "Traceback" not in result.output


def test_archive_verify_finds_one_flipped_byte(lived):
    root = lived.archive_path
    runner = CliRunner()
    clean = runner.invoke(app, ["archive", "verify", "--archive", str(root)])
    assert clean.exit_code == 0 and "0 problem(s)" in clean.output, clean.output
    blobs = sorted((root / "blobs").glob("*/*.gz"))
    victim = blobs[len(blobs) // 2]
    data = bytearray(victim.read_bytes())
    data[5] ^= 0x01  # in the gzip header's mtime: decompresses fine, only a hash of the file sees it
    victim.write_bytes(bytes(data))
    found = runner.invoke(app, ["archive", "verify", "--archive", str(root)])
    assert found.exit_code == 1
    assert f"{victim}: changed" in found.output and "1 problem(s)" in found.output
    victim.unlink()
    gone = runner.invoke(app, ["archive", "verify", "--archive", str(root)])
    assert gone.exit_code == 1 and f"{victim}: missing" in gone.output


def test_replayed_runs_are_rebuilt_from_the_replay_data_they_came_from(tmp_path, data_dir):
    settings = load_settings(db=tmp_path / "bw.duckdb", replay_dir=data_dir, bootstrap_resamples=0)
    assert not refresh(settings, [EPOCH], "replay", analyze=False).failed
    before = observations(settings.db)
    assert [(e.mode, e.status) for e in archive.entries(settings.archive_path)] == [("replay", "ok")] * 2
    env = {"BENCHWATCH_ARCHIVE_DIR": str(settings.archive_path), "BENCHWATCH_BOOTSTRAP_RESAMPLES": "0"}

    # Replay data that lost the April snapshot: the rebuild says so, and which.
    elsewhere = tmp_path / "partial"
    shutil.copytree(test_epoch.MARCH, elsewhere / "epoch" / test_epoch.MARCH.name)
    lost = tmp_path / "lost.duckdb"
    missing = CliRunner().invoke(app, ["rebuild", "--db", str(lost), "--replay", str(elsewhere)], env=env)
    assert missing.exit_code == 1
    assert (f"epoch: SourceError: epoch: 1 recorded snapshot(s) the database was built from are not in {elsewhere} "
            "as they were (missing or changed): 2026-04-19") in missing.output, missing.output

    rebuilt = tmp_path / "rebuilt.duckdb"
    result = CliRunner().invoke(app, ["rebuild", "--db", str(rebuilt), "--replay", str(data_dir)], env=env)
    assert result.exit_code == 0, result.output
    pd.testing.assert_frame_equal(observations(rebuilt), before)


def test_a_line_torn_by_a_crash_costs_only_itself(tmp_path):
    root = tmp_path / "archive"
    recorder = archive.Recorder(root, "run-1")
    recorder.failure(V2, datetime(2026, 1, 1), "ConnectError: refused", None, "http://x")
    with open(root / archive.INDEX, "ab") as handle:
        handle.write(b'{"run": "run-2", "sour')  # killed mid-line
    recorder.failure(EPOCH, datetime(2026, 1, 2), "HTTP 503", 503, "http://y")
    found, torn = archive.read_index(root)
    assert [(e.source, e.error) for e in found] == [(V2, "ConnectError: refused"), (EPOCH, "HTTP 503")]
    assert torn == [2]
    assert archive.verify(root).problems == [(str(root / archive.INDEX), "line 2 is not a complete index entry")]
