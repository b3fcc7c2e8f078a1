"""Faults and bad input end to end: a live source through ``ingest_source``, then another source.

The live source is Epoch (a ZIP of CSVs, so every text fault can be written
into it) served by the loopback upstream from a recorded snapshot. Each case
breaks the upstream or the payload one way, runs ``ingest_source`` for Epoch
and then for the Safetywashing paper (replay), and records what happened. A
case is survived when the refresh did not crash, Epoch's fetch ended as a
failed fetch with a message or an ok fetch whose warnings explain the
cleaning, no fetch is half-written, and the other source was ingested.
Used by ``tests/reliability/test_faults.py`` and ``scripts/reliability_report.py``.
"""

from __future__ import annotations

import calendar
import csv
import io
import socket
import tempfile
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from email.utils import formatdate
from pathlib import Path

from benchwatch import pipeline
from benchwatch.reliability import integrity
from benchwatch.settings import load_settings
from sources.http import HttpClient
from storage.db import connect
from tests.loopback import Fault, Upstream

EPOCH_DIR = "epoch/benchmark_data_2026-04-19"
ZIP_PATH = "/epoch.ai/data/benchmark_data.zip"
TABLE = "gpqa_diamond.csv"
SCORE = "mean_score"
MODEL = "Model version"
INJECTION = "x'); DROP TABLE observations; --"
MARKUP = "<script>alert('bw')</script><b>model</b>"
CONTROL = "model\x00\x07\x1b[31mred\r\nnext"
LONG = "m" * 10_000


@dataclass
class Outcome:
    """What one case did to the refresh."""

    kind: str
    category: str  # "fault" (the upstream misbehaves) or "input" (a bad payload)
    status: str
    message: str
    survived: bool
    stored_names: list[str]


@dataclass
class Case:
    kind: str
    category: str
    edit: Callable[[dict[str, bytes]], dict[str, bytes]] | None = None
    faults: tuple[Fault, ...] = ()
    closed_port: bool = False
    http_timeout: float = 30.0
    expect: str = "ok"  # the fetch status that counts as handled
    explains: str = ""  # what the recorded error or warning must say
    names: tuple[str, ...] = ()  # model names that must be stored verbatim


def _rows(files: dict[str, bytes]) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(files[TABLE].decode("utf-8-sig"))))


def _with_rows(files: dict[str, bytes], rows: list[dict[str, str]]) -> dict[str, bytes]:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(rows[0]))
    writer.writeheader()
    writer.writerows(rows)
    return {**files, TABLE: out.getvalue().encode("utf-8")}


def _scores(change: Callable[[int, str], str]) -> Callable[[dict[str, bytes]], dict[str, bytes]]:
    def edit(files: dict[str, bytes]) -> dict[str, bytes]:
        rows = _rows(files)
        for i, row in enumerate(rows):
            row[SCORE] = change(i, row[SCORE])
        return _with_rows(files, rows)
    return edit


def _rename(*names: str) -> Callable[[dict[str, bytes]], dict[str, bytes]]:
    def edit(files: dict[str, bytes]) -> dict[str, bytes]:
        rows = _rows(files)
        for row, name in zip(rows, names, strict=False):
            row[MODEL] = name
        return _with_rows(files, rows)
    return edit


def _duplicate(files: dict[str, bytes]) -> dict[str, bytes]:
    rows = _rows(files)
    return _with_rows(files, rows + [dict(rows[0]), dict(rows[1])])


def _not_utf8(files: dict[str, bytes]) -> dict[str, bytes]:
    return {**files, TABLE: files[TABLE].replace(b"gpt", "gpt\u00e9".encode("latin-1"), 1)
            .replace(b"\n", b"\n\xff\xfe", 1)}


