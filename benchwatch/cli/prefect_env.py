"""Defaults for Prefect's own settings, and whether a Prefect API is configured at all."""

from __future__ import annotations

import os
from pathlib import Path


def prefect_defaults() -> None:
    """Defaults for Prefect's own settings on a machine with no internet and 2 cores."""
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "90")
    os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")


def prefect_api_url() -> str | None:
    """The Prefect server this process is configured for (PREFECT_API_URL, a profile, prefect.toml,
    .env or pyproject.toml, as Prefect resolves them), if any."""
    # Prefect is imported inside the commands that use it (seconds of import time, see cli/refresh.py).
    from prefect.settings import get_current_settings

    url = get_current_settings().api.url
    return url.rstrip("/") if url else None


def _mentions(path: Path, *needles: str) -> bool:
    try:
        text = path.read_text(errors="replace")
    except OSError:
        return False
    return any(needle in text for needle in needles)


def may_configure_prefect_api() -> bool:
    """False only when no place Prefect reads its settings from can name an API.

    Asking Prefect itself (``prefect_api_url``) imports it, about 3 s that a one-shot
    refresh without Prefect would otherwise not pay. This looks at the same places
    (environment, profiles file, prefect.toml, .env, pyproject.toml in the working
    folder) without parsing them: any hint, and Prefect is asked.
    """
    if any(name in os.environ for name in ("PREFECT_API_URL", "PREFECT_PROFILE", "PREFECT_PROFILES_PATH")):
        return True
    home = Path(os.environ.get("PREFECT_HOME", Path.home() / ".prefect")).expanduser()
    return (_mentions(home / "profiles.toml", "PREFECT_API_URL")
            or Path("prefect.toml").is_file()
            or _mentions(Path(".env"), "PREFECT_")
            or _mentions(Path("pyproject.toml"), "tool.prefect"))


def configured_prefect_api() -> str | None:
    """The configured Prefect API's URL, importing Prefect only when one may be configured."""
    return prefect_api_url() if may_configure_prefect_api() else None
