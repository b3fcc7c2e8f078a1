"""Altair charts: frames in, chart specs out (no Streamlit, no I/O).

Every chart gives its numbers in tooltips, which Vega renders as text.
"""

from __future__ import annotations

from collections.abc import Mapping

import altair as alt
import numpy as np
import pandas as pd

from benchwatch import numbers
from benchwatch.analysis.classes import CLASSES, POSSIBLY, TOO_FEW

# rho is drawn x100, as every view shows it (``benchwatch.numbers``): the charts scale their data.
RHO_SCALE = alt.Scale(domain=[-100, 100])
RHO_COLUMNS = ("rho", "ci_low", "ci_high", "value")

# A point's provenance as the Benchmark page shows it, column -> title (Every Eval Ever keeps it per
# score: ``storage.eee``; other sources keep none).
PROVENANCE = {"evaluator_relationship": "measured by", "adapter": "adapter", "cron_run_date": "cron run",
              "collection": "collection"}


def _rho_tooltips() -> list[alt.Tooltip]:
    """rho and its interval in a tooltip, x100 (the data is scaled before drawing)."""
    return [alt.Tooltip("rho:Q", format=numbers.RHO_TOOLTIP, title=numbers.RHO_UNIT),
            alt.Tooltip("ci_low:Q", format=numbers.RHO_TOOLTIP, title="CI low (x100)"),
            alt.Tooltip("ci_high:Q", format=numbers.RHO_TOOLTIP, title="CI high (x100)")]


def date_axis(dates: pd.Series, field: str, title: str) -> alt.X:
    """A temporal x axis whose ticks always name the month: month ticks (every ``step`` months so
    about a dozen show) over a span of two months or more, day ticks labelled with their month
    below that. Vega's default picks weekday ticks ("Mon 09") over short spans, without a month."""
    stamps = pd.to_datetime(pd.Series(dates)).dropna()
    span_days = (stamps.max() - stamps.min()).days if len(stamps) else 0
    if span_days >= 60:
        months = span_days / 30.4
        axis = alt.Axis(format="%b %Y", tickCount={"interval": "month", "step": max(1, int(np.ceil(months / 12)))},
                        labelOverlap=True)
    else:
        axis = alt.Axis(format="%d %b %Y", tickCount={"interval": "day", "step": max(1, int(np.ceil(span_days / 8)))},
                        labelOverlap=True)
    return alt.X(field, title=title, axis=axis)


def _series_label(frame: pd.DataFrame) -> pd.Series:
    return frame["model_set"].astype(str) + " · " + frame["axis"].astype(str)


def trend(series: pd.DataFrame, events: pd.DataFrame, threshold: float, hysteresis: float) -> alt.LayerChart:
    """Correlation over data time: a line per axis and model set, its bootstrap band, the
    alert threshold band, and a marker where an alert fired or resolved."""
    data = numbers.scaled(series, RHO_COLUMNS).assign(series=_series_label(series),
                                                      as_of=pd.to_datetime(series["as_of"]))
    x = date_axis(pd.concat([data["as_of"], pd.to_datetime(events["data_time"]) if len(events) else data["as_of"]]),
                  "as_of:T", "data as of")
    color = alt.Color("series:N", title="model set · axis")
    tooltip = [alt.Tooltip("series:N", title="model set · axis"), alt.Tooltip("as_of:T", title="as of"),
               *_rho_tooltips(), alt.Tooltip("n:Q")]
    label = (f"alert zone (fires ≥ {numbers.rho(threshold)}, resolves < {numbers.rho(threshold - hysteresis)}, "
             f"{numbers.RHO_UNIT})")
    band = pd.DataFrame({"low": [100 * (threshold - hysteresis)], "high": [100.0], "label": [label]})
    layers = [
        alt.Chart(band).mark_rect(color="#d62728", opacity=0.08).encode(
            y=alt.Y("low:Q", scale=RHO_SCALE), y2="high:Q", tooltip=alt.Tooltip("label:N", title="band")),
        alt.Chart(pd.DataFrame({"rho": [100 * threshold]})).mark_rule(color="#d62728", strokeDash=[6, 3]).encode(
            y=alt.Y("rho:Q", scale=RHO_SCALE)),
        alt.Chart(data).mark_area(opacity=0.15).encode(
            x=x, y=alt.Y("ci_low:Q", scale=RHO_SCALE, title=f"capabilities correlation ({numbers.RHO_CAPTION})"),
            y2="ci_high:Q", fill=alt.Fill("series:N", legend=None)),
        alt.Chart(data).mark_line(point=True).encode(
            x=x, y=alt.Y("rho:Q", scale=RHO_SCALE), color=color, tooltip=tooltip),
    ]
    if not events.empty:
        marks = numbers.scaled(events, RHO_COLUMNS).assign(data_time=pd.to_datetime(events["data_time"]),
                                                           series=_series_label(events))
        layers.append(alt.Chart(marks).mark_point(shape="triangle-up", size=200, filled=True, opacity=1).encode(
            x="data_time:T", y=alt.Y("value:Q", scale=RHO_SCALE),
            color=alt.Color("state:N", title="alert", scale=alt.Scale(domain=["firing", "resolved"],
                                                                      range=["#d62728", "#2ca02c"])),
            tooltip=[alt.Tooltip("state:N", title="alert"), alt.Tooltip("series:N", title="model set · axis"),
                     alt.Tooltip("data_time:T", title="data time"),
                     alt.Tooltip("value:Q", format=numbers.RHO_TOOLTIP, title=numbers.RHO_UNIT)]))
    # Series colors and alert-state colors are different things: separate scales.
    return alt.layer(*layers).resolve_scale(color="independent").properties(height=340)


