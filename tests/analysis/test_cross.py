"""Cross-source axes on a small joined history whose every number can be checked by hand
or against pandas + scipy."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest
from scipy.stats import spearmanr

from benchwatch.analysis.cross import (
    analyze_cross_source,
    axis_vector,
    cross_dates,
    joint_capabilities,
    newest_values,
    target_sets,
    with_identity,
)
from benchwatch.analysis.engine import Params

T1, T2, T3 = pd.Timestamp("2025-01-10"), pd.Timestamp("2025-03-10"), pd.Timestamp("2026-03-09")
REGISTRY = pd.DataFrame([
    ("helm-safety", "harm", "safety", 1), ("helm-safety", "refusals", "safety", -1),
    ("epoch", "eci", "axis", 1), ("epoch", "training_compute_flop", "compute", 1),
    ("epoch", "gpqa", "capability", 1), ("epoch", "math", "capability", 1),
    ("helm-capabilities", "mmlu_pro", "capability", 1),
    ("lmarena", "rating", "axis", 1), ("safetywashing-paper", "FLOP", "compute", 1),
], columns=["source", "column", "category", "direction"])
MODELS = [f"m{i}" for i in range(10)]


def rows(source: str, benchmark: str, values: dict, valid_from=T1, valid_to=pd.NaT, kind="chat",
         names: dict | None = None) -> pd.DataFrame:
    return pd.DataFrame({
        "model": [(names or {}).get(m, f"{source}/{m}") for m in values],
        "canonical_id": list(values), "kind": kind, "model_set": "all", "model_type": None,
        "benchmark": benchmark, "value": [float(v) for v in values.values()],
        "valid_from": valid_from, "valid_to": valid_to,
    })


@pytest.fixture
def joined() -> dict[str, pd.DataFrame]:
    rng = np.random.default_rng(4)
    skill = dict(zip(MODELS, rng.normal(size=10), strict=True))
    harm = {m: 0.5 * s + rng.normal(scale=0.5) for m, s in skill.items()}
    first_release = {m: v for m, v in harm.items() if m < "m6"}
    return {
        "helm-safety": pd.concat([
            rows("helm-safety", "harm", first_release, valid_from=T1),
            rows("helm-safety", "harm", {m: v for m, v in harm.items() if m >= "m6"}, valid_from=T2),
            rows("helm-safety", "refusals", {m: -s for m, s in skill.items()}, valid_from=T2),
        ], ignore_index=True),
        "epoch": pd.concat([
            rows("epoch", "eci", {m: 120 + 10 * s for m, s in skill.items() if m != "m9"}, valid_from=T3),
            rows("epoch", "training_compute_flop", {m: 10 ** (24 + s) for m, s in skill.items()
                                                    if m in ("m0", "m1", "m2")}, valid_from=T3),
            rows("epoch", "gpqa", {m: s + rng.normal(scale=0.2) for m, s in skill.items()}, valid_from=T1),
            rows("epoch", "math", {m: s + rng.normal(scale=0.2) for m, s in skill.items()
                                   if m != "m0"}, valid_from=T1),
        ], ignore_index=True),
        "helm-capabilities": rows("helm-capabilities", "mmlu_pro", {"m0": 0.5, "m1": 0.6}, valid_from=T1),
        "lmarena": pd.concat([
            # m0 is listed under two names: its display name (old) and its key (newer).
            rows("lmarena", "rating", {m: 1200 + 50 * s for m, s in skill.items()}, valid_from=T1,
                 names={"m0": "M0 display"}),
            rows("lmarena", "rating", {"m0": 1500.0}, valid_from=T2, names={"m0": "m0-key"}),
        ], ignore_index=True),
        "safetywashing-paper": rows("safetywashing-paper", "FLOP", {"m0": 1e20, "m3": 5e24, "m4": 7e24},
                                    valid_from=T1),
    }


def test_with_identity_adds_canonical_ids_and_drops_unresolved_models():
    history = pd.DataFrame({"model": ["A", "B"], "benchmark": "x", "value": [1.0, 2.0]})
    identity = pd.DataFrame({"model": ["A"], "canonical_id": ["a-1"], "kind": ["chat"]})
    out = with_identity(history, identity)
    assert out[["model", "canonical_id", "kind"]].values.tolist() == [["A", "a-1", "chat"]]


def test_newest_published_value_wins_for_one_canonical_id(joined):
    values = newest_values(joined["lmarena"]).set_index("canonical_id")["value"]
    assert values["m0"] == 1500.0 and len(values) == 10


def latest(joined: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    return {source: newest_values(frame) for source, frame in joined.items()}


def test_compute_takes_epoch_first_and_the_paper_for_the_rest(joined):
    members = pd.Index(MODELS)
    vector, used = axis_vector(latest(joined), (("epoch", "training_compute_flop"),
                                                ("safetywashing-paper", "FLOP")), members)
    assert sorted(vector.index) == ["m0", "m1", "m2", "m3", "m4"]
    assert vector["m0"] != 1e20 and vector["m3"] == 5e24  # epoch's m0, the paper's m3
    assert used == ["epoch:training_compute_flop", "safetywashing-paper:FLOP"]


def test_joint_capabilities_keeps_columns_that_cover_enough_models(joined):
    joint = joint_capabilities(latest(joined), REGISTRY, pd.Index(MODELS), min_coverage=0.5)
    assert list(joint.columns) == ["epoch:gpqa", "epoch:math"]  # mmlu_pro covers 2 of 10
    assert joint["epoch:math"].isna().sum() == 1


def test_model_sets_follow_the_source_split_or_else_the_kind():
    helm = pd.DataFrame({"canonical_id": ["a", "b"], "model_set": "all", "kind": "chat"})
    assert {k: list(v) for k, v in target_sets(helm, pooled=True).items()} == {"chat": ["a", "b"]}
    mixed = pd.DataFrame({"canonical_id": ["a", "b", "c"], "model_set": "all",
                          "kind": ["chat", "base", None]})
    # Base and chat are never pooled: only the model of unknown kind is left to the pooled set.
    assert {k: list(v) for k, v in target_sets(mixed, pooled=True).items()} == {
        "base": ["b"], "chat": ["a"], "all (no split)": ["c"]}
    unknown = pd.DataFrame({"canonical_id": ["a", "b"], "model_set": "all", "kind": None})
    assert {k: list(v) for k, v in target_sets(unknown, pooled=True).items()} == {"all": ["a", "b"]}
    paper = pd.DataFrame({"canonical_id": ["a", "b"], "model_set": ["base", "chat"], "kind": "chat"})
    assert {k: list(v) for k, v in target_sets(paper, pooled=False).items()} == {"base": ["a"], "chat": ["b"]}


def test_cross_dates_are_releases_plus_the_newest_date_for_a_source_without_own_axes():
    releases = [date(2025, 1, 10), date(2025, 3, 10)]
    assert cross_dates(releases, date(2025, 3, 10), date(2026, 3, 9), has_own_axes=False) == [
        date(2025, 1, 10), date(2025, 3, 10), date(2026, 3, 9)]
    assert cross_dates(releases, date(2025, 3, 10), date(2026, 3, 9), has_own_axes=True) == releases


def test_axes_as_of_each_date_from_what_was_known_then(joined):
    dates = [T1.date(), T2.date(), T3.date()]
    results = analyze_cross_source("helm-safety", joined, REGISTRY, True, dates, Params(resamples=50, seed=1))
    corr = results.correlations
    at = {d: set(corr.loc[corr["as_of"] == d, "axis"]) for d in dates}
    # ECI and Epoch FLOP exist only from T3; the paper's FLOP and Arena from T1.
    assert at[T1.date()] == {"arena", "compute", "pc1-joint"}
    assert at[T3.date()] == {"arena", "compute", "eci", "pc1-joint"}
    assert set(corr["model_set"]) == {"chat"}
    first = corr[(corr["as_of"] == T1.date()) & (corr["axis"] == "arena") & (corr["benchmark"] == "harm")]
    assert first["n"].tolist() == [6]  # only the first release's models were known
    axes = results.axes.set_index(["axis", "as_of"])
    assert axes.loc[("compute", T1.date()), "axis_sources"] == "safetywashing-paper:FLOP"
    assert axes.loc[("eci", T3.date()), ["n_models", "missing_policy"]].tolist() == [9, "pairwise"]
    assert axes.loc[("pc1-joint", T3.date()), "axis_sources"] == "epoch:gpqa, epoch:math"
    assert axes.loc[("pc1-joint", T3.date()), "missing_policy"] == "drop"
    # Residuals only at the last date, named by the target's own model names.
    assert set(results.residuals["as_of"]) == {T3.date()}
    assert set(results.residuals["model"]) <= set(joined["helm-safety"]["model"])


def test_joined_correlations_equal_a_merge_and_scipy(joined):
    results = analyze_cross_source("helm-safety", joined, REGISTRY, True, [T3.date()], Params(resamples=0))
    got = results.correlations.set_index(["axis", "benchmark"])
    safety = joined["helm-safety"].pivot(index="canonical_id", columns="benchmark", values="value")
    for axis, source, column in [("eci", "epoch", "eci"), ("arena", "lmarena", "rating")]:
        frame = joined[source][joined[source]["benchmark"] == column]
        frame = frame.sort_values("valid_from").drop_duplicates("canonical_id", keep="last")
        merged = safety.merge(frame[["canonical_id", "value"]], left_index=True, right_on="canonical_id")
        for benchmark, sign in [("harm", 1), ("refusals", -1)]:
            expected = spearmanr(sign * merged[benchmark], merged["value"]).statistic
            assert got.loc[(axis, benchmark), "rho"] == pytest.approx(expected, abs=1e-12)
            assert got.loc[(axis, benchmark), "n"] == len(merged)


def test_arena_style_control_is_its_own_axis_and_factuality_a_safety_target(joined):
    """The 2026 Arena boards: style-controlled rating as the ``arena-style`` axis, and the
    factuality board (a safety column of lmarena) correlated against both Arena axes."""
    rng = np.random.default_rng(7)
    skill = joined["epoch"].query("benchmark == 'gpqa'").set_index("canonical_id")["value"]
    style = {m: 1250 + 40 * s + rng.normal(scale=15) for m, s in skill.items()}
    factual = {m: 1000 + 20 * s + rng.normal(scale=30) for m, s in skill.items() if m != "m4"}
    arena = joined["lmarena"]
    joined = {**joined, "lmarena": pd.concat([
        arena, rows("lmarena", "style_control_rating", style, valid_from=T2),
        rows("lmarena", "factuality_rating", factual, valid_from=T2)], ignore_index=True)}
    registry = pd.concat([REGISTRY, pd.DataFrame([
        ("lmarena", "style_control_rating", "axis", 1), ("lmarena", "factuality_rating", "safety", 1)],
        columns=REGISTRY.columns)], ignore_index=True)

    helm = analyze_cross_source("helm-safety", joined, registry, True, [T3.date()], Params(resamples=0))
    got = helm.correlations.set_index(["axis", "benchmark"])
    assert {"arena", "arena-style"} <= set(helm.correlations["axis"])
    safety = joined["helm-safety"].pivot(index="canonical_id", columns="benchmark", values="value")
    merged = safety.join(pd.Series(style, name="style"), how="inner")
    assert got.loc[("arena-style", "harm"), "rho"] == pytest.approx(
        spearmanr(merged["harm"], merged["style"]).statistic, abs=1e-12)
    assert helm.axes.set_index("axis").loc["arena-style", "axis_sources"] == "lmarena:style_control_rating"

    own = analyze_cross_source("lmarena", joined, registry, True, [T1.date(), T3.date()], Params(resamples=0))
    # Before the factuality board (T2) the source has no safety column: that date is skipped.
    assert set(own.correlations["as_of"]) == {T3.date()}
    mine = own.correlations.set_index(["axis", "benchmark"])
    rho, n = mine.loc[("arena-style", "factuality_rating"), ["rho", "n"]]
    pair = pd.DataFrame({"f": factual, "a": style}).dropna()
    assert rho == pytest.approx(spearmanr(pair["f"], pair["a"]).statistic, abs=1e-12)
    assert n == len(pair) == 9
    assert {"arena", "eci"} <= set(own.correlations.loc[own.correlations["benchmark"] == "factuality_rating", "axis"])


def test_metr_time_horizon_is_the_horizon_axis(joined):
    """Epoch's METR 50% time horizon (minutes, spanning orders of magnitude) is the ``horizon`` axis:
    rho with a safety column equals scipy's on the merged pairs, and on log minutes too."""
    rng = np.random.default_rng(11)
    skill = joined["epoch"].query("benchmark == 'gpqa'").set_index("canonical_id")["value"]
    minutes = {m: float(np.exp(3 + 2 * s + rng.normal(scale=0.5))) for m, s in skill.items() if m != "m2"}
    joined = {**joined, "epoch": pd.concat([
        joined["epoch"], rows("epoch", "metr_time_horizons_external", minutes, valid_from=T3)], ignore_index=True)}
    registry = pd.concat([REGISTRY, pd.DataFrame([("epoch", "metr_time_horizons_external", "capability", 1)],
                                                 columns=REGISTRY.columns)], ignore_index=True)
    helm = analyze_cross_source("helm-safety", joined, registry, True, [T3.date()], Params(resamples=0))
    got = helm.correlations.set_index(["axis", "benchmark"])
    assert helm.axes.set_index("axis").loc["horizon", "axis_sources"] == "epoch:metr_time_horizons_external"
    safety = joined["helm-safety"].pivot(index="canonical_id", columns="benchmark", values="value")
    merged = safety.join(pd.Series(minutes, name="minutes"), how="inner")
    for benchmark, sign in (("harm", 1), ("refusals", -1)):
        expected = spearmanr(sign * merged[benchmark], merged["minutes"]).statistic
        assert got.loc[("horizon", benchmark), "rho"] == pytest.approx(expected, abs=1e-12)
        assert expected == pytest.approx(spearmanr(sign * merged[benchmark], np.log(merged["minutes"])).statistic)
        assert got.loc[("horizon", benchmark), "n"] == len(merged) == 9


