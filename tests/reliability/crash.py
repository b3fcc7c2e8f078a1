"""Crash and concurrency trials: kill refreshes, run two at once, and check nothing is lost.

A refresh here is a child Python process running the refresh use case the
flow runs (``benchwatch.pipeline.refresh``: the writer session, ingest per
source, the analysis driver, alerts, notifications, publish) with plain steps
instead of Prefect tasks, so a run takes seconds. The parent kills children with SIGKILL at
seeded random times, then checks the invariants a crash must never break:
the database opens, every successful fetch has exactly its rows, and one more
uninterrupted refresh ends in the state of a never-interrupted reference run.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from tests.paths import REPO_ROOT

# A subset of the sources keeps a child refresh short while covering a
# paper table, a release series (HELM) and a parquet leaderboard.
CRASH_SOURCES = ("safetywashing-paper", "helm-safety", "open-llm-leaderboard-v2")

_OBSERVATIONS = ("SELECT source, model, benchmark, value, valid_from, valid_to FROM observations")
_CORRELATIONS = ("SELECT source, model_set, axis, benchmark, as_of, rho, ci_low, ci_high, n "
                 "FROM correlations WHERE run_id = (SELECT max(run_id) FROM analysis_runs "
                 "WHERE status = 'ok')")
_ALERTS = "SELECT alert_key, state, fired_at, value FROM alerts"
# An ok fetch whose observation count differs from what it recorded is half-written;
# an observation pointing at no ok fetch is an orphan. Both must never exist.
_HALF_WRITTEN = (
    "SELECT count(*) FROM fetches f LEFT JOIN (SELECT fetch_id, count(*) AS n FROM observations "
    "GROUP BY fetch_id) o USING (fetch_id) WHERE f.status = 'ok' "
    "AND coalesce(o.n, 0) <> f.rows_added + f.rows_revised"
)
_ORPHANS = ("SELECT count(*) FROM observations WHERE fetch_id NOT IN "
            "(SELECT fetch_id FROM fetches WHERE status = 'ok')")


@dataclass(frozen=True)
class RefreshJob:
    """What a child refresh does: which database, data, sources and bootstrap size."""

    db: Path
    replay_dir: Path
    sources: tuple[str, ...] = CRASH_SOURCES
    resamples: int = 20
    wait_seconds: float = 600.0
    notify_urls: str = ""


@dataclass
class TrialReport:
    """The figures of the crash and concurrency trials, for the reliability report."""

    crashes: int = 0
    kills_by_stage: Counter = field(default_factory=Counter)
    databases_opened: int = 0
    half_written_fetches: int = 0
    orphan_rows: int = 0
    rows_lost: int = 0
    mismatches: int = 0
    concurrent_runs: int = 0
    busy_exits: int = 0
    reference_seconds: float = 0.0
    failures: list[str] = field(default_factory=list)


def run_child_refresh(job: RefreshJob, stage_file: Path) -> None:
    """The child's body: one refresh, writing each stage to ``stage_file`` as it begins."""
    from benchwatch.pipeline.refresh import Hooks, refresh
    from benchwatch.settings import load_settings

    def stage(name: str) -> None:
        with open(stage_file, "a", encoding="utf-8") as handle:
            handle.write(f"{name} {time.time()}\n")

    settings = load_settings(db=job.db, replay_dir=job.replay_dir, bootstrap_resamples=job.resamples,
                             writer_wait_seconds=job.wait_seconds)
    refresh(settings, job.sources, hooks=Hooks(stage=stage))
    stage("exiting")  # the work is over; the interpreter is shutting down


