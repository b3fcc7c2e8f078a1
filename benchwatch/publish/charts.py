"""Static SVG charts drawn at build time: the pages read without JavaScript and print well.

Hand-written SVG (a few dozen elements each) keeps the bytes deterministic
(no renderer version or font metrics inside) and the build fast. Every label
is escaped: model names come from upstreams.
"""

from __future__ import annotations

from datetime import date

import pandas as pd
from markupsafe import Markup, escape

from benchwatch import numbers

WIDTH, HEIGHT, PAD = 640, 260, 44
# Label every model on a small scatter, the extremes only on a large one.
LABEL_ALL_UNDER, LABEL_EXTREMES = 40, 5


def _x_scale(low: float, high: float):
    span = (high - low) or 1.0
    return lambda v: PAD + (v - low) / span * (WIDTH - 2 * PAD)


def _y_scale(low: float, high: float):
    span = (high - low) or 1.0
    return lambda v: HEIGHT - PAD - (v - low) / span * (HEIGHT - 2 * PAD)


def _frame(title: str, body: list[str]) -> Markup:
    head = (f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
            f'class="chart"><title>{escape(title)}</title>')
    return Markup(head + "".join(body) + "</svg>")


def trend(points: pd.DataFrame, threshold: float, title: str) -> Markup:
    """rho over as-of dates with its interval as a band, and the tracking threshold dashed."""
    rows = points[["as_of", "rho", "ci_low", "ci_high", "n"]].to_dict("records")
    days = [pd.Timestamp(r["as_of"]).toordinal() for r in rows]
    # One date alone sits in the middle of a three-day span.
    x = _x_scale(min(days) - 1, max(days) + 1) if len(set(days)) == 1 else _x_scale(min(days), max(days))
    y = _y_scale(-1.0, 1.0)
    body = [f'<line x1="{PAD}" x2="{WIDTH - PAD}" y1="{y(v):.1f}" y2="{y(v):.1f}" class="grid"/>'
            f'<text x="{PAD - 6}" y="{y(v) + 4:.1f}" class="tick" text-anchor="end">{100 * v:+.0f}</text>'
            for v in (-1.0, -0.5, 0.0, 0.5, 1.0)]  # ticks x100, as every view shows rho
    body.append(f'<line x1="{PAD}" x2="{WIDTH - PAD}" y1="{y(threshold):.1f}" y2="{y(threshold):.1f}" '
                f'class="threshold"/>')
    banded = [(d, r) for d, r in zip(days, rows, strict=True) if pd.notna(r["ci_low"]) and pd.notna(r["ci_high"])]
    if len(banded) > 1:
        upper = " ".join(f"{x(d):.1f},{y(r['ci_high']):.1f}" for d, r in banded)
        lower = " ".join(f"{x(d):.1f},{y(r['ci_low']):.1f}" for d, r in reversed(banded))
        body.append(f'<polygon points="{upper} {lower}" class="band"/>')
    for d, r in banded:
        body.append(f'<line x1="{x(d):.1f}" x2="{x(d):.1f}" y1="{y(r["ci_low"]):.1f}" y2="{y(r["ci_high"]):.1f}" '
                    'class="whisker"/>')
    rhos = [(d, r) for d, r in zip(days, rows, strict=True) if pd.notna(r["rho"])]
    if len(rhos) > 1:
        body.append('<polyline class="line" points="'
                    + " ".join(f"{x(d):.1f},{y(r['rho']):.1f}" for d, r in rhos) + '"/>')
    for d, r in rhos:
        body.append(f'<circle cx="{x(d):.1f}" cy="{y(r["rho"]):.1f}" r="3" class="dot">'
                    f'<title>{date.fromordinal(d).isoformat()}: rho x100 {numbers.rho(r["rho"])}, n {int(r["n"])}'
                    '</title></circle>')
    for d in sorted({days[0], days[-1]}):
        body.append(f'<text x="{x(d):.1f}" y="{HEIGHT - PAD + 18}" class="tick" text-anchor="middle">'
                    f"{date.fromordinal(d).isoformat()}</text>")
    return _frame(title, body)


def scatter(points: pd.DataFrame, axis: str, benchmark: str, title: str) -> Markup:
    """The paper's figure: each model's benchmark value against its capability score, models labelled."""
    x = _x_scale(points["axis_value"].min(), points["axis_value"].max())
    y = _y_scale(points["value"].min(), points["value"].max())
    ranked = points.sort_values(["axis_value", "model"]).to_dict("records")
    labelled = set(range(len(ranked))) if len(ranked) < LABEL_ALL_UNDER else (
        set(range(LABEL_EXTREMES)) | set(range(len(ranked) - LABEL_EXTREMES, len(ranked))))
    body = [f'<line x1="{PAD}" x2="{WIDTH - PAD}" y1="{HEIGHT - PAD}" y2="{HEIGHT - PAD}" class="axis"/>',
            f'<line x1="{PAD}" x2="{PAD}" y1="{PAD}" y2="{HEIGHT - PAD}" class="axis"/>',
            f'<text x="{WIDTH / 2:.0f}" y="{HEIGHT - 8}" class="tick" text-anchor="middle">'
            f"capability score ({escape(axis)})</text>",
            f'<text x="12" y="{HEIGHT / 2:.0f}" class="tick" transform="rotate(-90 12 {HEIGHT / 2:.0f})" '
            f'text-anchor="middle">{escape(benchmark)}</text>']
    for i, row in enumerate(ranked):
        name = row["display_name"] if isinstance(row["display_name"], str) and row["display_name"] else row["model"]
        cx, cy = x(row["axis_value"]), y(row["value"])
        body.append(f'<circle cx="{cx:.1f}" cy="{cy:.1f}" r="3" class="dot"><title>{escape(name)}: '
                    f'{row["value"]:.4g}</title></circle>')
        if i in labelled:
            body.append(f'<text x="{cx + 5:.1f}" y="{cy - 4:.1f}" class="label">{escape(name)}</text>')
    return _frame(title, body)
