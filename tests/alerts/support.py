"""Shared by the alert delivery tests: settings, one refresh through the pipeline, parsing.

The rehearsal replays the Safetywashing paper and the Open LLM Leaderboard
v2 from ``refresh --replay --until 2024-09-30`` on (see ``test_rehearsal``).
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

from benchwatch.alerting import service as alert_service
from benchwatch.pipeline.analyze import run_analysis
from benchwatch.pipeline.ingest import ingest_source
from benchwatch.settings import Settings, load_settings
from benchwatch.storage import alerts as alert_store
from tests.alerts.receivers import Mailbox, Webhook

PAPER = "safetywashing-paper"
V2 = "open-llm-leaderboard-v2"
TOKEN = "T0k3nS3cr3tValue123"
PASSWORD = "S3cretPassw0rd"
SCORES = "scores-revised:open-llm-leaderboard-v2:::"
SCHEMA = "schema-changed:open-llm-leaderboard-v2:::"
MC1_CHAT = "capability-tracking:safetywashing-paper:truthfulqa_mc1:pc1:chat"
# In data-time order (and by key within one fetch).
LATER_CHANGES = [("FIRING", SCHEMA), ("RESOLVED", SCORES), ("RESOLVED", SCHEMA), ("FIRING", SCORES),
                 ("RESOLVED", SCORES)]


def make_settings(db: Path, data_dir: Path, urls: list[str], **extra) -> Settings:
    return load_settings(db=db, replay_dir=data_dir, bootstrap_resamples=20, notify_urls=urls,
                         dashboard_url="http://dash.example/bw", **extra)


def refresh(con, settings: Settings, until: date | None = None, sources: tuple[str, ...] = (V2,),
            log: list[str] | None = None):
    """One refresh through the pipeline's functions; returns (transitions, delivery report)."""
    progress = log.append if log is not None else (lambda _: None)
    for name in sources:
        ingest_source(con, name, settings, until=until, progress=progress)
    run_id = run_analysis(con, settings, progress=progress)
    transitions = alert_service.evaluate(con, settings, run_id)
    return transitions, alert_service.deliver(con, settings, run_id, progress=progress)


def urls(hook: Webhook, mail: Mailbox | None = None) -> list[str]:
    found = [f"json://127.0.0.1:{hook.port}/hooks/{TOKEN}"]
    if mail is not None:
        found.append(f"mailto://bwuser:{PASSWORD}@127.0.0.1:{mail.port}?from=bw@example.org&to=ops@example.org")
    return found


def news(transitions) -> list[tuple[str, str]]:
    return [(t.state.upper(), t.key) for t in transitions if t.disposition == "notify"]


def news_of(con) -> list[tuple[str, str]]:
    history = alert_store.alert_history(con)
    told = history[history["disposition"] == "notify"]
    return [(s.upper(), k) for s, k in zip(told["state"], told["key"], strict=True)]


def assert_no_secrets(con, log: list[str]) -> None:
    """Neither the token nor the password in any text column of any table, nor in the progress log."""
    columns = con.execute(
        "SELECT table_name, column_name FROM duckdb_columns() WHERE data_type IN ('VARCHAR', 'JSON', "
        "'VARCHAR[]') AND NOT internal").fetchall()
    for table, column in columns:
        hits = con.execute(
            f'SELECT count(*) FROM "{table}" WHERE CAST("{column}" AS VARCHAR) LIKE ? '
            f'OR CAST("{column}" AS VARCHAR) LIKE ?', [f"%{TOKEN}%", f"%{PASSWORD}%"]).fetchone()[0]
        assert hits == 0, f"secret stored in {table}.{column}"
    assert not any(TOKEN in line or PASSWORD in line for line in log)
