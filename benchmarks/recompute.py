"""A full recompute of the replay: the analysis run a refresh makes, and its cross-source part.

Timed on a copy of one replayed database (``common.replay_database``): ``run_analysis``
(every (source, as-of date) unit, the cross-source analysis, the save) and, on its own,
``cross_source_analysis`` (every source against the other sources' axes at each as-of date).

``--baseline DIR`` (repeatable) times the same calls with the code of another checkout (e.g. ``git
archive main | tar -x -C DIR``) in a child process on the same database, right before this
checkout's, and prints the ratios (wall and CPU) and, for every table an analysis run writes, the
largest difference between the two runs' rows (text equal, numbers within 1e-12). A baseline
older than the database's schema (the code before issue 26, 543ffd9, knows 14 migrations) is timed
on a replay of the same recorded data its own code writes, and not compared: its method differs
(later issues added axes and columns). Give the branch point as a second baseline for the comparison.

    python benchmarks/recompute.py [--db REPLAY.duckdb] [--baseline DIR ...] [--resamples N]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from common import REPO, Figure, emit, replay_database, stopwatch

# Every table an analysis run writes (its rows carry the run id), compared whole between the two runs.
TABLES = ["correlations", "capability_axes", "capability_loadings", "capability_scores", "adjusted_residuals"]
TOLERANCE = 1e-12


def measure(db: Path, resamples: int, out: Path) -> dict[str, float]:
    """Seconds (wall and CPU) of the cross-source analysis and of a full forced recompute on a copy
    of ``db``; every table the full run wrote is saved to ``out`` (one parquet per table, without
    the run id) for the comparison."""
    from benchwatch.pipeline import analyze
    from benchwatch.settings import load_settings
    from benchwatch.storage.db import connect

    out.mkdir(parents=True, exist_ok=True)
    work = out / "work.duckdb"
    shutil.copyfile(db, work)
    settings = load_settings(db=work, bootstrap_resamples=resamples)
    con = connect(work)
    plan = analyze.plan_analysis(con, settings, force=True)
    release = plan.release.drop_duplicates("canonical_id").set_index("canonical_id")["release_date"]
    with stopwatch() as cross:
        analyze.cross_source_analysis(con, plan.params, plan.identity, plan.registry, plan.pooled,
                                      release=release)
    with stopwatch() as full:
        run_id = analyze.run_analysis(con, settings, force=True)
    for table in TABLES:
        con.execute(f"SELECT * EXCLUDE (run_id) FROM {table} WHERE run_id = ?", [run_id]).df().to_parquet(
            out / f"{table}.parquet")
    con.close()
    work.unlink()
    return {"cross": cross["wall"], "full": full["wall"], "cross_cpu": cross["cpu"], "full_cpu": full["cpu"]}


def in_child(code_dir: Path, db: Path, resamples: int, out: Path) -> dict[str, float]:
    """``measure`` with the code of ``code_dir`` first on the path, in a fresh process."""
    env = os.environ | {"PYTHONPATH": os.pathsep.join([str(code_dir), str(Path(__file__).parent)])}
    command = [sys.executable, "-c", "import json, sys; from pathlib import Path; from recompute import measure; "
               "print(json.dumps(measure(Path(sys.argv[1]), int(sys.argv[2]), Path(sys.argv[3]))))",
               str(db), str(resamples), str(out)]
    done = subprocess.run(command, env=env, cwd=code_dir, capture_output=True, text=True)
    if done.returncode:
        raise RuntimeError(f"{code_dir}: {done.stderr.strip().splitlines()[-1] if done.stderr.strip() else done}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def own_replay(code_dir: Path, db: Path, replay_dir: Path) -> None:
    """A replay of the recorded data written by ``code_dir``'s own code (its ``common.replay_database``),
    for a baseline whose schema is older than this checkout's database."""
    env = os.environ | {"PYTHONPATH": os.pathsep.join([str(code_dir), str(code_dir / "benchmarks")])}
    subprocess.run([sys.executable, "-c", "import sys; from pathlib import Path; from common import replay_database; "
                    "replay_database(Path(sys.argv[1]), Path(sys.argv[2]))", str(db), str(replay_dir)],
                   env=env, cwd=code_dir, check=True, capture_output=True)


