"""Check one benchmark against every stored capability axis: the paper's test on a file.

Pure: the benchmark's values per canonical id in, the stored axes in
(``storage.results.latest_axis_scores``: each (source, model set, axis) at its
latest as-of date), rho with its bootstrap interval, n, class and verdict out.

The numbers are the analysis's own: ``method.spearman_with_ci`` over the
models the benchmark and the axis share, in the order the analysis uses
(canonical id for the cross-source axes, the source's model name for a
source's own ``pc1``), so a benchmark a source publishes gets exactly the
rho, interval and n ``benchwatch correlations`` shows for it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from benchwatch import numbers
from benchwatch.analysis.classes import CORRELATED, INVERSE, POSSIBLY, SEPARABLE, TOO_FEW, TRACKING, Bands
from benchwatch.analysis.engine import AXIS_PC1
from benchwatch.analysis.method import MIN_PAIRS, spearman_with_ci
from benchwatch.analysis.signals import SIGNAL_COLUMNS, SignalContext, row_signals
from benchwatch.analysis.units import GROUP_AXES, group_release, one_point_per_group

AXIS_KEYS = ["source", "model_set", "axis"]
RESULT_COLUMNS = ["axis", "axis_source", "model_set", "as_of", "rho", "ci_low", "ci_high", "n",
                  "class", "verdict", *SIGNAL_COLUMNS]


@dataclass(frozen=True)
class CheckParams:
    """The analysis settings a check uses: the same as the stored correlations'."""

    resamples: int
    seed: int
    ci_level: float
    min_models: int
    bands: Bands
    # Half-samples behind rho's subset band (setting ``subset_samples``), as the analysis uses.
    subsets: int = 200


def _ordered(shared: pd.DataFrame, axis: str) -> pd.DataFrame:
    return shared.sort_values("model" if axis == AXIS_PC1 else "canonical_id", kind="stable")


def shared_models(values: pd.DataFrame, axis_rows: pd.DataFrame) -> pd.DataFrame:
    """The models a benchmark and one stored axis share, in the analysis's order:
    (canonical_id, model as the axis stored it, value, score)."""
    axis_rows = axis_rows.drop_duplicates("canonical_id")
    shared = axis_rows.merge(values[["canonical_id", "value"]], on="canonical_id", how="inner")
    shared = shared[np.isfinite(shared["value"].to_numpy(float)) & np.isfinite(shared["score"].to_numpy(float))]
    return _ordered(shared, str(axis_rows["axis"].iloc[0]))[["canonical_id", "model", "value", "score"]]


def as_points(values: pd.DataFrame, axis_rows: pd.DataFrame, groups: pd.Series | None = None) -> pd.DataFrame:
    """The independent points one axis row correlates (point, value, score, members), in the analysis's order.

    Against an axis fitted once per model group (ECI) a group is one point, as in the stored
    correlations (``analysis.units``): its value is the mean over the group's models that have one,
    as there, whether or not the axis scores each of them; so a check's n, rho and signals are the
    analysis's. ``members`` names the canonical ids behind each point. ``groups``: canonical id ->
    model group.
    """
    shared = shared_models(values, axis_rows)
    if groups is None or shared.empty or str(axis_rows["axis"].iloc[0]) not in GROUP_AXES:
        ids = shared["canonical_id"].to_numpy()
        return pd.DataFrame({"point": ids, "value": shared["value"].to_numpy(),
                             "score": shared["score"].to_numpy(), "members": ids})
    targets = values.drop_duplicates("canonical_id").set_index("canonical_id")[["value"]]
    scores = axis_rows.drop_duplicates("canonical_id").set_index("canonical_id")["score"]
    point_values, point_scores, members = one_point_per_group(targets, scores, groups)
    both = np.isfinite(point_values["value"].to_numpy(float)) & np.isfinite(point_scores.to_numpy(float))
    return pd.DataFrame({"point": point_values.index[both], "value": point_values["value"].to_numpy()[both],
                         "score": point_scores.to_numpy()[both], "members": members.to_numpy()[both]})


