"""Kill trials of ``benchwatch backup`` and ``benchwatch restore``: SIGKILL at seeded random times,
then count what was left behind and whether the database and its published copy still agree.

A leftover is a temporary file or folder a killed run left that the next run of the same
command did not remove (``benchwatch-backup-*`` beside the database, ``*.restore*``, a published
copy's ``.tmp*``, a backup folder without a manifest in ``backup_to``). An unusable state is a
database or published copy that does not open, or the two holding different data, or data that
is neither the state before the restore nor the backup's.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from benchwatch.pipeline.refresh import refresh
from benchwatch.settings import load_settings
from benchwatch.storage.backup import MANIFEST, PREFIX, TEMP_PREFIX, table_counts
from benchwatch.storage.publish import published_path
from benchwatch.storage.writer import writer_door

BENCHWATCH = [sys.executable, "-m", "benchwatch.cli"]


@dataclass
class KillReport:
    """What the kills of one command did."""

    command: str
    kills: int = 0
    leftovers: int = 0
    unusable: int = 0
    run_seconds: float = 0.0
    failures: list[str] = field(default_factory=list)


def leftovers(db: Path, backups: Path) -> list[Path]:
    """What killed runs left that nothing is meant to keep."""
    beside = [*db.parent.glob(f"{TEMP_PREFIX}*"), *db.parent.glob(f"{db.name}.restore*"),
              *db.parent.glob(f"{published_path(db).name}.tmp*")]
    partial = [p for p in backups.glob(f"{PREFIX}*") if p.is_dir() and not (p / MANIFEST).exists()] \
        if backups.exists() else []
    return sorted(beside + partial)


def counts(path: Path) -> dict[str, int] | None:
    """Rows of every table of the file, or None when it does not open."""
    try:
        with duckdb.connect(str(path), read_only=True) as con:
            return table_counts(con)
    except (duckdb.Error, OSError):
        return None


def _run(args: list[str], env: dict) -> subprocess.Popen:
    return subprocess.Popen([*BENCHWATCH, *args], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def _kill_at(args: list[str], env: dict, delay: float) -> bool:
    """Run ``benchwatch args`` and SIGKILL it after ``delay`` s; False when it finished first."""
    child = _run(args, env)
    time.sleep(delay)
    finished = child.poll() is not None
    if not finished:
        child.send_signal(signal.SIGKILL)
    child.communicate()
    return not finished


def _timed(args: list[str], env: dict, report: KillReport) -> float:
    began = time.monotonic()
    child = _run(args, env)
    _, stderr = child.communicate()
    if child.returncode != 0:
        report.failures.append(f"benchwatch {' '.join(args)}: exit {child.returncode}: {stderr.decode()[-300:]}")
    return time.monotonic() - began


def backup_trials(db: Path, backups: Path, kills: int, rng: random.Random, env: dict) -> KillReport:
    """Kill ``kills`` backups at random times; the next, uncut backup must leave nothing behind."""
    report = KillReport("backup")
    args = ["backup", "--to", str(backups), "--keep", "2", "--db", str(db)]
    report.run_seconds = _timed(args, env, report)
    before = counts(db)
    while report.kills < kills:
        report.kills += _kill_at(args, env, rng.uniform(0.3, report.run_seconds))
        if counts(db) != before or counts(published_path(db)) != before:
            report.unusable += 1
    _timed(args, env, report)
    report.leftovers = len(leftovers(db, backups))
    return report


def restore_trials(db: Path, backups: Path, kills: int, rng: random.Random, env: dict, replay_dir: Path
                   ) -> KillReport:
    """Alternate restores of two backups of different states, killing each at a random time: after
    every kill and the next writer's entry (which completes a swap the kill cut, ``publish.finish_swap``)
    the database and its published copy hold the same state, old or new."""
    report = KillReport("restore")
    first = sorted(p for p in backups.glob(f"{PREFIX}*") if (p / MANIFEST).exists())
    old = counts(db)
    refresh(load_settings(db=db, replay_dir=replay_dir, bootstrap_resamples=0), ["safetywashing-paper"],
            analyze=False)
    _timed(["backup", "--to", str(backups), "--keep", "5", "--db", str(db)], env, report)
    second = sorted(p for p in backups.glob(f"{PREFIX}*") if (p / MANIFEST).exists() and p not in first)
    states = {str(first[-1]): old, str(second[-1]): counts(db)}
    target = str(first[-1])
    report.run_seconds = _timed(["restore", target, "--db", str(db)], env, report)
    while report.kills < kills:
        target = str(second[-1]) if counts(db) == states[str(first[-1])] else str(first[-1])
        report.kills += _kill_at(["restore", target, "--db", str(db)], env, rng.uniform(0.3, report.run_seconds))
        with writer_door(db, 0, publish_copy=False):  # the next writer completes a swap the kill cut
            pass
        found, copy = counts(db), counts(published_path(db))
        if found is None or found != copy or found not in states.values():
            report.unusable += 1
            report.failures.append(f"restore killed: database {found and sum(found.values())} rows, "
                                   f"published copy {copy and sum(copy.values())} rows")
    _timed(["restore", target, "--db", str(db)], env, report)
    report.leftovers = len(leftovers(db, backups))
    return report


def kill_trials(workdir: Path, replay_dir: Path, kills: int = 3, seed: int = 9) -> list[KillReport]:
    """Backup then restore kill trials on a small database (HELM Safety) in ``workdir``."""
    db = workdir / "kills" / "bw.duckdb"
    backups = workdir / "kills-backups"
    refresh(load_settings(db=db, replay_dir=replay_dir, bootstrap_resamples=0), ["helm-safety"], analyze=False)
    env = {**os.environ, "BENCHWATCH_BACKUP_GRACE_SECONDS": "0"}
    rng = random.Random(seed)
    return [backup_trials(db, backups, kills, rng, env), restore_trials(db, backups, kills, rng, env, replay_dir)]
