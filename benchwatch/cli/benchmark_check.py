"""``benchwatch check FILE``: does my benchmark measure safety, or capabilities?

Reads a benchmark author's own results (CSV, TSV, Parquet, JSON, or EEE
records), matches the models to the ones Benchwatch knows, and correlates the
scores with every stored capability axis (``pipeline.benchmark_check``). Reads the
database, never writes it.
"""

from __future__ import annotations

import shutil
import sys
from enum import Enum
from pathlib import Path
from typing import Annotated

import duckdb
import typer
from pydantic import ValidationError

from benchwatch import numbers
from benchwatch.cli.app import DbOption, app, err, fail, out, read_db, settings_or_exit, valid_choice, writing
from benchwatch.cli.benchmark_report import RHO_COLUMNS, as_html, cell_text, write_json
from benchwatch.cli.table import Format, emit
from benchwatch.pipeline.benchmark_check import check_benchmark
from benchwatch.settings import CustomSource, SettingsError, load_settings, register_custom_source
from benchwatch.sources import catalog
from benchwatch.sources.tabular import InputError, detect_format, scores_from_path
from benchwatch.storage.results import filter_values
from benchwatch.text import inert, shown

MATCH_ROWS = 200  # rows of the match table printed in table mode


class CheckFormat(str, Enum):
    table = "table"
    json = "json"
    html = "html"


@app.command()
def check(
    file: Annotated[Path, typer.Argument(help="CSV, TSV, Parquet or JSON with a model and a score "
                                         "column, or a folder / JSONL of EEE records.")],
    name: Annotated[str | None, typer.Option("--name", help="The benchmark's name (EEE: which "
                                                "evaluation, by metric id or name).")] = None,
    lower_is_better: Annotated[bool, typer.Option("--lower-is-better", help="Lower scores are safer "
                                                  "(EEE records say so themselves).")] = False,
    model_set: Annotated[str | None, typer.Option("--model-set", help="Only this model set "
                                                     "(base, chat, all).")] = None,
    model_column: Annotated[str | None, typer.Option("--model-column")] = None,
    score_column: Annotated[str | None, typer.Option("--score-column")] = None,
    fmt: Annotated[CheckFormat, typer.Option("--format")] = CheckFormat.table,
    out_path: Annotated[Path | None, typer.Option("--out", help="Write the report here.")] = None,
    save: Annotated[str | None, typer.Option("--save", help="Register the file as a custom source "
                                                "of this name (settings file) and ingest it.")] = None,
    safety_area: Annotated[str | None, typer.Option("--safety-area", help="With --save: the benchmark's "
                                                    "safety area (default: unspecified).")] = None,
    db: DbOption = None,
) -> None:
    """Correlate your benchmark with every capability axis Benchwatch holds (the paper's test).

    Says how each model was matched (and suggests for the unmatched), then per
    axis rho with its bootstrap interval, n, the class and a plain verdict.
    """
    settings = settings_or_exit(db=db)
    if safety_area is not None and save is None:
        raise fail("--safety-area goes with --save: it is the saved benchmark's safety area", 2)
    try:
        user = scores_from_path(file, name, model_column, score_column, limits=settings.input_limits)
        with read_db(settings) as con:
            try:
                valid_choice(model_set, filter_values(con)["model_set"], "--model-set")
                report = check_benchmark(con, settings, user, name, True if lower_is_better else None,
                                         model_set)
            except duckdb.CatalogException:
                err.print(f"no analysis in {settings.db} yet: run `benchwatch refresh` first", markup=False)
                raise typer.Exit(1) from None
    except InputError as exc:
        # One line whatever the file held: its names' line breaks and control bytes are written out.
        err.print(f"check: {inert(str(exc))}", markup=False, highlight=False)
        raise typer.Exit(2) from None
    if fmt is CheckFormat.table and out_path is None:
        with writing("standard output"):
            _print(report, settings.name_shown_chars)
    elif fmt is CheckFormat.json:  # streamed: a row per model of the file, 100,000 rows and more
        if out_path is None:
            with writing("standard output"):
                write_json(report, sys.stdout)
        else:
            with writing(f"--out {out_path}"), out_path.open("w", encoding="utf-8") as stream:
                write_json(report, stream)
            err.print(f"wrote {out_path}", markup=False)
    else:
        text = as_html(report, settings.name_shown_chars) if fmt is CheckFormat.html else _plain(report)
        if out_path is None:
            with writing("standard output"):
                typer.echo(text)
        else:
            with writing(f"--out {out_path}"):
                out_path.write_text(text, encoding="utf-8")
            err.print(f"wrote {out_path}", markup=False)
    if save is not None:
        _save(settings, file, user, report, save, safety_area or "unspecified")
    if report.results.empty:
        from benchwatch.analysis.method import MIN_PAIRS

        err.print(f"check: no stored capability axis shares {MIN_PAIRS} of these models (min_models = "
                  f"{settings.min_models} for an interval and a class); "
                  f"{int(report.matches['matched'].sum())} of {len(report.matches)} matched", markup=False)
        raise typer.Exit(1)


