"""``benchwatch``: each module of this package registers its commands on ``app``.

One module per command (or command group), named for it; ``app.py`` holds the app, the options every
command shares and which module registers which command (``COMMAND_MODULES``): a run imports only the
module of the command it runs, ``table.py`` how a frame is printed.
"""

from benchwatch.cli.app import app

__all__ = ["app"]