def check_axes(values: pd.DataFrame, axes: pd.DataFrame, params: CheckParams,
               release: pd.Series | None = None, groups: pd.Series | None = None) -> pd.DataFrame:
    """One row per stored axis sharing at least ``MIN_PAIRS`` models with the benchmark, with the
    signals beside rho (``analysis.signals``; no saturation: a file states no scale).

    An axis sharing fewer than ``min_models`` gets rho and n only: no interval,
    no class, and a verdict saying how many more models it needs.
    ``values``: canonical_id, value (oriented: higher = safer), model_set (or None: any set).
    ``release``: canonical id -> release date, where known. ``groups``: canonical id -> model
    group, for the axes scored once per group (``as_points``).
    """
    context = SignalContext() if release is None else SignalContext(release=release)
    group_context = context if groups is None else SignalContext(release=group_release(context.release, groups))
    rows = []
    for (source, model_set, axis), group in axes.groupby(AXIS_KEYS, sort=True):
        mine = values[values["model_set"].isna() | (values["model_set"] == model_set)]
        points = as_points(mine, group, groups).set_index("point")
        point_context = group_context if groups is not None and axis in GROUP_AXES else context
        if len(points) < MIN_PAIRS:
            continue
        enough = len(points) >= params.min_models
        stats = spearman_with_ci(points[["value"]].to_numpy(float), points["score"].to_numpy(float),
                                 params.resamples if enough else 0, params.seed, params.ci_level).join(
            row_signals(points[["value"]], points["score"], point_context, params.subsets, params.seed)).iloc[0]
        rho = float(stats["rho"])
        row = {"axis": axis, "axis_source": source, "model_set": model_set,
               "as_of": group["as_of"].iloc[0], "rho": rho, "ci_low": float(stats["ci_low"]),
               "ci_high": float(stats["ci_high"]), "n": int(stats["n"]),
               "class": params.bands.label(rho, stats["ci_low"], stats["ci_high"], int(stats["n"]),
                                           params.min_models),
               **{c: stats[c] for c in SIGNAL_COLUMNS}}
        row["verdict"] = verdict(row, params)
        rows.append(row)
    frame = pd.DataFrame(rows, columns=RESULT_COLUMNS)
    return frame.sort_values(["n", "axis", "axis_source"], ascending=[False, True, True],
                             kind="stable").reset_index(drop=True)


MEANING = {
    TRACKING: "it mostly measures general capabilities: more capable models score higher, so "
              "progress on it is not evidence of safety progress (the paper's safetywashing case)",
    CORRELATED: "it partly tracks capabilities: report it beside a capabilities score, or its "
                "capability-adjusted residuals",
    SEPARABLE: "it measures something the capabilities score does not predict: it looks separable "
               "from capabilities, as a safety benchmark should",
    INVERSE: "more capable models score worse on it: it moves against capabilities",
}


def verdict(row: dict, params: CheckParams) -> str:
    """A plain-language reading of one axis row: the class, what it means, how sure it is."""
    cls, rho = row["class"], row["rho"]
    if cls is None or math.isnan(rho):
        return "no correlation: the scores or the axis do not vary over these models"
    if cls == TOO_FEW:
        return (f"too few models on {row['axis']} (rho x100 {numbers.rho(rho)} over {row['n']} models): "
                "no interval and no "
                f"class below min_models = {params.min_models}; it needs {params.min_models - row['n']} more")
    pct = int(round(params.ci_level * 100))
    band = cls.removeprefix(POSSIBLY)
    text = (f"{cls} on {row['axis']} (rho x100 {numbers.rho(rho)}, {pct}% interval "
            f"{numbers.rho_interval(row['ci_low'], row['ci_high'])}, {row['n']} models): {MEANING[band]}")
    low, high = params.bands.classify(row["ci_low"]), params.bands.classify(row["ci_high"])
    if cls != band and low is not None and high is not None:
        text += f"; the interval reaches from {low} to {high}, so the class is not settled"
    return text
