"""Every command imports the analysis package (the CLI's alert rules need its engine); scipy costs
about a second of each command's start, so the analysis imports it only where it computes with it."""

from __future__ import annotations

import subprocess
import sys


def test_the_cli_starts_without_importing_scipy():
    code = "import sys, benchwatch.cli; print(sorted(m for m in sys.modules if m.split('.')[0] == 'scipy'))"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"
