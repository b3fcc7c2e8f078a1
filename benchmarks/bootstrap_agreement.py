"""Figure 2b: the linearized bootstrap against the exact one, on the recorded data.

Every ``spearman_with_ci`` call a full recompute makes (all sources, model
sets, as-of dates, axes of a full replay database) is run three ways on the
same resamples: exact, linearized (first-order in the resample counts, what
the engine uses above ``EXACT_MAX_MODELS`` models), and, for comparison, a
weighted Pearson correlation of fixed full-sample ranks (the obvious matrix
product formulation, which ignores that ranks move with the resample).
Prints the largest interval-bound difference from the exact bootstrap by
number of models, and the time of each way.

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


def fixed_rank_rho(x, y, resamples: int, seed: int) -> np.ndarray:
    """Weighted Pearson r of fixed full-sample ranks: W @ [1, Rx, Rx^2, Ry, Ry^2, Rx Ry]."""
    from benchwatch.analysis.bootstrap import count_blocks

    k, n = y.order.shape
    rx, ry = x.ranks[0], y.ranks
    columns = np.vstack([np.ones(n), rx, rx * rx, ry, ry * ry, rx * ry])
    w = np.concatenate(count_blocks(n, resamples, seed, resamples)).astype(float)
    m = (w @ columns.T) / n
    mx, mxx = m[:, 1:2], m[:, 2:3]
    my, myy, mxy = m[:, 3:3 + k], m[:, 3 + k:3 + 2 * k], m[:, 3 + 2 * k:]
    with np.errstate(invalid="ignore", divide="ignore"):
        return (mxy - mx * my) / np.sqrt((mxx - mx * mx) * (myy - my * my))


def bounds(benchmarks: np.ndarray, axis: np.ndarray, resamples: int, seed: int, level: float,
           clocks: dict[str, float]) -> pd.DataFrame:
    """Interval bounds of every column group computed the three ways."""
    from benchwatch.analysis.bootstrap import exact_rho, linearized_rho, sort_columns
    from benchwatch.analysis.method import MIN_PAIRS, _group_columns_by_mask

    usable = np.isfinite(benchmarks) & np.isfinite(axis)[:, None]
    tail = (1 - level) / 2
    rows = []
    for columns in _group_columns_by_mask(usable).values():
        keep = np.flatnonzero(usable[:, columns[0]])
        if len(keep) < MIN_PAIRS:
            continue
        x = sort_columns(axis[keep][:, None])
        y = sort_columns(benchmarks[np.ix_(keep, columns)])
        q = {}
        for way, fn in (("exact", exact_rho), ("linearized", linearized_rho), ("fixed ranks", fixed_rank_rho)):
            start = time.perf_counter()
            boot = fn(x, y, resamples, seed)
            clocks[way] = clocks.get(way, 0.0) + time.perf_counter() - start
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                q[way] = np.nanquantile(boot, [tail, 1 - tail], axis=0)
        for j in range(len(columns)):
            rows.append({"n": len(keep), **{way: float(np.nanmax(np.abs(q[way][:, j] - q["exact"][:, j])))
                                             for way in ("linearized", "fixed ranks")}})
    return pd.DataFrame(rows)


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
    with replay_inputs(args.db, settings.asof_frequency) as (_, work):
        calls = []
        original = engine.spearman_with_ci

        def recording(benchmarks, axis, *rest, **options):
            calls.append((benchmarks.copy(), axis.copy()))
            return original(benchmarks, axis, 0, params.seed, params.ci_level)

        engine.spearman_with_ci = recording
        registry = load_registry()
        try:
            for name, history, pooled, dates in work:
                analyze_source(name, history, registry, pooled, dates, params)
        finally:
            engine.spearman_with_ci = original
        clocks: dict[str, float] = {}
        frame = pd.concat([bounds(b, a, params.resamples, params.seed, params.ci_level, clocks)
                           for b, a in calls], ignore_index=True)
        frame["models"] = pd.cut(frame["n"], BUCKETS)
        by_size = frame.groupby("models", observed=True).agg(
            correlations=("n", "size"), linearized=("linearized", "max"), fixed_ranks=("fixed ranks", "max"))
        print("largest |bound - exact bound| by number of models:")
        print(by_size.to_string(float_format=lambda v: f"{v:.4f}"))
        print("seconds: " + ", ".join(f"{k} {v:.2f}" for k, v in clocks.items()))
        used = frame[frame["n"] > EXACT_MAX_MODELS]
        worst = float(used["linearized"].max()) if len(used) else 0.0
        worst_fixed = float(used["fixed ranks"].max()) if len(used) else 0.0
        emit("2b. Linearized vs exact bootstrap on the recorded data (same resamples)", [
            Figure(f"max |bound diff|, linearized, n > {EXACT_MAX_MODELS} ({len(used)} correlations)", worst, "",
                   target="<= 0.01", met=worst <= 0.01),
            Figure(f"  same, fixed-rank weighted Pearson (not used), n > {EXACT_MAX_MODELS}", worst_fixed, ""),
            Figure("max |bound diff|, linearized, every n (not used below the threshold)",
                   float(frame["linearized"].max()), ""),
            Figure("time of every bootstrap, linearized", clocks["linearized"], "s", peer=clocks["exact"],
                   peer_name="exact", ratio=clocks["exact"] / clocks["linearized"]),
        ])


if __name__ == "__main__":
    main()
