"""``benchwatch refresh``: one pass of the refresh use case.

Under Prefect (a flow run) when a Prefect API is configured; otherwise as plain calls in this
process, so a one-shot run never starts a temporary Prefect server.
"""

from __future__ import annotations

from typing import Annotated

import pandas as pd
import typer
from typer.core import TyperCommand

from benchwatch import numbers
from benchwatch.cli.app import DbOption, app, err, out, parse_date, settings_or_exit, usable_or_exit
from benchwatch.cli.prefect_env import configured_prefect_api, prefect_defaults
from benchwatch.cli.table import Format, emit
from benchwatch.pipeline import refresh as use_case
from benchwatch.pipeline.refresh import RefreshResult, source_names
from benchwatch.storage.db import StorageError


class OptionalReplayDir(TyperCommand):
    """``--replay`` with or without DIR, as documented. Typer's parser has no option whose value
    may be left out, so a bare ``--replay`` (last, or followed by another option) is given the
    empty value, which means the configured recorded data (``replay_dir``)."""

    def parse_args(self, ctx: typer.Context, args: list[str]) -> list[str]:
        args = ["--replay=" if arg == "--replay" and (k + 1 == len(args) or args[k + 1].startswith("-")) else arg
                for k, arg in enumerate(args)]
        return super().parse_args(ctx, args)


@app.command(cls=OptionalReplayDir)
def refresh(
    source: Annotated[list[str] | None, typer.Option("--source", help="Only these sources (repeatable).")] = None,
    replay: Annotated[str | None, typer.Option(
        "--replay", metavar="[DIR]", help="Replay recorded snapshots (the default), optionally from DIR.")] = None,
    live: Annotated[bool, typer.Option("--live", help="Fetch from the real upstreams over the internet.")] = False,
    reparse: Annotated[bool, typer.Option(
        "--reparse", help="Parse the newest archived live payload again with today's parser.")] = False,
    until: Annotated[str | None, typer.Option("--until", help="Replay only data up to this date (YYYY-MM-DD).")] = None,
    db: DbOption = None,
) -> None:
    """One pass: ingest, analyze, evaluate alerts, summarize (a Prefect flow run when a Prefect API is configured)."""
    if sum([live, replay is not None, reparse]) > 1:
        err.print("--live, --replay and --reparse are exclusive")
        raise typer.Exit(2)
    settings = settings_or_exit(db=db, replay_dir=replay or None)
    until_date = parse_date(until, "--until")
    try:
        source_names(source, settings)
    except ValueError as exc:
        err.print(str(exc), markup=False)
        raise typer.Exit(2) from None
    if not (live or reparse):
        try:
            settings.require_replay_dir()
        except ValueError as exc:
            err.print(str(exc), markup=False)
            raise typer.Exit(2) from None
    # A damaged or foreign file is refused here, before Prefect would log the failure as a traceback.
    usable_or_exit(settings.db)
    mode = "live" if live else "reparse" if reparse else "replay"
    prefect_defaults()
    api = configured_prefect_api()
    try:
        if api is None:
            # No Prefect API: the same use case the flow wraps, as plain calls. Prefect would otherwise
            # start a temporary server of its own for this one run (9-12 s, ~30 s on a fresh PREFECT_HOME).
            result = use_case.refresh(settings, source, mode, until_date)
            how = "ran without Prefect (no Prefect API configured)"
        else:
            # Prefect is imported only when a command runs a flow: importing it costs seconds (about 3 s
            # on an idle 2-core machine, measured with -X importtime) that every other command would pay.
            from benchwatch.flows.refresh import refresh as refresh_flow

            result = refresh_flow(sources=source, mode=mode, until=until_date, db=str(settings.db),
                                  replay_dir=str(settings.replay_dir) if settings.replay_dir else None)
            how = f"ran as a Prefect flow run on {api}"
    except (ValueError, StorageError) as exc:
        err.print(str(exc), markup=False)
        raise typer.Exit(1) from None
    print_refresh(result)
    out.print(how, markup=False, highlight=False)
    if result.failed:
        raise typer.Exit(1)


def print_refresh(result: RefreshResult) -> None:
    reports = pd.DataFrame([{
        "source": r.source, "status": r.status, "snapshots": r.snapshots,
        "rows added": r.rows_added, "revised": r.rows_revised,
        "withdrawn": r.rows_withdrawn,
    } for r in result.reports])
    emit(reports, Format.table, title="Sources")
    # An error is a sentence with paths in it: printed whole under the table, never cut to a column.
    for r in result.reports:
        if r.error:
            err.print(f"{r.source} failed: {r.error}", markup=False, highlight=False, soft_wrap=True)
    top = result.top
    if len(top):
        shown = top[["source", "model_set", "axis", "name", "rho", "ci_low", "ci_high", "n"]].rename(
            columns={"name": "benchmark", "model_set": "set"})
        shown = shown.assign(**{"CI×100": [numbers.rho_interval(lo, hi) for lo, hi in
                                           zip(shown["ci_low"], shown["ci_high"], strict=True)]})
        emit(shown.drop(columns=["ci_low", "ci_high"]), Format.table, percent=("rho",), split="source",
             title=f"Most capability-correlated safety benchmarks (latest data), {numbers.RHO_CAPTION}")
    run = result.run_id
    changes = result.transitions
    told = sum(t.disposition == "notify" for t in changes)
    backfill = sum(t.disposition == "backfill" for t in changes)
    sent = sum(d.ok for d in result.delivery.attempts)
    out.print(f"analysis run: {run if run is not None else 'skipped (nothing new)'}; "
              f"alert changes: {len(changes)} ({backfill} backfill, recorded only; {told} new); "
              f"notifications sent: {sent}", soft_wrap=True)
    out.print("findings on frozen data (never alerts): `benchwatch findings`", soft_wrap=True)