CASES = [
    Case("connection refused", "fault", closed_port=True, expect="failed",
         explains="Connection refused"),
    Case("read timeout (upstream stalls)", "fault", faults=(Fault("stall", delay=3.0),) * 3,
         http_timeout=0.5, expect="failed",
         explains="ReadTimeout"),
    Case("non-UTF-8 file", "input", edit=_not_utf8, expect="failed", explains="not a readable CSV"),
    Case("NaN", "input", edit=_scores(lambda i, v: "NaN" if i == 0 else v), expect="failed",
         explains="not a number: 'NaN'"),
    Case("infinities", "input", edit=_scores(lambda i, v: ("inf", "-inf")[i] if i < 2 else v),
         explains="mean_score: dropped 2 non-finite value(s)"),
    Case("negative or out-of-range scores", "input",
         edit=_scores(lambda i, v: ("-0.25", "1.75")[i] if i < 2 else v),
         explains="dropped 2 value(s) outside the 0-1 scale"),
    Case("scale flip 0-1 to 0-100", "input",
         edit=_scores(lambda i, v: str(float(v) * 100) if v else v), expect="failed",
         explains="outside the published 0-1 scale"),
    Case("duplicate rows", "input", edit=_duplicate, explains="several rows for one model"),
    Case("model name with markup", "input", edit=_rename(MARKUP), names=(MARKUP,)),
    Case("model name with SQL", "input", edit=_rename(INJECTION), names=(INJECTION,)),
    Case("model name with control characters", "input", edit=_rename(CONTROL), names=(CONTROL,)),
    Case("model name of 10,000 characters", "input", edit=_rename(LONG), names=(LONG,)),
]


def _zip(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in sorted(files.items()):
            archive.writestr(zipfile.ZipInfo(name, date_time=(2026, 4, 19, 0, 0, 0)), content)
    return buffer.getvalue()


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def run_case(case: Case, data_dir: Path, workdir: Path) -> Outcome:
    """One case on a fresh database: Epoch live through the fault, then the paper by replay."""
    folder = data_dir / EPOCH_DIR
    files = {name: (folder / name).read_bytes() for name in ("epoch_capabilities_index.csv", TABLE)}
    if case.edit is not None:
        files = case.edit(files)
    upstream = Upstream().start()
    try:
        upstream.mount(ZIP_PATH, _zip(files), "application/zip")
        upstream.routes[ZIP_PATH].last_modified = formatdate(
            calendar.timegm(datetime(2026, 4, 19).timetuple()), usegmt=True)
        upstream.inject(ZIP_PATH, *case.faults)
        base = f"http://127.0.0.1:{_closed_port()}" if case.closed_port else upstream.url
        db = workdir / (case.kind.replace(" ", "-").replace(",", "") + ".duckdb")
        settings = load_settings(db=db, replay_dir=data_dir, upstream_base=base,
                                 archive_dir=workdir / "archive", http_timeout=case.http_timeout, http_retries=2,
                                 bootstrap_resamples=0)
        con = connect(db)
        try:
            with HttpClient(settings.http_timeout, settings.http_retries, sleep=lambda _: None) as http:
                epoch = pipeline.ingest_source(con, "epoch", settings, "live", http=http)
            paper = pipeline.ingest_source(con, "safetywashing-paper", settings)
            fetch = con.execute("SELECT status, coalesce(error, ''), warnings FROM fetches "
                                "WHERE source = 'epoch' ORDER BY fetch_id DESC LIMIT 1").fetchone()
            names = [n for (n,) in con.execute(
                "SELECT DISTINCT model FROM observations WHERE source = 'epoch' AND model IN "
                "(SELECT unnest(?))", [list(case.names)]).fetchall()]
        finally:
            con.close()
        half, orphans = integrity(db)
    except Exception as exc:  # noqa: BLE001 - a crash of the whole refresh is what is counted
        return Outcome(case.kind, case.category, "crashed", f"{type(exc).__name__}: {exc}", False, [])
    finally:
        upstream.stop()
    status, error, warnings = fetch
    message = error if status == "failed" else "; ".join(warnings)
    survived = (status == epoch.status == case.expect and case.explains in message
                and (status == "ok" or bool(error)) and paper.status == "ok"
                and half == orphans == 0 and sorted(names) == sorted(case.names))
    return Outcome(case.kind, case.category, status, message, survived, names)


def run_cases(data_dir: Path, cases: list[Case] = CASES) -> list[Outcome]:
    with tempfile.TemporaryDirectory(prefix="benchwatch-faults-") as tmp:
        return [run_case(case, data_dir, Path(tmp)) for case in cases]

