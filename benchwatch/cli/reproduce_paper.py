"""``benchwatch reproduce-paper``: the paper's method on the paper's matrices."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import pandas as pd
import typer

from benchwatch import numbers
from benchwatch.cli.app import app, err, out, settings_or_exit
from benchwatch.cli.table import Format, FormatOption, emit
from benchwatch.paper import reproduce
from benchwatch.sources.errors import SourceError


@app.command("reproduce-paper")
def reproduce_paper(
    data: Annotated[Path | None, typer.Option("--data", help="Folder holding safetywashing/.")] = None,
    fmt: FormatOption = Format.table,
) -> None:
    """The paper's method on the paper's matrices: PC1 variance and every correlation."""
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
                  f"{numbers.share(facts['explained_variance'], 1)} of capability variance")
    emit(rows, fmt, percent=tuple(result),
         title=f"Capabilities correlation ({numbers.RHO_CAPTION} with the PC1 score)")
