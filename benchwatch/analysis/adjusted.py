"""Capability-adjusted safety: which models are safer than their capabilities predict.

The paper's recommendation made concrete: for a safety benchmark and a
capability axis, regress the benchmark on the axis and keep each model's
residual. The regression is rank-based, to match the Spearman correlations it
sits beside: both variables become percentile ranks, ``(rank - 0.5) / n``
with average ranks for ties, and an ordinary least-squares line is fitted to
them (``numpy.polyfit``). Its slope is then Spearman's rho (exactly, when
there are no ties), and a residual is
in percentile points of the benchmark: +0.20 means the model ranks 20 points
higher on safety than models of its capability rank do on average. Ranks make
the residual independent of each axis's scale (Elo, FLOP, an index) and of
monotone transforms such as log FLOP.

Pure: frames in, frames out.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from benchwatch.analysis.bootstrap import average_ranks
from benchwatch.analysis.method import MIN_PAIRS

METHOD = "rank-ols"
RESIDUAL_COLUMNS = ["model", "benchmark", "value", "axis_value", "value_rank", "axis_rank",
                    "fitted", "residual", "n"]


def percentile_ranks(values: np.ndarray) -> np.ndarray:
    """(average rank - 0.5) / n: evenly spread in (0, 1), ties share their mean."""
    return (average_ranks(values) - 0.5) / len(values)


def _fit(value: np.ndarray, axis: np.ndarray) -> dict[str, np.ndarray] | None:
    """Rank-on-rank least squares over paired finite values; None when there is no line."""
    if len(value) < MIN_PAIRS or np.unique(axis).size < 2:
        return None
    y = percentile_ranks(value)
    x = percentile_ranks(axis)
    slope, intercept = np.polyfit(x, y, 1)
    fitted = intercept + slope * x
    return {"value": value, "axis_value": axis, "value_rank": y, "axis_rank": x, "fitted": fitted,
            "residual": y - fitted, "n": np.full(len(value), len(value))}


def rank_residuals(values: pd.Series, axis: pd.Series) -> pd.DataFrame:
    """Residual of each model's benchmark rank after the rank-on-rank line, over models with both.

    Fewer than ``MIN_PAIRS`` models, or no spread in the axis, gives no rows:
    there is no line to be above or below.
    """
    both = pd.concat({"value": values, "axis_value": axis}, axis=1).dropna()
    fit = _fit(both["value"].to_numpy(dtype=float), both["axis_value"].to_numpy(dtype=float))
    if fit is None:
        return pd.DataFrame(columns=[c for c in RESIDUAL_COLUMNS if c != "benchmark"])
    return pd.DataFrame({"model": both.index, **fit})


def residuals_frame(benchmarks: pd.DataFrame, axes: dict[str, pd.Series]) -> pd.DataFrame:
    """Residuals of every benchmark column (models x benchmarks, oriented) on every axis.

    Returns long rows (axis, model, benchmark, value, axis_value, value_rank,
    axis_rank, fitted, residual, n), one per model with both values. The same
    fit as ``rank_residuals``, column by column on arrays.
    """
    values = benchmarks.to_numpy(dtype=float)
    models = benchmarks.index.to_numpy()
    parts: dict[str, list] = {c: [] for c in ["axis", *RESIDUAL_COLUMNS]}
    for axis_name, vector in axes.items():
        aligned = vector.reindex(benchmarks.index).to_numpy(dtype=float)
        for j, column in enumerate(benchmarks.columns):
            both = np.isfinite(values[:, j]) & np.isfinite(aligned)
            fit = _fit(values[both, j], aligned[both])
            if fit is None:
                continue
            parts["axis"].append(np.full(both.sum(), axis_name, dtype=object))
            parts["model"].append(models[both])
            parts["benchmark"].append(np.full(both.sum(), column, dtype=object))
            for key, array in fit.items():
                parts[key].append(array)
    if not parts["axis"]:
        return pd.DataFrame(columns=["axis", *RESIDUAL_COLUMNS])
    return pd.DataFrame({key: np.concatenate(arrays) for key, arrays in parts.items()})


def latest_residuals(frame: pd.DataFrame) -> pd.DataFrame:
    """Only the rows of each (source, model set, axis, benchmark)'s latest as-of date."""
    if frame.empty:
        return frame
    keys = ["source", "model_set", "axis", "benchmark"]
    newest = frame.groupby(keys)["as_of"].transform("max")
    return frame[frame["as_of"] == newest].reset_index(drop=True)


def rank_line(values: pd.Series, axis: pd.Series) -> pd.DataFrame:
    """The fitted rank-on-rank line drawn in the values' own units, for a scatter of the two.

    At each model's axis value: the benchmark value at the fitted percentile
    rank (the benchmark's empirical quantile). Its slope in ranks is the
    Spearman rho of the pair. Empty when there is no line (see ``rank_residuals``).
    """
    fit = rank_residuals(values, axis)
    if fit.empty:
        return pd.DataFrame(columns=["axis_value", "fitted_value"])
    quantile = np.clip(fit["fitted"].to_numpy(dtype=float), 0.0, 1.0)
    line = pd.DataFrame({"axis_value": fit["axis_value"].to_numpy(dtype=float),
                         "fitted_value": np.quantile(fit["value"].to_numpy(dtype=float), quantile)})
    return line.sort_values("axis_value", ignore_index=True)
