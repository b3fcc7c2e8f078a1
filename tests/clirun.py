"""Running the ``benchwatch`` command as a user does: a subprocess, its output and exit status."""

from __future__ import annotations

import os
import subprocess
import sys

BENCHWATCH = [sys.executable, "-m", "benchwatch.cli"]


def run(*args: str, env: dict | None = None, check: bool = True) -> subprocess.CompletedProcess:
    result = subprocess.run([*BENCHWATCH, *args], capture_output=True, text=True,
                            env={**os.environ, **(env or {})}, timeout=600)
    if check and result.returncode != 0:
        raise AssertionError(f"benchwatch {' '.join(args)} exited {result.returncode}:\n"
                             f"{result.stdout[-3000:]}\n{result.stderr[-3000:]}")
    return result
