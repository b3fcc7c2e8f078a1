"""How the commands print a frame: JSON records, CSV, or a table laid out to the terminal.

Its own module because the layout (constant columns said once, text wrapped to the width, a table too
wide even then printed as records; never a number, id or header cut) is one job every command shares,
apart from the app and its options.
"""

from __future__ import annotations

import json
import re
import textwrap
from enum import Enum
from typing import Annotated

import numpy as np
import pandas as pd
import typer
from rich import box
from rich.console import Console
from rich.table import Table

from benchwatch import numbers
from benchwatch.cli.app import err, out
from benchwatch.settings import Settings
from benchwatch.text import csv_text, inert, shown


class Format(str, Enum):
    table = "table"
    json = "json"
    csv = "csv"


FormatOption = Annotated[Format, typer.Option("--format", help="table (for people), json or csv.")]
WideOption = Annotated[bool, typer.Option("--wide", help="One line per row, however wide the terminal.")]
# A name longer than this is cut with an ellipsis in a table (``name_shown_chars``); JSON and CSV keep it whole.
NAME_CHARS = Settings.model_fields["name_shown_chars"].default
# The columns holding names (from upstreams or a user's file) that are cut; other text only wraps.
NAMES = ("model", "name", "benchmark", "display_name", "canonical_id", "suggestions", "members")


def _cell(value: object, column: str, percent: tuple[str, ...], name_chars: int = NAME_CHARS,
          shares: tuple[str, ...] = ()) -> str:
    """One value as a person reads it (``benchwatch.numbers``): rho x100, counts with separators,
    a missing value as an em dash; names cut to ``name_chars``, control bytes written out."""
    if isinstance(value, (list, tuple)):
        return ", ".join(_cell(v, column, percent, name_chars, shares) for v in value) or numbers.MISSING
    if numbers.missing(value):
        return numbers.MISSING
    if column in percent:
        return numbers.rho(value)
    if column in shares:
        return numbers.share(value)
    if isinstance(value, (bool, np.bool_)):
        return "yes" if value else "no"
    if isinstance(value, (int, np.integer)):
        return str(value) if column.endswith("id") else numbers.count(value)
    if isinstance(value, (float, np.floating)):
        return numbers.number(value)
    if isinstance(value, pd.Timestamp):
        return numbers.day(value)
    text = shown(str(value), name_chars) if column in NAMES else inert(str(value))
    return text or numbers.MISSING


def emit(frame: pd.DataFrame, fmt: Format, percent: tuple[str, ...] = (), title: str = "",
         wide: bool = False, split: str | None = None, empty: str | None = None,
         name_chars: int = NAME_CHARS, shares: tuple[str, ...] = ()) -> None:
    """Print a frame as JSON records, CSV, or an aligned table.

    Tables: every value is spelled by ``benchwatch.numbers`` (``percent`` columns hold a rho or
    another fraction shown x100 under "<column>×100", the paper's convention; ``shares`` columns are
    percentages, "75%"; a missing value is
    an em dash); a column with one value in every row is said once under the table instead of
    repeated. Nothing is cut to fit the terminal: text columns wrap at spaces, numbers, ids and
    dates never wrap, and when even that cannot fit the rows are printed as records ("field:
    value" lines). ``--wide``: one line per row. A name (``NAMES``) longer than ``name_chars`` is
    cut with an ellipsis (the one cut, by setting); control bytes are shown as ``\\xNN``;
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
                 name_chars=name_chars, shares=shares)
            out.print()
        return
    constant = {}
    if len(frame) > 1:
        for column in frame.columns:
            cells = {_cell(v, column, percent, shares=shares) for v in frame[column]}
            if len(cells) == 1:
                constant[column] = next(iter(cells))
    columns = [c for c in frame.columns if c not in constant]
    headers = [f"{c}×100" if c in percent else c for c in columns]
    cells = [[_cell(v, c, percent, name_chars, shares) for c, v in zip(columns, row, strict=True)]
             for row in frame[columns].itertuples(index=False)]
    console = Console(width=100_000, soft_wrap=True) if wide else out
    numeric = [pd.api.types.is_numeric_dtype(frame[c]) for c in columns]
    layout = (None, [False] * len(columns)) if wide else _widths(
        headers, cells, [not n for n in numeric], console.width)
    if title:
        console.print(title, style="bold italic", markup=False, highlight=False, soft_wrap=wide)
    if layout is None:
        _vertical(headers, cells, console.width)
    else:
        widths, wraps = layout
        table = Table(header_style="bold", box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False)
        for i, header in enumerate(headers):
            table.add_column(header if widths is None else _fold(header, widths[i]),
                             justify="right" if numeric[i] else "left", overflow="fold",
                             no_wrap=not wraps[i], width=None if widths is None else widths[i])
        for row in cells:
            table.add_row(*row)
        console.print(table, markup=False, highlight=False, crop=False)
    said = [f"{c}: {v}" for c, v in constant.items() if v != numbers.MISSING]
    if said:
        console.print("every row: " + " · ".join(said), markup=False, highlight=False, soft_wrap=False)


def _words(text: str) -> list[str]:
    return text.split() or [""]


def _header_words(header: str) -> list[str]:
    """A header's pieces: it may break after a space or an underscore ("last_", "fetched_", "at")."""
    return re.findall(r"[^\s_]*_|\S+", header.replace(" ", " \n")) or [""]


