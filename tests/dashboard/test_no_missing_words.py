"""Issue 25: no page of the dashboard shows "None", "nan" or "NaN", a blank table row, or a
series with no model as a data row: every page and every Data tab under AppTest on the full replay.

What a person sees in a table is its cells as Streamlit draws them: a missing number or date is
drawn as the table's placeholder (Streamlit's default is the word "None"), a text cell as its text,
a sparkline from its list of numbers. The scan fails naming the page, the table (its columns) and
the offending cell.
"""

from __future__ import annotations

import re

import pandas as pd
import pytest

from tests.dashboard.helpers import app_test, xstest_rows

WORDS = re.compile(r"\b(None|nan|NaN|NaT|<NA>)\b")
PAGES = [None, "screens/benchmark.py", "screens/capabilities.py", "screens/alerts.py", "screens/benchmark_check.py"]
DATA_TABS = ["Sources and fetches", "Revisions", "Models", "Paper reproduction"]
TEXT_ELEMENTS = ("title", "header", "subheader", "markdown", "caption", "text", "info", "warning", "error", "success")


def _missing(value: object) -> bool:
    if isinstance(value, (list, tuple)):
        return False
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def _blank(value: object) -> bool:
    return _missing(value) or (isinstance(value, str) and not value.strip())


def problems(at, page: str) -> list[str]:
    """Every cell and text on the rendered page a person would read as a missing word."""
    found = [f"{page}: exception {e.value}" for e in at.exception]
    for df in at.dataframe:
        frame, placeholder = df.value, df.proto.placeholder if df.proto.HasField("placeholder") else None
        where = f"{page}: table {list(frame.columns)[:6]}"
        for column in frame.columns:
            values = frame[column]
            missing = values.map(_missing)
            if missing.any() and (placeholder is None or WORDS.search(placeholder) or not placeholder.strip()):
                row = int(missing.to_numpy().nonzero()[0][0])
                found.append(f"{where}: column {column!r} row {row} is missing and drawn as "
                             f"{placeholder or 'None'!r}")
            for row, value in enumerate(values):
                if isinstance(value, str) and WORDS.search(value):
                    found.append(f"{where}: column {column!r} row {row} reads {value!r}")
                elif isinstance(value, (list, tuple)) and any(_missing(v) for v in value):
                    found.append(f"{where}: column {column!r} row {row} is a sparkline with a missing point")
        blank = frame.apply(lambda r: all(_blank(v) for v in r), axis=1) if len(frame) else pd.Series(dtype=bool)
        if blank.any():
            found.append(f"{where}: row {int(blank.to_numpy().nonzero()[0][0])} is blank")
        if "n" in frame.columns and "rho" in frame.columns:
            empty = frame[(frame["n"] == 0) & frame["rho"].isna()]
            if len(empty):
                found.append(f"{where}: row {empty.index[0]} has n = 0 and no rho, shown as a data row")
    for kind in TEXT_ELEMENTS:
        for element in getattr(at, kind):
            if isinstance(element.value, str) and WORDS.search(element.value):
                found.append(f"{page}: {kind} {element.value[:200]!r}")
    for metric in at.metric:
        if WORDS.search(f"{metric.label} {metric.value}"):
            found.append(f"{page}: metric {metric.label!r} = {metric.value!r}")
    return found


@pytest.fixture(scope="module")
def upload(dashboard_db) -> bytes:
    """A safety benchmark's current values as its source names the models: the Check page with a result."""
    return xstest_rows(dashboard_db).to_csv(index=False).encode()


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p or "overview")
def test_no_page_shows_a_missing_word_or_a_blank_row(page, dashboard_db, upload, monkeypatch):
    at = app_test(dashboard_db, monkeypatch, page=page)
    if page == "screens/benchmark_check.py":
        at.file_uploader(key="check_file").set_value(("xstest.csv", upload, "text/csv")).run()
        assert at.metric, "the check page showed no result"
    assert at.dataframe, f"{page}: no table rendered"
    assert problems(at, page or "overview") == []


def test_no_data_tab_shows_a_missing_word_or_a_blank_row(dashboard_db, monkeypatch):
    at = app_test(dashboard_db, monkeypatch, page="screens/data.py")
    found = []
    for tab in DATA_TABS:
        at.session_state["data_tab"] = tab
        at.run()
        assert at.dataframe, f"Data · {tab}: no table rendered"
        found += problems(at, f"Data · {tab}")
    assert found == []


def test_the_scan_finds_what_it_looks_for():
    """The scan itself: a table drawn with Streamlit's default "None", a word, a blank row, n = 0."""
    class Table:
        def __init__(self, frame, placeholder=None):
            self.value = frame

            class Proto:
                def HasField(self, name):  # noqa: N802 -- protobuf's name
                    return placeholder is not None
            self.proto = Proto()
            self.proto.placeholder = placeholder

    class Page:
        exception, metric = [], []
        dataframe = [Table(pd.DataFrame({"rho": [0.5, None], "n": [12, 0], "what": ["a", "nan"]})),
                     Table(pd.DataFrame({"a": ["", "x"], "b": [None, 1.0]}), placeholder="—")]

    for kind in TEXT_ELEMENTS:
        setattr(Page, kind, [])
    found = problems(Page(), "test")
    assert any("column 'rho' row 1 is missing and drawn as 'None'" in p for p in found)
    assert any("reads 'nan'" in p for p in found)
    assert any("n = 0 and no rho" in p for p in found)
    assert any("row 0 is blank" in p for p in found)
