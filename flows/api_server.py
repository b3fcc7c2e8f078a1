"""A temporary Prefect API server that cannot outlive the process that started it.

With no ``PREFECT_API_URL``, Prefect starts a temporary server of its own as a
child process and stops it at exit; a SIGKILL (a scheduler's timeout, the
OOM killer) skips that, and the server (about 230 MB) lives on, reparented
to init. So ``benchwatch refresh`` starts the same server itself (uvicorn on
Prefect's app factory, as Prefect does) with a parent-death signal: the
kernel kills it the moment its parent dies, however the parent died.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import prefect
from prefect.events.worker import EventsWorker
from prefect.logging.handlers import APILogWorker
from prefect.settings import PREFECT_API_URL, get_current_settings, temporary_settings

from benchwatch.supervise import answers

PR_SET_PDEATHSIG = 1
STARTUP_TIMEOUT_SECONDS = 180.0


class ServerDidNotStart(RuntimeError):
    """The temporary Prefect API did not answer its health check."""


def _die_with(parent: int) -> None:
    """In the child, before exec: SIGKILL me when my parent dies (Linux prctl)."""
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    if os.getppid() != parent:  # the parent died before the signal was armed
        os._exit(1)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextlib.contextmanager
def temporary_api() -> Iterator[str]:
    """Run the block against a private Prefect API on loopback; yields its URL.

    Does nothing when a Prefect server is configured (``PREFECT_API_URL``).
    """
    configured = get_current_settings().api.url
    if configured:
        yield configured
        return
    port = _free_port()
    env = {**os.environ, "PREFECT_UI_ENABLED": "0", "PREFECT__SERVER_EPHEMERAL": "1",
           "PREFECT__SERVER_FINAL": "1",
           **get_current_settings().to_environment_variables(exclude_unset=True)}
    parent = os.getpid()
    process = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "--app-dir", str(Path(prefect.__file__).parent.parent),
         "--factory", "prefect.server.api.server:create_app", "--host", "127.0.0.1",
         "--port", str(port), "--log-level", "error", "--lifespan", "on"],
        env=env, stdin=subprocess.DEVNULL, preexec_fn=lambda: _die_with(parent))
    url = f"http://127.0.0.1:{port}/api"
    try:
        _await_health(process, url)
        with temporary_settings(updates={PREFECT_API_URL: url}):
            try:
                yield url
            finally:
                # Logs and events are sent in the background: deliver them while the API still answers.
                APILogWorker.drain_all(timeout=10)
                EventsWorker.drain_all(timeout=10)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _await_health(process: subprocess.Popen, url: str) -> None:
    """Poll the health endpoint until the server answers (a readiness wait, not a timing check)."""
    wait = max(get_current_settings().server.ephemeral.startup_timeout_seconds or 0, STARTUP_TIMEOUT_SECONDS)
    deadline = time.monotonic() + wait
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise ServerDidNotStart(f"the temporary Prefect API exited with code {process.returncode}")
        if answers(f"{url}/health"):
            return
        time.sleep(0.2)
    raise ServerDidNotStart(f"the temporary Prefect API at {url} did not answer within {wait:.0f} s")
