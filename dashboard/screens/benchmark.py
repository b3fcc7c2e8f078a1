"""Benchmark: one benchmark's correlation over time, its models, and its provenance."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from benchwatch import numbers
from benchwatch.analysis.adjusted import rank_line
from benchwatch.analysis.circularity import INDEPENDENT
from benchwatch.analysis.classes import CORRELATED, INVERSE, SEPARABLE, TRACKING, meaning
from benchwatch.analysis.cross import AXIS_LABELS
from benchwatch.analysis.signals import in_words
from benchwatch.analysis.units import GROUP_AXES, one_point_per_group
from benchwatch.dashboard import charts, ui
from benchwatch.dashboard.context import Context, current
from benchwatch.sources import SOURCES
from benchwatch.storage import views

POOLED = "all"
BADGE_COLORS = {TRACKING: "red", CORRELATED: "orange", SEPARABLE: "green", INVERSE: "blue"}


def choose(ctx: Context, index: pd.DataFrame) -> tuple[str, str, str, str]:
    """Source, benchmark, axis and model set, from the URL or the pickers.

    Only series that ever had a model are offered. With nothing in the URL, the page opens on
    the newest firing alert's series, else on the safety benchmark with the most models on the
    paper's axis: a page with data, never an empty series.
    """
    targets = with_models(index)
    alerts = ctx.read(views.alerts)
    firing = alerts[(alerts["state"] == "firing") & alerts["benchmark"].notna()]
    firing = firing.merge(targets[targets["max_n"] >= ctx.settings.min_models][["source", "benchmark", "axis",
                                                                                  "model_set"]])
    first = firing.iloc[0] if len(firing) else fullest(targets)
    cols = st.columns(4)
    with cols[0]:
        source = ui.pick("Source", sorted(targets["source"].unique()), key="source", default=first["source"])
    of_source = targets[targets["source"] == source]
    names = (of_source.sort_values(["category", "name"], ascending=[False, True])
             .drop_duplicates("benchmark").set_index("benchmark"))
    same_source = first["source"] == source
    with cols[1]:
        benchmark = ui.pick("Benchmark", list(names.index), key="benchmark",
                            default=first["benchmark"] if same_source else None,
                            format_func=lambda b: f"{names.at[b, 'name']} ({names.at[b, 'category']})")
    series = of_source[of_source["benchmark"] == benchmark]
    same = same_source and first["benchmark"] == benchmark
    with cols[2]:
        axis = ui.pick("Capability axis", sorted(series["axis"].unique()), key="axis",
                       default=first["axis"] if same else "pc1", format_func=axis_label)
    sets = sorted(series.loc[series["axis"] == axis, "model_set"].unique())
    with cols[3]:
        model_set = ui.pick("Model set", sets, key="model_set", default=first["model_set"] if same else POOLED)
    return source, benchmark, axis, model_set


def with_models(index: pd.DataFrame) -> pd.DataFrame:
    """The safety and other benchmarks' series that had at least one model at some point."""
    return index[index["category"].isin(["safety", "other"]) & (index["max_n"] > 0)]


def fullest(targets: pd.DataFrame) -> pd.Series:
    """The default series without an alert: a safety benchmark on pc1 with the most models."""
    ranked = targets.assign(safety=targets["category"] == "safety", pc1=targets["axis"] == "pc1")
    return ranked.sort_values(["safety", "pc1", "max_n", "source", "benchmark"],
                              ascending=[False, False, False, True, True]).iloc[0]


def axis_label(axis: str) -> str:
    return f"{AXIS_LABELS.get(axis, axis)} ({axis})" if AXIS_LABELS.get(axis, axis) != axis else axis


