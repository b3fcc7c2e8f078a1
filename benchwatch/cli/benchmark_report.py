"""What ``benchwatch check`` prints or writes: JSON, and a self-contained HTML report.

The HTML report holds the paper's figure (the benchmark against the
capabilities score, one labelled point per model) as inline SVG: no script,
no CDN, nothing fetched at view time. Every string from the file or the
upstreams is escaped, its control bytes written out (``text.inert``); a model name is text,
never markup, and is cut to ``name_shown_chars`` where it is shown.
"""

from __future__ import annotations

import html
import json
from typing import TextIO

import numpy as np
import pandas as pd

from benchwatch import numbers
from benchwatch.pipeline.benchmark_check import CheckReport
from benchwatch.settings import Settings
from benchwatch.text import inert, shown

WIDTH, HEIGHT, PAD = 720, 440, 60
FIGURES = 4  # the axes with the most shared models get a figure each
MATCH_ROWS = 5_000  # rows of the match table in a report
NAME_CHARS = Settings.model_fields["name_shown_chars"].default
JSON_CHUNK = 10_000  # rows of a JSON array encoded at a time


def esc(text: str) -> str:
    """Untrusted text as HTML: escaped, control bytes written out (a NUL never reaches the page)."""
    return html.escape(inert(text))


def write_json(report: CheckReport, stream: TextIO) -> None:
    """The whole report as one JSON object: matches, unmatched with suggestions, one row per axis,
    the figure's points.

    Streamed: the large arrays (a row per model of the file) are written ``JSON_CHUNK`` rows at a
    time by pandas' encoder, one record per line, never built as Python objects in memory.
    """
    results = json.loads(report.results.to_json(orient="records", date_format="iso"))
    for row in results:
        row["as_of"] = str(row["as_of"])[:10]
    head = {"benchmark": report.benchmark, "lower_is_better": report.lower_is_better,
            "models": len(report.matches), "matched": int(report.matches["matched"].sum())}
    stream.write("{\n" + "".join(f"{json.dumps(k)}: {json.dumps(v)},\n" for k, v in head.items()))
    stream.write('"matches": ')
    _records(report.matches[["model", "score", "model_set", "canonical_id", "rule", "detail", "matched"]], stream)
    stream.write(',\n"unmatched": ')
    _records(report.unmatched[["model", "canonical_id", "suggestions"]], stream)
    stream.write(f',\n"results": {json.dumps(results, indent=1)},\n"points": ')
    _records(report.points(0) if len(report.results) else pd.DataFrame(), stream)
    stream.write("\n}\n")


def _records(frame: pd.DataFrame, stream: TextIO) -> None:
    """A frame as a JSON array of records, one per line, encoded a chunk at a time."""
    stream.write("[")
    for start in range(0, len(frame), JSON_CHUNK):
        chunk = frame.iloc[start:start + JSON_CHUNK].to_json(orient="records", lines=True, date_format="iso")
        stream.write(("," if start else "") + "\n" + chunk.rstrip("\n").replace("\n", ",\n"))
    stream.write("\n]")


def _scale(values: pd.Series, low: float, high: float) -> pd.Series:
    lo, hi = float(values.min()), float(values.max())
    span = hi - lo if hi > lo else 1.0
    return low + (values - lo) / span * (high - low)


def figure(points: pd.DataFrame, title: str, x_label: str, y_label: str, name_chars: int = NAME_CHARS) -> str:
    """One scatter plot as inline SVG: a labelled point per model (or model group, its members on hover)."""
    x = _scale(points["capabilities"], PAD, WIDTH - PAD)
    y = _scale(points["score"], HEIGHT - PAD, PAD)
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" '
             f'role="img" aria-label="{esc(title)}">',
             f'<rect x="{PAD}" y="{PAD}" width="{WIDTH - 2 * PAD}" height="{HEIGHT - 2 * PAD}" '
             'fill="none" stroke="#999"/>',
             f'<text x="{WIDTH / 2}" y="{HEIGHT - 12}" text-anchor="middle">{esc(x_label)}</text>',
             f'<text x="15" y="{HEIGHT / 2}" transform="rotate(-90 15 {HEIGHT / 2})" '
             f'text-anchor="middle">{esc(y_label)}</text>']
    for k in range(3):  # min, middle, max of each axis
        xv = points["capabilities"].min() + k / 2 * (points["capabilities"].max() - points["capabilities"].min())
        yv = points["score"].min() + k / 2 * (points["score"].max() - points["score"].min())
        parts.append(f'<text x="{PAD + k / 2 * (WIDTH - 2 * PAD):.1f}" y="{HEIGHT - PAD + 14}" '
                     f'font-size="10" text-anchor="middle">{xv:.4g}</text>')
        parts.append(f'<text x="{PAD - 4}" y="{HEIGHT - PAD - k / 2 * (HEIGHT - 2 * PAD):.1f}" '
                     f'font-size="10" text-anchor="end">{yv:.4g}</text>')
    for (cx, cy), (_, row) in zip(zip(x, y, strict=True), points.iterrows(), strict=True):
        label = html.escape(shown(str(row["model"]), min(60, name_chars)))
        # A point that is a model group (against ECI) names its models on hover.
        behind = "" if row["members"] == row["model"] else f" ({html.escape(shown(str(row['members']), 300))})"
        parts.append(f'<circle cx="{cx:.1f}" cy="{cy:.1f}" r="4" fill="#1f77b4">'
                     f'<title>{label}{behind}: {row["score"]:.4g} vs {row["capabilities"]:.4g}</title></circle>')
        parts.append(f'<text x="{cx + 6:.1f}" y="{cy - 4:.1f}" font-size="9">{label}</text>')
    parts.append("</svg>")
    return "".join(parts)


