"""Check a benchmark: upload your own results, get the paper's test against every stored axis.

The same function as ``benchwatch check`` (``pipeline.benchmark_check``) on the
published copy; the upload is read in memory and never touches the database. An upload is
untrusted: Streamlit refuses one over ``input_limits.max_bytes`` (``server.maxUploadSize``, set
by ``benchwatch dashboard``), and the page refuses it too, and one over the row or JSON bounds,
with the bound's message, before any matching starts.
"""

from __future__ import annotations

import streamlit as st

from benchwatch import numbers
from benchwatch.dashboard import charts, ui
from benchwatch.dashboard.context import current
from benchwatch.pipeline.benchmark_check import check_benchmark
from benchwatch.sources.tabular import InputError, scores_from_bytes

ANY_SET = "any"

ctx = current()
st.title("Check a benchmark")
st.caption("Upload your benchmark's results (CSV, TSV, Parquet or JSON with a model and a score column, "
           "or EEE records as JSONL or one JSON record). Each model is matched to the models Benchwatch "
           "knows, and the scores are correlated with every stored capability axis, as the Safetywashing "
           "paper does. The file stays in this session: nothing is written to the database.")
ctx.require_data()
upload = st.file_uploader("Your results", type=["csv", "tsv", "parquet", "json", "jsonl"], key="check_file")
left, middle, right = st.columns(3)
with left:
    name = st.text_input("Benchmark name (EEE records: the metric id or evaluation name)", key="check_name")
with middle:
    model_set = st.selectbox("Model set", [ANY_SET, "chat", "base", "all"], key="check_set")
with right:
    lower = st.checkbox("Lower scores are safer", key="check_lower",
                        help="EEE records say it themselves (metric_config.lower_is_better).")
if upload is None:
    st.info("Upload a file to check it.")
    st.stop()
try:
    user = scores_from_bytes(upload.getvalue(), upload.name, name or None, limits=ctx.settings.input_limits)
    report = check_benchmark(ctx.pinned.connection(), ctx.settings, user, name or None,
                             True if lower else None, None if model_set == ANY_SET else model_set)
except InputError as exc:
    st.error("This file cannot be checked as it is:")
    st.text(str(exc))
    st.stop()

matched = int(report.matches["matched"].sum())
cols = st.columns(3)
cols[0].metric("Models", numbers.count(len(report.matches)))
cols[1].metric("Matched", numbers.count(matched))
cols[2].metric("Axes compared", numbers.count(len(report.results)))
st.text(f"Benchmark: {report.benchmark} ({'lower' if report.lower_is_better else 'higher'} is better)")

st.subheader("Capabilities correlations")
if report.results.empty:
    st.warning(f"No stored capability axis shares {ctx.settings.min_models} (min_models) of these models.")
else:
    ui.table(report.results, "correlations", "check-results", column_config={
        "rho": ui.rho_column("rho"), "ci_low": ui.rho_column("CI low"), "ci_high": ui.rho_column("CI high"),
        "subset_low": ui.rho_column("halves low"), "subset_high": ui.rho_column("halves high"),
        "partial_rho_time": ui.rho_column("rho, release date fixed"), "r2": ui.share_column("r2"),
        "saturation": ui.share_column("saturation"), "as_of": st.column_config.DateColumn("as of")})
    st.caption(f"{numbers.RHO_CAPTION}. " + ctx.bands.describe())
    st.text("\n".join(f"{r.axis} ({r.axis_source}, {r.model_set}): {r.verdict}"
                      for r in report.results.itertuples(index=False)))
    st.subheader("Your benchmark against the capabilities score")
    labels = [f"{r.axis} · {r.axis_source} · {r.model_set} (n {r.n})"
              for r in report.results.itertuples(index=False)]
    chosen = st.selectbox("Axis", range(len(labels)), format_func=lambda k: labels[k], key="check_axis")
    row = report.results.iloc[chosen]
    st.altair_chart(charts.check_scatter(report.points(chosen), report.benchmark, str(row["axis"])),
                    width="stretch")
st.subheader("How each model was matched")
ui.table(report.matches[["model", "score", "model_set", "canonical_id", "rule", "detail", "matched",
                         "suggestions"]], "matches", "check-matches")
