"""The read side's guarantees, without Streamlit's runtime: one version per render, safe text."""

from __future__ import annotations

import re
from pathlib import Path

import duckdb
import pytest

from benchwatch.dashboard.data import PinnedCopy, StaleCopy, version_of
from benchwatch.dashboard.ui import escape_markdown
from benchwatch.storage.publish import publish, published_path
from benchwatch.text import csv_text


def write(db: Path, value: int) -> None:
    """A writer pass: a one-row database, published."""
    con = duckdb.connect(str(db))
    try:
        con.execute("CREATE OR REPLACE TABLE t AS SELECT ? AS v", [value])
        publish(con, db)
    finally:
        con.close()


def test_a_render_pinned_to_a_replaced_copy_reruns_instead_of_mixing(tmp_path):
    db = tmp_path / "bw.duckdb"
    write(db, 1)
    first = PinnedCopy.of(db)
    write(db, 2)  # a refresh republishes before the render opened the copy
    assert version_of(published_path(db)) != first.version
    with pytest.raises(StaleCopy):
        first.connection()
    second = PinnedCopy.of(db)
    assert second.connection().execute("SELECT v FROM t").fetchone() == (2,)
    second.close()


def test_an_open_render_keeps_reading_its_own_copy(tmp_path):
    db = tmp_path / "bw.duckdb"
    write(db, 1)
    pinned = PinnedCopy.of(db)
    con = pinned.connection()
    write(db, 2)  # replaced by rename: the open copy is untouched
    assert con.execute("SELECT v FROM t").fetchone() == (1,)
    pinned.close()


def test_no_published_copy_is_no_pinned(tmp_path):
    assert PinnedCopy.of(tmp_path / "never.duckdb") is None


@pytest.mark.parametrize("text", [
    "[click](https://evil.example)", "![x](https://evil.example/i.png)", "<img src=x onerror=alert(1)>",
    "**bold** _it_ `code` $x^2$ :red[red] :smile:", "# heading\n- item", "a\\b|c~d",
])
def test_markdown_escaping_leaves_no_active_character(text):
    escaped = escape_markdown(text)
    assert "\n" not in escaped
    # Every markdown-active character is preceded by a backslash.
    unescaped = re.sub(r"\\.", "", escaped)
    assert not re.search(r"[\\`*_{}\[\]()#+\-.!|<>~$:=^&]", unescaped)


def test_dashboard_never_renders_raw_html():
    root = Path(__file__).resolve().parents[2] / "dashboard"
    for path in root.rglob("*.py"):
        source = path.read_text()
        assert "unsafe_allow_html" not in source, path
        assert "st.html(" not in source, path


def test_csv_download_makes_formulas_inert_and_keeps_numbers():
    import pandas as pd

    frame = pd.DataFrame({"model": ["=HYPERLINK(\"http://x\")", "@SUM(A1)", "plain", "-cmd"],
                          "rho": [-0.5, 0.25, 1.0, -1.0]})
    lines = csv_text(frame).splitlines()
    assert lines[1].startswith("\"'=HYPERLINK(") and lines[1].endswith(",-0.5")
    assert lines[2] == "'@SUM(A1),0.25" and lines[3] == "plain,1.0" and lines[4] == "'-cmd,-1.0"
