"""One temporary Prefect API per test worker, shared by every module that runs flows under it.

``prefect.testing.utilities.prefect_test_harness`` starts a server subprocess each time it is
entered: 20-60 s on the project's 2 cores, paid once per module by five modules. Here the server
starts once (conftest's session fixture ``prefect_api``) and each module enters ``harness``, which
does what ``prefect_test_harness`` does around its server (the same settings, the server registered
as the default one, the log and event workers drained on exit) without starting or stopping it.
Modules share the server's database; none counts another's runs (the artifact a test reads is the
newest of its key, written by its own flow).
"""

from __future__ import annotations

import inspect
import shutil
import socket
import tempfile
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

import prefect.context
import prefect.settings
from prefect.events.worker import EventsWorker
from prefect.logging.handlers import APILogWorker
from prefect.server.api.server import SubprocessASGIServer
from prefect.server.database.dependencies import temporary_database_interface
from prefect.utilities.asyncutils import run_coro_as_sync

STARTUP_SECONDS = 180


@dataclass(frozen=True)
class PrefectApi:
    """A running temporary Prefect server and the SQLite database URL it was started with."""

    server: SubprocessASGIServer
    database_url: str


@contextmanager
def prefect_api() -> Iterator[PrefectApi]:
    """Start a temporary Prefect server on a free port with its own SQLite file; stop it on exit."""
    folder = tempfile.mkdtemp(prefix="benchwatch-prefect-api-")
    database_url = "sqlite+aiosqlite:///" + str(Path(folder) / "prefect-test.db")
    try:
        with prefect.settings.temporary_settings(
                updates={prefect.settings.PREFECT_SERVER_DATABASE_CONNECTION_URL: database_url}):
            server = SubprocessASGIServer(port=_free_port())
            server.start(timeout=STARTUP_SECONDS)
        try:
            yield PrefectApi(server, database_url)
        finally:
            server.stop()
    finally:
        shutil.rmtree(folder, ignore_errors=True)


@contextmanager
def harness(api: PrefectApi) -> Iterator[None]:
    """Flows run in this block report to ``api``, as they would inside ``prefect_test_harness``."""
    prior_default = SubprocessASGIServer._instances.get(None)
    SubprocessASGIServer._instances[None] = api.server
    try:
        with ExitStack() as stack:
            stack.enter_context(temporary_database_interface())
            stack.enter_context(prefect.settings.temporary_settings(updates={
                prefect.settings.PREFECT_SERVER_DATABASE_CONNECTION_URL: api.database_url,
                prefect.settings.PREFECT_API_URL: api.server.api_url,
            }))
            stack.enter_context(prefect.context._temporary_global_settings_context(
                prefect.context.get_settings_context()))
            yield
            run_coro_as_sync(_drain_workers())
    finally:
        if prior_default is not None:
            SubprocessASGIServer._instances[None] = prior_default
        else:
            SubprocessASGIServer._instances.pop(None, None)


async def _drain_workers() -> None:
    """Send the buffered logs and events before the settings change back, so none leaks into the
    next module's block or reaches a server that is gone."""
    try:
        result = APILogWorker.instance().drain()
        if inspect.isawaitable(result):
            await result
    except RuntimeError:  # the log worker never started
        pass
    result = EventsWorker.drain_all()
    if inspect.isawaitable(result):
        await result


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])
