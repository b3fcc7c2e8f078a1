"""Every ``benchwatch`` command the README shows in a shell block runs as written.

Each shell block's ``benchwatch`` lines run in order, through ``sh`` in a folder of their own (so a
block's ``> bbq.csv`` feeds its next line), with the installed entry point for ``.venv/bin/benchwatch``
and ``BENCHWATCH_HOME`` a temporary folder holding a copy of the shared full replay (the README's first
command, ``tests/conftest.py``'s ``replayed_db``). A line fails on a non-zero exit or a traceback.
Lines that cannot run here are listed in ``NOT_RUN`` with the reason; an entry the README no longer
has fails too, so the list cannot go stale.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.paths import REPO_ROOT

README = REPO_ROOT / "README.md"
ENTRY_POINT = Path(sys.executable).parent / "benchwatch"
BENCHWATCH = (shlex.quote(str(ENTRY_POINT)) if ENTRY_POINT.exists()
              else f"{shlex.quote(sys.executable)} -m benchwatch.cli")
# A line running benchwatch (bare or from the venv): first, or after &&, ; or |, past any VAR=value words.
COMMAND = re.compile(r"(?:^|&&|;|\|)\s*(?:\w+=\S+\s+)*(?:\.venv/bin/)?benchwatch(?:\s|$)")
SHELL_BLOCK = re.compile(r"^```(?:sh|bash|shell)\n(.*?)^```", re.S | re.M)

# README command lines not run here, each with why (matched on the line's start).
NOT_RUN = {
    # Creates a virtualenv and installs the package: the test runs inside that install, and the
    # refresh at its end is the replay the fixture copies (conftest's replayed_db runs it).
    "python3 -m venv .venv && .venv/bin/pip install -e . && .venv/bin/benchwatch refresh": "installs",
    # A synopsis: the brackets are placeholders, not arguments.
    ".venv/bin/benchwatch check results.csv [--name NAME]": "synopsis",
    # Long-running servers: they never exit by themselves.
    ".venv/bin/benchwatch dashboard": "server",
    ".venv/bin/benchwatch up --live": "server, and the network",
    # Destructive and needs a backup that is not here (a folder under /backups, an S3 bucket).
    ".venv/bin/benchwatch restore /backups/": "replaces the database",
    ".venv/bin/benchwatch restore s3://": "replaces the database, and the network",
}


def readme_blocks() -> list[tuple[int, list[str]]]:
    """(first line number, command lines) of each README shell block holding a benchwatch command;
    a line ending in a backslash is joined with the next, as the shell does."""
    text = README.read_text(encoding="utf-8")
    blocks = []
    for match in SHELL_BLOCK.finditer(text):
        joined = match.group(1).replace("\\\n", " ")
        lines = [line.strip() for line in joined.splitlines() if COMMAND.search(line.strip())]
        if lines:
            blocks.append((text[:match.start()].count("\n") + 2, lines))
    return blocks


def skipped(line: str) -> str | None:
    return next((why for start, why in NOT_RUN.items() if line.startswith(start)), None)


@pytest.fixture(scope="module")
def home(replayed_db: Path, data_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """The environment of a user whose Benchwatch home holds the full replay (a copy: refresh writes)."""
    folder = tmp_path_factory.mktemp("readme-home")
    shutil.copyfile(replayed_db, folder / "benchwatch.duckdb")
    env = {key: value for key, value in os.environ.items() if key != "BENCHWATCH_DB"}
    # The settings file in the home too: `check --save` registers a custom source in it.
    return {**env, "BENCHWATCH_HOME": str(folder), "BENCHWATCH_CONFIG": str(folder / "benchwatch.toml"),
            "BENCHWATCH_REPLAY_DIR": str(data_dir),
            "BENCHWATCH_BOOTSTRAP_RESAMPLES": "200", "COLUMNS": "120"}


def shell(line: str, env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess:
    command = re.sub(r"(?<![\w/])(?:\.venv/bin/)?benchwatch(?=\s|$)", lambda _: BENCHWATCH, line, count=1)
    return subprocess.run(["sh", "-c", command], capture_output=True, text=True, env=env, cwd=cwd, timeout=900)


def test_the_readme_has_commands_and_every_skip_names_one_of_them():
    lines = [line for _, block in readme_blocks() for line in block]
    assert len(lines) >= 10, lines
    stale = [start for start in NOT_RUN if not any(line.startswith(start) for line in lines)]
    assert not stale, f"NOT_RUN names lines the README no longer has: {stale}"


@pytest.mark.parametrize("start, lines", [pytest.param(start, lines, id=f"README-line-{start}")
                                          for start, lines in readme_blocks()])
def test_readme_block_runs_as_written(start, lines, home, tmp_path):
    ran = 0
    for line in lines:
        if skipped(line):
            continue
        result = shell(line, home, tmp_path)
        output = result.stdout + result.stderr
        assert result.returncode == 0 and "Traceback" not in output, (
            f"README line {start}+: `{line}` exited {result.returncode}:\n{output[-3000:]}")
        ran += 1
    if not ran:
        pytest.skip(f"every line of the block at README line {start} is in NOT_RUN")


@pytest.fixture(scope="module")
def scores(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny benchmark file of three stored models (enough to get past reading it)."""
    path = tmp_path_factory.mktemp("scores") / "mine.csv"
    path.write_text("model,score\nClaude 3 Haiku (20240307),0.6\nClaude 3 Opus (20240229),0.9\n"
                    "GPT-4o (2024-05-13),0.8\n", encoding="utf-8")
    return path


@pytest.mark.parametrize("args, says", [
    (["check", "{scores}", "--model-set", "chta"], "--model-set: unknown value 'chta'; valid: "),
    (["unmapped", "--source", "nope"], "--source: unknown value 'nope'; valid: "),
    (["history", "--source", "nope"], "--source: unknown value 'nope'; valid: "),
    (["alerts", "silence", "any-key", "--until", "2020-01-01"], "--until: 2020-01-01 is in the past"),
    (["check", "{scores}", "--safety-area", "bias"], "--safety-area goes with --save"),
], ids=["check-model-set", "unmapped-source", "history-source", "silence-past", "safety-area-without-save"])
def test_a_bad_option_is_one_line_naming_it_and_a_non_zero_exit(args, says, home, scores, tmp_path):
    line = "benchwatch " + " ".join(shlex.quote(arg.format(scores=scores)) for arg in args)
    result = shell(line, home, tmp_path)
    assert result.returncode == 2, result.stdout + result.stderr
    assert result.stdout == "" and result.stderr.count("\n") == 1 and says in result.stderr, result.stderr
