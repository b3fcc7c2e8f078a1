"""A full recompute of the replay: the analysis run a refresh makes, and its cross-source part.

Timed on a copy of one replayed database (``common.replay_database``): ``run_analysis``
(every (source, as-of date) unit, the cross-source analysis, the save) and, on its own,
``cross_source_analysis`` (every source against the other sources' axes at each as-of date).

``--baseline DIR`` times the same calls with the code of another checkout (e.g. ``git archive
main | tar -x -C DIR``) in a child process on the same database, right before this checkout's,
and prints the ratio and the largest difference between the two runs' stored correlations.

    python benchmarks/recompute.py [--db REPLAY.duckdb] [--baseline DIR] [--resamples N]
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

KEYS = ["source", "model_set", "as_of", "axis", "benchmark"]
NUMBERS = ["rho", "ci_low", "ci_high", "n"]


def measure(db: Path, resamples: int, out: Path) -> dict[str, float]:
    """Seconds of the cross-source analysis and of a full forced recompute on a copy of ``db``;
    the full run's correlations are written to ``out`` (parquet) for the comparison."""
    from benchwatch.pipeline import analyze
    from benchwatch.settings import load_settings
    from benchwatch.storage.db import connect

    work = out.with_suffix(".duckdb")
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
    rows = con.execute("SELECT * FROM correlations WHERE run_id = ?", [run_id]).df()
    rows[KEYS + NUMBERS].sort_values(KEYS).reset_index(drop=True).to_parquet(out)
    con.close()
    return {"cross": cross["wall"], "full": full["wall"]}


def in_child(code_dir: Path, db: Path, resamples: int, out: Path) -> dict[str, float]:
    """``measure`` with the code of ``code_dir`` first on the path, in a fresh process."""
    env = os.environ | {"PYTHONPATH": os.pathsep.join([str(code_dir), str(Path(__file__).parent)])}
    command = [sys.executable, "-c", "import json, sys; from pathlib import Path; from recompute import measure; "
               "print(json.dumps(measure(Path(sys.argv[1]), int(sys.argv[2]), Path(sys.argv[3]))))",
               str(db), str(resamples), str(out)]
    done = subprocess.run(command, env=env, cwd=code_dir, capture_output=True, text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def largest_difference(a: Path, b: Path) -> float:
    """Largest absolute difference between two runs' correlations (inf if their rows differ)."""
    import numpy as np
    import pandas as pd

    left, right = pd.read_parquet(a), pd.read_parquet(b)
    if len(left) != len(right) or not left[KEYS].astype(str).equals(right[KEYS].astype(str)):
        return float("inf")
    x, y = left[NUMBERS].to_numpy(float), right[NUMBERS].to_numpy(float)
    same_nan = np.isnan(x) == np.isnan(y)
    return float(np.nanmax(np.abs(x - y))) if same_nan.all() else float("inf")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", type=Path, help="a replayed database (default: build one)")
    parser.add_argument("--baseline", type=Path, help="another checkout's folder, timed first")
    parser.add_argument("--resamples", type=int, default=1000)
    parser.add_argument("--replay-dir", type=Path, default=REPO.parent / "shared" / "data")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        db = args.db or Path(tmp) / "replay.duckdb"
        if args.db is None:
            replay_database(db, args.replay_dir)
        figures = []
        if args.baseline:
            base = in_child(args.baseline.resolve(), db, args.resamples, Path(tmp) / "base.parquet")
        here = in_child(REPO, db, args.resamples, Path(tmp) / "here.parquet")
        if args.baseline:
            diff = largest_difference(Path(tmp) / "base.parquet", Path(tmp) / "here.parquet")
            for part, target in (("cross", ""), ("full", ">= 3x")):
                ratio = base[part] / here[part]
                figures.append(Figure(f"{part} recompute", here[part], "s", base[part], "baseline", ratio, target,
                                      ratio >= 3 if target else None))
            figures.append(Figure("largest |difference| in rho, ci, n", diff, "", target="<= 1e-12",
                                  met=diff <= 1e-12))
        else:
            figures += [Figure(f"{part} recompute", here[part], "s") for part in ("cross", "full")]
    emit(f"Full recompute of the replay ({args.resamples} resamples)", figures)


if __name__ == "__main__":
    main()
