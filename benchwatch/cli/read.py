"""Read commands: the paper reproduction, correlations, sources."""

from __future__ import annotations

import json
from enum import Enum
from pathlib import Path
from typing import Annotated, Optional

import duckdb
import pandas as pd
import typer

from benchwatch.cli.app import (
    DbOption,
    Format,
    WideOption,
    app,
    emit,
    err,
    out,
    parse_date,
    read_db,
    settings_or_exit,
    sources_app,
    valid_choice,
)


@app.command("reproduce-paper")
def reproduce_paper(
    data: Annotated[Optional[Path], typer.Option("--data", help="Folder holding safetywashing/.")] = None,
    fmt: Annotated[Format, typer.Option("--format")] = Format.table,
) -> None:
    """The paper's method on the paper's matrices: PC1 variance and every correlation."""
    from benchwatch.paper import reproduce
    from benchwatch.sources.base import SourceError

    settings = settings_or_exit(replay_dir=data)
    try:
        result = reproduce(settings.replay_dir)
    except SourceError as exc:
        err.print(str(exc), markup=False)
        raise typer.Exit(1) from None
    if fmt is Format.json:
        typer.echo(json.dumps(
            {k: {"n_models": v["n_models"], "explained_variance": v["explained_variance"],
                 "correlations": v["correlations"], "calibration_vs_mmlu": v["calibration_vs_mmlu"]}
             for k, v in result.items()}, indent=1))
        return
    rows = pd.DataFrame({k: v["correlations"] for k, v in result.items()})
    rows = rows.rename_axis("benchmark").reset_index().sort_values("chat", ascending=False, na_position="last")
    if fmt is Format.csv:
        emit(rows, fmt)  # CSV from its first line: the header
        return
    for model_set, facts in result.items():
        out.print(f"[bold]{model_set}[/bold]: {facts['n_models']} models, PC1 explains "
                  f"{100 * facts['explained_variance']:.1f}% of capability variance")
    emit(rows, fmt, percent=tuple(result), title="Capabilities correlation (Spearman rho with the PC1 score)")


CORRELATION_JSON = ["source", "model_set", "axis", "benchmark", "name", "benchmark_id", "category", "safety_area",
                    "direction", "as_of", "rho", "ci_low", "ci_high", "n", "small_n", "class", "meaning",
                    "relation", "relation_reason", "slope", "r2", "subset_low", "subset_high", "saturation",
                    "saturated", "partial_rho_time", "n_time", "time_note"]
CORRELATION_TABLE = ["source", "set", "axis", "name", "as_of", "rho", "CI×100", "n", "class"]
# ``--wide``: the signals beside rho (``analysis.signals``).
SIGNALS_TITLE = ("; slope: oriented score per capability SD, r2: share of the spread capabilities explain, "
                 "halves: rho's 5th-95th percentile over random half-samples, saturation: share of models "
                 "within 5% of the scale's ends, partial_rho_time: rho with release date held fixed")
SIGNAL_TABLE = ["slope", "r2", "halves×100", "saturation", "partial_rho_time"]


def with_signals(frame: pd.DataFrame, settings) -> pd.DataFrame:
    """Each correlation row with its saturation flag and the note when rho falls below the
    threshold with release date held fixed."""
    from benchwatch.analysis.signals import is_saturated, time_note

    return frame.assign(
        saturated=[is_saturated(s, settings.saturation_flag) for s in frame["saturation"]],
        time_note=[time_note(r, p, settings.capability_threshold)
                   for r, p in zip(frame["rho"], frame["partial_rho_time"], strict=True)])


def with_band(frame: pd.DataFrame) -> pd.DataFrame:
    """The half-sample band as one x100 column, for tables."""
    return frame.assign(**{"halves×100": [
        f"[{100 * lo:.1f}, {100 * hi:.1f}]" if pd.notna(lo) and pd.notna(hi) else ""
        for lo, hi in zip(frame["subset_low"], frame["subset_high"], strict=True)]})


