"""Model identity and capability-adjusted safety: ``benchwatch models`` and ``benchwatch adjusted``."""

from __future__ import annotations

import json
from typing import Annotated

import duckdb
import pandas as pd
import typer

from benchwatch import numbers
from benchwatch.cli.app import DbOption, app, err, out, read_db, settings_or_exit, valid_choice
from benchwatch.cli.table import Format, FormatOption, emit
from benchwatch.identity.resolve import coverage, matched_sources
from benchwatch.identity.suggest import suggest
from benchwatch.storage.identity import adjusted as read_adjusted
from benchwatch.storage.identity import identities
from benchwatch.storage.results import filter_values

NOT_YET = "no model identities in {db} yet: run `benchwatch refresh` (the analysis resolves them)"


def _read(settings, reader, *args, **kwargs) -> pd.DataFrame:
    with read_db(settings) as con:
        try:
            return reader(con, *args, **kwargs)
        except duckdb.CatalogException:
            err.print(NOT_YET.format(db=settings.db), markup=False)
            raise typer.Exit(1) from None


@app.command()
def models(
    unmatched: Annotated[bool, typer.Option("--unmatched", help="Only models no other source has, "
                                            "with suggestions.")] = False,
    source: Annotated[str | None, typer.Option("--source")] = None,
    fmt: FormatOption = Format.table,
    db: DbOption = None,
) -> None:
    """Each source's models: canonical id, how it was matched, which other sources share it.

    Also the fraction of each source's models that every other source has.
    Suggestions for unmatched models are fuzzy and never applied: add a row to
    benchwatch/data/aliases.csv to accept one.
    """
    settings = settings_or_exit(db=db)
    identity = _read(settings, identities)
    if identity.empty:
        err.print(NOT_YET.format(db=settings.db), markup=False)
        raise typer.Exit(1)
    if source is not None and source not in set(identity["source"]):
        err.print(f"--source: no models of {source!r}; sources: {', '.join(sorted(set(identity['source'])))}")
        raise typer.Exit(2)
    identity["matched_in"] = matched_sources(identity)
    overlap = coverage(identity)
    rows = identity if source is None else identity[identity["source"] == source]
    if source is not None:
        overlap = overlap[overlap["source"] == source]
    if unmatched:
        rows = rows[rows["matched_in"].str.len() == 0].copy()
        rows["suggestions"] = suggest(rows, identity)
    rows = rows.astype(object).where(rows.notna(), None)
    if fmt is Format.json:
        typer.echo(json.dumps({"coverage": overlap.to_dict("records"),
                               "models": rows.to_dict("records")}, indent=1))
        return
    if fmt is Format.csv:
        emit(rows.assign(matched_in=rows["matched_in"].str.join(" ")), fmt)
        return
    table = overlap.assign(share=[numbers.fraction_of(m, n) for m, n in
                                  overlap[["matched", "models"]].itertuples(index=False)])
    grid = table.pivot(index="source", columns="other_source", values="share").fillna(numbers.MISSING)
    emit(grid.rename_axis(None, axis=1).reset_index(), fmt,
         title="Models of each source (rows) that another source (columns) also has")
    shown = rows.assign(matched_in=rows["matched_in"].str.join(", "))
    columns = ["source", "model", "canonical_id", "kind", "kind_rule", "match_rule", "match_detail", "matched_in"]
    if unmatched:
        shown["suggestions"] = [", ".join(f"{s['canonical_id']} ({s['source']}, {s['score']:.2f})"
                                          for s in found) for found in rows["suggestions"]]
        columns = ["source", "model", "canonical_id", "kind", "suggestions"]
    out.print(f"{len(shown)} model(s)")
    emit(shown[columns], fmt)


@app.command()
def adjusted(
    benchmark: Annotated[str, typer.Option("--benchmark", help="Registry column or benchmark id, "
                                           "e.g. harm_bench_safety_score or harmbench.")],
    axis: Annotated[str | None, typer.Option("--axis")] = None,
    model_set: Annotated[str | None, typer.Option("--model-set")] = None,
    source: Annotated[str | None, typer.Option("--source")] = None,
    fmt: FormatOption = Format.table,
    db: DbOption = None,
) -> None:
    """Capability-adjusted safety: who is safer than their capabilities predict.

    Each model's residual after a rank-on-rank least-squares fit of the
    benchmark on the axis, in percentile points (+0.20: ranks 20 points higher
    on the benchmark than models of its capability rank), at the latest as-of
    point. Highest first.
    """
    settings = settings_or_exit(db=db)
    valid = _read(settings, filter_values)
    for flag, value, key in (("--source", source, "source"), ("--axis", axis, "axis"),
                             ("--model-set", model_set, "model_set")):
        valid_choice(value, valid[key], flag)
    frame = _read(settings, read_adjusted, benchmark, axis=axis, model_set=model_set, source=source)
    if frame.empty:
        err.print(f"no residuals for benchmark {benchmark!r}"
                  + "".join(f", {k} {v!r}" for k, v in (("axis", axis), ("model set", model_set),
                                                        ("source", source)) if v)
                  + ": see `benchwatch correlations` for the benchmarks and axes there are")
        raise typer.Exit(1)
    frame["as_of"] = pd.to_datetime(frame["as_of"]).dt.strftime("%Y-%m-%d")
    if fmt is Format.table:
        # One table per source: the same benchmark id on two sources is two benchmarks.
        for source_name, part in frame.groupby("source", sort=True):
            title = (f"{part['name'].iloc[0] or benchmark} ({source_name}): rank residual on each axis "
                     f"(ranks and residual in percentile points, x100), "
                     f"as of {', '.join(sorted(set(part['as_of'])))}")
            emit(part[["model_set", "axis", "model", "value", "axis_value", "value_rank", "axis_rank",
                       "residual", "n"]], fmt, percent=("value_rank", "axis_rank", "residual"), title=title)
    else:
        emit(frame, fmt)
