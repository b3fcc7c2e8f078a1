"""The drift test's false-positive rate on series with no change, over many seeds.

Each null series: models with a capability score and a safety score
correlated at the same rho at two as-of dates (the later date adds new
models, as a leaderboard does), so any detected rise is a false positive.
``analysis.drift.rho_change`` tests each; the script prints, per (n, rho),
the share with p <= the nominal level (the test's own size, which must be at
most nominal), and the share the drift rule would fire on (p-value's
Benjamini-Hochberg q <= the level across the series, and a rise of at least
``--rise``).

    python benchmarks/drift_null.py [--seeds 400] [--resamples 1000] [--level 0.05] [--rise 0.20]
"""

from __future__ import annotations

import argparse

import numpy as np
from common import Figure, emit

from benchwatch.analysis.drift import rho_change
from benchwatch.analysis.multiplicity import bh_qvalues


def null_series(seed: int, n_both: int, n_new: int, rho: float) -> tuple[np.ndarray, ...]:
    """(x_from, y_from, x_to, y_to) over the union of models; the correlation is rho at both dates."""
    rng = np.random.default_rng(seed)
    n = n_both + n_new
    x = rng.normal(size=n)
    y_from = rho * x + np.sqrt(1 - rho * rho) * rng.normal(size=n)
    y_to = rho * x + np.sqrt(1 - rho * rho) * rng.normal(size=n)
    known = np.arange(n) < n_both
    return np.where(known, x, np.nan), np.where(known, y_from, np.nan), x, y_to


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=400)
    parser.add_argument("--resamples", type=int, default=1000)
    parser.add_argument("--level", type=float, default=0.05)
    parser.add_argument("--rise", type=float, default=0.20)
    args = parser.parse_args()
    figures = []
    for n_both, n_new in ((15, 5), (30, 10), (100, 30)):
        for rho in (0.0, 0.5, 0.8):
            tests = [rho_change(*null_series(seed, n_both, n_new, rho), args.resamples, seed)
                     for seed in range(args.seeds)]
            p = np.array([t.p for t in tests])
            changes = np.array([t.change for t in tests])
            size = float(np.mean(p <= args.level))
            fired = float(np.mean((bh_qvalues(p) <= args.level) & (changes >= args.rise)))
            label = f"n={n_both}+{n_new} rho={rho}"
            figures.append(Figure(f"{label}: share p <= {args.level}", size, "", target=f"<= {args.level}",
                                  met=size <= args.level))
            figures.append(Figure(f"{label}: share the rule fires", fired, "", target=f"<= {args.level}",
                                  met=fired <= args.level))
    emit(f"Drift test on null series ({args.seeds} seeds, {args.resamples} resamples)", figures)


if __name__ == "__main__":
    main()
