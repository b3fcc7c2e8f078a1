"""``benchwatch correlations``: the stored capabilities correlations, with their classes."""

from __future__ import annotations

from typing import Annotated

import pandas as pd
import typer

from benchwatch import numbers
from benchwatch.cli.app import DbOption, app, parse_date, read_db, settings_or_exit, valid_choice
from benchwatch.cli.table import Format, FormatOption, WideOption, emit

CORRELATION_JSON = ["source", "model_set", "axis", "benchmark", "name", "benchmark_id", "category", "safety_area",
                    "direction", "as_of", "rho", "ci_low", "ci_high", "n", "small_n", "class", "decided", "meaning",
                    "interval", "axis_refit", "p_tracking", "p_positive", "p_inverse", "q", "note",
                    "relation", "relation_reason", "slope", "r2", "subset_low", "subset_high", "saturation",
                    "saturated", "partial_rho_time", "n_time", "time_note"]
CORRELATION_TABLE = ["source", "set", "axis", "name", "as_of", "rho", "CI×100", "n", "class"]
# ``--wide``: the signals beside rho (``analysis.signals``).
SIGNALS_TITLE = ("; slope: oriented score per capability SD, r2: share of the spread capabilities explain, "
                 "halves: rho's 5th-95th percentile over random half-samples, saturation: share of models "
                 "within 5% of the scale's ends, partial_rho_time: rho with release date held fixed")
SIGNAL_TABLE = ["slope", "r2", "halves×100", "saturation", "partial_rho_time"]
SIGNAL_SHARES = ("r2", "saturation")  # shown as percentages


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
        numbers.rho_interval(lo, hi) for lo, hi in zip(frame["subset_low"], frame["subset_high"], strict=True)]})


def with_interval(frame: pd.DataFrame) -> pd.DataFrame:
    """The bootstrap interval as one x100 column ("[60.3, 85.4]"), an em dash when there is none."""
    return frame.assign(**{"CI×100": [numbers.rho_interval(lo, hi)
                                      for lo, hi in zip(frame["ci_low"], frame["ci_high"], strict=True)]},
                        set=frame["model_set"])


def with_classes(frame: pd.DataFrame, settings) -> pd.DataFrame:
    """Each correlation row with its class in words, direction, and a small-n flag.

    The class is decided by the interval ("possibly ..." when only rho is in
    the band, "too few models" below ``min_models``: ``analysis.classes``). A
    pair that holds by construction (``analysis.circularity``) is never
    classed by its rho: its class says what it is, and why.
    """
    from benchwatch.analysis.circularity import INDEPENDENT
    from benchwatch.analysis.classes import Bands, is_decided, meaning

    bands = Bands(tracking=settings.capability_threshold)
    frame = frame.copy()
    independent = frame["relation"].fillna(INDEPENDENT) == INDEPENDENT
    classes = pd.Series([bands.label(*(None if pd.isna(v) else float(v) for v in values), settings.min_models)
                         for values in zip(frame["rho"], frame["ci_low"], frame["ci_high"], frame["n"],
                                           strict=True)], index=frame.index, dtype=object)
    frame["class"] = classes.where(independent, frame["relation"]).fillna("")
    frame["decided"] = [ok and is_decided(c) for c, ok in zip(frame["class"], independent, strict=True)]
    frame["meaning"] = [meaning(c) if ok else reason
                        for c, ok, reason in zip(frame["class"], independent, frame["relation_reason"], strict=True)]
    frame["small_n"] = frame["n"] < settings.min_models
    frame["direction"] = frame["direction"].map({1: "higher = safer", -1: "lower = safer (negated)"}).fillna("")
    frame["name"] = frame["name"].fillna(frame["benchmark"])
    return frame


@app.command()
def correlations(
    source: Annotated[str | None, typer.Option("--source")] = None,
    model_set: Annotated[str | None, typer.Option("--model-set")] = None,
    as_of: Annotated[str | None, typer.Option(
        "--as-of", help="DATE: each series' latest point on or before it; 'all' every point "
        "(default: latest).")] = None,
    axis: Annotated[str | None, typer.Option("--axis")] = None,
    fmt: FormatOption = Format.table,
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
        frame = frame.assign(n=[f"{numbers.count(n)}{'*' if small else ''}" for n, small in
                                zip(frame["n"], frame["small_n"], strict=True)])
        negated = frame["direction"].str.startswith("lower")
        frame = frame.assign(**{"class": frame["class"].str.replace("-", " ")},
                             name=frame["name"].where(~negated, frame["name"] + " (lower = safer, negated)"))
        columns = CORRELATION_TABLE + (SIGNAL_TABLE if wide else [])
        emit(with_band(with_interval(frame))[columns], fmt, percent=("rho", "partial_rho_time"), wide=wide,
             shares=SIGNAL_SHARES,
             split="source",
             title=f"{numbers.RHO_CAPTION} and its CI, benchmarks oriented higher = safer "
                   "(* n below min_models)" + (SIGNALS_TITLE if wide else ""))
    else:
        emit(frame[CORRELATION_JSON], fmt)
