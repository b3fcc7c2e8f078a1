"""Every command's table at 80 and 120 columns: every value of its JSON output appears whole.

"Whole" means each value, spelled by ``benchwatch.numbers`` (rho x100, counts with separators, a
missing value as an em dash) or cut to ``name_shown_chars`` for a name, is in the table text as whole
words: a number, an id or a date is one unbroken token; a name or a sentence may wrap, but only
between its words. No line is wider than the terminal unless it is one word longer than a line.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from benchwatch import numbers
from benchwatch.settings import Settings
from benchwatch.text import shown
from tests.clirun import run
from tests.paths import DATA_DIR

WIDTHS = (80, 120)
NAME_CHARS = Settings.model_fields["name_shown_chars"].default
CORRELATION_RULES = ("capability-tracking", "drift")


def name(value: object) -> str:
    return shown(str(value), NAME_CHARS) if not numbers.missing(value) else numbers.MISSING


def text(value: object) -> str:
    return numbers.MISSING if numbers.missing(value) or value == "" else str(value)


def sources(data) -> Iterator[str]:
    for row in data:
        yield name(row["name"])
        yield text(row["liveness"])
        for column in ("fetches", "observations", "models", "benchmarks"):
            yield numbers.count(row[column])


def models(data) -> Iterator[str]:
    for row in data["coverage"]:
        yield numbers.fraction_of(row["matched"], row["models"])
        yield name(row["other_source"])
    for row in data["models"]:
        yield name(row["model"])
        yield name(row["canonical_id"])
        yield text(row["match_rule"])


def unmatched(data) -> Iterator[str]:
    for row in data["models"]:
        yield name(row["model"])
        yield name(row["canonical_id"])


def correlations(data) -> Iterator[str]:
    for row in data:
        if row["category"] != "safety":
            continue
        yield name(row["name"])
        yield text(row["axis"])
        yield numbers.rho(row["rho"])
        yield numbers.rho_interval(row["ci_low"], row["ci_high"])
        yield numbers.count(row["n"])
        yield text(row["class"]).replace("-", " ")


def correlations_wide(data) -> Iterator[str]:
    yield from correlations(data)
    for row in data:
        if row["category"] == "safety":
            yield numbers.number(row["slope"])
            yield numbers.share(row["r2"])
            yield numbers.share(row["saturation"])
            yield numbers.rho_interval(row["subset_low"], row["subset_high"])
            yield numbers.rho(row["partial_rho_time"])


def adjusted(data) -> Iterator[str]:
    for row in data:
        yield name(row["model"])
        yield numbers.number(row["value"])
        yield numbers.number(row["axis_value"])
        for column in ("value_rank", "axis_rank", "residual"):
            yield numbers.rho(row[column])
        yield numbers.count(row["n"])


def alerts(data) -> Iterator[str]:
    for row in data:
        yield text(row["state"])
        yield text(row["what"])
        yield numbers.measured(row["measured"], row["measured_threshold"], row["unit"] or "")


def alert_history(data) -> Iterator[str]:
    for row in data:
        yield str(row["event_id"])
        yield text(row["key"])
        yield text(row["rule"])
        yield (numbers.rho(row["value"]) if row["rule"] in CORRELATION_RULES else numbers.number(row["value"]))
        yield text(row["disposition"])


def findings(data) -> Iterator[str]:
    for row in data:
        yield name(row["name"])
        yield text(row["rule"])
        yield numbers.rho(row["rho"])
        yield numbers.rho_interval(row["ci_low"], row["ci_high"])
        if row["q"] is None or row["q"] >= 1e-6:  # JSON carries 10 decimals: a q of 2.5e-12 reads 0.0
            yield numbers.number(row["q"])
        yield numbers.count(row["n"])


def unmapped(data) -> Iterator[str]:
    for row in data:
        yield from (name(v) if isinstance(v, str) else numbers.number(v) for v in row.values()
                    if not isinstance(v, bool))


def history(data) -> Iterator[str]:
    for row in data:
        yield name(row["model"])
        yield name(row["benchmark"])
        yield numbers.number(row["value"])


def check(data) -> Iterator[str]:
    for row in data["results"]:
        yield text(row["axis"])
        yield text(row["axis_source"])
        yield numbers.rho(row["rho"])
        yield numbers.rho_interval(row["ci_low"], row["ci_high"])
        yield numbers.count(row["n"])
        yield numbers.rho(row["partial_rho_time"])
        yield numbers.share(row["r2"])
        yield numbers.number(row["slope"])
    for row in data["matches"]:
        yield name(row["model"])
        yield name(row["canonical_id"])


def reproduce(data) -> Iterator[str]:
    for facts in data.values():
        for benchmark, rho in facts["correlations"].items():
            yield name(benchmark)
            yield numbers.rho(rho)


# Each command that prints a table: its table arguments, its JSON arguments, the values its table shows.
COMMANDS: dict[str, tuple[list[str], list[str], Callable]] = {
    "sources": (["sources"], ["sources"], sources),
    "models": (["models", "--source", "helm-safety"], ["models", "--source", "helm-safety"], models),
    "models --unmatched": (["models", "--unmatched", "--source", "helm-safety"],
                           ["models", "--unmatched", "--source", "helm-safety"], unmatched),
    "correlations": (["correlations"], ["correlations"], correlations),
    "correlations --wide": (["correlations", "--source", "epoch", "--wide"], ["correlations", "--source", "epoch"],
                            correlations_wide),
    "adjusted": (["adjusted", "--benchmark", "harm_bench_safety_score"],
                 ["adjusted", "--benchmark", "harm_bench_safety_score"], adjusted),
    "alerts": (["alerts"], ["alerts"], alerts),
    "alerts history": (["alerts", "history"], ["alerts", "history"], alert_history),
    "findings": (["findings"], ["findings"], findings),
    "unmapped": (["unmapped"], ["unmapped"], unmapped),
    "history": (["history", "--source", "helm-safety", "--benchmark", "bbq_accuracy"],
                ["history", "--source", "helm-safety", "--benchmark", "bbq_accuracy"], history),
    "check": (["check", "{file}", "--name", "BBQ (my copy)"], ["check", "{file}", "--name", "BBQ (my copy)"], check),
    "reproduce-paper": (["reproduce-paper", "--data", "{data}"], ["reproduce-paper", "--data", "{data}"], reproduce),
}


@pytest.fixture(scope="module")
def own_file(full_db: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A user's file for ``check``: HELM Safety's BBQ accuracies as the README's worked example writes them."""
    path = tmp_path_factory.mktemp("check") / "bbq.csv"
    path.write_text(run("history", "--source", "helm-safety", "--benchmark", "bbq_accuracy", "--format", "csv",
                        "--db", str(full_db)).stdout, encoding="utf-8")
    return path


