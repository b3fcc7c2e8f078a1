"""``benchwatch reliability-report``: run the fault, crash and concurrency injections, print the figures.

The injections live with the test suite (``tests/reliability/faults.py``
serves upstreams from ``tests/loopback.py``), so the report runs from a
source checkout: this command runs ``scripts/reliability_report.py``.
"""

from __future__ import annotations

import subprocess
import sys
from typing import Annotated

import typer

from benchwatch.cli.app import app, err, settings_or_exit
from benchwatch.settings import REPO_ROOT

SCRIPT = REPO_ROOT / "scripts" / "reliability_report.py"


@app.command("reliability-report")
def reliability_report(
    kills: Annotated[int, typer.Option(help="Refreshes to SIGKILL at random points.", min=1)] = 20,
    seed: Annotated[int, typer.Option(help="Seed of the kill times.")] = 9,
) -> None:
    """Inject faults, bad inputs, crashes and concurrent refreshes; print what survived (exit 1 if not all)."""
    settings = settings_or_exit()
    if not SCRIPT.exists():
        err.print(f"{SCRIPT} not found: the reliability report runs from a source checkout", markup=False)
        raise typer.Exit(2)
    done = subprocess.run([sys.executable, str(SCRIPT), "--kills", str(kills), "--seed", str(seed),
                           "--replay-dir", str(settings.replay_dir)], check=False)
    raise typer.Exit(done.returncode)
