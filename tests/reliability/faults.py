"""Faults and bad input end to end, for every source: live through ``ingest_source``, then another source.

Each source's upstream is played on a loopback server from its recorded rows
(``tests/reliability/wire.py``). A case breaks the upstream (HTTP faults on
the source's main payload) or the rows before they are served (bad input),
runs ``ingest_source`` live for that source and then a replay of another
source, and records what happened. A case is survived when the refresh did
not crash, the source's fetch ended as the case allows (a failed fetch whose
error says what went wrong, or an ok fetch whose warnings explain the
cleaning, or hostile model names stored verbatim), no fetch is half-written
and the other source was ingested. A case that cannot apply to a wire format
(an Elo rating has no range to leave) is reported as not applicable, with why.
Used by ``tests/reliability/test_faults.py`` and ``tools/reliability_report.py``.
"""

from __future__ import annotations

import math
import socket
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from benchwatch.pipeline.ingest import ingest_source
from benchwatch.settings import load_settings
from benchwatch.sources.http import HttpClient
from benchwatch.storage.db import connect
from tests.loopback import Fault, Upstream
from tests.reliability.crash import integrity
from tests.reliability.wire import Wire, wires

INJECTION = "x'); DROP TABLE observations; --"
MARKUP = "<script>alert('bw')</script><b>model</b>"
CONTROL = "model\x00\x07\x1b[31mred\r\nnext"
LONG = "m" * 10_000


@dataclass
class Outcome:
    """What one case did to the refresh."""

    source: str
    kind: str
    category: str  # "fault" (the upstream misbehaves) or "input" (a bad payload)
    status: str  # ok, failed, crashed, or n/a
    message: str
    survived: bool
    stored_names: list[str] = field(default_factory=list)


Edit = Callable[[pd.DataFrame, Wire], pd.DataFrame]


@dataclass(frozen=True)
class Case:
    kind: str
    category: str
    edit: Edit | None = None
    faults: tuple[Fault, ...] = ()
    closed_port: bool = False
    not_utf8: bool = False
    cut_file: bool = False
    http_timeout: float = 30.0
    allowed: tuple[str, ...] = ("ok",)  # the fetch statuses that count as handled
    explains: tuple[str, ...] = ()  # the recorded error or warnings must say one of these
    names: tuple[str, ...] = ()  # model names that must be stored verbatim

    def allowed_for(self, wire: Wire) -> tuple[str, ...]:
        """The statuses this case may end in on this wire. Bad bytes in one file of several
        (an Epoch ZIP's benchmark CSV) fail that file only: the fetch is ok, the file's failure
        a warning naming it; on a single-file payload they fail the fetch."""
        if wire.one_of_several and self.category == "input" and self.allowed == ("failed",):
            return ("ok",)
        return self.allowed

    def not_applicable(self, wire: Wire) -> str | None:
        """Why this case cannot happen to this wire format, or None."""
        if self.cut_file and wire.container in ("csv", "jsonl"):
            return (f"a {wire.container.upper()} cut at a line end is a valid shorter one: only the declared "
                    "length can tell, which the truncated-body case covers")
        if self.kind == "missing score column" and not wire.fixed_columns:
            return ("its records name their own evaluations: one without this evaluation is a record "
                    "with fewer results, not a payload missing a column")
        if self.category == "input" and self.kind in RANGE_CASES and wire.bounds is None:
            return "its scores (Elo ratings) have no published bounds to leave"
        return None


def _cell(frame: pd.DataFrame, column: str, values: list[float]) -> pd.DataFrame:
    frame = frame.copy()
    frame[column] = pd.to_numeric(frame[column], errors="coerce").astype(float)
    rows = frame.index[frame[column].notna()][: len(values)]
    frame.loc[rows, column] = values
    return frame


def _nan(frame: pd.DataFrame, wire: Wire) -> pd.DataFrame:
    return _cell(frame, wire.score, [math.nan])


def _infinite(frame: pd.DataFrame, wire: Wire) -> pd.DataFrame:
    return _cell(frame, wire.score, [math.inf, -math.inf])