def landscape(latest: pd.DataFrame, bands) -> alt.LayerChart:
    """Every safety benchmark's current correlation as a dot per source, colored by class,
    with the class thresholds as rules: where the benchmarks sit at a glance."""
    classes = [*CLASSES, *(POSSIBLY + c for c in CLASSES), TOO_FEW]
    palette = ["#d62728", "#ff7f0e", "#2ca02c", "#1f77b4", "#f4a6a6", "#ffc999", "#a9dfa9", "#a6c8e8", "#c7c7c7"]
    data = numbers.scaled(latest, RHO_COLUMNS).assign(
        series=latest["model_set"].astype(str) + " · " + latest["axis"].astype(str))
    dots = alt.Chart(data).mark_circle(size=70, opacity=0.75).encode(
        x=alt.X("rho:Q", scale=RHO_SCALE,
                title=f"capabilities correlation ({numbers.RHO_CAPTION}), newest as-of point"),
        y=alt.Y("source:N", title=None, axis=alt.Axis(labelLimit=240)),
        yOffset=alt.YOffset("jitter:Q"),
        color=alt.Color("class:N", scale=alt.Scale(domain=classes, range=palette)),
        tooltip=[alt.Tooltip("name:N", title="benchmark"), alt.Tooltip("series:N", title="model set · axis"),
                 *_rho_tooltips(), alt.Tooltip("n:Q"), alt.Tooltip("class:N")],
    ).transform_calculate(jitter="random() * 16 - 8")
    rules = alt.Chart(pd.DataFrame({"rho": [100 * bands.inverse, 100 * bands.correlated,
                                            100 * bands.tracking]})).mark_rule(
        strokeDash=[4, 3], color="gray").encode(x="rho:Q")
    return alt.layer(rules, dots).properties(height=max(140, 48 * data["source"].nunique()))


# Above this many models a scatter is drawn as a density with the labelled models on top: a point
# per model would make the chart spec megabytes (67,280 models: 11.8 MB) and the page slow.
AGGREGATE_ABOVE = 5_000
LABELLED = 25  # the most capable models, drawn and named over the density
DENSITY_BINS = (60, 40)  # x, y
LINE_POINTS = 400  # points of the fitted rank line drawn over a density


