"""Where the checkout and the recorded data are, for tests (the package itself never knows)."""

from __future__ import annotations

import os
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
DATA_DIR = Path(os.environ.get("BENCHWATCH_REPLAY_DIR") or REPO_ROOT.parent / "shared" / "data")