def _out_of_range(frame: pd.DataFrame, wire: Wire) -> pd.DataFrame:
    low, high = wire.bounds or (0.0, 1.0)
    return _cell(frame, wire.score, [low - (high - low) / 4, high + (high - low) * 3 / 4])


def _scale_flip(frame: pd.DataFrame, wire: Wire) -> pd.DataFrame:
    frame = frame.copy()
    frame[wire.score] = pd.to_numeric(frame[wire.score], errors="coerce") * 100
    return frame


def _rename(frame: pd.DataFrame, wire: Wire) -> pd.DataFrame:
    return frame.rename(columns={wire.score: f"{wire.score}_v2"})


def _drop(frame: pd.DataFrame, wire: Wire) -> pd.DataFrame:
    return frame.drop(columns=[wire.score])


def _duplicate(frame: pd.DataFrame, wire: Wire) -> pd.DataFrame:
    return pd.concat([frame, frame.head(2)], ignore_index=True)


def _empty(frame: pd.DataFrame, wire: Wire) -> pd.DataFrame:
    return frame.head(0)


def _named(name: str) -> Edit:
    def edit(frame: pd.DataFrame, wire: Wire) -> pd.DataFrame:
        frame = frame.copy()
        frame[wire.model] = frame[wire.model].astype(object)
        frame.loc[frame.index[0], wire.model] = name
        return frame
    return edit


RANGE_CASES = {"negative or out-of-range scores", "scale flip 0-1 to 0-100"}
GONE = ("HTTP 429",)

CASES = [
    Case("429 with Retry-After, then the payload", "fault",
         faults=(Fault("status", 429, {"Retry-After": "1"}),)),
    Case("429 without Retry-After, every attempt", "fault", faults=(Fault("status", 429),) * 3,
         allowed=("failed",), explains=GONE),
    *[Case(f"{code}, then the payload", "fault", faults=(Fault("status", code),)) for code in (500, 502, 503)],
    Case("503 on every attempt", "fault", faults=(Fault("status", 503),) * 3, allowed=("failed",),
         explains=("HTTP 503",)),
    Case("connection refused", "fault", closed_port=True, allowed=("failed",), explains=("Connection refused",)),
    Case("timeout mid-body", "fault", faults=(Fault("stall_body", delay=2.0),) * 3, http_timeout=0.5,
         allowed=("failed",), explains=("ReadTimeout", "timed out")),
    Case("truncated body (declared length not sent)", "fault", faults=(Fault("truncate"),) * 3,
         allowed=("failed",), explains=("truncated", "RemoteProtocolError", "incomplete")),
    Case("truncated file served whole", "fault", cut_file=True, allowed=("failed",),
         explains=("not a readable", "not JSON", "not valid JSON", "parquet", "ZIP")),
    Case("HTML error page instead of the payload", "fault", faults=(Fault("html"),), allowed=("failed",),
         explains=("not a readable", "not JSON", "not valid JSON", "parquet", "ZIP", "HTML", "html")),
    # Failed, or (one file of several, as an Epoch benchmark's CSV) ok with the emptiness told.
    Case("empty result", "input", edit=_empty, allowed=("failed", "ok"),
         explains=("no rows", "empty", "no leaderboard rows", "lists no", "no result", "no model")),
    Case("renamed score column", "input", edit=_rename, allowed=("failed", "ok"), explains=()),
    Case("missing score column", "input", edit=_drop, allowed=("failed", "ok"), explains=()),
    Case("duplicate rows", "input", edit=_duplicate, explains=("duplicate", "several rows")),
    Case("NaN score (read as a missing cell)", "input", edit=_nan, allowed=("ok", "failed"),
         explains=()),
    Case("infinite scores", "input", edit=_infinite, explains=("non-finite",)),
    Case("negative or out-of-range scores", "input", edit=_out_of_range, explains=("outside the",)),
    Case("scale flip 0-1 to 0-100", "input", edit=_scale_flip, allowed=("failed",),
         explains=("outside the published",)),
    Case("model name with markup", "input", edit=_named(MARKUP), names=(MARKUP,)),
    Case("model name with SQL", "input", edit=_named(INJECTION), names=(INJECTION,)),
    Case("model name with control characters", "input", edit=_named(CONTROL), names=(CONTROL,)),
    Case("model name of 10,000 characters", "input", edit=_named(LONG), names=(LONG,)),
    Case("non-UTF-8 bytes", "input", not_utf8=True, allowed=("failed",),
         explains=("UTF-8", "utf-8", "codec", "not a readable", "not JSON", "not valid JSON")),
]


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _explained(case: Case, wire: Wire, status: str, message: str) -> bool:
    """Whether the recorded error or warnings say what happened."""
    if case.kind in ("renamed score column", "missing score column"):
        # Either a failed fetch or a warning, naming the column that went missing.
        return any(name in message for name in wire.score_names)
    if case.kind.startswith("NaN"):
        return status == "ok" or "not a number" in message
    if status == "ok" and case.allowed_for(wire) != case.allowed:
        # The file failed alone: the warning names it, as "failed, not ingested", and says why.
        failed = f"failed, not ingested: {wire.one_of_several}"
        return failed in message and any(e in message for e in case.explains)
    return not case.explains or any(e in message for e in case.explains)