def scatter(points: pd.DataFrame, x_title: str, y_title: str, log_x: bool = False,
            line: pd.DataFrame | None = None, details: Mapping[str, str] | None = None) -> alt.Chart:
    """The paper's figure: a point per model, capability-axis value against the benchmark, the
    model's name on hover, and the fitted rank line (``analysis.adjusted.rank_line``). ``details``:
    more text columns of ``points`` shown on hover (column -> title), e.g. a value's provenance.

    More than ``AGGREGATE_ABOVE`` models: a binned density of every model (the count on hover)
    with the ``LABELLED`` most capable drawn and named on top (``aggregated``)."""
    x_scale = alt.Scale(type="log") if log_x else alt.Scale(zero=False)
    y_scale = alt.Scale(zero=False)
    tooltip = [alt.Tooltip("name:N", title="model"), alt.Tooltip("model:N", title="id"),
               alt.Tooltip("axis_value:Q", title=x_title, format=".4g"),
               alt.Tooltip("value:Q", title=y_title, format=".4g"),
               *(alt.Tooltip(f"{column}:N", title=title) for column, title in (details or {}).items()
                 if column in points)]
    x = alt.X("axis_value:Q", title=x_title, scale=x_scale)
    y = alt.Y("value:Q", title=y_title, scale=y_scale)
    if aggregated(points):
        top = points.nlargest(LABELLED, "axis_value")
        layers = [
            alt.Chart(density(points, log_x)).mark_rect().encode(
                x=alt.X("x_low:Q", title=x_title, scale=x_scale), x2="x_high:Q",
                y=alt.Y("y_low:Q", title=y_title, scale=y_scale), y2="y_high:Q",
                color=alt.Color("models:Q", title="models", scale=alt.Scale(scheme="greys", type="log")),
                tooltip=[alt.Tooltip("models:Q", title="models in this cell")]),
            alt.Chart(top).mark_circle(size=60, color="#1f77b4").encode(x=x, y=y, tooltip=tooltip),
            alt.Chart(top.assign(label=top["name"].astype(str).str.slice(0, 40))).mark_text(
                align="left", dx=6, dy=-4, fontSize=9).encode(x=x, y=y, text="label:N"),
        ]
    else:
        layers = [alt.Chart(points).mark_circle(size=60, opacity=0.7).encode(x=x, y=y, tooltip=tooltip)]
    if line is not None and not line.empty:
        if aggregated(points):  # the fitted line has a point per model too: drawn through LINE_POINTS of them
            line = line.sort_values("axis_value").iloc[np.unique(np.linspace(0, len(line) - 1, LINE_POINTS).astype(int))]
        layers.append(alt.Chart(line).mark_line(color="#d62728", strokeDash=[6, 3]).encode(
            x=alt.X("axis_value:Q", scale=x_scale), y=alt.Y("fitted_value:Q")))
    return (alt.layer(*layers) if len(layers) > 1 else layers[0]).properties(height=380)


def with_provenance(points: pd.DataFrame, provenance: pd.DataFrame) -> pd.DataFrame:
    """The points with where each value came from, as text a person reads (first or third party,
    the adapter, the cron run's date, the collection), ``MISSING`` where the source keeps none (every
    source but Every Eval Ever, a grouped point): never "None" or "nan" in a tooltip or a cell."""
    merged = points.merge(provenance[["model", *PROVENANCE]], on="model", how="left")

    def text(value: object, column: str) -> str:
        if numbers.missing(value):
            return numbers.MISSING
        if column == "cron_run_date":
            return pd.Timestamp(value).strftime("%Y-%m-%d")
        return str(value).replace("_", " ") if column == "evaluator_relationship" else str(value)

    return merged.assign(**{c: [text(v, c) for v in merged[c].astype(object)] for c in PROVENANCE})


def aggregated(points: pd.DataFrame) -> bool:
    """Whether ``scatter`` draws these points as a density (more than ``AGGREGATE_ABOVE``)."""
    return len(points) > AGGREGATE_ABOVE


def density(points: pd.DataFrame, log_x: bool = False) -> pd.DataFrame:
    """Models per cell of a ``DENSITY_BINS`` grid over (axis_value, value), non-empty cells only;
    the x bins are even in log10 when the axis is drawn on a log scale."""
    x = points["axis_value"].to_numpy(float)
    y = points["value"].to_numpy(float)
    keep = np.isfinite(x) & np.isfinite(y) & ((x > 0) if log_x else True)
    x, y = x[keep], y[keep]
    counts, x_edges, y_edges = np.histogram2d(np.log10(x) if log_x else x, y, bins=DENSITY_BINS)
    if log_x:
        x_edges = 10.0 ** x_edges
    ix, iy = np.nonzero(counts)
    return pd.DataFrame({"x_low": x_edges[ix], "x_high": x_edges[ix + 1], "y_low": y_edges[iy],
                         "y_high": y_edges[iy + 1], "models": counts[ix, iy].astype(int)})