def headline(ctx: Context, info: dict, chosen: pd.DataFrame) -> None:
    st.header(ui.escape_markdown(info["name"]))
    area = f" · safety area: {info['safety_area']}" if info.get("safety_area") else ""
    st.caption(ui.escape_markdown(f"{info['source']} column “{info['column']}” · {info['category']}{area}"))
    if chosen.empty:
        st.info("No correlation for this axis and model set.")
        return
    last = chosen.iloc[-1]
    if last["relation"] != INDEPENDENT:
        st.warning(f"Correlated by construction ({last['relation']}): "
                   f"{ui.escape_markdown(last['relation_reason'])}. This correlation is not evidence about "
                   "the benchmark; it is never alerted.")
    elif last["relation_reason"]:
        st.caption(ui.escape_markdown(last["relation_reason"]))
    cols = st.columns([1, 1.4, 1, 1])
    cols[0].metric("capabilities correlation", numbers.rho(last["rho"]),
                   help="Spearman rho with the capability axis, x100 (the paper's convention).")
    cols[1].metric(f"{numbers.share(ctx.run['ci_level'])} bootstrap CI",
                   numbers.rho_interval(last["ci_low"], last["ci_high"]))
    cols[2].metric("models (n)", numbers.count(last["n"]))
    cols[3].metric("as of", pd.Timestamp(last["as_of"]).strftime("%Y-%m-%d"))
    label = (ctx.bands.label(*(None if pd.isna(last[c]) else float(last[c]) for c in ("rho", "ci_low", "ci_high",
                                                                                      "n")),
                             ctx.settings.min_models) if last["relation"] == INDEPENDENT else None)
    if label is not None:
        st.badge(label, color=BADGE_COLORS.get(label, "gray"))
        st.caption(f"{label}: {meaning(label)}")
    if int(last["n"]) < ctx.settings.min_models:
        st.caption(f"Only {int(last['n'])} models: fewer than min_models ({ctx.settings.min_models}); "
                   f"no interval and no class until {ctx.settings.min_models - int(last['n'])} more models "
                   "are known. The alert rules ignore this point.")
    st.caption("Classes: " + ctx.bands.describe())


def trend(ctx: Context, series: pd.DataFrame, events: pd.DataFrame, axis: str, model_set: str) -> None:
    st.subheader("Correlation over data time")
    minimum = ctx.settings.min_models
    left, right = st.columns(2)
    only = left.toggle("Only the chosen axis and model set", value=False, key="only_chosen")
    thin = right.toggle(f"Show points with fewer than {minimum} models", value=False, key="show_thin",
                        help="The alert rules ignore them (min_models); they are noisy.")
    if only:
        series = series[(series["axis"] == axis) & (series["model_set"] == model_set)]
        events = events[(events["axis"] == axis) & (events["model_set"] == model_set)]
    if not thin:
        series = series[series["n"] >= minimum]
    events = events[events["state"].isin(["firing", "resolved"]) & events["data_time"].notna()]
    if series.empty:
        st.info(f"No correlation point with at least {minimum} models for this benchmark.")
        return
    st.altair_chart(charts.trend(series, events, ctx.settings.capability_threshold,
                                 ctx.settings.hysteresis), width="stretch")
    st.caption(f"{numbers.RHO_CAPTION}. Shaded: the alert zone (fires at rho ≥ "
               f"{numbers.rho(ctx.settings.capability_threshold)}, resolves below "
               f"{numbers.rho(ctx.settings.capability_threshold - ctx.settings.hysteresis)}); bands: bootstrap "
               "interval; triangles: alerts fired (red) and resolved (green). " + ui.run_note(ctx.run))
    ui.table(series, "correlation series", "benchmark-series", height=250, column_config={
        "rho": ui.rho_column("rho"), "ci_low": ui.rho_column("CI low"), "ci_high": ui.rho_column("CI high"),
        "as_of": st.column_config.DateColumn("as of")})