def run_case(case: Case, source: str, data_dir: Path, workdir: Path) -> Outcome:
    """One case on a fresh database: ``source`` live through the fault, then another source by replay."""
    wire = wires(data_dir)[source]
    reason = case.not_applicable(wire)
    if reason is not None:
        return Outcome(source, case.kind, case.category, "n/a", reason, True)
    other = "helm-safety" if source == "safetywashing-paper" else "safetywashing-paper"
    frame = wire.frame(data_dir)
    if case.edit is not None:
        frame = case.edit(frame, wire)
    upstream = Upstream().start()
    try:
        wire.mount(upstream, frame, case.not_utf8)
        if case.cut_file:
            whole = upstream.routes[wire.file_path]
            upstream.mount(wire.file_path, whole.body[: len(whole.body) // 2], whole.content_type)
        upstream.inject(wire.fault_path, *case.faults)
        base = f"http://127.0.0.1:{_closed_port()}" if case.closed_port else upstream.url
        db = workdir / f"{source}-{abs(hash(case.kind))}.duckdb"
        settings = load_settings(db=db, replay_dir=data_dir, upstream_base=base,
                                 archive_dir=workdir / "archive", http_timeout=case.http_timeout, http_retries=2,
                                 bootstrap_resamples=0, **dict(wire.settings))
        con = connect(db)
        try:
            with HttpClient(settings.http_timeout, settings.http_retries, sleep=lambda _: None) as http:
                report = ingest_source(con, source, settings, "live", http=http)
            after = ingest_source(con, other, settings)
            fetch = con.execute("SELECT status, coalesce(error, ''), warnings FROM fetches "
                                "WHERE source = ? ORDER BY fetch_id DESC LIMIT 1", [source]).fetchone()
            names = [n for (n,) in con.execute(
                "SELECT DISTINCT model FROM observations WHERE source = ? AND model IN (SELECT unnest(?))",
                [source, list(case.names)]).fetchall()]
        finally:
            con.close()
        half, orphans = integrity(db)
    except Exception as exc:  # noqa: BLE001 - a crash of the whole refresh is what is counted
        return Outcome(source, case.kind, case.category, "crashed", f"{type(exc).__name__}: {exc}", False)
    finally:
        upstream.stop()
    status, error, warnings = fetch
    message = error if status == "failed" else "; ".join(warnings)
    survived = (status == report.status and status in case.allowed_for(wire)
                and (status == "ok" or bool(error)) and _explained(case, wire, status, message)
                and after.status == "ok" and half == orphans == 0 and sorted(names) == sorted(case.names))
    return Outcome(source, case.kind, case.category, status, message, survived, names)


def run_cases(data_dir: Path, cases: list[Case] = CASES, sources: list[str] | None = None) -> list[Outcome]:
    """Every case against every source (or the ones named)."""
    names = sources or list(wires(data_dir))
    with tempfile.TemporaryDirectory(prefix="benchwatch-faults-") as tmp:
        return [run_case(case, source, data_dir, Path(tmp)) for source in names for case in cases]
