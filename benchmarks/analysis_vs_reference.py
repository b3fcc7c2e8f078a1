"""Figure 1: the analysis engine against what a researcher would write in a notebook.

Same inputs (the model sets and as-of dates of a full replay database
chosen below, from ``history_frame`` + ``known_on`` + ``oriented_matrix`` /
``model_sets``), same seeds, the method as DESIGN.md states it: the reference
computes PC1 with pandas and ``scipy.stats.spearmanr``; correlates every safety
and other column (not MACHIAVELLI's counts) with PC1, compute, and a calibration
metric's own accuracy; and loops in Python over the resamples
``default_rng(seed).integers(0, n, (resamples, n))``, re-fitting PC1 on each
resample's drawn models, for the Fisher-z interval (SE the larger of
Bonett-Wright's and the resamples' robust SD). Prints the speed ratio, and how
far apart the numbers are: the point estimates must be identical; the
intervals are identical where the engine's bootstrap is exact and within 0.01
where it is linearized. Which path a correlation took is the engine's own
rule: a fixed axis by its pairs n, a re-fitted PC1 by the models the
resamples draw from (the axis's models, ``len(models)`` here), each against
``EXACT_MAX_MODELS``; a PC1 correlation over 400 pairs of an axis of 900
models is linearized.

The units compared (source, model set, as-of date) are by default each
source's latest as-of date (``--dates latest``: the units a refresh
re-analyses when a source changes): the reference's Python loop re-fits PC1
and calls ``spearmanr`` for every column in every resample, about an hour and
a half for every date of the replay at 1,000 resamples on the project's
2-core machine, so ``run_all.py`` compares this fixed subset and both sides
do the same work on it. ``--dates all`` compares every date.

    python benchmarks/analysis_vs_reference.py [--db PATH] [--resamples N] [--dates latest|all]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
from common import Figure, emit, replay_database, stopwatch
from scipy.stats import norm, spearmanr

KEYS = ["source", "model_set", "axis", "benchmark", "as_of"]
NUMBERS = ["rho", "ci_low", "ci_high", "n"]
# The models a correlation's resamples draw from: the engine takes its exact bootstrap up to
# EXACT_MAX_MODELS of them (a fixed axis: the pairs; a re-fitted PC1: the axis's models).
POPULATION = "population"


def reference_pc1(capabilities: pd.DataFrame) -> tuple[pd.Series, pd.DataFrame] | None:
    """The paper's PC1 as a notebook would compute it (drop rule: complete rows): the scores and
    the z-scored matrix they come from."""
    informative = (capabilities.notna().sum() > 1) & (capabilities.max() - capabilities.min() > 0)
    caps = capabilities.loc[:, informative]
    if caps.shape[1] < 2:
        return None
    z = ((caps - caps.mean()) / caps.std(ddof=0)).dropna()
    if len(z) < 3:
        return None
    pc1 = leading_vector(z.to_numpy())
    return pd.Series(z.to_numpy() @ pc1, index=z.index), z


def leading_vector(matrix: np.ndarray) -> np.ndarray:
    """PC1 of the Spearman matrix of the columns, largest-magnitude loading positive (NaN if none)."""
    corr = np.atleast_2d(spearmanr(matrix).statistic)
    if corr.shape == (1, 1):  # spearmanr returns a scalar for two columns
        corr = np.array([[1.0, corr[0, 0]], [corr[0, 0], 1.0]])
    if not np.isfinite(corr).all():
        return np.full(matrix.shape[1], np.nan)
    pc1 = np.linalg.eigh(corr)[1][:, -1]
    return pc1 if pc1[np.argmax(np.abs(pc1))] > 0 else -pc1


def reference_interval(rho: float, n: int, boot: list[float], level: float) -> tuple[float, float]:
    """DESIGN.md's interval: Fisher's z of rho +- the normal critical value times the larger of
    Bonett-Wright's SE and the resamples' robust SD of atanh(rho*) (half their 15.9-84.1 percentile
    range), rho clipped to MAX_ABS_RHO; no interval without a finite resample."""
    from benchwatch.analysis.intervals import MAX_ABS_RHO, SPREAD_QUANTILES

    z = np.arctanh(np.clip(np.asarray(boot, dtype=float), -MAX_ABS_RHO, MAX_ABS_RHO))
    z = z[np.isfinite(z)]
    if not len(z):
        return np.nan, np.nan
    low, high = np.quantile(z, SPREAD_QUANTILES)
    se = (high - low) / 2
    if n > 3:
        se = max(se, np.sqrt((1 + rho**2 / 2) / (n - 3)))
    centre, c = np.arctanh(np.clip(rho, -MAX_ABS_RHO, MAX_ABS_RHO)), norm.ppf(1 - (1 - level) / 2)
    return np.tanh(centre - c * se), np.tanh(centre + c * se)


def reference_correlation(y: np.ndarray, x: np.ndarray, resamples: int, seed: int,
                          level: float) -> tuple[float, float, float]:
    """An axis taken as published: spearmanr on the pairs, then a Python loop over the resamples."""
    rho = spearmanr(y, x).statistic
    draws = np.random.default_rng(seed).integers(0, len(y), size=(resamples, len(y)))
    boot = [spearmanr(y[d], x[d]).statistic for d in draws]
    return (rho, *reference_interval(rho, len(y), boot, level)) if resamples else (rho, np.nan, np.nan)


def reference_refit(targets: pd.DataFrame, z: pd.DataFrame, scores: pd.Series, resamples: int, seed: int,
                    level: float) -> dict[str, tuple[float, float, float, int, int]]:
    """PC1 re-fitted in every resample: each draws the axis's models (``z``'s rows, in the targets'
    order), re-computes the Spearman matrix and PC1 on the drawn rows and the z-scores' scale, and
    correlates each column over the drawn models that have it. Per column: rho, the bounds, n and
    the models drawn from."""
    models = targets.index[targets.index.isin(z.index)]
    filled, values = z.loc[models].to_numpy(), targets.loc[models].to_numpy(float)
    draws = np.random.default_rng(seed).integers(0, len(models), size=(resamples, len(models)))
    boots: list[list[float]] = [[] for _ in targets.columns]
    for d in draws:
        drawn = filled[d]
        with np.errstate(invalid="ignore", divide="ignore"):
            resampled = filled @ (leading_vector(drawn) * filled.std(axis=0) / drawn.std(axis=0))
        for j in range(len(targets.columns)):
            has = np.isfinite(values[d, j])
            boots[j].append(spearmanr(values[d, j][has], resampled[d][has]).statistic)
    out = {}
    for j, column in enumerate(targets.columns):
        pairs = np.isfinite(values[:, j])
        n = int(pairs.sum())
        if n < 3:
            out[column] = (np.nan, np.nan, np.nan, n, len(models))
            continue
        rho = spearmanr(values[pairs, j], scores.loc[models].to_numpy()[pairs]).statistic
        bounds = reference_interval(rho, n, boots[j], level) if resamples else (np.nan, np.nan)
        out[column] = (rho, *bounds, n, len(models))
    return out


def reference_source(source: str, history: pd.DataFrame, registry: pd.DataFrame, pooled: bool,
                     dates: list, resamples: int, seed: int, level: float) -> pd.DataFrame:
    """DESIGN.md's method for one source: safety and other columns (not MACHIAVELLI's counts)
    against PC1 (re-fitted per resample), compute, and a calibration metric's own accuracy."""
    from benchwatch.analysis.engine import COUNT_SCALES, model_sets, oriented_matrix
    from benchwatch.analysis.history import known_on

    registry = registry[registry["source"] == source]
    info = registry.set_index("column")
    paired = info["paired_accuracy"].fillna("") if "paired_accuracy" in info else pd.Series(dtype=str)
    rows = []
    for as_of in dates:
        known = known_on(history, as_of)
        if known.empty:
            continue
        wide_all = oriented_matrix(known, registry)
        for set_name, members in model_sets(known.drop_duplicates("model"), pooled).items():
            wide = wide_all.loc[wide_all.index.intersection(members)]
            kind = info["category"].reindex(wide.columns)
            counts = info["scale"].reindex(wide.columns).isin(COUNT_SCALES) if "scale" in info else False
            targets = wide.loc[:, (kind.isin(["safety", "other"]) & ~counts).to_numpy()]
            keys = {"source": source, "model_set": set_name, "as_of": as_of}
            if targets.shape[1] == 0:
                continue
            pc1 = reference_pc1(wide.loc[:, (kind == "capability").to_numpy()])
            if pc1 is not None:
                for column, stats in reference_refit(targets, pc1[1], pc1[0], resamples, seed, level).items():
                    rows.append({**keys, "axis": "pc1", "benchmark": column,
                                 **dict(zip([*NUMBERS, POPULATION], stats, strict=True))})
            fixed = []
            compute = wide.loc[:, (kind == "compute").to_numpy()]
            if compute.shape[1]:
                fixed += [("compute", column, compute.iloc[:, 0]) for column in targets.columns]
            fixed += [("accuracy", column, wide[paired[column]]) for column in targets.columns
                      if paired.get(column, "") in wide.columns]
            for axis, column, vector in fixed:
                pairs = targets[column].notna() & vector.notna()
                n = int(pairs.sum())
                rho = low = high = np.nan
                if n >= 3:
                    rho, low, high = reference_correlation(
                        targets[column][pairs].to_numpy(float), vector[pairs].to_numpy(float),
                        resamples, seed, level)
                rows.append({**keys, "axis": axis, "benchmark": column, "rho": rho, "ci_low": low,
                             "ci_high": high, "n": n, POPULATION: n})
    return pd.DataFrame(rows, columns=[*KEYS, *NUMBERS, POPULATION])


