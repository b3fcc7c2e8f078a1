"""Shared fixtures: the recorded data, a fresh database file, an isolated Prefect home."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

# Prefect reads its settings at import: isolate it before any test imports it.
_PREFECT_HOME = tempfile.mkdtemp(prefix="benchwatch-prefect-")
os.environ["PREFECT_HOME"] = _PREFECT_HOME
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "120")
os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
os.environ.pop("PREFECT_API_URL", None)
os.environ["BENCHWATCH_CONFIG"] = os.path.join(_PREFECT_HOME, "no-benchwatch.toml")
# Nothing a test does lands in the user's own Benchwatch home.
os.environ["BENCHWATCH_HOME"] = os.path.join(_PREFECT_HOME, "benchwatch-home")

import subprocess  # noqa: E402
import sys  # noqa: E402

import pytest  # noqa: E402
from filelock import FileLock  # noqa: E402

from benchwatch.settings import Settings, load_settings  # noqa: E402
from tests.loopback import Upstream  # noqa: E402
from tests.prefect_harness import PrefectApi, prefect_api  # noqa: E402
from tests.paths import DATA_DIR  # noqa: E402


@pytest.fixture(scope="session")
def data_dir() -> Path:
    if not (DATA_DIR / "safetywashing").is_dir():
        pytest.fail(f"recorded data not found at {DATA_DIR}: ../shared/data must sit beside the repo")
    return DATA_DIR


@pytest.fixture
def settings(tmp_path: Path, data_dir: Path) -> Settings:
    """Settings for a fresh database; fewer resamples keep the suite fast."""
    return load_settings(db=tmp_path / "bw.duckdb", replay_dir=data_dir, bootstrap_resamples=200)


@pytest.fixture
def upstream() -> Upstream:
    """An empty loopback upstream on 127.0.0.1 for one test; tests mount what it serves."""
    server = Upstream().start()
    yield server
    server.stop()


# The full replay most end-to-end tests read: bootstrap resamples of the shared database.
REPLAY_RESAMPLES = 200


@pytest.fixture(scope="session")
def replayed_db(tmp_path_factory: pytest.TempPathFactory, data_dir: Path, worker_id: str) -> Path:
    """Every source replayed through ``benchwatch refresh`` (the README's first command), analysed,
    alerted and published: built once per test run and shared by the xdist workers (a file lock
    makes the first worker build it and the others wait). Read it; copy it before writing.
    """
    root = tmp_path_factory.getbasetemp()
    if worker_id != "master":
        root = root.parent  # the run's folder, shared by every worker
    db = root / "replayed" / "benchwatch.duckdb"
    done = db.with_suffix(".done")
    with FileLock(str(root / "replayed.lock")):
        if not done.exists():
            db.parent.mkdir(parents=True, exist_ok=True)
            result = subprocess.run(
                [sys.executable, "-m", "benchwatch.cli", "refresh", "--db", str(db), "--replay", str(data_dir)],
                capture_output=True, text=True, timeout=1800,
                env={**os.environ, "BENCHWATCH_BOOTSTRAP_RESAMPLES": str(REPLAY_RESAMPLES)})
            assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
            assert "Most capability-correlated safety benchmarks" in result.stdout
            done.write_text(result.stdout)
    return db


@pytest.fixture(scope="session")
def full_db(replayed_db: Path) -> Path:
    """The shared full replay, by the name the CLI tests use (read-only: copy it to write)."""
    return replayed_db


@pytest.fixture(scope="session")
def prefect_server() -> PrefectApi:
    """One temporary Prefect API per worker (``tests/prefect_harness.py``): the modules that run flows
    under it enter ``harness(prefect_server)`` instead of starting a server each."""
    with prefect_api() as api:
        yield api
