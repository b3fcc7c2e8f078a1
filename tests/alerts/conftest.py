"""Fixtures of the alert tests: a backfilled database to copy, and live receivers."""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import pytest

from benchwatch.registry import load_registry
from benchwatch.storage.db import connect
from benchwatch.storage.observations import sync_benchmarks
from tests.alerts.receivers import Mailbox, Webhook
from tests.alerts.support import PAPER, PASSWORD, SCORES, V2, make_settings, refresh


@pytest.fixture(scope="module")
def backfilled(tmp_path_factory, data_dir) -> Path:
    """The database after `refresh --replay --until 2024-09-30`: history recorded, nothing sent."""
    db = tmp_path_factory.mktemp("rehearsal") / "bw.duckdb"
    con = connect(db)
    sync_benchmarks(con, load_registry())
    transitions, delivery = refresh(con, make_settings(db, data_dir, []), date(2024, 9, 30), (PAPER, V2))
    assert [(t.key, t.state, t.disposition) for t in transitions] == [(SCORES, "firing", "backfill")]
    assert delivery.attempts == []
    con.close()
    return db


@pytest.fixture
def db(backfilled, tmp_path) -> Path:
    target = tmp_path / "bw.duckdb"
    shutil.copyfile(backfilled, target)
    return target


@pytest.fixture
def receivers():
    hook, mail = Webhook().start(), Mailbox("bwuser", PASSWORD).start()
    yield hook, mail
    hook.stop()
    mail.stop()
