"""Figure 1: the analysis engine against what a researcher would write in a notebook.

Same inputs (every source, model set and as-of date of a full replay
database, from ``history_frame`` + ``known_on`` + ``oriented_matrix`` /
``model_sets``), same seeds: the reference computes PC1 with pandas and
``scipy.stats.spearmanr``, then for every benchmark ``spearmanr`` on the
pairs and a Python loop over the resamples
``default_rng(seed).integers(0, n, (resamples, n))``. Prints the speed ratio,
and how far apart the numbers are: the point estimates must be identical;
the intervals are identical where the engine's bootstrap is exact and within
0.01 where it is linearized (above ``EXACT_MAX_MODELS`` models).

    python benchmarks/analysis_vs_reference.py [--db PATH] [--resamples N]
"""

from __future__ import annotations

import argparse
import shutil
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
from scipy.stats import spearmanr

KEYS = ["source", "model_set", "axis", "benchmark", "as_of"]


def reference_pc1(capabilities: pd.DataFrame) -> pd.Series | None:
    """The paper's PC1 as a notebook would compute it (drop rule: complete rows)."""
    informative = (capabilities.notna().sum() > 1) & (capabilities.max() - capabilities.min() > 0)
    caps = capabilities.loc[:, informative]
    if caps.shape[1] < 2:
        return None
    z = ((caps - caps.mean()) / caps.std(ddof=0)).dropna()
    if len(z) < 3:
        return None
    corr = np.atleast_2d(spearmanr(z.to_numpy()).statistic)
    if corr.shape == (1, 1):  # spearmanr returns a scalar for two columns
        corr = np.array([[1.0, corr[0, 0]], [corr[0, 0], 1.0]])
    _, vectors = np.linalg.eigh(corr)
    pc1 = vectors[:, -1]
    pc1 = pc1 if pc1[np.argmax(np.abs(pc1))] > 0 else -pc1
    return pd.Series(z.to_numpy() @ pc1, index=z.index)


def reference_correlation(y: np.ndarray, x: np.ndarray, resamples: int, seed: int,
                          level: float) -> tuple[float, float, float]:
    """spearmanr on the pairs, then a Python loop over the resamples."""
    rho = spearmanr(y, x).statistic
    draws = np.random.default_rng(seed).integers(0, len(y), size=(resamples, len(y)))
    boot = [spearmanr(y[d], x[d]).statistic for d in draws]
    tail = (1 - level) / 2
    low, high = np.nanquantile(boot, [tail, 1 - tail]) if resamples else (np.nan, np.nan)
    return rho, low, high


def reference_source(source: str, history: pd.DataFrame, registry: pd.DataFrame, pooled: bool,
                     dates: list, resamples: int, seed: int, level: float) -> pd.DataFrame:
    from benchwatch.analysis.engine import model_sets, oriented_matrix
    from benchwatch.analysis.history import known_on

    registry = registry[registry["source"] == source]
    category = registry.set_index("column")["category"]
    rows = []
    for as_of in dates:
        known = known_on(history, as_of)
        if known.empty:
            continue
        wide_all = oriented_matrix(known, registry)
        for set_name, members in model_sets(known.drop_duplicates("model"), pooled).items():
            wide = wide_all.loc[wide_all.index.intersection(members)]
            kind = category.reindex(wide.columns)
            targets = wide.loc[:, kind.isin(["safety", "other"]).to_numpy()]
            axes = {}
            pc1 = reference_pc1(wide.loc[:, (kind == "capability").to_numpy()])
            if pc1 is not None:
                axes["pc1"] = pc1
            compute = wide.loc[:, (kind == "compute").to_numpy()]
            if compute.shape[1]:
                axes["compute"] = compute.iloc[:, 0].dropna()
            for axis, vector in axes.items():
                aligned = vector.reindex(targets.index)
                for column in targets.columns:
                    pairs = targets[column].notna() & aligned.notna()
                    n = int(pairs.sum())
                    rho = low = high = np.nan
                    if n >= 3:
                        rho, low, high = reference_correlation(
                            targets[column][pairs].to_numpy(float), aligned[pairs].to_numpy(float),
                            resamples, seed, level)
                    rows.append((source, set_name, axis, column, as_of, rho, low, high, n))
    return pd.DataFrame(rows, columns=[*KEYS, "rho", "ci_low", "ci_high", "n"])