def scatter(ctx: Context, info: dict, chosen: pd.DataFrame, axis: str, model_set: str) -> None:
    st.subheader("Models: benchmark against the capability axis")
    if chosen.empty:
        st.info("Pick an axis and model set that have a correlation.")
        return
    dates = [pd.Timestamp(d).strftime("%Y-%m-%d") for d in chosen["as_of"]]
    as_of = ui.pick("As of", dates[::-1], key="as_of", default=dates[-1])
    points = ctx.read(views.scatter, ctx.run["run_id"], info["source"], info["column"], model_set, axis, as_of)
    points = points.assign(name=points["display_name"].where(points["display_name"].fillna("") != "",
                                                               points["model"]), members=points["model"])
    if axis in GROUP_AXES and not points.empty:
        points = group_points(points, ctx.read(views.model_groups_of, info["source"]))
    points = charts.with_provenance(points, ctx.read(views.point_provenance, info["source"], info["column"],
                                              pd.Timestamp(as_of).date()))
    row = chosen.iloc[dates.index(as_of)]
    st.caption(f"{len(points):,} points known on {as_of} (the correlation used n = {int(row['n']):,}, "
               f"rho x100 = {numbers.rho(row['rho'])}). The benchmark is shown as published, scale {info['scale']}, "
               f"{'higher' if info['direction'] == 1 else 'lower'} = safer; the dashed line is the fitted "
               "rank-on-rank line (its slope in ranks is Spearman's rho).")
    beside_rho(ctx, {**row.to_dict(), "scale": info["scale"]})
    if points.empty:
        st.info(no_points_reason(axis, as_of, int(row["n"])))
        return
    x_title = AXIS_LABELS.get(axis, axis) + (" capabilities score" if axis.startswith("pc1") else " axis")
    if axis == "compute":
        x_title = "training compute (FLOP, log scale)"
    line = rank_line(points.set_index("model")["value"], points.set_index("model")["axis_value"])
    st.altair_chart(charts.scatter(points, x_title, info["name"], log_x=axis == "compute", line=line,
                                   details=charts.PROVENANCE), width="stretch")
    if charts.aggregated(points):
        st.caption(f"Aggregated: {len(points):,} models (more than {charts.AGGREGATE_ABOVE:,}) are drawn as a "
                   f"density, shaded by the models in each cell (on hover); the {charts.LABELLED} most capable "
                   "are drawn and named on top. Every model is in the table below.")
    ui.table(points[["name", "model", "axis_value", "value", "members", *charts.PROVENANCE]].rename(
        columns={"axis_value": AXIS_LABELS.get(axis, axis), "value": info["name"], "model": "id",
                 **charts.PROVENANCE}),
        "points at this date", "benchmark-models", height=250)


def no_points_reason(axis: str, as_of: str, n: int) -> str:
    """Why there is no per-model point to draw, in words."""
    if n == 0:
        return (f"No model of this set has both a value on this benchmark and a {axis} value on {as_of}: "
                "there is nothing to correlate at this date, so no point and no rho.")
    return (f"The correlation on {as_of} used {n:,} models, but their {axis} values are not stored for that "
            "date (only the run's own as-of dates are); pick another date.")


def group_points(points: pd.DataFrame, groups: pd.DataFrame) -> pd.DataFrame:
    """Against an axis scored once per model group (ECI) a point is a group, as the correlation
    counts it (``analysis.units``): the group's mean value, named by the group, its models in
    ``members``. A model with no group stays its own point."""
    by_model = points.set_index("model")
    values, axis_values, members = one_point_per_group(
        by_model[["value"]], by_model["axis_value"], groups.set_index("model")["model_group"])
    names = by_model["name"].reindex(values.index)
    return pd.DataFrame({"model": values.index, "name": names.fillna(values.index.to_series()).to_numpy(),
                         "axis_value": axis_values.to_numpy(), "value": values["value"].to_numpy(),
                         "members": members.to_numpy()}).sort_values(["axis_value", "model"], ascending=[False, True])


def beside_rho(ctx: Context, row: dict) -> None:
    """Slope and R², rho over half-samples, saturation and rho with time held fixed, in words."""
    lines = in_words(row, ctx.settings.capability_threshold, ctx.settings.saturation_flag)
    st.markdown("**Beside rho**\n\n" + "\n".join(f"- {ui.escape_markdown(line)}" for line in lines))