def test_pc1_joint_is_recomputed_without_a_component_the_target_shares_items_with(joined):
    """A safety column measured on GPQA's items (registry ``shares_items_with``) is correlated with the
    joint PC1 refitted without epoch:gpqa, and its row says so."""
    from benchwatch.analysis.method import capability_axis

    rng = np.random.default_rng(9)
    skill = joined["epoch"].query("benchmark == 'gpqa'").set_index("canonical_id")["value"]
    mmlu = {m: s + rng.normal(scale=0.3) for m, s in skill.items()}
    joined = {**joined, "epoch": pd.concat([joined["epoch"], rows("epoch", "mmlu", mmlu, valid_from=T1)],
                                           ignore_index=True)}
    registry = pd.concat([REGISTRY, pd.DataFrame([("epoch", "mmlu", "capability", 1)], columns=REGISTRY.columns)],
                         ignore_index=True)
    registry = registry.assign(benchmark_id=registry["column"],
                               shares_items_with=np.where(registry["column"] == "harm", "gpqa", ""))
    got = analyze_cross_source("helm-safety", joined, registry, True, [T3.date()], Params(resamples=0))
    rows_ = got.correlations.set_index(["axis", "benchmark"])
    assert rows_.loc[("pc1-joint", "harm"), "relation_reason"] == (
        "pc1-joint recomputed without epoch:gpqa (measured on the same items)")
    assert rows_.loc[("pc1-joint", "refusals"), "relation_reason"] == ""
    latest = {s: newest_values(f) for s, f in joined.items()}
    members = pd.Index(sorted(joined["helm-safety"]["canonical_id"].unique()))
    rest = joint_capabilities(latest, registry, members, 0.5).drop(columns=["epoch:gpqa"])
    pc1 = capability_axis(rest)
    harm = joined["helm-safety"].query("benchmark == 'harm'").set_index("canonical_id")["value"]
    pair = pd.DataFrame({"harm": harm, "pc1": pc1.scores}).dropna()
    assert rows_.loc[("pc1-joint", "harm"), "rho"] == pytest.approx(
        spearmanr(pair["harm"], pair["pc1"]).statistic, abs=1e-12)