def inputs(con: duckdb.DuckDBPyConnection, frequency: str) -> list[tuple]:
    from benchwatch.analysis.history import asof_dates
    from benchwatch.sources import SOURCES
    from benchwatch.storage import observations as obs

    out = []
    for name, cls in SOURCES.items():
        span = obs.data_span(con, name)
        if span is not None:
            dates = asof_dates(span[0].date(), span[1].date(), frequency)
            out.append((name, obs.history_frame(con, name), cls.pooled, dates))
    return out


@contextmanager
def replay_inputs(db: Path | None, frequency: str) -> Iterator[tuple[Path, list[tuple]]]:
    """A full replay database (``db``, or one built in a temporary folder) and its analysis inputs."""
    with tempfile.TemporaryDirectory() as tmp:
        if db is None:
            db = Path(tmp) / "replay.duckdb"
            print("building a full replay database ...", file=sys.stderr)
            replay_database(db)
        con = duckdb.connect(str(db), read_only=True)
        work = inputs(con, frequency)
        con.close()
        yield db, work


def full_recompute_seconds(db: Path, resamples: int) -> float:
    """``run_analysis(force=True)`` on a copy: every axis (cross-source too) and the write."""
    from benchwatch.pipeline.analyze import run_analysis
    from benchwatch.settings import load_settings
    from benchwatch.storage.db import connect

    with tempfile.TemporaryDirectory() as tmp:
        copy = Path(tmp) / "copy.duckdb"
        shutil.copyfile(db, copy)
        settings = load_settings(db=copy, bootstrap_resamples=resamples)
        con = connect(copy)
        with stopwatch() as clock:
            run_analysis(con, settings, force=True)
        con.close()
    return clock["wall"]


def main() -> None:
    from benchwatch.analysis.engine import Params, analyze_source
    from benchwatch.analysis.method import EXACT_MAX_MODELS
    from benchwatch.registry import load_registry
    from benchwatch.settings import load_settings

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", type=Path, help="a full replay database (built if omitted)")
    parser.add_argument("--resamples", type=int)
    args = parser.parse_args()
    settings = load_settings()
    resamples = args.resamples if args.resamples is not None else settings.bootstrap_resamples
    params = Params(policy="drop", resamples=resamples, seed=settings.bootstrap_seed,
                    ci_level=settings.ci_level)
    with replay_inputs(args.db, settings.asof_frequency) as (db, work):
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
        full = full_recompute_seconds(db, resamples)

    both = engine.merge(reference, on=KEYS, suffixes=("", "_ref"), validate="one_to_one")
    missing = len(engine) + len(reference) - 2 * len(both)
    d_rho = float(np.nanmax(np.abs(both["rho"] - both["rho_ref"])))
    bounds = np.abs(np.r_[both["ci_low"] - both["ci_low_ref"], both["ci_high"] - both["ci_high_ref"]])
    exact = np.r_[both["n"] <= EXACT_MAX_MODELS, both["n"] <= EXACT_MAX_MODELS]
    d_exact = float(np.nanmax(bounds[exact])) if exact.any() else 0.0
    d_linear = float(np.nanmax(bounds[~exact])) if (~exact).any() else 0.0
    ratio = reference_clock["wall"] / engine_clock["wall"]
    print(f"{len(both)} correlations compared ({missing} unmatched), "
          f"{int((both['n'] > EXACT_MAX_MODELS).sum())} with a linearized bootstrap; "
          f"CPU seconds: engine {engine_clock['cpu']:.1f}, reference {reference_clock['cpu']:.1f}")
    emit("1. Analysis engine vs a notebook reference (pandas + scipy, Python loop per resample)", [
        Figure(f"engine, all sources/sets/as-of dates, {resamples} resamples", engine_clock["wall"], "s",
               peer=reference_clock["wall"], peer_name="reference", ratio=ratio, target=">= 20x faster",
               met=ratio >= 20),
        Figure("max |rho - reference rho|", d_rho, "", target="identical (<= 1e-12)",
               met=d_rho <= 1e-12 and missing == 0),
        Figure(f"max |CI bound diff|, exact bootstrap (n <= {EXACT_MAX_MODELS})", d_exact, "",
               target="identical (<= 1e-9)", met=d_exact <= 1e-9),
        Figure(f"max |CI bound diff|, linearized (n > {EXACT_MAX_MODELS})", d_linear, "",
               target="<= 0.01", met=d_linear <= 0.01),
        Figure("full recompute incl. cross-source axes and write (pipeline.analyze)", full, "s"),
    ])


if __name__ == "__main__":
    main()
