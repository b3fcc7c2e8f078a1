"""Defaults for Prefect's own settings, set before a command starts a flow or a Prefect server."""

from __future__ import annotations

import os


def prefect_defaults() -> None:
    """Defaults for Prefect's own settings on a machine with no internet and 2 cores."""
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "90")
    os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