def inputs(con: duckdb.DuckDBPyConnection, frequency: str, dates: str = "all") -> list[tuple]:
    """Per source: (name, its history, pooled, the as-of dates compared: every one, or the latest)."""
    from benchwatch.analysis.history import asof_dates
    from benchwatch.sources import SOURCES
    from benchwatch.storage import observations as obs

    out = []
    for name, cls in SOURCES.items():
        span = obs.data_span(con, name)
        if span is not None:
            every = asof_dates(span[0].date(), span[1].date(), frequency)
            out.append((name, obs.history_frame(con, name), cls.pooled, every if dates == "all" else every[-1:]))
    return out


@contextmanager
def replay_inputs(db: Path | None, frequency: str, dates: str) -> Iterator[tuple[Path, list[tuple]]]:
    """A full replay database (``db``, or one built in a temporary folder) and its analysis inputs."""
    with tempfile.TemporaryDirectory() as tmp:
        if db is None:
            db = Path(tmp) / "replay.duckdb"
            print("building a full replay database ...", file=sys.stderr)
            replay_database(db)
        con = duckdb.connect(str(db), read_only=True)
        work = inputs(con, frequency, dates)
        con.close()
        yield db, work


def main() -> None:
    from benchwatch.analysis.engine import Params, analyze_source
    from benchwatch.analysis.method import EXACT_MAX_MODELS
    from benchwatch.registry import load_registry
    from benchwatch.settings import load_settings

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", type=Path, help="a full replay database (built if omitted)")
    parser.add_argument("--resamples", type=int)
    parser.add_argument("--dates", choices=["latest", "all"], default="latest",
                        help="each source's latest as-of date (default) or every one")
    args = parser.parse_args()
    settings = load_settings()
    resamples = args.resamples if args.resamples is not None else settings.bootstrap_resamples
    params = Params(policy="drop", resamples=resamples, seed=settings.bootstrap_seed,
                    ci_level=settings.ci_level)
    with replay_inputs(args.db, settings.asof_frequency, args.dates) as (db, work):
        registry = load_registry()

        with stopwatch() as engine_clock:
            parts = [analyze_source(name, history, registry, pooled, dates, params)
                     for name, history, pooled, dates in work]
        engine = pd.concat([p.correlations for p in parts if len(p.correlations)], ignore_index=True)

        print(f"reference: {len(engine)} correlations x {resamples} resamples in a Python loop ...",
              file=sys.stderr)
        with stopwatch() as reference_clock, warnings.catch_warnings():
            warnings.simplefilter("ignore")
            reference = pd.concat([
                reference_source(name, history, registry, pooled, dates, resamples,
                                 params.seed, params.ci_level)
                for name, history, pooled, dates in work], ignore_index=True)

    both = engine.merge(reference, on=KEYS, suffixes=("", "_ref"), validate="one_to_one")
    missing = len(engine) + len(reference) - 2 * len(both)
    d_rho = float(np.nanmax(np.abs(both["rho"] - both["rho_ref"])))
    bounds = np.abs(np.r_[both["ci_low"] - both["ci_low_ref"], both["ci_high"] - both["ci_high_ref"]])
    exact = np.r_[both[POPULATION] <= EXACT_MAX_MODELS, both[POPULATION] <= EXACT_MAX_MODELS]
    d_exact = float(np.nanmax(bounds[exact])) if exact.any() else 0.0
    d_linear = float(np.nanmax(bounds[~exact])) if (~exact).any() else 0.0
    ratio = reference_clock["wall"] / engine_clock["wall"]
    units = both.drop_duplicates(["source", "model_set", "as_of"])
    shown = "; ".join(f"{r.source} {r.model_set} {r.as_of}" for r in units.itertuples())
    print(f"units compared ({args.dates} as-of date{'s' if args.dates == 'all' else ''} of each source): {shown}")
    print(f"{len(both)} correlations compared ({missing} unmatched), "
          f"{int((both[POPULATION] > EXACT_MAX_MODELS).sum())} with a linearized bootstrap; "
          f"CPU seconds: engine {engine_clock['cpu']:.1f}, reference {reference_clock['cpu']:.1f}")
    where = "every as-of date" if args.dates == "all" else "each source's latest as-of date"
    emit("1. Analysis engine vs a notebook reference (pandas + scipy, Python loop per resample)", [
        Figure(f"engine, {len(units)} units ({where}), {len(both)} correlations, {resamples} resamples",
               engine_clock["wall"], "s", peer=reference_clock["wall"], peer_name="reference", ratio=ratio,
               target=">= 50x faster", met=ratio >= 50),
        Figure("  the same in CPU seconds", engine_clock["cpu"], "s", peer=reference_clock["cpu"],
               peer_name="reference", ratio=reference_clock["cpu"] / engine_clock["cpu"]),
        Figure("max |rho - reference rho|", d_rho, "", target="identical (<= 1e-12)",
               met=d_rho <= 1e-12 and missing == 0),
        Figure(f"max |CI bound diff|, exact bootstrap (<= {EXACT_MAX_MODELS} models)", d_exact, "",
               target="identical (<= 1e-9)", met=d_exact <= 1e-9),
        Figure(f"max |CI bound diff|, linearized (> {EXACT_MAX_MODELS} models)", d_linear, "",
               target="<= 0.01", met=d_linear <= 0.01),
    ])


if __name__ == "__main__":
    main()
