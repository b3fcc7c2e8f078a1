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

import pytest  # noqa: E402

from benchwatch.settings import Settings, load_settings  # noqa: E402
from tests.clirun import run  # noqa: E402
from tests.loopback import Upstream  # noqa: E402
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


@pytest.fixture(scope="session")
def full_db(tmp_path_factory, data_dir) -> Path:
    """A full replay refresh of every source, as the README's first command runs it."""
    db = tmp_path_factory.mktemp("cli") / "benchwatch.duckdb"
    result = run("refresh", "--db", str(db), "--replay", str(data_dir),
                 env={"BENCHWATCH_BOOTSTRAP_RESAMPLES": "200"})
    assert "Most capability-correlated safety benchmarks" in result.stdout
    return db
