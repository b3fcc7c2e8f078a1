"""``benchwatch``: each module of this package registers its commands on ``app``."""

from benchwatch.cli import (  # noqa: F401 - importing registers the commands
    alerts,
    check,
    dashboard,
    history,
    models,
    read,
    refresh,
    service,
    unmapped,
    values,
)
from benchwatch.cli.app import app

__all__ = ["app"]
