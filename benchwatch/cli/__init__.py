"""``benchwatch``: each module of this package registers its commands on ``app``.

One module per command (or command group), named for it; ``app.py`` holds the app and the options every
command shares, ``table.py`` how a frame is printed.
"""

from benchwatch.cli import (  # noqa: F401 - importing registers the commands
    alerts,
    archive,
    backup,
    benchmark_check,
    correlations,
    dashboard,
    findings,
    models,
    publish,
    rebuild,
    refresh,
    reproduce_paper,
    service,
    sources,
    unmapped,
    values,
)
from benchwatch.cli.app import app

__all__ = ["app"]
