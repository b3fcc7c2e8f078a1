"""Capabilities: each source's capability axes over time (PC1 variance, loadings), models by score."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from benchwatch.analysis.cross import AXIS_LABELS
from benchwatch.dashboard import charts, ui
from benchwatch.dashboard.context import Context, current
from benchwatch.storage import views

AXIS_HELP = ("pc1: the paper's capabilities score within the source; pc1-joint: PC1 over capability "
             "benchmarks joined across sources by model identity; eci, arena: Epoch's capabilities index and "
             "the LMArena rating of the same models; compute: training FLOP.")


def _dates(frame: pd.DataFrame) -> list[str]:
    """As-of dates, newest first, as the pickers show them."""
    return sorted({pd.Timestamp(d).strftime("%Y-%m-%d") for d in frame["as_of"]}, reverse=True)


def principal_component(ctx: Context, of_source: pd.DataFrame, source: str, axis: str, model_set: str) -> None:
    st.subheader("Explained variance over data time")
    pcs = of_source[(of_source["axis"] == axis) & of_source["explained_variance"].notna()]
    if pcs.empty:
        st.info(f"The {axis} axis is not a principal component (an external index or compute): it has no "
                "explained variance or loadings.")
        return
    st.altair_chart(charts.explained_variance(pcs), width="stretch")
    st.caption("PC1 of the Spearman correlation matrix of the capability benchmarks, per model set (never "
               "pooled across base and chat), at each as-of date; its share of the variance.")
    loadings = ctx.read(views.capability_loadings, ctx.run["run_id"], source, model_set)
    loadings = loadings[loadings["axis"] == axis]
    st.subheader("Loadings")
    if loadings.empty:
        st.info(f"No {axis} loadings for this model set.")
        return
    dates = _dates(loadings)
    as_of = ui.pick("Loadings as of", dates, key="as_of", default=dates[0])
    at_date = loadings[pd.to_datetime(loadings["as_of"]) == pd.Timestamp(as_of)]
    if len(dates) > 1:
        left, right = st.columns(2)
        with left:
            st.altair_chart(charts.loadings_bar(at_date), width="stretch")
        with right:
            st.altair_chart(charts.loadings_over_time(loadings), width="stretch")
    else:
        st.altair_chart(charts.loadings_bar(at_date), width="stretch")
    ui.table(at_date, "loadings", "loadings", column_config={
        "as_of": st.column_config.DateColumn("as of"),
        "loading": st.column_config.NumberColumn("loading", format="%.3f")})


def ranking(ctx: Context, of_source: pd.DataFrame, source: str, axis: str, model_set: str) -> None:
    st.subheader("Models ranked by capabilities score")
    scored = of_source[(of_source["model_set"] == model_set) & (of_source["axis"] == axis)]
    if scored.empty:
        st.info(f"No {axis} axis for this model set.")
        return
    dates = _dates(scored)
    rank_date = ui.pick("Scores as of", dates, key="scores_as_of", default=dates[0])
    ranked = ctx.read(views.capability_ranking, ctx.run["run_id"], source, model_set, axis, rank_date)
    policy = scored["missing_policy"].iloc[0]
    st.caption(f"{len(ranked):,} models with a {axis} value on {rank_date}. For a principal component the "
               f"score is the capability z-scores · PC1, not re-standardized; missing capability values: {policy} "
               "(drop: only models with every capability benchmark are scored).")
    ui.table(ranked, "capabilities ranking", "capability-ranking", height=400, empty=no_ranking_reason(axis, rank_date),
             column_config={
                 "score": st.column_config.NumberColumn("score", format="%.4g")})


def no_ranking_reason(axis: str, as_of: str) -> str:
    """Why an axis has no per-model scores to rank, in words."""
    if axis == "compute":
        return ("The compute axis is each model's training compute as the source publishes it, read where it "
                "is correlated; the analysis stores no score of its own for it, so there is nothing to rank. "
                "The Benchmark page plots it against each benchmark.")
    return (f"No model of this set has a {axis} score stored for {as_of}: the axis was computed at this date "
            "but scored no model (too few with every value it needs).")


def render(ctx: Context) -> None:
    st.title("Capabilities")
    ctx.require_data()
    axes = ctx.read(views.capability_axes, ctx.run["run_id"])
    if axes.empty:
        st.info("No capability axis in this run: a source needs capability benchmarks to have one.")
        return
    cols = st.columns(3)
    with cols[0]:
        source = ui.pick("Source", sorted(axes["source"].unique()), key="source", default="safetywashing-paper")
    of_source = axes[axes["source"] == source]
    with cols[1]:
        axis = ui.pick("Capability axis", sorted(of_source["axis"].unique()), key="axis", default="pc1",
                       format_func=lambda a: AXIS_LABELS.get(a, a),
                       help=AXIS_HELP)
    with cols[2]:
        sets = sorted(of_source.loc[of_source["axis"] == axis, "model_set"].unique())
        model_set = ui.pick("Model set", sets, key="model_set", default="all")
    principal_component(ctx, of_source, source, axis, model_set)
    ranking(ctx, of_source, source, axis, model_set)
    st.subheader("Every axis of this source")
    ui.table(of_source, "capability axes", "capability-axes", height=250, column_config={
        "explained_variance": ui.share_column("explained variance"),
        "as_of": st.column_config.DateColumn("as of")})
    st.caption(ui.run_note(ctx.run))
    ui.attribution_note([source])


render(current())
