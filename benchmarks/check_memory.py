"""``benchwatch check``'s peak memory and time as the file grows: at most linear, or not?

Each row count is one ``benchwatch check FILE --format json --out ...`` process (the user's
command, imports included), its peak RSS from the kernel's accounting of that child; the
files and the database are ``check_scale.py``'s (a HELM Safety benchmark's latest values with
HELM's names, plus models nobody knows up to the row count; HELM Safety and Epoch replayed).
The smallest file (HELM's rows alone) is the baseline: what the process holds whatever the
file (the interpreter, pandas, DuckDB, the stored axes). Above it, memory per 10,000 rows at
each step, and the growth exponent between consecutive sizes, log(Δmemory ratio) / log(rows
ratio): 1 is linear, below 1 sub-linear, above 1 worse than linear.

    python benchmarks/check_memory.py [--db FILE] [--rows 10000 30000 100000]

The largest default is the setting ``input_limits.max_rows`` (100,000), the most a file may hold.
"""

from __future__ import annotations

import argparse
import math
import tempfile
from pathlib import Path

from check_scale import build_database, timed_check, write_file
from common import Figure, emit


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
            seconds, mib = timed_check(db, csv, Path(tmp) / f"report-{rows}.json")
            measured.append((max(rows, helm), seconds, mib))
        base_rows, base_seconds, base_mib = measured[0]
        figures.append(Figure(f"check, {base_rows} rows (baseline), peak memory", base_mib, "MiB"))
        figures.append(Figure(f"check, {base_rows} rows (baseline), end to end", base_seconds, "s"))
        previous = None
        for rows, seconds, mib in measured[1:]:
            above = mib - base_mib
            figures.append(Figure(f"check, {rows:,} rows, peak memory", mib, "MiB"))
            figures.append(Figure(f"check, {rows:,} rows, above baseline per 10,000 rows",
                                  above / (rows - base_rows) * 10_000, "MiB"))
            figures.append(Figure(f"check, {rows:,} rows, end to end", seconds, "s"))
            if previous is not None and previous[1] > 0 and above > 0:
                exponent = math.log(above / previous[1]) / math.log((rows - base_rows) / (previous[0] - base_rows))
                figures.append(Figure(f"memory growth exponent, {previous[0]:,} -> {rows:,} rows", exponent, "",
                                      target="<= 1.1 (linear, within noise)", met=exponent <= 1.1))
            previous = (rows, above)
    emit("benchwatch check: peak memory and time by file size", figures)


if __name__ == "__main__":
    main()
