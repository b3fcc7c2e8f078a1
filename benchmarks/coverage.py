"""Coverage of the nominal 95% interval around Spearman's rho, by simulation.

Draws bivariate samples, normal and heavy-tailed (bivariate t with 3 degrees
of freedom), at n in {10, 20, 30, 50, 100, 300} and population Spearman rho in
{0, 0.5, 0.8, 0.95}, and counts how often each candidate interval holds the
population value:

- ``percentile``: the 2.5th and 97.5th percentiles of the bootstrap rho;
- ``bca``: bias-corrected and accelerated (acceleration from the jackknife);
- ``fisher-bw``: Fisher z with Bonett and Wright's variance (1 + rho^2/2)/(n - 3);
- ``fisher-boot``: Fisher z with the bootstrap's robust SD of atanh(rho*);
- ``fisher-z``: Fisher z with the larger of the two (``analysis.intervals``, the engine's).

rho is the population *Spearman* value. For the normal the generating Pearson
correlation is 2 sin(pi rho / 6), which gives that Spearman value exactly; the
t copula differs, so the t draws use the Pearson parameter that gives the
target Spearman value, found once per cell by bisection on a 400,000-draw
sample (its Monte Carlo error, ~0.001, is far below a coverage cell's).

The bootstrap is the engine's own (``analysis.bootstrap.exact_rho`` and
``method.spearman_with_ci``): each repetition's pairs are ordered by x, so
the repetitions of a chunk are columns against one x and share the chunk's
resample counts (a fresh seed per chunk). A cell's coverage has a Monte Carlo
standard error of about sqrt(0.95 * 0.05 / reps) (0.007 at 1,000 reps).

    python benchmarks/coverage.py [--reps 1000] [--resamples 1000] [--chunk 100]
"""

from __future__ import annotations

import argparse
import functools
import time
from datetime import datetime, timezone

import numpy as np
from scipy.special import ndtr, ndtri

NS = (10, 20, 30, 50, 100, 300)
RHOS = (0.0, 0.5, 0.8, 0.95)
DISTRIBUTIONS = ("normal", "t3")
METHODS = ("percentile", "bca", "fisher-bw", "fisher-boot", "fisher-z")
LEVEL = 0.95
TARGET = 0.93


def draw(dist: str, pearson: float, size: tuple[int, ...], rng: np.random.Generator) -> tuple[np.ndarray, ...]:
    """x, y of bivariate normal or t(3) draws with correlation parameter ``pearson``."""
    a = rng.normal(size=size)
    b = pearson * a + np.sqrt(1.0 - pearson**2) * rng.normal(size=size)
    if dist == "t3":
        scale = np.sqrt(rng.chisquare(3, size=size) / 3.0)
        a, b = a / scale, b / scale
    return a, b


@functools.lru_cache(maxsize=None)
def population_spearman(dist: str, pearson: float, draws: int = 400_000) -> float:
    from scipy.stats import spearmanr

    x, y = draw(dist, pearson, (draws,), np.random.default_rng(12345))
    return float(spearmanr(x, y).statistic)


@functools.lru_cache(maxsize=None)
def pearson_for(dist: str, spearman: float) -> float:
    """The generating correlation parameter whose population Spearman rho is ``spearman``."""
    normal = 2.0 * np.sin(np.pi * spearman / 6.0)
    if dist == "normal" or spearman == 0.0:
        return float(normal)
    low, high = 0.0, 0.9999
    for _ in range(20):
        mid = (low + high) / 2.0
        low, high = (mid, high) if population_spearman(dist, mid) < spearman else (low, mid)
    return (low + high) / 2.0


def jackknife(rx: np.ndarray, ry: np.ndarray) -> np.ndarray:
    """(n, k) leave-one-out Spearman rho of untied rank columns ``ry`` (n, k) against ranks ``rx`` (n,)."""
    n = len(rx)
    m = n - 1
    drop_x = (rx[None, :] > rx[:, None]).astype(float)  # (i, j): rank j falls by one when i is left out
    drop_y = (ry[None, :, :] > ry[:, None, :]).astype(float)  # (i, j, k)
    d = (rx[None, :, None] - drop_x[:, :, None]) - (ry[None, :, :] - drop_y)
    d[np.arange(n), np.arange(n), :] = 0.0
    return 1.0 - 6.0 * (d**2).sum(axis=1) / (m * (m * m - 1.0))