def start_refresh(job: RefreshJob, stage_file: Path) -> subprocess.Popen:
    """Start a child refresh; its settings come only from ``job`` (no config file, no stray env)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("BENCHWATCH_")}
    env["BENCHWATCH_CONFIG"] = str(stage_file.with_suffix(".no-config.toml"))
    if job.notify_urls:
        env["BENCHWATCH_NOTIFY_URLS"] = job.notify_urls
    payload = json.dumps({"db": str(job.db), "replay_dir": str(job.replay_dir),
                          "sources": list(job.sources), "resamples": job.resamples,
                          "wait_seconds": job.wait_seconds, "stage_file": str(stage_file)})
    return subprocess.Popen([sys.executable, "-m", "tests.reliability.crash", payload], env=env, cwd=REPO_ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def refresh(job: RefreshJob, stage_file: Path) -> subprocess.CompletedProcess:
    """One uninterrupted child refresh; raises with its stderr when it fails."""
    child = start_refresh(job, stage_file)
    out, err = child.communicate()
    if child.returncode != 0:
        raise RuntimeError(f"refresh of {job.db} failed ({child.returncode}): {err[-2000:]}")
    return subprocess.CompletedProcess(child.args, child.returncode, out, err)


def stages(stage_file: Path) -> list[tuple[str, float]]:
    """(stage, wall time it began) as the child wrote them."""
    lines = stage_file.read_text(encoding="utf-8").splitlines() if stage_file.exists() else []
    return [(name, float(at)) for name, at in (line.split() for line in lines if len(line.split()) == 2)]


def last_stage(stage_file: Path) -> str:
    seen = stages(stage_file)
    return seen[-1][0] if seen else "startup"


def stage_seconds(stage_file: Path) -> dict[str, float]:
    """How long each stage of a finished refresh took."""
    seen = stages(stage_file)
    return {name: later - at for (name, at), (_, later) in zip(seen, seen[1:], strict=False)}


# The stages a kill aims at, in turn, so that every one of them is hit whatever its share of a run.
KILL_STAGES = ("ingest", "analysis", "alerts", "publish")


def _kill_during(child: subprocess.Popen, stage_file: Path, target: str, delay: float,
                 patience: float) -> tuple[bool, str]:
    """SIGKILL ``child`` ``delay`` seconds into ``target``: (killed, stderr if it finished first)."""
    deadline = time.monotonic() + patience
    while child.poll() is None and target not in dict(stages(stage_file)) and time.monotonic() < deadline:
        time.sleep(0.005)
    try:
        _, err = child.communicate(timeout=delay)
        return False, err
    except subprocess.TimeoutExpired:
        child.send_signal(signal.SIGKILL)
        child.communicate()
        return True, ""


def state(db: Path) -> dict[str, list[tuple]]:
    """The compared state: observations, the latest run's correlations, alerts (sorted rows)."""
    con = duckdb.connect(str(db), read_only=True)
    try:
        return {name: sorted(con.execute(sql).fetchall(), key=repr)
                for name, sql in (("observations", _OBSERVATIONS), ("correlations", _CORRELATIONS),
                                  ("alerts", _ALERTS))}
    finally:
        con.close()


def integrity(db: Path) -> tuple[int, int]:
    """(half-written fetches, orphan observations) of a database after a crash.

    Opens the file the way the next refresh does (read-write, migrations
    applied), so a database a crash left unopenable raises here.
    """
    from benchwatch.storage.db import connect

    con = connect(db)
    try:
        return con.execute(_HALF_WRITTEN).fetchone()[0], con.execute(_ORPHANS).fetchone()[0]
    finally:
        con.close()


def differences(reference: dict[str, list[tuple]], other: dict[str, list[tuple]]
                ) -> tuple[int, int]:
    """(reference observations missing from ``other``, rows differing in any compared table)."""
    lost = len(Counter(reference["observations"]) - Counter(other["observations"]))
    mismatched = sum(sum(((Counter(reference[t]) - Counter(other[t]))
                          + (Counter(other[t]) - Counter(reference[t]))).values()) for t in reference)
    return lost, mismatched


def crash_trials(workdir: Path, replay_dir: Path, kills: int = 20, seed: int = 9,
                 resamples: int = 20, per_chain: int = 5,
                 report: TrialReport | None = None) -> TrialReport:
    """SIGKILL refreshes at seeded random times, aimed at each stage in turn.

    A kill waits for its stage (ingest, analysis, alerts, publish) to begin
    and strikes at a uniform time within that stage's length in a reference
    run, so each stage is hit however short it is. Kills come in chains on one fresh database each (the next refresh of a
    chain resumes what the killed one left), every kill checked at once; a
    chain ends with one uninterrupted refresh compared with the reference
    (a refresh that outran its kill time is one, and ends its chain early).
    Chains run until ``kills`` refreshes were actually killed.
    """
    report = report or TrialReport()
    reference_db = workdir / "reference.duckdb"
    begun = time.monotonic()
    refresh(RefreshJob(reference_db, replay_dir, resamples=resamples), workdir / "reference.stage")
    report.reference_seconds = time.monotonic() - begun
    lengths = stage_seconds(workdir / "reference.stage")
    reference = state(reference_db)
    rng = random.Random(seed)
    chain = 0
    while report.crashes < kills:
        job = RefreshJob(workdir / f"crash{chain}.duckdb", replay_dir, resamples=resamples)
        for attempt in range(min(per_chain, kills - report.crashes)):
            stage_file = workdir / f"crash{chain}-{attempt}.stage"
            target = KILL_STAGES[report.crashes % len(KILL_STAGES)]
            child = start_refresh(job, stage_file)
            killed, err = _kill_during(child, stage_file, target, rng.uniform(0.0, lengths[target]),
                                       patience=3 * report.reference_seconds)
            finished = not killed
            if killed:
                report.crashes += 1
                report.kills_by_stage[last_stage(stage_file)] += 1
            if not _check_integrity(job.db, report, f"chain {chain} kill {attempt}"):
                break
            if finished and child.returncode != 0:
                report.failures.append(f"chain {chain} refresh {attempt} failed on its own: "
                                       f"{err[-500:]}")
            if finished:  # it outran its kill time: the uninterrupted refresh that ends the chain
                _compare(report, reference, job.db, f"chain {chain} after recovery")
                break
        else:
            refresh(job, workdir / f"crash{chain}-final.stage")
            _compare(report, reference, job.db, f"chain {chain} after recovery")
        chain += 1
    return report


