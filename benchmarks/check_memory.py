"""``benchwatch check``'s peak memory and time as the file grows: at most linear, or not?

Each row count is one ``benchwatch check FILE --format json --out ...`` process (the user's
command, imports included), its peak RSS from the kernel's accounting of that child; the
files and the database are ``check_scale.py``'s (a HELM Safety benchmark's latest values with
HELM's names, plus models nobody knows up to the row count; HELM Safety and Epoch replayed).
The smallest file (HELM's rows alone) is the baseline: what the process holds whatever the
file (the interpreter, pandas, DuckDB, the stored axes). Then the memory added per 10,000 rows
between consecutive sizes, and the growth ratio: that slope between the two largest sizes over
the one between the two smallest files above the baseline. Memory growing faster than linearly
makes the slope rise with the size (a ratio above 1); at most linear keeps it at or below 1.

    python benchmarks/check_memory.py [--db FILE] [--rows 10000 30000 100000]

The largest default is the setting ``input_limits.max_rows`` (100,000), the most a file may hold.
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

from check_scale import build_database, timed_check, write_file
from common import Figure, emit


def summary(measured: list[tuple[int, float, float]]) -> list[Figure]:
    """Figures of (rows, seconds, peak MiB) measurements, smallest first: each size's peak and time,
    the memory added per 10,000 rows between consecutive sizes, and the growth ratio: that slope
    between the two largest sizes over the one between the two smallest above the baseline (1 is
    linear, below 1 sub-linear). A peak is the larger of what the process holds whatever the file
    and what the file adds, so a small file's peak can equal the baseline (a slope of 0 there)."""
    figures = []
    for rows, seconds, mib in measured:
        figures.append(Figure(f"check, {rows:,} rows, peak memory", mib, "MiB"))
        figures.append(Figure(f"check, {rows:,} rows, end to end", seconds, "s"))
    slopes = [(low[0], high[0], (high[2] - low[2]) / (high[0] - low[0]) * 10_000)
              for low, high in zip(measured, measured[1:])]
    for low, high, slope in slopes:
        figures.append(Figure(f"memory added per 10,000 rows, {low:,} -> {high:,} rows", slope, "MiB"))
    first, last = slopes[1] if len(slopes) > 2 else slopes[0], slopes[-1]
    if first[2] > 0 and first != last:
        ratio = last[2] / first[2]
        figures.append(Figure(f"growth ratio, {last[0]:,}-{last[1]:,} rows over {first[0]:,}-{first[1]:,}", ratio,
                              "x", target="<= 1 (at most linear; 1.1 within noise)", met=ratio <= 1.1))
    return figures


def main() -> None:
    from benchwatch.settings import InputLimits

    limit = InputLimits().max_rows
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, help="a database built by check_scale.py or this script before")
    parser.add_argument("--rows", type=int, nargs="+", default=[10_000, 30_000, limit])
    args = parser.parse_args()
    figures = []
    with tempfile.TemporaryDirectory(prefix="check-memory-") as tmp:
        db = args.db or Path(tmp) / "bw.duckdb"
        if args.db is None:
            build_database(db)
        measured = []  # (rows, seconds, MiB), the baseline first
        for rows in [0, *sorted(args.rows)]:
            csv = Path(tmp) / f"scores-{rows}.csv"
            helm = write_file(db, max(rows, 1), csv)
            seconds, _cpu, mib = timed_check(db, csv, Path(tmp) / f"report-{rows}.json")
            measured.append((max(rows, helm), seconds, mib))
        figures += summary(measured)
    emit("benchwatch check: peak memory and time by file size", figures)


if __name__ == "__main__":
    main()
