"""Every command imports the analysis package (the CLI's alert rules need its engine); scipy costs
about a second of each command's start, so the analysis imports it only where it computes with it."""

from __future__ import annotations

import subprocess
import sys


def test_the_cli_starts_without_importing_scipy():
    # Every command's module (a run imports only its own: benchwatch.cli.app.COMMAND_MODULES).
    code = ("import importlib, sys\nfrom benchwatch.cli.app import COMMAND_MODULES\n"
            "for m in set(COMMAND_MODULES.values()):\n    importlib.import_module(f'benchwatch.cli.{m}')\n"
            "print(sorted(m for m in sys.modules if m.split('.')[0] == 'scipy'))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"