def findings(ctx: Context, info: dict) -> None:
    """This benchmark's findings on frozen data: not alerts, shown apart."""
    found = ctx.read(views.findings, info["source"], info["column"])
    if found.empty:
        return
    st.subheader("Findings on frozen data")
    st.caption(ui.escape_markdown(found["why"].iloc[0]) + ". What the rules find here is about the past: "
               "stored and shown, never an open alert, never notified.")
    ui.table(found[["model_set", "axis", "rule", "rho", "ci_low", "ci_high", "n", "since", "as_of"]],
             "findings", "benchmark-findings", column_config={
                 "rho": ui.rho_column("rho"), "ci_low": ui.rho_column("CI low"), "ci_high": ui.rho_column("CI high"),
                 "since": st.column_config.DateColumn("since"), "as_of": st.column_config.DateColumn("as of")})


def adjusted(ctx: Context, info: dict, axis: str, model_set: str) -> None:
    st.subheader("Capability-adjusted ranking")
    ranking = ctx.read(views.adjusted_ranking, ctx.run["run_id"], info["source"], info["column"], model_set, axis)
    if ranking.empty:
        st.info("No capability-adjusted residuals for this benchmark, axis and model set (they are computed "
                "for safety benchmarks, at the latest as-of point).")
        return
    first = ranking.iloc[0]
    st.caption(f"Each model's residual after a {first['method']} regression of the benchmark (oriented, higher "
               f"= safer) on the {axis} axis, as of {pd.Timestamp(first['as_of']):%Y-%m-%d}, n = {int(first['n'])}: "
               "a positive residual is a model safer than its capabilities predict. Ranks, fitted value and "
               "residual are in percentile points (x100), as `benchwatch adjusted` shows them.")
    ui.table(ranking, "capability-adjusted ranking", "adjusted", height=300, column_config={
        "residual": ui.rho_column("residual"),
        "fitted": ui.rho_column("fitted"),
        "value_rank": ui.rho_column("benchmark rank"),
        "axis_rank": ui.rho_column("axis rank"),
        "as_of": st.column_config.DateColumn("as of")})


def provenance(info: dict) -> None:
    st.subheader("Provenance")
    cls = SOURCES.get(info["source"])
    rows = {
        "source": info["source"], "column": info["column"], "benchmark id": info["benchmark_id"],
        "name": info["name"], "category": info["category"], "safety area": info.get("safety_area") or "",
        "metric": info.get("metric") or "", "direction": "higher = safer" if info["direction"] == 1
        else "lower = safer (negated before correlating)", "scale": info["scale"],
        "licence": cls.license if cls else "", "attribution": cls.attribution if cls else "",
        "homepage": cls.homepage if cls else "",
    }
    ui.table(pd.DataFrame({"field": list(rows), "value": [str(v) for v in rows.values()]}),
             "provenance", "provenance")


def render(ctx: Context) -> None:
    ctx.require_data()
    index = ctx.read(views.correlation_index, ctx.run["run_id"])
    if with_models(index).empty:
        st.info("No benchmark has a correlation with at least one model in this run.")
        return
    source, benchmark, axis, model_set = choose(ctx, index)
    info = ctx.read(views.benchmark_info, source, benchmark) or {
        "source": source, "column": benchmark, "benchmark_id": benchmark, "name": benchmark,
        "category": "not in the registry", "direction": 1, "scale": "unknown"}
    series = ctx.read(views.benchmark_series, ctx.run["run_id"], source, benchmark)
    chosen = series[(series["axis"] == axis) & (series["model_set"] == model_set)].reset_index(drop=True)
    events = ctx.read(views.alert_events, None, source, benchmark)
    headline(ctx, info, chosen)
    findings(ctx, info)
    trend(ctx, series, events, axis, model_set)
    scatter(ctx, info, chosen, axis, model_set)
    adjusted(ctx, info, axis, model_set)
    provenance(info)
    ui.attribution_note([source])


render(current())
