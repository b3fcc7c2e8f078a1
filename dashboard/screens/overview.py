"""Overview: open alerts, every safety benchmark's current capabilities correlation, freshness."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from benchwatch import numbers
from benchwatch.analysis.circularity import INDEPENDENT
from benchwatch.analysis.classes import CLASSES
from benchwatch.analysis.cross import AXIS_LABELS
from benchwatch.dashboard import charts, ui
from benchwatch.dashboard.alert_table import measured_text, split_value
from benchwatch.dashboard.context import Context, current
from benchwatch.sources import SOURCES
from benchwatch.storage import views

ANY_SET = "any"


def latest_per_series(history: pd.DataFrame, bands, min_models: int) -> pd.DataFrame:
    """The newest point of each (source, benchmark, model set, axis) series, with its trend and its class
    decided by the interval ("possibly ...", "too few models": ``analysis.classes``)."""
    if history.empty:
        return pd.DataFrame()
    keys = ["source", "benchmark", "model_set", "axis"]
    grouped = history.groupby(keys, sort=False)
    latest = grouped.tail(1).set_index(keys)
    # The points that have a rho: a missing one would break the sparkline.
    latest["trend"] = grouped["rho"].agg(lambda s: [float(v) for v in s if pd.notna(v)])
    latest["points"] = grouped.size()
    latest = latest.reset_index()
    labels = [bands.label(*(None if pd.isna(v) else float(v) for v in values), min_models)
              for values in zip(latest["rho"], latest["ci_low"], latest["ci_high"], latest["n"], strict=True)]
    latest["class"] = pd.Series(labels, index=latest.index, dtype=object).where(
        latest["relation"] == INDEPENDENT, latest["relation"])
    latest["link"] = [ui.page_link("benchmark", source=r.source, benchmark=r.benchmark, axis=r.axis,
                                   model_set=r.model_set) for r in latest.itertuples()]
    columns = ["name", "class", "rho", "ci_low", "ci_high", "n", "trend", "source", "model_set", "axis",
               "as_of", "points", "safety_area", "relation_reason", "link", "benchmark"]
    return latest[columns].sort_values(["rho", "name"], ascending=[False, True], na_position="last")


def open_alerts(ctx: Context) -> None:
    st.subheader("Open alerts")
    alerts = ctx.read(views.alerts)
    firing = split_value(alerts[alerts["state"] == "firing"])
    if firing.empty:
        st.success("No alert is firing.")
        return
    shown = firing[["what", "severity", "rule", "measured", "measured_threshold", "unit", "n", "fired_at",
                    "raised_at", "message", "source", "benchmark", "model_set", "axis"]]
    st.caption(f"{len(firing)} firing alert(s) about what can still change (live sources, data problems), "
               "dated at the data time they fired; the Alerts page has their history, and acknowledges or "
               "silences them. Results on frozen data are findings, below.")
    ui.table(shown, "open alerts", "open-alerts", height=250, display=measured_text, column_config={
        "what": st.column_config.TextColumn("alert"),
        "measured": st.column_config.TextColumn("measured (threshold) unit",
                                                help="rho x100, shares in %: the value beside its threshold "
                                                     "in one unit."),
        "fired_at": st.column_config.DateColumn("fired (data time)"),
        "benchmark": st.column_config.TextColumn("column"),
        "raised_at": st.column_config.DatetimeColumn("raised (UTC)", format="YYYY-MM-DD HH:mm")})


def findings(ctx: Context) -> None:
    """Findings on frozen data, apart from the alerts: true of the past, nothing to act on now."""
    st.subheader("Findings on frozen data")
    found = ctx.read(views.findings)
    if found.empty:
        st.info("No finding: no frozen source's safety benchmark tracks capabilities.")
        return
    st.caption(f"{len(found)} result(s) on sources that no longer change (the Safetywashing paper's 2024 "
               "matrices, archived leaderboards, HELM since its maintenance mode): what the alert rules find "
               "there is a finding about the past, stored and shown here, never an open alert or a "
               "notification.")
    found = found.assign(link=[ui.page_link("benchmark", source=r.source, benchmark=r.benchmark, axis=r.axis,
                                            model_set=r.model_set) for r in found.itertuples()])
    ui.table(found[["name", "source", "model_set", "axis", "rule", "rho", "ci_low", "ci_high", "n", "since",
                    "as_of", "safety_area", "link", "benchmark"]], "findings", "findings", height=300,
             column_config={
                 "name": st.column_config.TextColumn("benchmark"), "rho": ui.rho_column("rho"),
                 "ci_low": ui.rho_column("CI low"), "ci_high": ui.rho_column("CI high"),
                 "since": st.column_config.DateColumn("since"), "as_of": st.column_config.DateColumn("as of"),
                 "safety_area": st.column_config.TextColumn("safety area"),
                 "link": st.column_config.LinkColumn("details", display_text="open ↗"),
                 "benchmark": st.column_config.TextColumn("column")})


def benchmarks_table(ctx: Context) -> None:
    st.subheader("Safety benchmarks: capabilities correlation now")
    index = ctx.read(views.correlation_index, ctx.run["run_id"])
    axes = sorted(index["axis"].dropna().unique())
    sets = sorted(index["model_set"].dropna().unique())
    left, middle, right = st.columns(3)
    with left:
        axis = ui.pick("Capability axis", axes, key="axis", default="pc1",
                       format_func=lambda a: AXIS_LABELS.get(a, a),
                       help="pc1: the paper's capabilities score within each source; compute: training FLOP.")
    with middle:
        model_set = ui.pick("Model set", [ANY_SET, *sets], key="model_set", default=ANY_SET,
                            format_func=lambda s: "every model set" if s == ANY_SET else s)
    with right:
        source = ui.pick("Source", ["", *sorted(index["source"].unique())], key="source", default="",
                         format_func=lambda s: s or "every source")
    history = ctx.read(views.safety_history, ctx.run["run_id"], axis,
                       None if model_set == ANY_SET else model_set, source or None)
    latest = latest_per_series(history, ctx.bands, ctx.settings.min_models)
    empty = latest[latest["n"] == 0] if not latest.empty else latest
    latest = latest[latest["n"] > 0] if not latest.empty else latest
    if latest.empty:
        st.info("No safety benchmark has a correlation on this axis and model set.")
        return
    counts = latest["class"].value_counts()
    for column, name in zip(st.columns(len(CLASSES)), CLASSES, strict=True):
        column.metric(name, int(counts.get(name, 0)))
    st.altair_chart(charts.landscape(latest, ctx.bands), width="stretch")
    st.caption(f"{numbers.RHO_CAPTION}. Classes: " + ctx.bands.describe() + ". Counts are decided classes; "
               "a pale dot is only "
               "possibly in its band, a grey one has too few models (no interval, no class). The trend is "
               "the correlation at each as-of date, oldest to newest.")
    ui.table(latest, "safety benchmarks", "safety-benchmarks", column_config={
        "name": st.column_config.TextColumn("benchmark"),
        "rho": ui.rho_column("rho", f"{numbers.RHO_CAPTION} with the capability axis"),
        "ci_low": ui.rho_column("CI low"), "ci_high": ui.rho_column("CI high"),
        "as_of": st.column_config.DateColumn("as of"),
        "trend": st.column_config.LineChartColumn("trend", y_min=-1.0, y_max=1.0),
        "benchmark": st.column_config.TextColumn("column"),
        "link": st.column_config.LinkColumn("details", display_text="open ↗"),
        "safety_area": st.column_config.TextColumn("safety area"),
        "points": st.column_config.NumberColumn("as-of points"),
        "relation_reason": st.column_config.TextColumn("by construction?", help="Why a correlation holds "
                                                       "by construction (not evidence), or how the axis was "
                                                       "recomputed without the benchmark."),
    })
    if len(empty):
        st.caption(ui.escape_markdown(
            f"Not in the table: {len(empty)} series where no model has both the benchmark and the axis "
            "(n = 0), so there is no rho: " + "; ".join(sorted(f"{r.name} ({r.source}, {r.model_set} · {r.axis})"
                                                             for r in empty.itertuples())) + "."))
    st.caption(ui.run_note(ctx.run))


def freshness(ctx: Context) -> None:
    st.subheader("Sources")
    status = ctx.read(views.sources)
    now = pd.Timestamp.now(tz="UTC").tz_localize(None)
    known = set(status["name"]) if not status.empty else set()
    never = [name for name in SOURCES if name not in known]
    if not status.empty:
        status = status.assign(age=(now - pd.to_datetime(status["last_fetched_at"])).map(_age))
        failing = status[status["last_status"] == "failed"]
        if len(failing):
            st.warning("Source failing (its last fetch failed): " + ", ".join(failing["name"])
                       + ". Its data is shown as of its last good fetch; the error is in the table.")
    if never:
        st.info("Never fetched yet: " + ", ".join(never))
    ui.table(status[["name", "liveness", "frozen_since", "last_status", "last_fetched_at", "age", "fetches",
                     "failed_fetches", "observations", "revisions", "models", "latest_data", "liveness_why",
                     "evidence", "last_error"]]
             if not status.empty else status,
             "source freshness", "sources", empty="No source has been fetched yet.", column_config={
                 "last_fetched_at": st.column_config.DatetimeColumn("last fetch (UTC)", format="YYYY-MM-DD HH:mm"),
                 "latest_data": st.column_config.DateColumn("newest data"),
                 "liveness": st.column_config.TextColumn("live / frozen"),
                 "frozen_since": st.column_config.TextColumn("frozen since"),
                 "liveness_why": st.column_config.TextColumn("why"),
                 "evidence": st.column_config.LinkColumn("evidence"),
                 "last_error": st.column_config.TextColumn("last error")})


def last_run(ctx: Context) -> None:
    st.subheader("Last run")
    attempt, good = ctx.runs["attempt"], ctx.run
    left, middle, right = st.columns(3)
    left.metric("analysis run shown", f"#{good['run_id']}")
    middle.metric("correlations in it", f"{good['n_stored']:,}")
    right.metric("last attempt", f"#{attempt['run_id']} {attempt['status']}")
    finished = attempt["finished_at"] or attempt["started_at"]
    st.caption(f"Last attempt finished {pd.Timestamp(finished):%Y-%m-%d %H:%M} UTC; a skipped run means "
               "nothing changed since the run shown. Data version: "
               f"{ui.escape_markdown(attempt['data_version'])}.")


def _age(delta: pd.Timedelta) -> str:
    if pd.isna(delta):
        return ""
    hours = delta.total_seconds() / 3600
    return f"{hours:.0f} h" if hours < 48 else f"{hours / 24:.0f} d"


def render(ctx: Context) -> None:
    if "benchmark" in st.query_params:
        # A link to one benchmark (an alert notification, say) that landed on the front page.
        st.switch_page("screens/benchmark.py", query_params=st.query_params.to_dict())
    st.title("Benchwatch")
    ctx.require_data()
    open_alerts(ctx)
    findings(ctx)
    benchmarks_table(ctx)
    freshness(ctx)
    last_run(ctx)
    ui.attribution_note()


render(current())
