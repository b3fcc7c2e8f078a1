"""SQL is parametrized everywhere, and upstream strings reach neither SQL nor HTML unescaped.

Statically: every f-string that builds SQL in the code interpolates only a
reviewed, fixed fragment (a table or column list from a constant, a WHERE
clause made of literal conditions with ``?`` placeholders); ``%``/``format``
never build SQL; the dashboard never renders raw HTML. Dynamically: models
named with SQL and markup are ingested, stored verbatim, and shown as text.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import duckdb
import pytest

from benchwatch.pipeline.analyze import run_analysis
from benchwatch.settings import load_settings
from benchwatch.storage.db import connect
from benchwatch.storage.publish import publish, published_path
from tests.dashboard.helpers import app_test
from tests.paths import REPO_ROOT
from tests.reliability.faults import INJECTION, MARKUP, Case, run_case

PACKAGES = ["storage", "dashboard", "alerts", "identity", "analysis", "sources", "benchwatch", "flows"]
SQL = re.compile(r"\b(SELECT|INSERT|UPDATE|DELETE|WHERE|FROM|CREATE|DROP|ALTER|VALUES|SET|JOIN)\b")
# Every interpolation allowed in SQL text, per file: fixed identifiers or clauses
# whose values are all ``?`` parameters (checked by PLACEHOLDER_CLAUSES below).
ALLOWED = {
    "storage/db.py": {"' AND '.join(conditions)"},
    "storage/observations.py": {"clause"},
    "storage/results.py": {"table", "', '.join(columns)", "clause",
                           "', '.join((f'c.{column}' for column in [*SIGNAL_COLUMNS, *DRIFT_COLUMNS]))"},
    "storage/identity.py": {"', '.join(IDENTITY_COLUMNS)", "', '.join(RESIDUAL_COLUMNS)", "clause"},
    "storage/views.py": {"clause", "order"},
    "storage/findings.py": {"', '.join(COLUMNS)", "clause"},
    "storage/alerts.py": {"_MESSAGE_FIELDS", "_LIST_SQL", "clause"},
    "storage/eee.py": {"clause"},
}


def python_files() -> list[Path]:
    return [p for pkg in PACKAGES for p in sorted((REPO_ROOT / pkg).rglob("*.py"))]


def sql_interpolations() -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for path in python_files():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.JoinedStr):
                text = "".join(v.value for v in node.values if isinstance(v, ast.Constant))
                if SQL.search(text):
                    found.setdefault(path.relative_to(REPO_ROOT).as_posix(), set()).update(
                        ast.unparse(v.value) for v in node.values if isinstance(v, ast.FormattedValue))
    return {k: v for k, v in found.items() if v}


def test_sql_f_strings_interpolate_only_reviewed_fixed_fragments() -> None:
    found = sql_interpolations()
    unreviewed = {f: sorted(e - ALLOWED.get(f, set())) for f, e in found.items() if e - ALLOWED.get(f, set())}
    assert unreviewed == {}
    assert set(found) <= set(ALLOWED) and found  # the scan sees the storage layer


def test_where_clauses_are_literal_conditions_with_placeholders() -> None:
    """``clause`` fragments come from ``storage.db.where``, which writes ``column = ?`` for each
    optional filter: every call names its columns as string literals and its fixed conditions as
    literal strings, so no value ever reaches the SQL text."""
    calls = 0
    for name in ALLOWED:
        tree = ast.parse((REPO_ROOT / name).read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "where":
                calls += 1
                optional = node.args[0]
                assert isinstance(optional, ast.Dict), f"{name}:{node.lineno}: {ast.unparse(optional)}"
                assert all(isinstance(k, ast.Constant) and isinstance(k.value, str) for k in optional.keys), \
                    f"{name}:{node.lineno}: {ast.unparse(optional)}"
                for fixed in node.args[1:2]:
                    assert all(isinstance(e, ast.Constant) and isinstance(e.value, str)
                               for e in _elements(fixed, tree)), f"{name}:{node.lineno}: {ast.unparse(fixed)}"
    assert calls >= 10  # the scan sees the storage reads


def _elements(fixed: ast.expr, tree: ast.Module) -> list[ast.expr]:
    """What a ``fixed`` argument can hold: a list's elements, or, for a name, every element of the
    lists assigned to it and every value appended to it in the file (a value that is not a literal
    string shows up as such)."""
    if isinstance(fixed, ast.List):
        return fixed.elts
    assert isinstance(fixed, ast.Name), ast.unparse(fixed)
    found: list[ast.expr] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign):
            for target, value in _pairs(node):
                if isinstance(target, ast.Name) and target.id == fixed.id:
                    found.extend(value.elts if isinstance(value, ast.List) else [value])
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "append" \
                and ast.unparse(node.func.value) == fixed.id:
            found.extend(node.args)
    return found


def _pairs(node: ast.Assign) -> list[tuple[ast.expr, ast.expr]]:
    """(target, value) of an assignment, tuple assignments taken apart."""
    target, value = node.targets[0], node.value
    if isinstance(target, ast.Tuple) and isinstance(value, ast.Tuple):
        return list(zip(target.elts, value.elts, strict=True))
    return [(target, value)]


def test_no_sql_is_built_with_percent_or_format() -> None:
    for path in python_files():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mod) \
                    and isinstance(node.left, ast.Constant) and isinstance(node.left.value, str):
                assert not SQL.search(node.left.value), f"{path}:{node.lineno}"
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) \
                    and node.func.attr == "format" and isinstance(node.func.value, ast.Constant):
                assert not SQL.search(str(node.func.value.value)), f"{path}:{node.lineno}"


def test_the_dashboard_never_renders_raw_html() -> None:
    for path in sorted((REPO_ROOT / "dashboard").rglob("*.py")):
        text = path.read_text(encoding="utf-8")
        assert "unsafe_allow_html" not in text and "st.html(" not in text \
            and "components.html" not in text, path


@pytest.fixture(scope="module")
def hostile_db(tmp_path_factory: pytest.TempPathFactory, data_dir: Path) -> Path:
    """Epoch ingested live with two models renamed to SQL and markup, analyzed, published."""
    tmp = tmp_path_factory.mktemp("hostile")
    def hostile(frame, wire):
        frame = frame.copy()
        frame.loc[frame.index[:2], wire.model] = [INJECTION, MARKUP]
        return frame

    case = Case("hostile names", "input", edit=hostile, names=(INJECTION, MARKUP))
    outcome = run_case(case, "epoch", data_dir, tmp)
    assert outcome.survived, outcome.message
    db = next(tmp.glob("epoch-*.duckdb"))
    con = connect(db)
    run_analysis(con, load_settings(db=db, replay_dir=data_dir, bootstrap_resamples=0))
    publish(con, db)
    con.close()
    return db


def test_hostile_names_are_stored_verbatim_and_nothing_was_dropped(hostile_db: Path) -> None:
    con = duckdb.connect(str(published_path(hostile_db)), read_only=True)
    names = {m for (m,) in con.execute("SELECT DISTINCT model FROM observations").fetchall()}
    aliases = {m for (m,) in con.execute("SELECT model FROM model_aliases").fetchall()}
    tables = {t for (t,) in con.execute("SELECT table_name FROM information_schema.tables").fetchall()}
    con.close()
    assert {INJECTION, MARKUP} <= names and {INJECTION, MARKUP} <= aliases
    assert "observations" in tables and len(names) > 100


def test_hostile_names_are_shown_as_text_on_the_dashboard(hostile_db: Path, monkeypatch) -> None:
    at = app_test(hostile_db, monkeypatch, page="screens/data.py")
    assert not at.exception
    at.session_state["data_tab"] = "Models"
    at.run()
    at.selectbox(key="unmatched_source").set_value("epoch").run()
    cells = {str(v) for frame in at.dataframe for v in frame.value.to_numpy().ravel()}
    assert {INJECTION, MARKUP} <= cells  # a data cell, escaped by the grid, never HTML
    markdown = [str(e.value) for e in at.markdown] + [str(e.value) for e in at.caption]
    assert not any("<script>" in m for m in markdown)
