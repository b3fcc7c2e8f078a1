"""Data: sources and their fetch log, revisions, model identity, and the paper reproduction."""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from benchwatch import numbers
from benchwatch.dashboard import reproduction, ui
from benchwatch.dashboard.context import Context, current
from benchwatch.paper import reproduce
from benchwatch.sources import SOURCES
from benchwatch.sources.errors import SourceError
from benchwatch.storage import views

ALL = ""


@st.cache_data(show_spinner="Reproducing the paper's numbers…", max_entries=4)
def paper_result(data_dir: str) -> dict:
    """The method on the paper's matrices; the files are static, so cache per folder."""
    return reproduce(Path(data_dir))


def sources_tab(ctx: Context) -> None:
    status = ctx.read(views.sources)
    if not status.empty:
        status = status.assign(
            homepage=status["name"].map(lambda n: SOURCES[n].homepage if n in SOURCES else ""))
    st.caption("Live sources still change upstream; a frozen one (since the date shown, for the reason "
               "given, with the upstream's own statement linked) keeps its history and is fetched weekly at most.")
    ui.table(status, "sources", "data-sources", empty="No source has been fetched yet.", column_config={
        "homepage": st.column_config.LinkColumn("homepage"),
        "evidence": st.column_config.LinkColumn("evidence"),
        "latest_data": st.column_config.DatetimeColumn("newest data", format="YYYY-MM-DD")})
    source = ui.pick("Fetch log of", [ALL, *SOURCES], key="log_source", default=ALL,
                     format_func=lambda s: s or "every source")
    log = ctx.read(views.fetch_log, source or None, 1000).drop(columns=["warnings", "models_revised"]).rename(
        columns={"warnings_text": "warnings"})
    st.caption("Newest first (at most 1,000 rows). A replay reads a recorded snapshot; a live fetch "
               "records its HTTP status and validators; a failed fetch keeps its error.")
    ui.table(log, "fetch log", "fetch-log", height=350, empty="No fetch recorded for this source.",
             column_config={"started_at": st.column_config.DatetimeColumn("started (UTC)", format="YYYY-MM-DD HH:mm:ss"),
                            "finished_at": st.column_config.DatetimeColumn("finished (UTC)", format="YYYY-MM-DD HH:mm:ss"),
                            "observed_at": st.column_config.DateColumn("data date")})


def revisions_tab(ctx: Context) -> None:
    batches = ctx.read(views.revision_batches)
    st.caption("A revision is a published value that a later fetch changed (a retroactive rescoring): the "
               "old row is closed, the new one opened, both kept. Re-publishing with more digits is not one.")
    ui.table(batches, "revision batches", "revision-batches", height=300, empty="No published value was ever revised.",
             column_config={"observed_at": st.column_config.DateColumn("data date")})
    if batches.empty:
        return
    labels = {int(r.fetch_id): f"fetch {r.fetch_id}: {r.source} {r.snapshot} ({r.values_revised:,} values)"
              for r in batches.itertuples()}
    fetch_id = ui.pick("Values revised by", list(labels), key="revision_fetch",
                       default=int(batches.sort_values("values_revised").iloc[-1]["fetch_id"]),
                       format_func=labels.get)
    ui.table(ctx.read(views.revisions, fetch_id), "revised values", "revised-values", height=350, column_config={
        "published": st.column_config.DateColumn("published"), "revised": st.column_config.DateColumn("revised")})


def models_tab(ctx: Context) -> None:
    st.caption("Each source names models its own way; the analysis resolves every (source, model) to one "
               "canonical id (exact, normalized by rule, or a curated alias) so axes can join sources. "
               "A model no other source shares is unmatched: it never enters a cross-source correlation.")
    summary = ctx.read(views.identity_summary)
    ui.table(summary, "model matching per source", "identity-summary", empty="No model identity stored yet: "
             "the next analysis run resolves them.", column_config={
                 "matched_fraction": ui.share_column("matched elsewhere")})
    if not summary.empty:
        source = ui.pick("Unmatched models of", list(summary["source"]), key="unmatched_source",
                         default="helm-safety")
        ui.table(ctx.read(views.unmatched_models, source), "unmatched models", "unmatched-models", height=300,
                 empty="Every model of this source is matched to another source.")
    st.caption("Models per source and model set")
    ui.table(ctx.read(views.models_per_source), "models per source", "models-per-source")


def paper_tab(ctx: Context) -> None:
    st.caption("The paper's method on the paper's own matrices (data/safetywashing), next to the values "
               f"the paper reports: {numbers.RHO_CAPTION}, explained variance in %.")
    try:
        result = paper_result(str(ctx.settings.replay_dir))
    except (SourceError, OSError) as exc:
        st.warning("The paper's matrices cannot be read, so the reproduction is unavailable.")
        st.text(str(exc))
        return
    reported = reproduction.reported()
    check = reproduction.check(result, reported)
    agree = int(check["agrees"].sum())
    st.metric("reported figures reproduced (±0.1)", f"{agree} / {len(check)}")
    ui.table(check, "paper check", "paper-check")
    for model_set, facts in result.items():
        st.text(f"{model_set}: {facts['n_models']} models, PC1 explains "
                f"{numbers.share(facts['explained_variance'], 1)} of capability variance")
    st.caption("Every benchmark's capabilities correlation as computed (the reported ones are in the table "
               "above); a benchmark a model set does not have reads —.")
    ui.table(reproduction.correlations(result), "paper reproduction", "paper-reproduction")


def render(ctx: Context) -> None:
    st.title("Data")
    ctx.require_data()
    # Only the open tab runs (and is in the URL): the paper reproduction costs
    # a second on its first view and nothing to a visitor who never opens it.
    sections = {"Sources and fetches": sources_tab, "Revisions": revisions_tab, "Models": models_tab,
                "Paper reproduction": paper_tab}
    tabs = st.tabs(list(sections), key="data_tab", on_change="rerun", bind="query-params")
    for tab, section in zip(tabs, sections.values(), strict=True):
        if tab.open:
            with tab:
                section(ctx)
    ui.attribution_note()


render(current())