def timed_baseline(code_dir: Path, db: Path, args: argparse.Namespace, out: Path) -> tuple[dict[str, float], bool]:
    """The baseline's seconds on ``db`` and True; on a replay its own code wrote, and False, when it
    cannot open ``db`` (a schema newer than it knows): timed on the same data, not compared."""
    try:
        return in_child(code_dir, db, args.resamples, out), True
    except RuntimeError as error:
        if "newer than this Benchwatch knows" not in str(error):
            raise
    own = out.with_name(out.name + "-replay.duckdb")
    own_replay(code_dir, own, args.replay_dir)
    return in_child(code_dir, own, args.resamples, out), False


def largest_difference(a: Path, b: Path) -> dict[str, float]:
    """Per table, the largest absolute difference between the two runs' numbers (inf when their
    rows, columns, text or missing values differ), rows matched by sorting on every text field."""
    import numpy as np
    import pandas as pd

    differences = {}
    for table in TABLES:
        left, right = pd.read_parquet(a / f"{table}.parquet"), pd.read_parquet(b / f"{table}.parquet")
        if sorted(left.columns) != sorted(right.columns) or len(left) != len(right):
            differences[table] = float("inf")
            continue
        right = right[left.columns]
        numbers = [c for c in left.columns if pd.api.types.is_numeric_dtype(left[c])
                   and not pd.api.types.is_bool_dtype(left[c])]
        text = [c for c in left.columns if c not in numbers]
        left, right = (frame.assign(**{c: frame[c].astype(str) for c in text})
                       .sort_values(text + numbers, kind="stable").reset_index(drop=True)
                       for frame in (left, right))
        x, y = left[numbers].to_numpy(float), right[numbers].to_numpy(float)
        if not left[text].equals(right[text]) or not (np.isnan(x) == np.isnan(y)).all():
            differences[table] = float("inf")
            continue
        both = ~np.isnan(x)
        differences[table] = float(np.abs(x[both] - y[both]).max()) if both.any() else 0.0
    return differences


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", type=Path, help="a replayed database (default: build one)")
    parser.add_argument("--baseline", type=Path, action="append", default=[],
                        help="another checkout's folder, timed first (repeatable)")
    parser.add_argument("--resamples", type=int, default=1000)
    parser.add_argument("--replay-dir", type=Path, default=REPO.parent / "shared" / "data")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        db = args.db or Path(tmp) / "replay.duckdb"
        if args.db is None:
            replay_database(db, args.replay_dir)
        baselines = [(folder.resolve(), *timed_baseline(folder.resolve(), db, args, Path(tmp) / f"base{i}"), i)
                     for i, folder in enumerate(args.baseline)]
        here = in_child(REPO, db, args.resamples, Path(tmp) / "here")
        figures = [Figure(f"{part} recompute{cpu}", here[part + key], "s")
                   for part in ("cross", "full") for cpu, key in (("", ""), (", CPU", "_cpu"))]
        for folder, base, same_db, i in baselines:
            name = f"{folder.name}" + ("" if same_db else ", own replay")
            for part, target in (("cross", ""), ("full", ">= 3x")):
                ratio = base[part] / here[part]
                figures.append(Figure(f"{part} recompute vs {folder.name}", here[part], "s", base[part], name, ratio,
                                      target, ratio >= 3 if target else None))
                figures.append(Figure(f"{part} recompute vs {folder.name}, CPU", here[f"{part}_cpu"], "s",
                                      base[f"{part}_cpu"], name, base[f"{part}_cpu"] / here[f"{part}_cpu"]))
            if not same_db:
                print(f"{folder.name}: cannot open this checkout's database (older schema); timed on a replay of "
                      "the same recorded data its own code wrote, its results not compared")
                continue
            for table, diff in largest_difference(Path(tmp) / f"base{i}", Path(tmp) / "here").items():
                figures.append(Figure(f"largest |difference| vs {folder.name}, {table}", diff, "",
                                      target=f"<= {TOLERANCE:g}", met=diff <= TOLERANCE))
    emit(f"Full recompute of the replay ({args.resamples} resamples)", figures)


if __name__ == "__main__":
    main()
