"""The system of record: migrations, idempotent ingest, revisions, all-or-nothing."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from datetime import datetime

import duckdb
import numpy as np
import pandas as pd
import pytest

from benchwatch.pipeline.ingest import ingest_source
from benchwatch.records import ParsedBatch, Snapshot
from benchwatch.storage.db import connect, migrations
from benchwatch.storage.observations import ingest
from benchwatch.storage.revisions import is_revision

SOURCE = "test-source"


def snapshot(day: int, values: dict[tuple[str, str], float]) -> tuple[Snapshot, ParsedBatch]:
    when = datetime(2024, 1, day)
    rows = pd.DataFrame([(m, b, v, when) for (m, b), v in values.items()],
                        columns=["model", "benchmark", "value", "observed_at"])
    models = pd.DataFrame({"model": sorted({m for m, _ in values}), "model_set": "all",
                           "model_type": None, "display_name": None})
    files = {"payload": repr(sorted(values.items())).encode()}
    return Snapshot(SOURCE, f"day {day}", when, "memory", files), ParsedBatch(rows, models)


def table_counts(con) -> dict[str, int]:
    tables = [r[0] for r in con.execute(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = 'main' "
        "AND table_catalog <> 'temp'").fetchall()]
    return {t: con.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0] for t in sorted(tables)}


def test_migrations_are_recorded_in_order(tmp_path):
    con = connect(tmp_path / "db.duckdb")
    applied = con.execute("SELECT version, name FROM schema_migrations ORDER BY version").fetchall()
    assert [(v, n) for v, n, _ in migrations()] == applied
    con.close()
    again = connect(tmp_path / "db.duckdb")  # reopening applies nothing twice
    assert again.execute("SELECT count(*) FROM schema_migrations").fetchone()[0] == len(applied)


def test_same_snapshot_twice_adds_nothing(tmp_path):
    con = connect(tmp_path / "db.duckdb")
    snap, batch = snapshot(1, {("a", "x"): 1.0, ("b", "x"): 2.0})
    first = ingest(con, SOURCE, snap, batch, datetime.now())
    second = ingest(con, SOURCE, snap, batch, datetime.now())
    assert (first.rows_added, second.rows_added, second.rows_revised) == (2, 0, 0)
    assert con.execute("SELECT count(*) FROM observations").fetchone()[0] == 2


def test_revision_closes_the_old_row_and_keeps_it(tmp_path):
    con = connect(tmp_path / "db.duckdb")
    ingest(con, SOURCE, *snapshot(1, {("a", "x"): 1.0, ("b", "x"): 2.0}), datetime.now())
    result = ingest(con, SOURCE, *snapshot(5, {("a", "x"): 1.5, ("b", "x"): 2.0}), datetime.now())
    assert (result.rows_added, result.rows_revised) == (0, 1)
    rows = con.execute(
        "SELECT value, valid_from, valid_to, revised_by IS NOT NULL FROM observations "
        "WHERE model = 'a' ORDER BY valid_from").fetchall()
    assert rows == [(1.0, datetime(2024, 1, 1), datetime(2024, 1, 5), True),
                    (1.5, datetime(2024, 1, 5), None, False)]


def test_duplicates_inside_a_batch_keep_the_first_seen(tmp_path):
    con = connect(tmp_path / "db.duckdb")
    snap, batch = snapshot(1, {("a", "x"): 1.0})
    late = batch.observations.assign(value=9.0, observed_at=datetime(2024, 1, 2))
    batch.observations = pd.concat([late, batch.observations], ignore_index=True)
    ingest(con, SOURCE, snap, batch, datetime.now())
    assert con.execute("SELECT value FROM observations").fetchall() == [(1.0,)]


def test_a_failure_inside_the_write_rolls_everything_back(tmp_path):
    con = connect(tmp_path / "db.duckdb")
    ingest(con, SOURCE, *snapshot(1, {("a", "x"): 1.0}), datetime.now())
    before = table_counts(con)
    snap, batch = snapshot(2, {("a", "x"): 2.0, ("c", "x"): 3.0})
    # The second row has no model: the INSERT fails after the fetch row and the
    # first row were written.
    batch.observations.loc[1, "model"] = None
    with pytest.raises(duckdb.ConstraintException):
        ingest(con, SOURCE, snap, batch, datetime.now())
    assert table_counts(con) == before


KILLED_CHILD = textwrap.dedent("""
    import sys, time
    from benchwatch.settings import load_settings
    from benchwatch.pipeline.ingest import ingest_source
    from benchwatch.storage.db import connect

    class Stalling:
        # Delegates to the real connection; stops after the last write of a
        # fetch (the models upsert), just before COMMIT.
        def __init__(self, con):
            self.con = con
        def __getattr__(self, name):
            return getattr(self.con, name)
        def execute(self, sql, *args):
            if sql.lstrip().startswith("INSERT INTO models"):
                result = self.con.execute(sql, *args)
                print("IN-TRANSACTION", flush=True)
                time.sleep(60)
                return result
            return self.con.execute(sql, *args)

    settings = load_settings(db=sys.argv[1], replay_dir=sys.argv[2])
    con = connect(settings.db)
    ingest_source(Stalling(con), "open-llm-leaderboard-v1", settings)