def with_interval(frame: pd.DataFrame) -> pd.DataFrame:
    """The bootstrap interval as one x100 column ("60.3 to 85.4"), blank when there is none."""
    return frame.assign(**{"CI×100": [f"[{100 * lo:.1f}, {100 * hi:.1f}]" if pd.notna(lo) and pd.notna(hi) else ""
                                      for lo, hi in zip(frame["ci_low"], frame["ci_high"], strict=True)]},
                        set=frame["model_set"])


def with_classes(frame: pd.DataFrame, settings) -> pd.DataFrame:
    """Each correlation row with its class in words, direction, and a small-n flag.

    A pair that holds by construction (``analysis.circularity``) is never
    classed by its rho: its class says what it is, and why.
    """
    from benchwatch.analysis.circularity import INDEPENDENT
    from benchwatch.analysis.classes import MEANINGS, Bands

    bands = Bands(tracking=settings.capability_threshold)
    frame = frame.copy()
    independent = frame["relation"].fillna(INDEPENDENT) == INDEPENDENT
    classes = frame["rho"].map(lambda r: bands.classify(None if pd.isna(r) else float(r)))
    frame["class"] = classes.where(independent, frame["relation"]).fillna("")
    frame["meaning"] = [MEANINGS.get(c, "") if ok else reason
                        for c, ok, reason in zip(frame["class"], independent, frame["relation_reason"], strict=True)]
    frame["small_n"] = frame["n"] < settings.min_models
    frame["direction"] = frame["direction"].map({1: "higher = safer", -1: "lower = safer (negated)"}).fillna("")
    frame["name"] = frame["name"].fillna(frame["benchmark"])
    return frame


@app.command()
def correlations(
    source: Annotated[Optional[str], typer.Option("--source")] = None,
    model_set: Annotated[Optional[str], typer.Option("--model-set")] = None,
    as_of: Annotated[Optional[str], typer.Option(
        "--as-of", help="DATE: each series' latest point on or before it; 'all' every point "
        "(default: latest).")] = None,
    axis: Annotated[Optional[str], typer.Option("--axis")] = None,
    fmt: Annotated[Format, typer.Option("--format")] = Format.table,
    wide: WideOption = False,
    db: DbOption = None,
) -> None:
    """Capabilities correlations from the database (latest as-of point by default).

    Table: rho x100 (the paper's convention), the class in words, "*" after
    n below min_models; a pair correlated by construction is marked with its
    relation (part of the axis, same construct) instead of a class.
    """
    from benchwatch.storage.results import correlations as read_correlations
    from benchwatch.storage.results import filter_values

    settings = settings_or_exit(db=db)
    if as_of not in (None, "all"):
        parse_date(as_of, "--as-of")
    with read_db(settings) as con:
        valid = filter_values(con)
        valid_choice(source, valid["source"], "--source")
        valid_choice(axis, valid["axis"], "--axis")
        valid_choice(model_set, valid["model_set"], "--model-set")
        frame = read_correlations(con, source=source, model_set=model_set, as_of=as_of, axis=axis)
    frame["as_of"] = pd.to_datetime(frame["as_of"]).dt.strftime("%Y-%m-%d")
    frame = with_signals(with_classes(frame, settings), settings)
    if fmt is Format.table:
        frame = frame[frame["category"] == "safety"] if source is None else frame
        frame = frame.assign(n=[f"{int(n)}{'*' if small else ''}" for n, small in
                                zip(frame["n"], frame["small_n"], strict=True)])
        negated = frame["direction"].str.startswith("lower")
        frame = frame.assign(**{"class": frame["class"].str.replace("-", " ")},
                             name=frame["name"].where(~negated, frame["name"] + " (lower = safer, negated)"))
        columns = CORRELATION_TABLE + (SIGNAL_TABLE if wide else [])
        emit(with_band(with_interval(frame))[columns], fmt, percent=("rho", "partial_rho_time"), wide=wide,
             split="source",
             title="Spearman rho and its CI x100, benchmarks oriented higher = safer "
                   "(* n below min_models)" + (SIGNALS_TITLE if wide else ""))
    else:
        emit(frame[CORRELATION_JSON], fmt)