def _fold(header: str, width: int) -> str:
    """``header`` on lines of at most ``width``, broken after an underscore or a space, never inside a word."""
    lines = [""]
    for piece in _header_words(header):
        piece = piece.strip()
        if lines[-1] and len(lines[-1]) + len(piece) + (0 if lines[-1].endswith("_") else 1) > width:
            lines.append("")
        gap = "" if not lines[-1] or lines[-1].endswith("_") else " "
        lines[-1] += gap + piece
    return "\n".join(lines)


def _widths(headers: list[str], cells: list[list[str]], wraps: list[bool], total: int
            ) -> tuple[list[int], list[bool]] | None:
    """Column widths that fit ``total``, or None when no widths can (the caller then prints
    the rows vertically).

    Short columns keep their full width; text columns (names, messages: ``wraps``) share the
    rest, each at least as wide as its longest word and its header's longest word, so a word
    is never cut. A number, an id or a date never wraps. Returns the widths and which columns wrap.
    """
    natural = [max([len(h), *(len(row[i]) for row in cells)]) for i, h in enumerate(headers)]
    room = total - 3 * (len(headers) - 1)  # padding and the divider between columns
    if sum(natural) <= room:
        return natural, [False] * len(natural)
    wraps = [wrap and width > 1 for wrap, width in zip(wraps, natural, strict=True)]
    header = [max(len(w.strip()) for w in _header_words(h)) for h in headers]
    longest = [max([header[i], *(len(word) for row in cells for word in _words(row[i]))])
               for i in range(len(headers))]
    least = [longest[i] if wrap else max([header[i], *(len(row[i]) for row in cells)])
             for i, wrap in enumerate(wraps)]
    if sum(least) > room:
        return None
    flexible = [i for i, wrap in enumerate(wraps) if wrap]
    widths = list(least)
    spare = room - sum(least)
    for i, wrap in enumerate(wraps):  # a column that does not wrap takes its whole header back first
        if not wrap and spare:
            grow = min(spare, natural[i] - least[i])
            widths[i] += grow
            spare -= grow
    extra = sum(natural[i] - longest[i] for i in flexible) or 1
    for i in flexible:
        widths[i] = longest[i] + min(natural[i] - longest[i], (natural[i] - longest[i]) * spare // extra)
    return widths, wraps


def _vertical(headers: list[str], cells: list[list[str]], total: int) -> None:
    """Rows as records, one "field: value" line each, for a table too wide for the terminal
    even with its text wrapped: values wrap at spaces, and a word longer than a line stays whole."""
    label = max(map(len, headers))
    room = max(total - label - 2, 20)
    for k, row in enumerate(cells):
        if k:
            out.print(markup=False)
        lines = []
        for header, value in zip(headers, row, strict=True):
            parts = textwrap.wrap(value, room, break_long_words=False, break_on_hyphens=False) or [value]
            lines.append(f"{header:>{label}}: {parts[0]}")
            lines += [f"{'':>{label}}  {part}" for part in parts[1:]]
        out.print("\n".join(lines), markup=False, highlight=False, soft_wrap=True)
