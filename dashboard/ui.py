"""Shared page pieces: tables with CSV download, URL-bound pickers, safe text.

Upstream strings (model names, errors, warnings) are only ever shown through
``st.dataframe``, ``st.text`` or chart tooltips, which render text. Where a
heading or caption must include a name, ``escape_markdown`` neutralises every
character Streamlit's markdown would act on.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import Any
from urllib.parse import urlencode

import pandas as pd
import streamlit as st

from benchwatch import numbers
from benchwatch.text import csv_text
from benchwatch.upstreams import UPSTREAMS

MISSING = numbers.MISSING  # what a table shows for a value that does not exist (an interval with too few models, say)
_MARKDOWN_SPECIALS = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$:=^&])")


def escape_markdown(text: object) -> str:
    """``text`` as literal characters in ``st.markdown`` (no links, HTML, LaTeX, emoji codes)."""
    return _MARKDOWN_SPECIALS.sub(r"\\\1", str(text)).replace("\n", " ")


def rho_column(label: str, help: str | None = None) -> Any:
    """A rho column (stored -1..1) shown x100 with one decimal, as the paper and every view do
    (``numbers.X100_FORMAT``: ``table`` multiplies it by 100 on screen; its CSV keeps the fraction)."""
    return st.column_config.NumberColumn(label, format=numbers.X100_FORMAT, help=help)


def share_column(label: str, help: str | None = None) -> Any:
    """A share (stored 0..1) shown as a whole percentage, "75%" (scaled on screen like ``rho_column``)."""
    return st.column_config.NumberColumn(label, format=numbers.SHARE_FORMAT, help=help)


def count_column(label: str, help: str | None = None) -> Any:
    """A count with thousands separators."""
    return st.column_config.NumberColumn(label, format=numbers.COUNT_FORMAT, help=help)


def scaled_columns(column_config: dict | None) -> list[str]:
    """The columns a config shows x100 (``rho_column``, ``share_column``): stored as fractions."""
    return [column for column, config in (column_config or {}).items()
            if isinstance(config, dict)
            and (config.get("type_config") or {}).get("format") in (numbers.X100_FORMAT, numbers.SHARE_FORMAT)]


def table(
    frame: pd.DataFrame,
    name: str,
    key: str,
    empty: str = "Nothing to show.",
    column_config: dict | None = None,
    height: int | str = "auto",
    display: Callable[[pd.DataFrame], pd.DataFrame] | None = None,
) -> None:
    """A read-only table and a button that downloads exactly its rows as CSV.

    On screen, rho and share columns (``rho_column``, ``share_column``) are multiplied by 100 for
    their number format and ``display`` (if given) rewrites the frame for people; the CSV keeps
    the raw fractions (``benchwatch.numbers``). Empty text cells are blank and a missing number or
    date reads ``MISSING``, never the word "None" (Streamlit's default for a missing value).
    """
    if frame.empty:
        st.info(empty)
        return
    frame = blank_missing(frame)
    shown = numbers.scaled(frame, scaled_columns(column_config))
    shown = blank_missing(display(shown)) if display is not None else shown
    st.dataframe(shown, hide_index=True, column_config=column_config, key=f"table-{key}",
                 height=height, placeholder=MISSING)
    st.download_button(
        f"Download {name} (CSV, {len(frame):,} rows)",
        data=lambda: csv_text(frame),
        file_name=f"benchwatch-{key}.csv",
        mime="text/csv",
        key=f"csv-{key}",
        on_click="ignore",
    )


def blank_missing(frame: pd.DataFrame) -> pd.DataFrame:
    """Text columns with missing cells as ``numbers.MISSING`` (numbers and dates stay missing)."""
    out = frame.copy()
    for column in out.columns:
        if out[column].dtype == object:
            out[column] = out[column].map(lambda v: numbers.MISSING if v is None
                                          or (isinstance(v, float) and pd.isna(v)) else v)
    return out


def pick(
    label: str,
    options: Sequence[Any],
    key: str,
    default: Any = None,
    format_func: Callable[[Any], str] = str,
    help: str | None = None,
) -> Any:
    """A selectbox whose value lives in the URL (``?key=value``), so the view can be shared.

    The picker shows names (``format_func``); the URL carries the id (the
    option itself), so a link names the benchmark, axis or alert unambiguously
    whatever its display name. Streamlit's own binding would put the label in
    the URL, hence the explicit sync.
    """
    options = list(options)
    if not options:
        return None
    if key in st.session_state and st.session_state[key] not in options:
        # A value carried over from another page (or an old link) that this page cannot show.
        del st.session_state[key]
    if key not in st.session_state and key in st.query_params:
        wanted = st.query_params[key]
        default = next((o for o in options if str(o) == wanted), default)
    index = options.index(default) if default in options else 0
    value = st.selectbox(label, options, index=index, key=key, format_func=format_func, help=help)
    wanted = str(value)
    if not wanted and key in st.query_params:
        del st.query_params[key]  # an empty parameter would come back as none at all
    elif wanted and st.query_params.get(key) != wanted:
        st.query_params[key] = wanted
    return value


def page_link(page: str, **params: str) -> str:
    """A relative link to a page with its pickers set: what an alert or a row links to."""
    return f"{page}?{urlencode(params)}"


def attribution_note(names: Sequence[str] | None = None) -> None:
    """Credit each source as its licence asks, as plain text."""
    names = list(names) if names is not None else list(UPSTREAMS)
    lines = []
    for name in names:
        facts = UPSTREAMS.get(name)
        if facts is not None:
            lines.append(f"{name}: {facts.attribution} — licence: {facts.license}")
    if lines:
        st.caption("Data sources and attribution")
        st.text("\n".join(lines))


def run_note(run: dict) -> str:
    """Where the correlations on a page come from, in one line."""
    finished = pd.Timestamp(run["finished_at"]).strftime("%Y-%m-%d %H:%M UTC") if run["finished_at"] else "?"
    return (f"{numbers.RHO_CAPTION} from analysis run {run['run_id']} (finished {finished}): "
            f"{run['resamples']} bootstrap resamples, {numbers.share(run['ci_level'])} percentile intervals, "
            f"missing capability values: {run['missing_policy']}.")
