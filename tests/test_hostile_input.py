"""``benchwatch check`` on hostile files and bad paths: one line naming what and where, a
non-zero exit, never a traceback; names shown cut and inert, kept whole in the data."""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

# HELM Safety and Epoch replayed and analysed, and HarmBench's latest values: the check tests' fixtures.
from tests.test_benchmark_check import db, latest  # noqa: F401

BENCHWATCH = [sys.executable, "-m", "benchwatch.cli"]
RESAMPLES = "50"
LONG = "L" * 10_000


def run(*args: str, db: Path, env: dict | None = None, stdout=subprocess.PIPE) -> subprocess.CompletedProcess:
    # COLUMNS: wide enough that a table row is one line (the cut, not the wrap, bounds a name).
    return subprocess.run([*BENCHWATCH, "check", *args, "--db", str(db)], stdout=stdout, stderr=subprocess.PIPE,
                          text=True, timeout=600,
                          env={**os.environ, "BENCHWATCH_BOOTSTRAP_RESAMPLES": RESAMPLES, "COLUMNS": "1000",
                               **(env or {})})


def one_line_error(result: subprocess.CompletedProcess) -> str:
    assert result.returncode != 0, result.stderr[-500:]
    assert "Traceback" not in result.stderr, result.stderr[-3000:]
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr[-3000:]
    return lines[0]


HOSTILE = {
    "empty.csv": (b"", "empty.csv: the file is empty"),
    "binary.csv": (random.Random(27).randbytes(4096), "binary.csv: not a readable CSV file"),
    "nested.json": (b"[" * 10_000 + b"]" * 10_000,
                    "nested.json: JSON nested 10,000 levels deep, deeper than the 64 accepted"),
    "nested.jsonl": (b"[" * 10_000 + b"]" * 10_000 + b"\n",
                     "nested.jsonl: JSON nested 10,000 levels deep, deeper than the 64 accepted"),
    "strings.csv": (b"model,score\nalpha,high\nbeta,low\n",
                    "strings.csv: column 'score': 2 value(s) are not numbers (row 2: 'high', row 3: 'low')"),
    "long.json": (json.dumps([{"model": "m" * 200_000, "score": 1}]).encode(),
                  "long.json: a JSON string of 200,000 bytes, longer than the 100,000 accepted"),
    "dupes.csv": (f"model,score\n{LONG}\x00,1\n{LONG}\x00,2\n".encode(),
                  "dupes.csv: 1 model(s) listed more than once: 'LLLL"),
}


@pytest.mark.parametrize("filename", sorted(HOSTILE))
def test_a_hostile_file_is_one_line_and_a_non_zero_exit(db, tmp_path, filename):
    content, message = HOSTILE[filename]
    path = tmp_path / filename
    path.write_bytes(content)
    line = one_line_error(run(str(path), db=db))
    assert line.startswith(f"check: {message}"), line
    assert "\x00" not in line and len(line) < 1_000


def test_a_file_past_the_row_and_size_bounds_is_refused(db, tmp_path):
    path = tmp_path / "many.csv"
    path.write_text("model,score\n" + "".join(f"m{k},{k}\n" for k in range(101)))
    assert one_line_error(run(str(path), db=db, env={"BENCHWATCH_INPUT_LIMITS": '{"max_rows": 100}'})) == (
        "check: many.csv: 101 rows, more than the 100 accepted (input_limits.max_rows)")
    size = path.stat().st_size
    assert one_line_error(run(str(path), db=db, env={"BENCHWATCH_INPUT_LIMITS": '{"max_bytes": 500}'})) == (
        f"check: many.csv: {size:,} bytes, more than the 500 accepted (input_limits.max_bytes); "
        "check a smaller file")


def test_a_bad_path_is_one_line_and_a_non_zero_exit(db, latest, tmp_path):
    path = tmp_path / "mine.csv"
    latest.to_csv(path, index=False)
    absent = tmp_path / "absent.csv"
    assert one_line_error(run(str(absent), db=db)) == f"check: {absent}: no such file or folder"
    missing = tmp_path / "no-folder" / "report.json"
    assert one_line_error(run(str(path), "--format", "json", "--out", str(missing), db=db)) == (
        f"cannot write --out {missing}: No such file or directory")
    assert one_line_error(run(str(path), "--format", "html", "--out", "/dev/full", db=db)) == (
        "cannot write --out /dev/full: No space left on device")
    with open("/dev/full", "w") as full:
        result = run(str(path), "--format", "json", db=db, stdout=full)
    assert one_line_error(result) == "cannot write standard output: No space left on device"


def test_nul_bytes_and_long_names_are_cut_and_inert_where_shown_and_whole_in_the_data(db, latest, tmp_path):
    mine = pd.concat([latest, pd.DataFrame({"model": ["evil\x00\x1b[31mname", LONG], "score": [0.1, 0.2]})])
    path = tmp_path / "mine.csv"
    mine.to_csv(path, index=False)
    table = run(str(path), db=db)
    assert table.returncode == 0, table.stderr[-2000:]
    assert "\x00" not in table.stdout and "\x1b" not in table.stdout
    assert "evil\\x00\\x1b[31mname" in table.stdout
    assert "L" * 119 + "…" in table.stdout and "L" * 120 not in table.stdout  # name_shown_chars = 120
    html_path = tmp_path / "report.html"
    assert run(str(path), "--format", "html", "--out", str(html_path), db=db).returncode == 0
    html = html_path.read_text()
    assert "\x00" not in html and "evil\\x00\\x1b[31mname" in html and "L" * 121 not in html
    report = json.loads(run(str(path), "--format", "json", db=db).stdout)
    models = {row["model"] for row in report["matches"]}
    assert {"evil\x00\x1b[31mname", LONG} <= models
