"""Child services of ``benchwatch up``: start each in its own process group, stop them all.

A service (the Prefect server, the runner serving the deployments, the
dashboard) may start processes of its own, so each is a session leader and
is stopped by signalling its whole group (and any descendant that left it):
SIGINT, a grace period, then SIGKILL. Stopping goes in reverse start order,
so the runner can still reach the Prefect server to pause its schedules
before the server goes. Linux: the process tree is read from /proc.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import httpx


@dataclass
class Service:
    """A started child: its process (a session leader) and the log its output goes to."""

    name: str
    process: subprocess.Popen
    log: Path

    def tail(self, lines: int = 15) -> str:
        text = self.log.read_text(encoding="utf-8", errors="replace") if self.log.exists() else ""
        return "\n".join(text.splitlines()[-lines:])


class Supervisor:
    """The services started so far, and a stop flag set by SIGINT/SIGTERM."""

    def __init__(self, log_dir: Path) -> None:
        self.log_dir = log_dir
        self.services: list[Service] = []
        self.stopping = threading.Event()

    def handle_signals(self) -> None:
        """Ctrl-C and SIGTERM ask for an orderly stop instead of killing this process mid-way."""
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, lambda *_: self.stopping.set())

    def start(self, name: str, argv: list[str], env: dict[str, str]) -> Service:
        self.log_dir.mkdir(parents=True, exist_ok=True)
        log = self.log_dir / f"{name}.log"
        with open(log, "ab") as out:
            process = subprocess.Popen(argv, env=env, stdin=subprocess.DEVNULL, stdout=out,
                                       stderr=subprocess.STDOUT, start_new_session=True)
        service = Service(name, process, log)
        self.services.append(service)
        return service

    def exited(self) -> Service | None:
        """The first service that has stopped on its own, if any."""
        return next((s for s in self.services if s.process.poll() is not None), None)

    def wait_until(self, ready: Callable[[], bool], service: Service, timeout: float) -> bool:
        """Poll ``ready`` until true; False on timeout, a stop request, or the service dying."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and not self.stopping.is_set():
            if service.process.poll() is not None:
                return False
            if ready():
                return True
            self.stopping.wait(0.5)
        return False

    def stop_all(self, grace: float = 30.0) -> None:
        for service in reversed(self.services):
            _stop_group(service.process, grace)


def _stop_group(process: subprocess.Popen, grace: float) -> None:
    """Ctrl-C the group, wait until it and every descendant are gone (at most ``grace``), then SIGKILL.

    Descendants are tracked as well as the group, because a service may start
    processes in sessions of their own (Prefect isolates some flow runs so).
    SIGINT is the signal each service handles as an orderly stop (the runner
    pauses its schedules, uvicorn and Streamlit shut down).
    """
    tree = {process.pid} | descendants(process.pid)
    _signal_group(process.pid, signal.SIGINT)
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline:
        process.poll()  # reap the leader, or its zombie keeps the group alive
        living = {pid for pid in tree if alive(pid)}
        for pid in list(living):
            tree |= descendants(pid)
        if not living and not _group_alive(process.pid):
            return
        time.sleep(0.2)
    _signal_group(process.pid, signal.SIGKILL)
    for pid in tree:
        if alive(pid):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
    process.wait(10)


def _signal_group(pgid: int, sig: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pgid, sig)


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    return True


def _stat(pid: int) -> list[str] | None:
    """Fields of /proc/<pid>/stat after the command name (state is [0], ppid [1])."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return text.rsplit(")", 1)[1].split()


def alive(pid: int) -> bool:
    """Running (a zombie has finished; its parent just has not collected it)."""
    fields = _stat(pid)
    return fields is not None and fields[0] not in ("Z", "X")


def descendants(pid: int) -> set[int]:
    """Every process below ``pid`` in the process tree, read from /proc."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and (fields := _stat(int(entry.name))) is not None:
            children.setdefault(int(fields[1]), []).append(int(entry.name))
    found, todo = set(), [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            if child not in found:
                found.add(child)
                todo.append(child)
    return found


def answers(url: str) -> bool:
    """True when ``url`` answers 200 (a health check)."""
    try:
        return httpx.get(url, timeout=2.0).status_code == 200
    except httpx.HTTPError:
        return False
