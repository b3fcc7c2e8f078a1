"""Run every benchmark and print one table of the figures.

    python benchmarks/run_all.py [--quick] [--only NAME ...]

Each script runs in its own process (its output is shown as it goes); the
ones that need a full replay database share one built here. ``--quick``
runs the notebook reference with 100 resamples and skips the largest
scaling points; the README's figures come from a run without it.
``dashboard_render.py`` (the dashboard's own benchmark) runs when present.
Runs from any folder (the scripts run beside this file, the recorded data is
found beside the checkout). The start and the end are dated, with the load
average: figures taken on a busy machine say so.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from common import MARKER, analyze_and_publish, machine, replay_database, table

HERE = Path(__file__).resolve().parent
# The recompute is compared with the code before issue 26's analysis work (the cross-source
# values once per date, the exact bootstrap's walk), timed in the same run on the same database.
RECOMPUTE_BASELINE = "543ffd9"
# It cannot open today's database (schema 14 of 16) and its method differs: the recompute is also
# run with the code this round started from, on the same database, for the 1e-12 comparison.
RECOMPUTE_SAME = "bc7af4f"


def scripts(db: Path, quick: bool, baseline: Path) -> dict[str, list[str]]:
    """Name -> command line, in the order of the issue's figures."""
    return {
        "analysis": ["analysis_vs_reference.py", "--db", str(db), *(["--resamples", "100"] if quick else [])],
        "scaling": ["scaling.py", *(["--quick"] if quick else [])],
        "agreement": ["bootstrap_agreement.py", "--db", str(db)],
        "recompute": ["recompute.py", "--db", str(db), "--baseline", str(baseline),
                      "--baseline", str(baseline.with_name(RECOMPUTE_SAME)),
                      *(["--resamples", "100"] if quick else [])],
        "ingest": ["ingest_floor.py"],
        "refresh": ["refresh_unchanged.py"],
        "check": ["check_scale.py"],
        "dashboard": ["dashboard_render.py", "--db", str(db.with_name("analyzed.duckdb"))],
    }


# Expected minutes of each part on an idle 2-core machine (full run, --quick), from the scripts'
# own figures of 2026-12-02 (see each script); a loaded machine multiplies them by about its load
# average over the two cores. Printed at the start so a run's length is known before it is waited for.
EXPECTED_MINUTES = {
    "replay database": (1.0, 1.0), "analysis": (5.5, 1.0), "scaling": (5.0, 3.5), "agreement": (0.5, 0.5),
    "recompute": (5.0, 1.5), "ingest": (0.5, 0.5), "refresh": (2.0, 2.0), "check": (0.5, 0.5),
    "dashboard": (2.0, 2.0),
}


def expected(chosen: list[str], quick: bool) -> str:
    """The expected duration of each chosen part and their sum, for an idle machine."""
    parts = [p for p in EXPECTED_MINUTES if p in chosen or (p == "replay database" and set(chosen) & NEEDS_REPLAY)]
    minutes = {p: EXPECTED_MINUTES[p][1 if quick else 0] for p in parts}
    listed = ", ".join(f"{p} {m:g}" for p, m in minutes.items())
    return f"expected on an idle 2-core machine: {sum(minutes.values()):g} min ({listed})"


NEEDS_REPLAY = {"analysis", "agreement", "recompute", "dashboard"}


def extract(commit: str, folder: Path) -> None:
    """The repository's code at ``commit`` in ``folder`` (``git archive``)."""
    folder.mkdir()
    archive = subprocess.run(["git", "-C", str(HERE.parent), "archive", commit], check=True, capture_output=True)
    subprocess.run(["tar", "-x", "-C", str(folder)], input=archive.stdout, check=True)


def run(command: list[str]) -> tuple[list[dict], int, float]:
    """Run one script, echo its output, return its figures, exit code and seconds."""
    start = time.perf_counter()
    process = subprocess.Popen([sys.executable, *command], cwd=HERE, stdout=subprocess.PIPE, text=True)
    figures: list[dict] = []
    assert process.stdout is not None
    for line in process.stdout:
        if line.startswith(MARKER):
            figures += json.loads(line[len(MARKER):])
        else:
            print(line, end="", flush=True)
    return figures, process.wait(), time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--only", nargs="*",
                        help="names: analysis scaling agreement recompute ingest refresh check dashboard")
    args = parser.parse_args()
    started = machine()
    print(f"started: {started}", flush=True)
    all_figures: list[dict] = []
    failures = []
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "replay.duckdb"
        baseline = Path(tmp) / "baseline"
        chosen = {k: v for k, v in scripts(db, args.quick, baseline).items() if not args.only or k in args.only}
        if "recompute" in chosen:
            extract(RECOMPUTE_BASELINE, baseline)
            extract(RECOMPUTE_SAME, baseline.with_name(RECOMPUTE_SAME))
        print(expected(list(chosen), args.quick), flush=True)
        if NEEDS_REPLAY & set(chosen):
            print("building a full replay database ...", flush=True)
            replay_database(db)
        if "dashboard" in chosen and (HERE / "dashboard_render.py").is_file():
            print("analyzing and publishing a copy of it for the dashboard ...", flush=True)
            shutil.copyfile(db, db.with_name("analyzed.duckdb"))
            # --quick: 100 resamples (the pages render the stored results; their count changes no page's work)
            analyze_and_publish(db.with_name("analyzed.duckdb"), 100 if args.quick else None)
        for name, command in chosen.items():
            if not (HERE / command[0]).is_file():
                print(f"\n[{name}] {command[0]} not present, skipped")
                continue
            print(f"\n===== {name}: {' '.join(command)}", flush=True)
            figures, code, seconds = run(command)
            print(f"[{name}] exit {code}, {seconds:.0f} s ({machine()})", flush=True)
            if code:
                failures.append(name)
            all_figures += figures
    print(f"\nBenchwatch performance figures\nstarted: {started}\nfinished: {machine()}")
    print(table(all_figures))
    if failures:
        print(f"failed: {', '.join(failures)}")
        sys.exit(1)


if __name__ == "__main__":
    main()