""")


def test_killed_mid_ingest_leaves_the_database_as_it_was(settings):
    con = connect(settings.db)
    ingest_source(con, "safetywashing-paper", settings)
    before = table_counts(con)
    con.close()
    child = subprocess.Popen([sys.executable, "-c", KILLED_CHILD, str(settings.db), str(settings.replay_dir)],
                             stdout=subprocess.PIPE, text=True)
    assert child.stdout.readline().strip() == "IN-TRANSACTION"
    os.kill(child.pid, signal.SIGKILL)
    child.wait()
    con = connect(settings.db)
    assert table_counts(con) == before
    report = ingest_source(con, "open-llm-leaderboard-v1", settings)
    assert report.status == "ok" and report.rows_added == 40368
    assert con.execute("SELECT count(*) FROM fetches WHERE status = 'ok'").fetchone()[0] == 2


def test_missing_files_fail_one_source_and_the_other_proceeds(settings, tmp_path):
    broken = tmp_path / "data"
    (broken / "safetywashing").mkdir(parents=True)
    (broken / "safetywashing" / "benchmarks_base_models.csv").write_text("model,name,type\nx,y,chat\n")
    (broken / "safetywashing" / "benchmarks_chat_models.csv").write_text("model,name,type\n")
    os.symlink(settings.replay_dir / "open-llm-leaderboard-v1", broken / "open-llm-leaderboard-v1")
    settings = settings.model_copy(update={"replay_dir": broken})
    con = connect(settings.db)
    bad = ingest_source(con, "safetywashing-paper", settings)
    good = ingest_source(con, "open-llm-leaderboard-v1", settings)
    assert bad.status == "failed"
    assert "benchmarks_base_models.csv" in bad.error and "'type'" in bad.error and "row 0" in bad.error
    assert good.status == "ok"
    failed = con.execute("SELECT source, error FROM fetches WHERE status = 'failed'").fetchall()
    assert failed == [("safetywashing-paper", bad.error)]
    assert con.execute("SELECT count(DISTINCT source) FROM observations").fetchone()[0] == 1


def test_malformed_csv_is_a_clear_error(settings, tmp_path):
    broken = tmp_path / "data" / "open-llm-leaderboard-v1"
    broken.mkdir(parents=True)
    original = (settings.replay_dir / "open-llm-leaderboard-v1" / "open_llm_leaderboard_v1_2024-06-19.csv")
    text = original.read_text().splitlines()
    text[10] = text[10].replace(",", ",not-a-number,", 3).replace(",not-a-number,", ",", 2)
    (broken / original.name).write_text("\n".join(text))
    settings = settings.model_copy(update={"replay_dir": tmp_path / "data"})
    con = connect(settings.db)
    report = ingest_source(con, "open-llm-leaderboard-v1", settings)
    assert report.status == "failed"
    assert "open_llm_leaderboard_v1_2024-06-19.csv" in report.error
    assert con.execute("SELECT count(*) FROM observations").fetchone()[0] == 0


def test_read_only_open_while_empty_database_is_a_clear_error(tmp_path):
    from benchwatch.storage.db import StorageError

    with pytest.raises(StorageError, match="does not exist yet"):
        connect(tmp_path / "none.duckdb", read_only=True)


@pytest.mark.parametrize(("old", "new", "revised"), [
    (35.12, 35.1234, False),   # more digits published, same value
    (35.1234, 35.12, False),   # fewer digits
    (35.12, 35.13, True),
    (1.0, 1.5, True),
    (1287.0, 1287.3, False),   # an integer rating re-published with decimals
    (0.8358585858585859, 0.8358585858585859, False),
    (0.8358585858585859, 0.8358585858585851, False),
])
def test_a_revision_is_a_change_at_the_coarser_published_precision(old, new, revised):
    assert bool(is_revision(np.array([old]), np.array([new]))[0]) is revised


def test_a_scale_flip_fails_the_fetch_and_strays_are_dropped(settings, tmp_path):
    """The registry's published scale holds for every source (here: the paper's 0-1 MMLU)."""
    folder = tmp_path / "data" / "safetywashing"
    folder.mkdir(parents=True)
    for name in ("benchmarks_base_models.csv", "benchmarks_chat_models.csv"):
        frame = pd.read_csv(settings.replay_dir / "safetywashing" / name)
        if name.startswith("benchmarks_base"):
            frame["mmlu"] = frame["mmlu"] * 100  # 0-1 became 0-100 upstream
        else:
            frame.loc[0, "truthfulqa_mc1"] = 1.7  # one stray value
        frame.to_csv(folder / name, index=False)
    settings = settings.model_copy(update={"replay_dir": tmp_path / "data"})
    con = connect(settings.db)
    report = ingest_source(con, "safetywashing-paper", settings)
    assert report.status == "failed"
    assert "column 'mmlu'" in report.error and "published 0-1 scale" in report.error
    assert con.execute("SELECT count(*) FROM observations").fetchone()[0] == 0

    frame = pd.read_csv(settings.replay_dir / "safetywashing" / "benchmarks_base_models.csv")
    frame["mmlu"] = frame["mmlu"] / 100
    frame.to_csv(folder / "benchmarks_base_models.csv", index=False)
    report = ingest_source(con, "safetywashing-paper", settings)
    assert report.status == "ok"
    assert any("truthfulqa_mc1: dropped 1 value(s) outside the 0-1 scale" in w for w in report.warnings)
    assert report.rows_added == 9473 - 1
