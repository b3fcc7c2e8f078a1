"""Figure 2: the scaling curve of the analysis on synthetic leaderboards.

Each point is a synthetic source of N models x C benchmarks seen at D as-of
dates (models arrive evenly, so date d knows the first N(d+1)/D models),
analyzed with 1,000 resamples exactly as the engine analyzes one model set
at one date (``analysis.engine.analyze_matrix``: PC1 of the capability
columns, then every other column's rho and interval against PC1, re-fitted in
every resample, and against a compute column). One subprocess per point, so peak memory is the point's
own (``ru_maxrss``). Columns are complete (a leaderboard's models have all
its benchmarks); values are rounded to 3 decimals, so ranks have ties.

The fitted growth exponent is the slope of log(time) against log(models),
log(benchmarks) and log(as-of dates) along each axis of the grid (the work
is their product), on wall time and on CPU time (the machine is shared: wall
time also counts waiting for other processes). Left out of the fits: the
smallest point of each axis, where fixed costs dominate, and along models
the points where most as-of dates have at most ``EXACT_MAX_MODELS`` models,
which use the exact bootstrap (O(B n) per column but at a much higher cost
per cell than the matrix product; their times are in the table).

    python benchmarks/scaling.py [--quick]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
from common import Figure, emit

RESAMPLES = 1000
TARGET = (10_000, 300, 36)
LIMIT_SECONDS, LIMIT_MIB = 60.0, 4096.0
# Issue 26: every point of the grid under this, on an idle 2-core machine, and the grid monotone.
POINT_SECONDS = 15.0
GRID = {
    "models": [(n, 300, 36) for n in (100, 1_000, 5_000, 10_000, 20_000)],
    "benchmarks": [(10_000, c, 36) for c in (10, 50, 100, 300, 500)],
    "as-of dates": [(10_000, 300, d) for d in (1, 6, 12, 36, 60)],
}
# Where each axis's fit starts (see above).
FIT_FROM = {"models": 5_000, "benchmarks": 50, "as-of dates": 6}
LARGEST = (20_000, 500, 60)
# Around the exact/linearized switch (``EXACT_MAX_MODELS`` = 500): the most models on the exact path,
# one more, and twice as many (the 400 x 300 x 6 against 4,000 x 300 x 6).
SWITCH = [(400, 300, 6), (500, 300, 6), (501, 300, 6), (1_000, 300, 6), (4_000, 300, 6)]


def synthetic(models: int, benchmarks: int, seed: int = 0):
    """A capability factor drives capability columns strongly, others with any sign."""
    import pandas as pd

    rng = np.random.default_rng(seed)
    ability = rng.normal(size=models)
    n_cap = max(2, min(12, benchmarks // 2))
    loading = rng.uniform(-1.0, 1.0, benchmarks)
    loading[:n_cap] = rng.uniform(0.5, 1.0, n_cap)
    values = np.round(ability[:, None] * loading + rng.normal(size=(models, benchmarks)), 3)
    values[:, -1] = np.round(2 * ability + rng.normal(size=models), 3)
    columns = [f"b{j:03d}" for j in range(benchmarks)]
    category = ["capability"] * n_cap + ["safety"] * (benchmarks - n_cap - 1) + ["compute"]
    registry = pd.DataFrame({"source": "synthetic", "column": columns, "category": category,
                             "direction": 1})
    return values, columns, registry


def run_point(models: int, benchmarks: int, dates: int) -> dict:
    """In the child: analyze every as-of date; time, CPU time and memory."""
    import pandas as pd

    from benchwatch.analysis.engine import Params, analyze_matrix

    values, columns, registry = synthetic(models, benchmarks)
    index = pd.Index([f"m{i:05d}" for i in range(models)])
    params = Params(resamples=RESAMPLES, seed=20240731)
    baseline = peak_mib()
    arrived = (np.arange(models) * dates) // models
    cells = correlations = 0
    wall, cpu = time.perf_counter(), time.process_time()
    for day in range(dates):
        known = int((arrived <= day).sum())
        wide = pd.DataFrame(values[:known], index=index[:known], columns=columns)
        _, result, _ = analyze_matrix(wide, registry, params)
        cells += known * benchmarks
        correlations += len(result)
    return {"models": models, "benchmarks": benchmarks, "dates": dates, "cells": cells,
            "correlations": correlations, "seconds": time.perf_counter() - wall,
            "cpu_seconds": time.process_time() - cpu, "peak_mib": peak_mib(),
            "baseline_mib": baseline}


def peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def measure(point: tuple[int, int, int]) -> dict:
    out = subprocess.run([sys.executable, __file__, "--point", *map(str, point)], check=True,
                         capture_output=True, text=True, cwd=Path(__file__).parent)
    return json.loads(out.stdout.strip().splitlines()[-1])


def slope(points: list[dict], key: str, clock: str) -> float:
    """Growth exponent of time along one axis: slope of log time vs log of that axis."""
    x = np.log([p[key] for p in points])
    y = np.log([p[clock] for p in points])
    return float(np.polyfit(x, y, 1)[0])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--point", nargs=3, type=int, metavar=("MODELS", "BENCHMARKS", "DATES"))
    parser.add_argument("--quick", action="store_true", help="skip the 20,000-model and largest points")
    args = parser.parse_args()
    if args.point:
        print(json.dumps(run_point(*args.point)))
        return
    points = sorted({p for axis in GRID.values() for p in axis} | set(SWITCH)
                    | ({LARGEST} if not args.quick else set()))
    if args.quick:
        points = [p for p in points if p[0] < 20_000]
    results = {}
    print(f"{'models':>7} {'bench':>6} {'dates':>6} {'wall s':>8} {'cpu s':>8} {'peak MiB':>9}  "
          f"(base MiB)  correlations")
    for point in points:
        r = results[point] = measure(point)
        print(f"{r['models']:>7} {r['benchmarks']:>6} {r['dates']:>6} {r['seconds']:>8.2f} "
              f"{r['cpu_seconds']:>8.2f} {r['peak_mib']:>9.0f}  ({r['baseline_mib']:.0f})  "
              f"{r['correlations']}", flush=True)
    print(json.dumps({"points": list(results.values())}), file=sys.stderr)
    keys = {"models": "models", "benchmarks": "benchmarks", "as-of dates": "dates"}
    figures = []
    for axis, grid in GRID.items():
        key = keys[axis]
        along = [results[p] for p in grid if p in results and results[p][key] >= FIT_FROM[axis]]
        wall, cpu = slope(along, key, "seconds"), slope(along, key, "cpu_seconds")
        figures.append(Figure(f"growth exponent in {axis} ({along[0][key]}..{along[-1][key]}), wall; CPU",
                              wall, "", peer=cpu, peer_name="CPU",
                              target="<= 1 (linear; + log for the rank sort)", met=min(wall, cpu) <= 1.1))
    slowest = max(
        (results[p] for axis in GRID.values() for p in axis if p in results), key=lambda r: r["seconds"])
    figures.append(Figure(f"slowest grid point ({slowest['models']} x {slowest['benchmarks']} x {slowest['dates']}),"
                          " wall; CPU", slowest["seconds"], "s", peer=slowest["cpu_seconds"], peer_name="CPU",
                          target=f"every point < {POINT_SECONDS:.0f} s (idle machine)",
                          met=slowest["seconds"] < POINT_SECONDS))
    for axis, grid in GRID.items():
        along = [results[p] for p in grid if p in results]
        for clock in ("seconds", "cpu_seconds"):
            drops = [f"{a[keys[axis]]}->{b[keys[axis]]}" for a, b in zip(along, along[1:], strict=False)
                     if b[clock] < a[clock]]
            figures.append(Figure(f"monotone in {axis} ({'wall' if clock == 'seconds' else 'CPU'}): "
                                  f"cheaper points {', '.join(drops) or 'none'}", len(drops), "",
                                  target="0 (more work never costs less)", met=not drops))
    switch = [results[p] for p in SWITCH]
    drops = [f"{a['models']}->{b['models']}" for a, b in zip(switch, switch[1:], strict=False)
             if b["cpu_seconds"] < a["cpu_seconds"]]
    figures.append(Figure(
        "switch: " + " / ".join(f"{r['models']:,}" for r in switch) + " models x 300 x 6, wall "
        + " / ".join(f"{r['seconds']:.1f}" for r in switch) + " s, CPU "
        + " / ".join(f"{r['cpu_seconds']:.1f}" for r in switch)
        + f" s: cheaper points (CPU) {', '.join(drops) or 'none'}",
        len(drops), "", target="0 (monotone in models across EXACT_MAX_MODELS)", met=not drops))
    target = results[TARGET]
    figures += [
        Figure("10,000 models x 300 benchmarks x 36 dates x 1,000 resamples, wall; CPU", target["seconds"], "s",
               peer=target["cpu_seconds"], peer_name="CPU", target=f"<= {LIMIT_SECONDS:.0f} s",
               met=target["seconds"] <= LIMIT_SECONDS),
        Figure("  same point, peak memory", target["peak_mib"], "MiB", target=f"<= {LIMIT_MIB:.0f} MiB",
               met=target["peak_mib"] <= LIMIT_MIB),
    ]
    if LARGEST in results:
        largest = results[LARGEST]
        figures += [Figure("20,000 x 500 x 60 x 1,000", largest["seconds"], "s"),
                    Figure("  same point, peak memory", largest["peak_mib"], "MiB")]
    emit(f"2. Scaling on synthetic leaderboards ({RESAMPLES} resamples, {os.cpu_count()} cores)", figures)


if __name__ == "__main__":
    main()
