"""``benchwatch``: each module of this package registers its commands on ``app``."""

from benchwatch.cli import alerts, dashboard, models, read, refresh, reliability, service  # noqa: F401 - importing registers the commands
from benchwatch.cli.app import app

__all__ = ["app"]
