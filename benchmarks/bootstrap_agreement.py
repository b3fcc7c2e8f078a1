"""Figure 2b: the linearized bootstrap against the exact one, on the recorded data.

Every ``spearman_with_ci`` call the per-source analysis of a full recompute
makes (all sources, model sets, as-of dates, axes of a full replay database)
is run twice on the same resamples, as the engine computes an interval today:
the Fisher-z interval (``analysis.intervals``), with PC1 re-fitted in every
resample where the axis is fitted (``analysis.refit``), by the exact bootstrap
and by the linearized one (first-order in the resample counts, what the engine
uses above ``EXACT_MAX_MODELS`` models). Prints the largest interval-bound
difference by number of models, and the time of each way.

    python benchmarks/bootstrap_agreement.py [--db PATH]
"""

from __future__ import annotations

import argparse
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
from analysis_vs_reference import replay_inputs
from common import Figure, emit

BUCKETS = [2, 20, 50, 100, 200, 500, 1000, 2000, 10_000]
WAYS = ("exact", "linearized")


def bounds(benchmarks: np.ndarray, axis: np.ndarray, refit: np.ndarray | None, resamples: int, seed: int,
           level: float, clocks: dict[str, float]) -> pd.DataFrame:
    """Each column's n and its interval bounds' largest distance between the two ways."""
    from benchwatch.analysis.method import spearman_with_ci

    out = {}
    for way in WAYS:
        start = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            out[way] = spearman_with_ci(benchmarks, axis, resamples, seed, level, bootstrap=way, refit=refit)
        clocks[way] = clocks.get(way, 0.0) + time.perf_counter() - start
    exact, linear = out["exact"], out["linearized"]
    gap = np.fmax(np.abs(linear["ci_low"] - exact["ci_low"]), np.abs(linear["ci_high"] - exact["ci_high"]))
    return pd.DataFrame({"n": exact["n"], "refit": refit is not None, "linearized": gap}).dropna()


def main() -> None:
    from benchwatch.analysis import engine
    from benchwatch.analysis.engine import Params, analyze_source
    from benchwatch.analysis.method import EXACT_MAX_MODELS
    from benchwatch.registry import load_registry
    from benchwatch.settings import load_settings

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", type=Path, help="a full replay database (built if omitted)")
    args = parser.parse_args()
    settings = load_settings()
    params = Params(resamples=settings.bootstrap_resamples, seed=settings.bootstrap_seed,
                    ci_level=settings.ci_level)
    # The recorded data's bootstrap calls are captured while the temporary database exists.
    with replay_inputs(args.db, settings.asof_frequency, "all") as (_, work):
        calls = []
        original = engine.spearman_with_ci

        def recording(benchmarks, axis, *rest, refit=None, **options):
            calls.append((benchmarks.copy(), axis.copy(), None if refit is None else refit.copy()))
            return original(benchmarks, axis, 0, params.seed, params.ci_level, refit=refit)

        engine.spearman_with_ci = recording
        registry = load_registry()
        try:
            for name, history, pooled, dates in work:
                analyze_source(name, history, registry, pooled, dates, params)
        finally:
            engine.spearman_with_ci = original
        clocks: dict[str, float] = {}
        frame = pd.concat([bounds(b, a, r, params.resamples, params.seed, params.ci_level, clocks)
                           for b, a, r in calls], ignore_index=True)
        frame["models"] = pd.cut(frame["n"], BUCKETS)
        by_size = frame.groupby(["models", "refit"], observed=True).agg(
            correlations=("n", "size"), linearized=("linearized", "max"))
        print("largest |bound - exact bound| (Fisher-z interval) by number of models and axis re-fit:")
        print(by_size.to_string(float_format=lambda v: f"{v:.4f}"))
        print("seconds: " + ", ".join(f"{k} {v:.2f}" for k, v in clocks.items()))
        used = frame[frame["n"] > EXACT_MAX_MODELS]
        worst = float(used["linearized"].max()) if len(used) else 0.0
        emit("2b. Linearized vs exact bootstrap on the recorded data (same resamples, Fisher-z, re-fit PC1)", [
            Figure(f"max |bound diff|, linearized, n > {EXACT_MAX_MODELS} ({len(used)} correlations)", worst, "",
                   target="<= 0.01", met=worst <= 0.01),
            Figure("max |bound diff|, linearized, every n (not used below the threshold)",
                   float(frame["linearized"].max()), ""),
            Figure("time of every bootstrap, linearized", clocks["linearized"], "s", peer=clocks["exact"],
                   peer_name="exact", ratio=clocks["exact"] / clocks["linearized"]),
        ])


if __name__ == "__main__":
    main()
