"""A refresh with a secret in ``BENCHWATCH_NOTIFY_URLS`` leaves it nowhere: not in the logs,
the database, the published copy, the dashboard, the alerts artifact or any error message.
Nor does a Hugging Face token (``HF_TOKEN``), which reaches the Hugging Face hosts only.

The channel points at a closed loopback port, so every delivery fails and the
error path (the one most likely to echo a URL) is the one exercised.
"""

from __future__ import annotations

import logging
import socket
from pathlib import Path

import duckdb
import pytest

from benchwatch.alerting import service as alert_service
from benchwatch.alerting.messages import run_summary
from benchwatch.pipeline.analyze import run_analysis
from benchwatch.pipeline.ingest import ingest_source
from benchwatch.pipeline.probe import run_sources_check
from benchwatch.pipeline.refresh import refresh
from benchwatch.registry import load_registry
from benchwatch.settings import load_settings
from benchwatch.storage.observations import sync_benchmarks
from benchwatch.storage.publish import published_path
from benchwatch.storage.writer import writer_door
from tests.dashboard.helpers import app_test
from tests.loopback import Fault
from tests.sources.test_lmarena import LISTING, first_rows, serve_2026

SECRET = "s3cr3tT0ken"
PASSWORD = "hunter2pw"


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def text_cells(db: Path) -> list[str]:
    """Every VARCHAR (and VARCHAR[]) cell of every table."""
    con = duckdb.connect(str(db), read_only=True)
    try:
        columns = con.execute(
            "SELECT table_name, column_name FROM information_schema.columns "
            "WHERE data_type LIKE 'VARCHAR%' AND table_schema = 'main'").fetchall()
        cells = []
        for table, column in columns:
            cells += [str(v) for (v,) in con.execute(
                f'SELECT "{column}" FROM "{table}" WHERE "{column}" IS NOT NULL').fetchall()]
        return cells
    finally:
        con.close()


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory, data_dir: Path) -> dict:
    tmp = tmp_path_factory.mktemp("secrets")
    port = closed_port()
    urls = f"json://user:{SECRET}@127.0.0.1:{port}/hook?token={SECRET} mailto://bw:{PASSWORD}@127.0.0.1:{port}"
    mp = pytest.MonkeyPatch()
    mp.setenv("BENCHWATCH_NOTIFY_URLS", urls)
    settings = load_settings(db=tmp / "bw.duckdb", replay_dir=data_dir, bootstrap_resamples=20)
    assert len(settings.notify_urls) == 2
    handler = _Collect()
    logging.getLogger().addHandler(handler)
    logging.getLogger().setLevel(logging.DEBUG)
    lines: list[str] = []
    try:
        with writer_door(settings.db, settings.writer_wait_seconds) as door:
            con = door.con
            sync_benchmarks(con, load_registry())
            for name in ("safetywashing-paper", "helm-safety"):
                ingest_source(con, name, settings, progress=lines.append)
            run_id = run_analysis(con, settings, progress=lines.append)
            transitions = alert_service.evaluate(con, settings, run_id)
            delivery = alert_service.deliver(con, settings, run_id, progress=lines.append)
            tests = alert_service.test_notify(settings, con)
    finally:
        logging.getLogger().removeHandler(handler)
    yield {"settings": settings, "logs": handler.lines + lines, "transitions": transitions,
           "delivery": delivery, "tests": tests, "mp": mp}
    mp.undo()


class _Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))


def leaks(texts: list[str]) -> list[str]:
    return [t[:200] for t in texts if SECRET in t or PASSWORD in t]


def test_deliveries_failed_and_were_recorded(run: dict) -> None:
    assert run["tests"] and all(not d.ok and d.error for d in run["tests"])
    con = duckdb.connect(str(run["settings"].db), read_only=True)
    failed = con.execute("SELECT count(*) FROM notifications WHERE status = 'failed'").fetchone()[0]
    con.close()
    assert failed >= 2


def test_no_secret_in_logs_or_error_messages(run: dict, capfd: pytest.CaptureFixture) -> None:
    out, err = capfd.readouterr()
    errors = [d.error or "" for d in [*run["tests"], *run["delivery"].attempts]]
    channels = [d.channel for d in [*run["tests"], *run["delivery"].attempts]]
    assert leaks(run["logs"] + [out, err] + errors + channels) == []
    assert leaks([repr(run["settings"]), str(run["settings"].model_dump())]) == []


def test_no_secret_in_any_text_column_of_the_database_or_its_published_copy(run: dict) -> None:
    db = run["settings"].db
    cells = text_cells(db)
    assert any("****" in c for c in cells)  # the channels are there, redacted
    assert leaks(cells) == [] and leaks(text_cells(published_path(db))) == []


def test_no_secret_in_the_alerts_artifact(run: dict) -> None:
    markdown = run_summary([*run["transitions"], *run["delivery"].transitions],
                           [*run["delivery"].attempts, *run["tests"]])
    assert leaks([markdown]) == []


def test_no_secret_on_the_dashboard(run: dict, monkeypatch: pytest.MonkeyPatch) -> None:
    for page in (None, "screens/alerts.py"):
        at = app_test(run["settings"].db, monkeypatch, page=page)
        assert not at.exception
        shown = [str(getattr(e, "value", "")) for e in at.main] + [str(e.value) for e in at.dataframe]
        assert shown and leaks(shown) == []


HF_TOKEN = "hf_SecretL00pbackToken"


def test_hf_token_is_sent_to_the_hub_and_stored_nowhere(
    upstream, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture,
) -> None:
    """A live Arena refresh, a rejected one (401 naming nothing secret) and a failing sources check,
    all with HF_TOKEN set: the token reaches the Hugging Face hosts and no log, cell, copy or file."""
    serve_2026(upstream)
    upstream.mount("/datasets-server.huggingface.co/first-rows", first_rows(rename={"rating": "score"}))
    monkeypatch.setenv("HF_TOKEN", HF_TOKEN)
    settings = load_settings(db=tmp_path / "bw.duckdb", home=tmp_path, upstream_base=upstream.url,
                             http_retries=0)
    handler = _Collect()
    logging.getLogger().addHandler(handler)
    logging.getLogger().setLevel(logging.DEBUG)
    try:
        good = refresh(settings, ["lmarena"], "live", analyze=False)
        upstream.inject(LISTING, Fault("status", 401, body=b'{"error": "Invalid credentials in Authorization header"}'))
        bad = refresh(settings, ["lmarena"], "live", analyze=False)
        checked = run_sources_check(settings, ["lmarena"], record=True)
    finally:
        logging.getLogger().removeHandler(handler)
    assert good.reports[0].status == "ok" and bad.reports[0].status == "failed"
    assert checked[0].format == "changed"
    assert {auth for path, auth in upstream.authorization} == {f"Bearer {HF_TOKEN}"}

    out, err = capfd.readouterr()
    texts = handler.lines + [out, err, str(good), str(bad), str(checked), repr(settings),
                             str(settings.model_dump())]
    files = [p.read_bytes() for p in tmp_path.rglob("*") if p.is_file()]
    assert any(b"Arena" in body or len(body) > 1000 for body in files)  # the archive and the databases
    assert [t[:200] for t in texts if HF_TOKEN in t] == []
    assert [c for c in text_cells(settings.db) + text_cells(published_path(settings.db)) if HF_TOKEN in c] == []
    assert [body[:80] for body in files if HF_TOKEN.encode() in body] == []