@app.command()
def findings(
    source: Annotated[Optional[str], typer.Option("--source")] = None,
    fmt: Annotated[Format, typer.Option("--format")] = Format.table,
    wide: WideOption = False,
    db: DbOption = None,
) -> None:
    """Findings: what the rules find on frozen sources' data (never alerts, never notified)."""
    from benchwatch.sources import SOURCES
    from benchwatch.storage.findings import list_findings

    settings = settings_or_exit(db=db)
    valid_choice(source, list(SOURCES), "--source")
    with read_db(settings) as con:
        try:
            frame = list_findings(con, source=source)
        except duckdb.CatalogException:
            err.print(f"no findings in {settings.db} yet: run `benchwatch refresh` (it upgrades the database)",
                      markup=False)
            raise typer.Exit(1) from None
    for column in ("since", "as_of"):
        frame[column] = pd.to_datetime(frame[column]).dt.strftime("%Y-%m-%d")
    frame = with_signals(frame, settings)
    if fmt is Format.table:
        columns = ["source", "set", "axis", "name", "rule", "rho", "CI×100", "n", "since"]
        emit(with_band(with_interval(frame))[columns + (SIGNAL_TABLE if wide else [])],
             fmt, percent=("rho", "partial_rho_time"), wide=wide, split="source",
             title="Findings on frozen data: Spearman rho and its CI x100" + (SIGNALS_TITLE if wide else ""))
    else:
        emit(frame, fmt)


@sources_app.callback()
def sources(
    ctx: typer.Context,
    fmt: Annotated[Format, typer.Option("--format")] = Format.table,
    db: DbOption = None,
) -> None:
    """Each source: live or frozen (since, why, evidence), fetches, last status, newest data, licence."""
    if ctx.invoked_subcommand is not None:
        return
    from benchwatch.storage.views import sources as source_rows

    settings = settings_or_exit(db=db)
    with read_db(settings) as con:
        frame = source_rows(con)
    for column in ("last_fetched_at", "latest_data"):
        frame[column] = pd.to_datetime(frame[column]).dt.strftime("%Y-%m-%d %H:%M")
    if fmt is Format.table:
        emit(frame[["name", "liveness", "frozen_since", "fetches", "last_status", "last_fetched_at",
                    "observations", "models", "benchmarks", "latest_data", "last_error"]], fmt)
    else:
        emit(frame, fmt)


class CheckFormat(str, Enum):
    table = "table"
    json = "json"


@sources_app.command("check")
def sources_check(
    source: Annotated[Optional[list[str]], typer.Option("--source", help="Only this source (repeatable).")] = None,
    fmt: Annotated[CheckFormat, typer.Option("--format")] = CheckFormat.table,
    record: Annotated[bool, typer.Option(
        "--record", help="Log failures in the fetch log (source-failing, schema-changed read it).")] = False,
    db: DbOption = None,
) -> None:
    """One cheap request per source: reachable, HTTP status, format recognised/changed/unknown, newest data.

    Exits 1 when a probed source is unreachable or its format changed or is unknown.
    """
    from benchwatch.pipeline.sources_check import run_sources_check
    from benchwatch.sources.base import SourceError

    settings = settings_or_exit(db=db)
    try:
        results = run_sources_check(settings, source, record=record)
    except (ValueError, SourceError, OSError) as exc:
        err.print(str(exc), markup=False)
        raise typer.Exit(2) from None
    rows = [result.as_dict() for result in results]
    if fmt is CheckFormat.json:
        typer.echo(json.dumps(rows, indent=1))
    else:
        frame = pd.DataFrame(rows)
        http = frame["http_status"].map(lambda s: "" if s is None or pd.isna(s) else str(int(s)))
        frame = pd.DataFrame({
            "source": frame["source"], "live": frame["liveness"], "format": frame["format"],
            "http": http.where(frame["reachable"] != False, "down"),  # noqa: E712 - None means not probed
            "newest": frame["newest_data"].fillna(""), "detail": frame["detail"]})
        emit(frame, Format.table, title="Upstreams")
    if not all(result.ok for result in results):
        raise typer.Exit(1)