def explained_variance(axes: pd.DataFrame) -> alt.Chart:
    """PC1's share of capability variance over data time, a line per model set; with one as-of
    date per model set (a frozen source) a line would be a lone dot, so a bar per model set: PC1's
    share beside the rest of the variance, which the other components explain."""
    data = axes.assign(as_of=pd.to_datetime(axes["as_of"]))
    if data.groupby("model_set")["as_of"].nunique().max() <= 1:
        return _variance_bars(data)
    return alt.Chart(data).mark_line(point=True).encode(
        x=date_axis(data["as_of"], "as_of:T", "data as of"),
        y=alt.Y("explained_variance:Q", title="PC1 explained variance", scale=alt.Scale(domain=[0, 1]),
                axis=alt.Axis(format=numbers.SHARE_AXIS_FORMAT)),
        color=alt.Color("model_set:N", title="model set"),
        tooltip=[alt.Tooltip("model_set:N", title="model set"), alt.Tooltip("as_of:T", title="as of"),
                 alt.Tooltip("explained_variance:Q", format=".1%", title="explained variance"),
                 alt.Tooltip("n_models:Q", title="models"), alt.Tooltip("n_benchmarks:Q", title="benchmarks")],
    ).properties(height=300)


def _variance_bars(data: pd.DataFrame) -> alt.Chart:
    """A stacked bar per model set: PC1's share of the variance and the rest (other components)."""
    rest = data.assign(explained_variance=1 - data["explained_variance"], part="other components")
    parts = pd.concat([data.assign(part="PC1"), rest], ignore_index=True)
    return alt.Chart(parts).mark_bar().encode(
        x=alt.X("explained_variance:Q", title="share of capability variance", stack="zero",
                scale=alt.Scale(domain=[0, 1]), axis=alt.Axis(format="%")),
        y=alt.Y("model_set:N", title="model set"),
        color=alt.Color("part:N", title="explained by", scale=alt.Scale(domain=["PC1", "other components"],
                                                                        range=["#1f77b4", "#d9d9d9"])),
        order=alt.Order("part:N"),
        tooltip=[alt.Tooltip("model_set:N", title="model set"), alt.Tooltip("part:N", title="explained by"),
                 alt.Tooltip("as_of:T", title="as of"),
                 alt.Tooltip("explained_variance:Q", format=".1%", title="share of variance"),
                 alt.Tooltip("n_models:Q", title="models"), alt.Tooltip("n_benchmarks:Q", title="benchmarks")],
    ).properties(height=max(120, 48 * data["model_set"].nunique()))


LOADING_ROW = 24  # pixels per loadings bar: room for every label at the axis' font size


def loadings_bar(loadings: pd.DataFrame) -> alt.Chart:
    """PC1 loadings at one date, largest first, every bar labelled (a band axis otherwise drops
    every other label it thinks would overlap)."""
    return alt.Chart(loadings).mark_bar().encode(
        x=alt.X("loading:Q", title="PC1 loading"),
        y=alt.Y("name:N", sort="-x", title=None, axis=alt.Axis(labelLimit=260, labelOverlap=False)),
        tooltip=[alt.Tooltip("name:N", title="benchmark"), alt.Tooltip("loading:Q", format=".3f")],
    ).properties(height=alt.Step(LOADING_ROW))


def loadings_over_time(loadings: pd.DataFrame) -> alt.Chart:
    """How each benchmark's PC1 loading moved as models were added."""
    data = loadings.assign(as_of=pd.to_datetime(loadings["as_of"]))
    return alt.Chart(data).mark_line(point=True).encode(
        x=date_axis(data["as_of"], "as_of:T", "data as of"),
        y=alt.Y("loading:Q", title="PC1 loading"),
        color=alt.Color("name:N", title="benchmark"),
        tooltip=[alt.Tooltip("name:N", title="benchmark"), alt.Tooltip("as_of:T", title="as of"),
                 alt.Tooltip("loading:Q", format=".3f")],
    ).properties(height=300)


def check_scatter(points: pd.DataFrame, benchmark: str, axis: str) -> alt.LayerChart:
    """The paper's figure for an uploaded benchmark: its score against a capabilities axis,
    one labelled point per model (labels and tooltips render as text)."""
    x = alt.X("capabilities:Q", title=f"capabilities score: {axis}", scale=alt.Scale(zero=False))
    y = alt.Y("score:Q", title=f"{benchmark[:60]} (as published)", scale=alt.Scale(zero=False))
    base = alt.Chart(points.assign(label=points["model"].astype(str).str.slice(0, 40)))
    dots = base.mark_circle(size=60).encode(
        x=x, y=y, tooltip=[alt.Tooltip("model:N"), alt.Tooltip("canonical_id:N", title="canonical id"),
                           alt.Tooltip("score:Q", format=".4g"),
                           alt.Tooltip("capabilities:Q", format=".4g", title=axis)])
    labels = base.mark_text(align="left", dx=6, dy=-4, fontSize=9).encode(x=x, y=y, text="label:N")
    return alt.layer(dots, labels).properties(height=420)