def _check_integrity(db: Path, report: TrialReport, label: str) -> bool:
    try:
        half, orphans = integrity(db) if db.exists() else (0, 0)
    except Exception as exc:  # noqa: BLE001 - an unopenable database is the failure counted
        report.failures.append(f"{label}: database does not open: {exc}")
        return False
    report.databases_opened += 1
    report.half_written_fetches += half
    report.orphan_rows += orphans
    if half or orphans:
        report.failures.append(f"{label}: {half} half-written fetch(es), {orphans} orphan row(s)")
    return True


def _compare(report: TrialReport, reference: dict[str, list[tuple]], db: Path, label: str) -> None:
    lost, mismatched = differences(reference, state(db))
    report.rows_lost += lost
    report.mismatches += mismatched
    if lost or mismatched:
        report.failures.append(f"{label}: {lost} row(s) lost, {mismatched} mismatch(es)")


def concurrency_trials(workdir: Path, replay_dir: Path, resamples: int = 20,
                       report: TrialReport | None = None) -> TrialReport:
    """Two refreshes at once: with waiting, both finish in the single-refresh state;
    without, the second exits with the WriterBusy message and changes nothing."""
    report = report or TrialReport()
    reference_db = workdir / "reference.duckdb"
    if not reference_db.exists():
        refresh(RefreshJob(reference_db, replay_dir, resamples=resamples), workdir / "reference.stage")
    reference = state(reference_db)

    db = workdir / "together.duckdb"
    jobs = [(RefreshJob(db, replay_dir, resamples=resamples), workdir / f"together{i}.stage")
            for i in range(2)]
    children = [start_refresh(job, stage) for job, stage in jobs]
    results = [child.communicate() for child in children]
    report.concurrent_runs += 2
    for child, (_, err) in zip(children, results, strict=True):
        if child.returncode != 0:
            report.failures.append(f"concurrent refresh failed while waiting: {err[-500:]}")
    _count(report, reference, db, "two refreshes waiting")

    db = workdir / "busy.duckdb"
    first = start_refresh(RefreshJob(db, replay_dir, resamples=resamples), workdir / "busy0.stage")
    while last_stage(workdir / "busy0.stage") in ("startup", "start") and first.poll() is None:
        time.sleep(0.05)
    second = start_refresh(RefreshJob(db, replay_dir, resamples=resamples, wait_seconds=0.0),
                           workdir / "busy1.stage")
    _, err = second.communicate()
    first.communicate()
    report.concurrent_runs += 2
    if second.returncode != 0 and "WriterBusy" in err and "another Benchwatch process is writing" in err:
        report.busy_exits += 1
    else:
        report.failures.append(f"second refresh did not exit with WriterBusy: {err[-500:]}")
    _count(report, reference, db, "busy exit")
    return report


def _count(report: TrialReport, reference: dict[str, list[tuple]], db: Path, label: str) -> None:
    if _check_integrity(db, report, label):
        _compare(report, reference, db, label)


def run_trials(replay_dir: Path, kills: int = 20, seed: int = 9, resamples: int = 20) -> TrialReport:
    """Crash then concurrency trials in a temporary directory."""
    with tempfile.TemporaryDirectory(prefix="benchwatch-reliability-") as tmp:
        report = crash_trials(Path(tmp), replay_dir, kills, seed, resamples)
        return concurrency_trials(Path(tmp), replay_dir, resamples, report)


if __name__ == "__main__":
    spec = json.loads(sys.argv[1])
    run_child_refresh(RefreshJob(Path(spec["db"]), Path(spec["replay_dir"]), tuple(spec["sources"]),
                                 spec["resamples"], spec["wait_seconds"]), Path(spec["stage_file"]))
