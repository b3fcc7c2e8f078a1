"""``benchwatch check`` on a large file: seconds, CPU seconds and peak memory at 10,000 and 100,000 rows.

The file is what ``tests/test_benchmark_check.py::test_a_hundred_thousand_rows``
builds: a HELM Safety benchmark's latest values with HELM's own names, plus
models nobody knows up to the row count. The database is HELM Safety and
Epoch replayed and analysed (100 resamples, as the test). Each check runs as
the user runs it, a fresh ``benchwatch check FILE --format json --out ...``
process, timed end to end (imports included), its peak RSS read from the
kernel's accounting of that child.

    python benchmarks/check_scale.py [--db FILE] [--rows 10000 100000]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from common import Figure, default_replay_dir, emit

BENCHMARK = "harm_bench_safety_score"
RESAMPLES = 100
TARGET_SECONDS = 3.0  # at 100,000 rows (issue 26)


def build_database(path: Path) -> None:
    """HELM Safety and Epoch replayed and analysed, as the check test's database."""
    from benchwatch.pipeline.refresh import refresh
    from benchwatch.settings import load_settings

    settings = load_settings(db=path, bootstrap_resamples=RESAMPLES, replay_dir=default_replay_dir())
    result = refresh(settings, ["helm-safety", "epoch"])
    if result.failed:
        raise RuntimeError(f"replay failed: {[(r.source, r.error) for r in result.failed]}")


def write_file(db: Path, rows: int, path: Path) -> int:
    """The HELM benchmark's latest values plus unknown models up to ``rows``; returns the HELM rows."""
    import duckdb
    import pandas as pd

    with duckdb.connect(str(db), read_only=True) as con:
        latest = con.execute("SELECT model, value AS score FROM observations WHERE source = 'helm-safety' "
                             "AND benchmark = ? AND valid_to IS NULL ORDER BY model", [BENCHMARK]).df()
    extra = pd.DataFrame({"model": [f"nobody/model-{k}" for k in range(rows - len(latest))], "score": 0.5})
    pd.concat([latest, extra]).to_csv(path, index=False)
    return len(latest)


def timed_check(db: Path, csv: Path, out: Path) -> tuple[float, float, float]:
    """Wall seconds, CPU seconds (user + system: what a loaded machine's wall time hides) and peak
    MiB of one ``benchwatch check`` process."""
    env = {**os.environ, "BENCHWATCH_BOOTSTRAP_RESAMPLES": str(RESAMPLES)}
    start = time.perf_counter()
    child = subprocess.Popen([sys.executable, "-m", "benchwatch.cli", "check", str(csv), "--format", "json",
                              "--out", str(out), "--db", str(db)], env=env,
                             stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(child.pid, 0)
    seconds = time.perf_counter() - start
    child.returncode = os.waitstatus_to_exitcode(status)
    if child.returncode != 0:
        raise RuntimeError(f"check exited {child.returncode}: {child.stderr.read().decode()[-2000:]}")
    return seconds, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, help="a database built by this script before (else a fresh one)")
    parser.add_argument("--rows", type=int, nargs="+", default=[10_000, 100_000])
    args = parser.parse_args()
    figures = []
    with tempfile.TemporaryDirectory(prefix="check-scale-") as tmp:
        db = args.db or Path(tmp) / "bw.duckdb"
        if args.db is None:
            build_database(db)
        for rows in args.rows:
            csv = Path(tmp) / f"scores-{rows}.csv"
            write_file(db, rows, csv)
            seconds, cpu, mib = timed_check(db, csv, Path(tmp) / f"report-{rows}.json")
            big = rows >= 100_000
            figures.append(Figure(f"check, {rows:,} rows, end to end", seconds, "s",
                                  target=f"< {TARGET_SECONDS:g} s" if big else "",
                                  met=seconds < TARGET_SECONDS if big else None))
            figures.append(Figure(f"check, {rows:,} rows, CPU (user + system)", cpu, "s"))
            figures.append(Figure(f"check, {rows:,} rows, peak memory", mib, "MiB"))
    emit("benchwatch check at scale (JSON report written to a file)", figures)


if __name__ == "__main__":
    main()