def bca(rho: np.ndarray, boot: np.ndarray, jack: np.ndarray, level: float) -> tuple[np.ndarray, np.ndarray]:
    """BCa bounds per column from the (B, k) bootstrap and (n, k) jackknife values."""
    below = (boot < rho).mean(axis=0) + 0.5 * (boot == rho).mean(axis=0)
    z0 = ndtri(np.clip(below, 1e-6, 1 - 1e-6))
    dev = jack.mean(axis=0) - jack
    with np.errstate(invalid="ignore", divide="ignore"):
        a = np.nan_to_num((dev**3).sum(axis=0) / (6.0 * ((dev**2).sum(axis=0)) ** 1.5))
    ordered = np.sort(boot, axis=0)
    bounds = []
    for z in (ndtri((1 - level) / 2), ndtri(1 - (1 - level) / 2)):
        alpha = ndtr(z0 + (z0 + z) / (1.0 - a * (z0 + z)))
        bounds.append(np.array([np.quantile(ordered[:, j], alpha[j]) for j in range(ordered.shape[1])]))
    return bounds[0], bounds[1]


def intervals(x: np.ndarray, ys: np.ndarray, resamples: int, seed: int) -> dict[str, tuple[np.ndarray, ...]]:
    """Every candidate's bounds for each column of ``ys`` (n, k) against the sorted ``x``."""
    from benchwatch.analysis.bootstrap import exact_rho, sort_columns
    from benchwatch.analysis.intervals import (
        bonett_wright_se,
        bootstrap_se,
        critical_value,
        fisher_interval,
        fisher_z,
    )
    from benchwatch.analysis.method import spearman_with_ci

    n = len(x)
    rho = spearman_with_ci(ys, x, 0, seed)["rho"].to_numpy()
    sx, sy = sort_columns(x[:, None]), sort_columns(ys)
    boot = exact_rho(sx, sy, resamples, seed)  # what spearman_with_ci resamples at these n
    engine = fisher_interval(rho, np.full(len(rho), n), boot, LEVEL)
    out = {"fisher-z": (engine.low, engine.high)}
    out["percentile"] = tuple(np.quantile(boot, [(1 - LEVEL) / 2, 1 - (1 - LEVEL) / 2], axis=0))
    out["bca"] = bca(rho, boot, jackknife(sx.ranks[0], sy.ranks.T), LEVEL)
    c, z = critical_value(LEVEL), fisher_z(rho)
    for name, se in (("fisher-bw", bonett_wright_se(rho, n)), ("fisher-boot", bootstrap_se(boot))):
        out[name] = (np.tanh(z - c * se), np.tanh(z + c * se))
    return out


def coverage(dist: str, n: int, spearman: float, reps: int, resamples: int, chunk: int, seed: int) -> dict[str, float]:
    rng = np.random.default_rng(seed)
    pearson = pearson_for(dist, spearman)
    target = spearman if dist == "normal" else population_spearman(dist, pearson)
    hits = dict.fromkeys(METHODS, 0)
    for start in range(0, reps, chunk):
        k = min(chunk, reps - start)
        a, b = draw(dist, pearson, (n, k), rng)
        order = np.argsort(a, axis=0)
        ys = np.take_along_axis(b, order, axis=0)
        found = intervals(np.arange(n, dtype=float), ys, resamples, seed * 1000 + start)
        for name, (low, high) in found.items():
            hits[name] += int(((low <= target) & (target <= high)).sum())
    return {name: hits[name] / reps for name in METHODS}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--reps", type=int, default=1000)
    parser.add_argument("--resamples", type=int, default=1000)
    parser.add_argument("--chunk", type=int, default=100)
    args = parser.parse_args()
    started = time.perf_counter()
    stamp = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    print(f"Coverage of the nominal {LEVEL:.0%} interval, {args.reps} repetitions x {args.resamples} resamples "
          f"per cell, {stamp}; rho = population Spearman")
    header = f"| data | n | rho | {' | '.join(METHODS)} |"
    print(header)
    print("|" + "---|" * (3 + len(METHODS)))
    worst = dict.fromkeys(METHODS, 1.0)
    for d, dist in enumerate(DISTRIBUTIONS):
        for n in NS:
            for i, spearman in enumerate(RHOS):
                seed = 10_000 * d + 100 * n + i + 1
                cell = coverage(dist, n, spearman, args.reps, args.resamples, args.chunk, seed)
                worst = {m: min(worst[m], cell[m]) for m in METHODS}
                print(f"| {dist} | {n} | {spearman:.2f} | " + " | ".join(f"{cell[m]:.3f}" for m in METHODS) + " |",
                      flush=True)
    print("| worst cell | | | " + " | ".join(f"{worst[m]:.3f}" for m in METHODS) + " |")
    met = [m for m in METHODS if worst[m] >= TARGET]
    print(f"methods with every cell >= {TARGET}: {', '.join(met) or 'none'}")
    print(f"run time {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