def _print(report, name_chars: int) -> None:
    matched = int(report.matches["matched"].sum())
    out.print(f"{shown(report.benchmark, name_chars)}: {len(report.matches)} models, {matched} matched "
              f"({'lower' if report.lower_is_better else 'higher'} is better)", markup=False,
              highlight=False)
    matches = report.matches.sort_values("matched", kind="stable")
    first = matches[["model", "canonical_id", "rule", "matched", "suggestions"]].head(MATCH_ROWS)
    more = f"; the first {MATCH_ROWS}, unmatched first (all: --format json)" if len(matches) > MATCH_ROWS else ""
    emit(first, Format.table, title=f"How each model was matched ({len(report.unmatched)} not matched{more})",
         name_chars=name_chars)
    results = report.results.assign(**{
        "CI×100": [numbers.rho_interval(lo, hi) for lo, hi in
                   zip(report.results["ci_low"], report.results["ci_high"], strict=True)],
        "halves×100": [numbers.rho_interval(lo, hi) for lo, hi in
                       zip(report.results["subset_low"], report.results["subset_high"], strict=True)]})
    emit(results[["axis", "axis_source", "model_set", "as_of", "rho", "CI×100", "n", "class", "relation"]],
         Format.table, percent=("rho",), title=f"Capabilities correlations ({numbers.RHO_CAPTION})",
         name_chars=name_chars)
    emit(results[["axis", "axis_source", "model_set", "slope", "r2", "halves×100", "saturation", "partial_rho_time",
                  "n_time"]], Format.table, percent=("partial_rho_time",), shares=("r2", "saturation"),
         name_chars=name_chars,
         title="Beside rho: slope per capability SD, r2, rho over random halves, saturation, rho with "
               "release date held fixed (x100)")
    for row in report.results.itertuples(index=False):
        out.print(f"- {row.axis_source}/{row.model_set}: {row.verdict}", markup=False, highlight=False)


def _save(settings, file: Path, user, report, name: str, safety_area: str) -> None:
    """Copy the file under the home, add a ``[[custom_sources]]`` entry, ingest it (no analysis:
    the next refresh correlates it and its alerts start)."""
    if name in catalog(settings):
        err.print(f"--save: a source called {name!r} exists already", markup=False)
        raise typer.Exit(2)
    from benchwatch.pipeline.refresh import refresh  # only --save writes: a plain check never loads the flows

    target = settings.home / "custom" / name / file.name
    fmt = detect_format(file)
    model, score, model_set = user.columns or ("model", report.benchmark, None)
    try:
        spec = CustomSource(
            name=name, path=target, format="eee" if user.columns is None else fmt, model_column=model,
            model_set_column=model_set,
            benchmarks=[{"column": score, "name": report.benchmark, "category": "safety",
                         "safety_area": safety_area, "direction": -1 if report.lower_is_better else 1}])
    except ValidationError as exc:
        err.print(f"--save: {exc.errors()[0]['msg']}", markup=False)
        raise typer.Exit(2) from None
    target.parent.mkdir(parents=True, exist_ok=True)
    # copy2 (and copytree's copy2) keep the modification time: the source is dated by it, not by today.
    (shutil.copytree if file.is_dir() else shutil.copy2)(file, target)
    try:
        config = register_custom_source(spec)
        saved = load_settings(db=settings.db)
    except SettingsError as exc:
        err.print(str(exc), markup=False)
        raise typer.Exit(2) from None
    [ingested] = refresh(saved, [name], "live", analyze=False).reports
    if ingested.status == "failed":
        err.print(f"--save: {ingested.error}", markup=False)
        raise typer.Exit(1)
    # On standard error: standard output holds the report (JSON or HTML stays parseable).
    err.print(f"saved as custom source {name!r} in {config} (file copied to {target}); "
              f"{ingested.rows_added} values stored; the next refresh correlates it and alerts on it",
              markup=False, highlight=False)


def _plain(report) -> str:
    """The correlations as plain text for ``--out``: numbers as the table shows them (rho x100)."""
    frame = report.results.drop(columns="verdict")
    if frame.empty:
        return "(no axis)"
    text = frame.assign(**{c: [cell_text(v, c) for v in frame[c]] for c in frame.columns})
    text = text.rename(columns={c: f"{c} x100" for c in RHO_COLUMNS if c in text.columns})
    return f"{numbers.RHO_CAPTION}\n" + text.to_string(index=False)
