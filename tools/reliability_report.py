"""The reliability report: run the injections and print what survived.

    .venv/bin/python tools/reliability_report.py [--kills 20] [--seed 9]

Runs, in a temporary directory (nothing here is hard-coded):
  * every fault and bad input of ``tests/reliability/faults.py`` against every
    source, through ``ingest_source`` on a loopback upstream, another source
    after it;
  * ``--kills`` SIGKILLs of child refreshes at seeded random times, each
    followed by integrity checks, chains recovered and compared with a
    never-interrupted reference run (``tests/reliability/crash.py``);
  * two refreshes at once, waiting and not waiting for the writer lock;
  * ``--backup-kills`` SIGKILLs each of ``benchwatch backup`` and ``restore`` at seeded
    random times, counting what the next run left behind and whether the database and its
    published copy still agree (``tests/reliability/backup_kills.py``).
Exits 1 when anything was not survived, a row was lost or a state differs.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from tests.paths import DATA_DIR
from tests.reliability import crash as reliability
from tests.reliability.backup_kills import kill_trials
from tests.reliability.faults import CASES, run_cases


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kills", type=int, default=20, help="refreshes to SIGKILL (default 20)")
    parser.add_argument("--seed", type=int, default=9, help="seed of the kill times")
    parser.add_argument("--backup-kills", type=int, default=3,
                        help="backups and restores to SIGKILL, each (default 3)")
    parser.add_argument("--replay-dir", type=Path, default=None)
    args = parser.parse_args()
    replay_dir = args.replay_dir or DATA_DIR
    began = time.monotonic()

    outcomes = run_cases(replay_dir, CASES)
    trials = reliability.run_trials(replay_dir, kills=args.kills, seed=args.seed)
    with tempfile.TemporaryDirectory(prefix="benchwatch-kills-") as tmp:
        killed = kill_trials(Path(tmp), replay_dir, kills=args.backup_kills, seed=args.seed)
    elapsed = time.monotonic() - began

    print("Benchwatch reliability report")
    print("=============================")
    sources = list(dict.fromkeys(o.source for o in outcomes))
    cells = {(o.kind, o.source): o for o in outcomes}
    width = max(len(o.kind) for o in outcomes)
    print("How each case ended, per source (ok = ingested with the cleaning told in its warnings,")
    print("failed = a recorded error saying what went wrong; NO = not survived):")
    print(" " * (width + 9) + "  ".join(f"{i + 1:>6}" for i in range(len(sources))))
    for kind in dict.fromkeys(o.kind for o in outcomes):
        row = [cells[(kind, src)] for src in sources]
        category = row[0].category
        marks = [("NO " if not o.survived else "") + o.status for o in row]
        print(f"{kind:<{width}} {category:<7} " + "  ".join(f"{m:>6}" for m in marks))
    print("sources: " + ", ".join(f"{i + 1} {src}" for i, src in enumerate(sources)))
    applied = [o for o in outcomes if o.status != "n/a"]
    faults = [o for o in applied if o.category == "fault"]
    inputs = [o for o in applied if o.category == "input"]
    print()
    print(f"faults injected:              {len(faults)} ({sum(o.survived for o in faults)} survived), "
          f"{len({o.kind for o in faults})} kinds x {len(sources)} sources")
    print(f"bad inputs tried:             {len(inputs)} ({sum(o.survived for o in inputs)} survived), "
          f"{len({o.kind for o in inputs})} kinds; not applicable: {len(outcomes) - len(applied)}")
    stages = ", ".join(f"{stage} {n}" for stage, n in sorted(Counter(trials.kills_by_stage).items()))
    print(f"crashes injected (SIGKILL):   {trials.crashes} (killed during: {stages})")
    print(f"databases opened and checked: {trials.databases_opened} (after every kill, recovery "
          "and concurrent run)")
    print(f"half-written fetches:         {trials.half_written_fetches}")
    print(f"orphan observation rows:      {trials.orphan_rows}")
    print(f"concurrent refreshes:         {trials.concurrent_runs} "
          f"({trials.busy_exits} exited with WriterBusy when told not to wait)")
    print(f"rows lost:                    {trials.rows_lost}")
    print(f"mismatches after recovery:    {trials.mismatches}")
    for report in killed:
        print(f"{report.command} killed (SIGKILL):{' ' * (10 - len(report.command))}{report.kills} "
              f"(uncut run {report.run_seconds:.1f} s); leftovers after the next run: {report.leftovers}; "
              f"unusable states: {report.unusable}")
    print(f"(reference refresh {trials.reference_seconds:.1f} s; report {elapsed:.0f} s)")
    for failure in trials.failures + [f for report in killed for f in report.failures]:
        print("FAILURE:", failure)
    for o in outcomes:
        if not o.survived:
            print(f"NOT SURVIVED: {o.source}: {o.kind}: {o.status}: {o.message[:300]}")
    # Judged as the tests judge them (tests/reliability/test_faults.py, test_crash.py), so that CI runs
    # this report instead of running the same fault matrix and concurrent refreshes a second time.
    by_kind = {case.kind: case for case in CASES}
    misapplied = [o for o in outcomes if o.status == "n/a"
                  and not (by_kind[o.kind].category == "input" or by_kind[o.kind].cut_file)]
    for o in misapplied:
        print(f"NOT APPLICABLE, BUT A FAULT: {o.source}: {o.kind}: {o.message[:300]}")
    concurrency_ok = trials.concurrent_runs == 4 and trials.busy_exits == 1
    if not concurrency_ok:
        print(f"CONCURRENCY: {trials.concurrent_runs} refreshes ran together (4 expected), "
              f"{trials.busy_exits} exited busy (1 expected)")
    ok = all(o.survived for o in outcomes) and not misapplied and concurrency_ok and not trials.failures \
        and trials.half_written_fetches == trials.orphan_rows == 0 \
        and trials.rows_lost == 0 and trials.mismatches == 0 and trials.crashes >= args.kills \
        and all(r.kills >= args.backup_kills and r.leftovers == 0 and r.unusable == 0 and not r.failures
                for r in killed)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
