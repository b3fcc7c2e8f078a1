"""Capability-adjusted safety: the rank regression against a hand computation and scikit-learn."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest
from scipy.stats import rankdata, spearmanr
from sklearn.linear_model import LinearRegression

from benchwatch.analysis.adjusted import (
    latest_residuals,
    rank_residuals,
    residuals_frame,
)
from benchwatch.analysis.engine import Params, analyze_source


def test_hand_computed_example():
    # Benchmark ranks 4,1,2,3 against axis ranks 1..4: rho = 1 - 6*12/60 = -0.2.
    # Percentile ranks (r - 0.5)/4; line y = 0.6 - 0.2 x.
    values = pd.Series([0.9, 0.1, 0.5, 0.7], index=list("abcd"))
    axis = pd.Series([1.0, 2.0, 3.0, 4.0], index=list("abcd"))
    out = rank_residuals(values, axis).set_index("model")
    assert out["value_rank"].tolist() == pytest.approx([0.875, 0.125, 0.375, 0.625])
    assert out["fitted"].tolist() == pytest.approx([0.575, 0.525, 0.475, 0.425])
    assert out["residual"].tolist() == pytest.approx([0.3, -0.4, -0.1, 0.2])
    assert set(out["n"]) == {4}


def test_agrees_with_scikit_learn_on_ranks_and_its_slope_is_spearman():
    rng = np.random.default_rng(7)
    axis = pd.Series(rng.normal(size=60).round(1), index=[f"m{i}" for i in range(60)])  # ties
    values = 0.6 * axis + pd.Series(rng.normal(size=60), index=axis.index)
    values.iloc[[3, 8]] = np.nan
    out = rank_residuals(values, axis).set_index("model")
    ok = values.notna()
    x = ((rankdata(axis[ok]) - 0.5) / ok.sum()).reshape(-1, 1)
    y = (rankdata(values[ok]) - 0.5) / ok.sum()
    fit = LinearRegression().fit(x, y)
    assert out.loc[values[ok].index, "residual"].to_numpy() == pytest.approx(y - fit.predict(x))
    assert out["residual"].sum() == pytest.approx(0.0, abs=1e-12)
    assert len(out) == 58
    untied = axis + np.arange(60) * 1e-6  # without ties the slope is Spearman's rho exactly
    slope = np.polyfit(rank_residuals(values, untied)["axis_rank"],
                       rank_residuals(values, untied)["value_rank"], 1)[0]
    assert slope == pytest.approx(spearmanr(values[ok], untied[ok]).statistic)


def test_monotone_transform_of_the_axis_changes_nothing():
    rng = np.random.default_rng(2)
    flop = pd.Series(10 ** rng.uniform(21, 26, 30))
    values = pd.Series(rng.normal(size=30))
    pd.testing.assert_frame_equal(rank_residuals(values, flop).drop(columns="axis_value"),
                                  rank_residuals(values, np.log10(flop)).drop(columns="axis_value"))


def test_too_few_models_or_a_constant_axis_gives_no_line():
    assert rank_residuals(pd.Series([1.0, 2.0]), pd.Series([3.0, 4.0])).empty
    assert rank_residuals(pd.Series([1.0, 2.0, 3.0]), pd.Series([5.0, 5.0, 5.0])).empty


def test_frame_over_columns_and_axes_and_latest_rows():
    bench = pd.DataFrame({"safe": [1.0, 3.0, 2.0, 4.0], "other": [4.0, 3.0, 2.0, 1.0]}, index=list("abcd"))
    axes = {"pc1": pd.Series([1.0, 2.0, 3.0, 4.0], index=list("abcd")),
            "arena": pd.Series([1.0, 2.0, 3.0], index=list("abc"))}
    frame = residuals_frame(bench, axes)
    assert frame.groupby(["axis", "benchmark"]).size().to_dict() == {
        ("arena", "other"): 3, ("arena", "safe"): 3, ("pc1", "other"): 4, ("pc1", "safe"): 4}
    keyed = pd.concat([frame.assign(source="s", model_set="all", as_of=date(2024, 1, 31)),
                       frame.assign(source="s", model_set="all", as_of=date(2024, 2, 29))])
    assert set(latest_residuals(keyed)["as_of"]) == {date(2024, 2, 29)}


def test_engine_keeps_residuals_of_safety_columns_at_the_last_date_only():
    rng = np.random.default_rng(5)
    models = [f"m{i}" for i in range(12)]
    rows = []
    for i, model in enumerate(models):
        skill = rng.normal()
        for j in range(3):
            rows.append((model, f"cap{j}", skill + rng.normal(scale=0.3)))
        rows.append((model, "flop", 10 ** (22 + skill)))
        rows.append((model, "refusal", -skill + rng.normal()))
        rows.append((model, "mean", rng.normal()))
    history = pd.DataFrame(rows, columns=["model", "benchmark", "value"]).assign(
        model_set="all", model_type=None, valid_to=pd.NaT,
        valid_from=[pd.Timestamp("2024-01-10" if m < "m6" else "2024-02-10") for m in
                    [r[0] for r in rows]])
    registry = pd.DataFrame({
        "source": "s", "column": ["cap0", "cap1", "cap2", "flop", "refusal", "mean"],
        "category": ["capability"] * 3 + ["compute", "safety", "other"], "direction": 1})
    dates = [date(2024, 1, 31), date(2024, 2, 29)]
    results = analyze_source("s", history, registry, True, dates, Params(resamples=0))
    residuals = results.residuals
    assert set(residuals["as_of"]) == {date(2024, 2, 29)}
    assert set(residuals["benchmark"]) == {"refusal"}
    assert set(residuals["axis"]) == {"pc1", "compute"}
    assert residuals.groupby("axis")["n"].first().to_dict() == {"compute": 12, "pc1": 12}
    compute = residuals[residuals["axis"] == "compute"].set_index("model")
    expected = rank_residuals(history.query("benchmark == 'refusal'").set_index("model")["value"],
                              history.query("benchmark == 'flop'").set_index("model")["value"])
    assert compute["residual"].sort_index().to_numpy() == pytest.approx(
        expected.set_index("model")["residual"].sort_index().to_numpy())