# Columns holding a rho (or a band of rho): shown x100 under "<column> x100", as every view shows rho.
RHO_COLUMNS = ("rho", "ci_low", "ci_high", "subset_low", "subset_high", "partial_rho_time")


def cell_text(value: object, column: str) -> str:
    """One cell as a person reads it (``benchwatch.numbers``)."""
    if column in RHO_COLUMNS:
        return numbers.rho(value)
    if isinstance(value, (bool, np.bool_)):
        return "yes" if value else "no"
    if isinstance(value, (int, float, np.integer, np.floating)):
        return numbers.number(value)
    return numbers.MISSING if numbers.missing(value) or value == "" else str(value)


def _table(frame: pd.DataFrame, name_chars: int) -> str:
    head = "".join(f"<th>{esc(str(c) + (' x100' if c in RHO_COLUMNS else ''))}</th>" for c in frame.columns)
    rows = []
    for record in frame.itertuples(index=False):
        cells = [f"<td>{html.escape(shown(cell_text(value, column), name_chars))}</td>"
                 for column, value in zip(frame.columns, record, strict=True)]
        rows.append(f"<tr>{''.join(cells)}</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"


def as_html(report: CheckReport, name_chars: int = NAME_CHARS) -> str:
    """A self-contained page: verdicts, the figure per leading axis, the match tables; a name longer
    than ``name_chars`` is cut with an ellipsis (the JSON report keeps it whole)."""
    name = html.escape(shown(report.benchmark, 300))
    direction = "lower is better (negated before correlating)" if report.lower_is_better else "higher is better"
    parts = ["<!doctype html><html><head><meta charset='utf-8'>",
             f"<title>Benchwatch check: {name}</title>",
             "<style>body{font-family:sans-serif;max-width:1000px;margin:2em auto}"
             "table{border-collapse:collapse;font-size:12px}td,th{border:1px solid #ccc;padding:2px 6px}"
             "</style></head><body>",
             f"<h1>Does “{name}” measure safety, or capabilities?</h1>",
             f"<p>{len(report.matches)} models, {int(report.matches['matched'].sum())} matched to models "
             f"Benchwatch knows; scores: {esc(direction)}.</p>"]
    if report.results.empty:
        parts.append("<p>No stored capability axis shares enough of these models.</p>")
    else:
        parts.append("<h2>Verdicts</h2><ul>")
        parts += [f"<li><b>{esc(r.axis)}</b> ({esc(r.axis_source)}, {esc(r.model_set)}): {esc(r.verdict)}</li>"
                  for r in report.results.itertuples(index=False)]
        parts.append("</ul><h2>Figures</h2>")
        for k in range(min(FIGURES, len(report.results))):
            r = report.results.iloc[k]
            title = f"{report.benchmark[:80]} against {r['axis']} ({r['axis_source']}, {r['model_set']})"
            parts.append(f"<h3>{esc(title)}: rho x100 {numbers.rho(r['rho'])}, n {r['n']}</h3>")
            parts.append(figure(report.points(k), title, f"capabilities score: {r['axis']}",
                                f"{report.benchmark[:60]} (as published)", name_chars))
            parts.append("<ul class='signals'>" + "".join(f"<li>{esc(line)}</li>" for line in report.signals(k))
                         + "</ul>")
        parts.append(f"<h2>Correlations ({numbers.RHO_CAPTION})</h2>"
                     + _table(report.results.drop(columns="verdict"), name_chars))
    first = report.matches.sort_values("matched", kind="stable").head(MATCH_ROWS)
    parts.append("<h2>How each model was matched</h2>"
                 + (f"<p>The {MATCH_ROWS:,} first rows, unmatched first, of {len(report.matches):,}.</p>"
                    if len(report.matches) > MATCH_ROWS else "")
                 + _table(first[["model", "score", "canonical_id", "rule", "matched", "suggestions"]], name_chars))
    parts.append("</body></html>")
    return "".join(parts)