def _args(args: list[str], file: Path, db: Path) -> list[str]:
    """The command line: the user's file and the recorded data filled in; every command but the
    paper's reproduction (which reads the recorded matrices) reads the database."""
    filled = [a.format(file=file, data=DATA_DIR) for a in args]
    return filled if args[0] == "reproduce-paper" else [*filled, "--db", str(db)]


def _tokens(table: str) -> set[str]:
    """The table's words; a word may end in the '*' of a small n or the ':' of a record's field."""
    words = set(table.split())
    return words | {w.rstrip("*:") for w in words}


def _missing_words(expected: set[str], table: str) -> list[str]:
    tokens = _tokens(table)
    return sorted({value for value in expected if not set(value.split()) <= tokens})


@pytest.fixture(scope="module")
def json_of(full_db: Path, own_file: Path) -> Callable[[str], object]:
    """Each command's JSON output, read once for both widths."""
    read: dict[str, object] = {}

    def of(command: str) -> object:
        if command not in read:
            args = _args(COMMANDS[command][1], own_file, full_db)
            read[command] = json.loads(run(*args, "--format", "json").stdout)
        return read[command]
    return of


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("command", list(COMMANDS))
def test_every_value_appears_whole(full_db, own_file, json_of, command, width):
    table_args, _, values = COMMANDS[command]
    data = json_of(command)
    result = run(*_args(table_args, own_file, full_db), env={"COLUMNS": str(width)})
    table = result.stdout
    expected = set(values(data))
    if not expected:  # an empty result says so in words, never an empty table
        assert data in ([], {}) and result.stderr.strip(), command
        return
    assert _missing_words(expected, table) == [], f"{command} at {width} columns:\n{table[:3000]}"
    wide = "--wide" in table_args
    # A verdict or note under a table ("- ...") is a sentence the terminal wraps; table lines fit.
    too_long = [line for line in table.splitlines()
                if len(line) > width and len(line.split()) > 2 and not line.startswith("- ")]
    assert wide or too_long == [], f"{command} at {width} columns: lines wider than the terminal: {too_long[:3]}"
    for stub in ("None", "nan", "<NA>"):
        assert not re.search(rf"(?<!\w){stub}(?!\w)", table), f"{command}: {stub!r} in the table"


def test_headers_are_never_cut_to_stubs(full_db):
    """The issue's cases: at 80 columns ``sources`` headed its columns ``m``, ``fe``, ``froz`` and showed
    Epoch's 589 models as ``5``; ``adjusted`` at 120 showed ``residual×1`` and ``92./5``."""
    narrow = run("sources", "--db", str(full_db), env={"COLUMNS": "80"}).stdout
    rows = json.loads(run("sources", "--format", "json", "--db", str(full_db)).stdout)
    epoch = next(r for r in rows if r["name"] == "epoch")
    assert numbers.count(epoch["models"]) in _tokens(narrow)
    for header in ("models", "fetches", "frozen_since", "observations"):
        pieces = re.findall(r"[^_]+_?", header)
        assert header in _tokens(narrow) or set(pieces) <= _tokens(narrow), header
    wide = run("adjusted", "--benchmark", "harm_bench_safety_score", "--db", str(full_db),
               env={"COLUMNS": "120"}).stdout
    assert "residual×100" in _tokens(wide) and "residual×1" not in _tokens(wide)
