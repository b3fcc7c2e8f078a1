"""``benchwatch dashboard``: serve the Streamlit app on the configured host and port."""

from __future__ import annotations

import math
import os
import sys
from importlib.resources import files
from pathlib import Path
from typing import Annotated

import typer

from benchwatch.cli.app import DbOption, app, err, settings_or_exit
from benchwatch.settings import Settings

# Streamlit runs a file: the app ships inside the package (a plain folder in a wheel or a checkout).
APP_SCRIPT = Path(str(files("benchwatch.dashboard") / "app.py"))


def upload_megabytes(settings: Settings) -> int:
    """Streamlit's upload limit (whole MiB) for ``input_limits.max_bytes``: the browser refuses a
    larger file before sending it; the Check page's own check holds the exact byte bound."""
    return max(1, math.ceil(settings.input_limits.max_bytes / 2**20))


def streamlit_command(settings: Settings) -> list[str]:
    """``streamlit run`` for the app: headless, no usage stats, no file watcher (a service)."""
    return [
        sys.executable, "-m", "streamlit", "run", str(APP_SCRIPT),
        "--server.address", settings.dashboard_host,
        "--server.port", str(settings.dashboard_port),
        "--server.headless", "true",
        "--server.fileWatcherType", "none",
        "--server.runOnSave", "false",
        "--server.maxUploadSize", str(upload_megabytes(settings)),
        "--browser.gatherUsageStats", "false",
        "--global.developmentMode", "false",
        "--client.toolbarMode", "viewer",
    ]


@app.command()
def dashboard(
    host: Annotated[str | None, typer.Option("--host", help="Address to listen on (dashboard_host).")] = None,
    port: Annotated[int | None, typer.Option("--port", help="Port (dashboard_port).")] = None,
    db: DbOption = None,
) -> None:
    """Serve the dashboard (reads the published copy of the database; 127.0.0.1:8501 by default)."""
    settings = settings_or_exit(db=db, dashboard_host=host, dashboard_port=port)
    if not APP_SCRIPT.is_file():
        err.print(f"dashboard app not found at {APP_SCRIPT}")
        raise typer.Exit(1)
    # The app builds its own settings; the database chosen here reaches it the usual way.
    env = {**os.environ, "BENCHWATCH_DB": str(settings.db.resolve())}
    typer.echo(f"Benchwatch dashboard on http://{settings.dashboard_host}:{settings.dashboard_port} "
               f"(reading {settings.db.name}'s published copy; Ctrl-C stops)")
    # Become Streamlit (exec): signals from a terminal, systemd or a container stop it directly.
    command = streamlit_command(settings)
    sys.stdout.flush()
    os.execve(command[0], command, env)
