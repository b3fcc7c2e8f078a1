"""How the commands print a frame: JSON records, CSV, or a table laid out to the terminal.

Its own module because the layout (constant columns said once, names wrapped to the width, never cut)
is one job every command shares, apart from the app and its options.
"""

from __future__ import annotations

import json
from enum import Enum
from typing import Annotated

import pandas as pd
import typer
from rich import box
from rich.console import Console
from rich.table import Table

from benchwatch.cli.app import err, out
from benchwatch.settings import Settings
from benchwatch.text import csv_text, inert, shown


class Format(str, Enum):
    table = "table"
    json = "json"
    csv = "csv"


FormatOption = Annotated[Format, typer.Option("--format", help="table (for people), json or csv.")]
WideOption = Annotated[bool, typer.Option("--wide", help="One line per row, however wide the terminal.")]
# Columns that wrap (never cut) when a table is wider than the terminal; the rest keep one line.
# A text column wider than this wraps too when the table does not fit.
LONG_TEXT = 24
# A name longer than this is cut with an ellipsis in a table (``name_shown_chars``); JSON and CSV keep it whole.
NAME_CHARS = Settings.model_fields["name_shown_chars"].default
# The columns holding names (from upstreams or a user's file) that are cut; other text only wraps.
NAMES = ("model", "name", "benchmark", "display_name", "canonical_id", "suggestions", "members")
WRAPPED = ("name", "benchmark", "message", "reason", "class", "model", "source", "what", "value", "display_name")


def _cell(value: object, column: str, percent: tuple[str, ...], name_chars: int = NAME_CHARS) -> str:
    if value is None or value is pd.NA or (isinstance(value, float) and pd.isna(value)):
        return ""
    if column in percent:
        return f"{100 * value:.1f}"
    if isinstance(value, bool):
        return "yes" if value else ""
    if isinstance(value, float):
        return f"{value:,.0f}" if abs(value) >= 1000 else f"{value:.3g}"
    if isinstance(value, pd.Timestamp):
        return value.strftime("%Y-%m-%d")
    return shown(str(value), name_chars) if column in NAMES else inert(str(value))


def emit(frame: pd.DataFrame, fmt: Format, percent: tuple[str, ...] = (), title: str = "",
         wide: bool = False, split: str | None = None, empty: str | None = None,
         name_chars: int = NAME_CHARS) -> None:
    """Print a frame as JSON records, CSV, or an aligned table.

    Tables: ``percent`` columns are shown x100 under "<column>×100" (the
    paper's convention; rho is not a percentage); a column with one value in
    every row is said once under the table instead of repeated; names wrap,
    never cut, to the terminal's width (``--wide``: one line per row), but a name (``NAMES``)
    longer than ``name_chars`` is cut with an ellipsis; control bytes are shown as ``\\xNN``;
    ``split`` prints one table per value of that column (e.g. per source).
    ``empty``: what an empty table says instead, on stderr (JSON and CSV stay an empty list, a header).
    """
    if fmt is Format.json:
        records = json.loads(frame.to_json(orient="records", date_format="iso"))
        for rec in records:
            for key, value in rec.items():
                if key in ("as_of", "fired_at", "resolved_at", "since") and isinstance(value, str):
                    rec[key] = value[:10] if value.endswith("T00:00:00.000") else value
        typer.echo(json.dumps(records, indent=1))
        return
    if fmt is Format.csv:
        typer.echo(csv_text(frame), nl=False)
        return
    if frame.empty:
        if empty is None:
            out.print("(nothing to show)")
        else:
            err.print(empty, markup=False, highlight=False)
        return
    if split is not None and frame[split].nunique() > 1:
        for value, part in frame.groupby(split, sort=False):
            emit(part, fmt, percent, f"{title}: {split} {value}" if title else f"{split} {value}", wide,
                 name_chars=name_chars)
            out.print()
        return
    constant = {}
    if len(frame) > 1:
        for column in frame.columns:
            cells = {_cell(v, column, percent) for v in frame[column]}
            if len(cells) == 1:
                constant[column] = next(iter(cells))
    columns = [c for c in frame.columns if c not in constant]
    headers = [f"{c}×100" if c in percent else c for c in columns]
    cells = [[_cell(v, c, percent, name_chars) for c, v in zip(columns, row, strict=True)]
             for row in frame[columns].itertuples(index=False)]
    console = Console(width=100_000, soft_wrap=True) if wide else out
    widths, wraps = (None, [False] * len(columns)) if wide else _widths(
        headers, cells, [c in WRAPPED for c in columns], console.width)
    table = Table(header_style="bold", box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False)
    for i, (column, header) in enumerate(zip(columns, headers, strict=True)):
        numeric = pd.api.types.is_numeric_dtype(frame[column]) and column not in constant
        table.add_column(header, justify="right" if numeric else "left", overflow="fold",
                         no_wrap=not wraps[i], width=None if widths is None else widths[i])
    for row in cells:
        table.add_row(*row)
    if title:
        console.print(title, style="bold italic", markup=False, highlight=False, soft_wrap=wide)
    console.print(table, markup=False, highlight=False, crop=False)
    said = [f"{c}: {v}" for c, v in constant.items() if v]
    if said:
        console.print("every row: " + " · ".join(said), markup=False, highlight=False, soft_wrap=False)


def _widths(headers: list[str], cells: list[list[str]], wraps: list[bool], total: int
            ) -> tuple[list[int], list[bool]]:
    """Column widths that fit ``total``: short columns keep their full width, the wrapping ones
    (names, and any long text) share the rest, each at least as wide as its longest word, so no
    word is cut. Returns the widths and which columns wrap."""
    natural = [max([len(h), *(len(row[i]) for row in cells)]) for i, h in enumerate(headers)]
    room = total - 3 * (len(headers) - 1) - 1  # padding and the divider between columns
    if sum(natural) <= room:
        return natural, [False] * len(natural)
    wraps = [wrap or width > LONG_TEXT for wrap, width in zip(wraps, natural, strict=True)]
    fixed = sum(w for w, wrap in zip(natural, wraps, strict=True) if not wrap)
    longest = [max([1, *(len(word) for row in cells for word in row[i].split()), *map(len, headers[i].split())])
               for i in range(len(headers))]
    flexible = [i for i, wrap in enumerate(wraps) if wrap]
    widths = list(natural)
    spare = max(0, room - fixed - sum(longest[i] for i in flexible))
    extra = sum(natural[i] - longest[i] for i in flexible) or 1
    for i in flexible:
        widths[i] = longest[i] + min(natural[i] - longest[i], (natural[i] - longest[i]) * spare // extra)
    return widths, wraps
