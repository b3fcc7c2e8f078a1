"""Check a benchmark: upload your own results, get the paper's test against every stored axis.

The same function as ``benchwatch check`` (``pipeline.benchmark_check``) on the
published copy; the upload is read in memory and never touches the database. An upload is
untrusted: Streamlit refuses one over ``input_limits.max_bytes`` (``server.maxUploadSize``, set
by ``benchwatch dashboard``), and the page refuses it too, and one over the row or JSON bounds,
with the bound's message, before any matching starts. The model and score columns are picked
among the file's headers. The check runs in a child process that stops with the session
(``dashboard.background``).
"""

from __future__ import annotations

import streamlit as st

from benchwatch import numbers
from benchwatch.dashboard import charts, ui
from benchwatch.dashboard.background import check_upload, run_stoppable, warm
from benchwatch.dashboard.context import current
from benchwatch.dashboard.data import StaleCopy, version_of
from benchwatch.sources.tabular import InputError, detected_columns, table_columns

ANY_SET = "any"


def refuse(exc: InputError) -> None:
    st.error("This file cannot be checked as it is:")
    st.text(str(exc))
    st.stop()


def column_pickers(columns: list[str]) -> tuple[str | None, str | None]:
    """The model and score columns, chosen among the file's headers (the CLI's ``--model-column``
    and ``--score-column``); preset to what the check would take by itself."""
    model, score = detected_columns(columns)
    left, right = st.columns(2)
    with left:
        model = st.selectbox("Model column", columns, index=columns.index(model) if model else None,
                             key="check_model_column", placeholder="Choose the column naming the models",
                             help="The column holding the model names.")
    with right:
        rest = [c for c in columns if c != model]
        score = st.selectbox("Score column", rest, index=rest.index(score) if score in rest else None,
                             key="check_score_column", placeholder="Choose the column holding the scores",
                             help="The column holding each model's score on your benchmark.")
    return model, score


ctx = current()
st.title("Check a benchmark")
st.caption("Upload your benchmark's results (CSV, TSV, Parquet or JSON with a model and a score column, "
           "or EEE records as JSONL or one JSON record). Each model is matched to the models Benchwatch "
           "knows, and the scores are correlated with every stored capability axis, as the Safetywashing "
           "paper does. The file stays in this session: nothing is written to the database.")
ctx.require_data()
warm()  # the child that will run the check starts importing now, while the user picks a file
limit = ctx.settings.input_limits
upload = st.file_uploader("Your results", type=["csv", "tsv", "parquet", "json", "jsonl"], key="check_file",
                          help=f"At most {limit.max_bytes:,} bytes and {limit.max_rows:,} rows "
                               "(input_limits.max_bytes, input_limits.max_rows).")
columns = None
if upload is not None:
    try:
        # The size bound first: an upload over it is refused before anything reads it.
        columns = table_columns(upload.getvalue(), upload.name, limit)
    except InputError as exc:
        refuse(exc)
model_column, score_column = column_pickers(columns) if columns else (None, None)
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
if columns and (model_column is None or score_column is None):
    st.info("Choose the model column and the score column among the file's columns: "
            + ", ".join(columns[:30]) + ".")
    st.stop()
progress = st.empty()
try:
    # In a child process that is killed when this session stops (tab closed, input changed).
    report = run_stoppable(
        check_upload, str(ctx.pinned.path), ctx.settings, upload.getvalue(), upload.name, name or None,
        model_column, score_column, True if lower else None, None if model_set == ANY_SET else model_set,
        tick=lambda seconds: progress.caption(f"Checking {upload.name}… {seconds:.0f} s (leaving the page or "
                                              "changing an input stops it)"))
except InputError as exc:
    progress.empty()
    refuse(exc)
progress.empty()
if version_of(ctx.pinned.path) != ctx.pinned.version:
    raise StaleCopy(f"{ctx.pinned.path} was republished during this check")

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
