"""Work a page starts that must stop when its session does: the Check page's check of an upload.

A Streamlit script runs in a thread that cannot be killed, and a long call
(matching 100,000 names, bootstrapping every axis) never reaches a point where
Streamlit can stop it: closing the tab or changing an input only *requests* a
stop (``ScriptRunner.request_stop``; a closed tab's session gets it from
``WebsocketSessionManager.disconnect_session``), which is raised as
``StopException`` or ``RerunException`` at the script's next ``st`` call. So
the work runs in a child process, and the script waits for it calling ``tick``
(a placeholder update: an ``st`` call) a few times a second; when the stop
request surfaces there, the child is killed before the exception goes on.
Nothing of an abandoned check keeps a core or its memory.

The child is a fresh interpreter (``python -m benchwatch.dashboard.background``),
not a ``multiprocessing`` one: those re-import the parent's ``__main__``, which
under Streamlit is the page script. Importing the check's modules costs a
child seconds, so one spare child is kept started and waiting for its work on
stdin (``warm``); it exits when the server does (its stdin closes). This module
imports no Streamlit.
"""

from __future__ import annotations

import logging
import pickle
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import duckdb

from benchwatch.pipeline.benchmark_check import CheckReport, check_benchmark
from benchwatch.settings import Settings
from benchwatch.sources.tabular import InputError, scores_from_bytes

T = TypeVar("T")
log = logging.getLogger(__name__)
POLL_SECONDS = 0.25  # how often the waiting script reaches a stop point


class WorkFailed(RuntimeError):
    """The child process ended without an answer, or with an error other than the file's."""


_spare: subprocess.Popen | None = None
_spare_lock = threading.Lock()


def _start() -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", __name__], stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, text=True)


def warm() -> None:
    """Start the spare child now (a page about to need one), so its imports are done by then."""
    global _spare
    with _spare_lock:
        if _spare is None or _spare.poll() is not None:
            _spare = _start()


def _worker() -> subprocess.Popen:
    """The spare child, replaced by a new spare; a fresh one if the spare is gone."""
    global _spare
    with _spare_lock:
        worker = _spare if _spare is not None and _spare.poll() is None else _start()
        _spare = _start()
    return worker


def run_stoppable(work: Callable[..., T], *args: Any, tick: Callable[[float], None],
                  poll_seconds: float = POLL_SECONDS) -> T:
    """``work(*args)`` in a child process; ``tick(seconds elapsed)`` while it runs.

    Whatever ``tick`` raises (Streamlit's stop or rerun) kills the child first and then
    propagates. An ``InputError`` of ``work`` is raised here as itself, anything else as
    ``WorkFailed``. ``work`` and its arguments are pickled: a module-level function, plain data.
    """
    with tempfile.TemporaryDirectory(prefix="benchwatch-check-") as folder:
        given, answer, errors = (Path(folder) / name for name in ("work.pickle", "answer.pickle", "errors.txt"))
        given.write_bytes(pickle.dumps((work, args), protocol=pickle.HIGHEST_PROTOCOL))
        child = _worker()
        try:
            child.stdin.write(f"{given}\t{answer}\t{errors}\n")
            child.stdin.close()
        except OSError:
            pass  # the child is gone: its exit code says so below
        started = time.monotonic()
        try:
            while True:
                try:
                    child.wait(poll_seconds)
                    break
                except subprocess.TimeoutExpired:
                    tick(time.monotonic() - started)
        finally:
            stopped = child.poll() is None
            if stopped:
                child.kill()
            child.wait()
            if stopped:  # said once the child is gone, so the log never names a live process
                log.warning("benchwatch: a check stopped before it finished (its session stopped or reran); "
                            "child process %d killed", child.pid)
        if child.returncode != 0 or not answer.exists():
            said = errors.read_text(errors="replace").strip().splitlines() if errors.exists() else []
            last = said[-1:] or [f"exit code {child.returncode}"]
            raise WorkFailed(f"the check stopped without an answer ({last[0]})")
        ok, value = pickle.loads(answer.read_bytes())
    if not ok:
        raise value
    return value


def _serve(given: Path, answer: Path) -> None:
    """The child's side: run the pickled work, write (True, result) or (False, the error)."""
    work, args = pickle.loads(given.read_bytes())  # our own parent's file, in a private folder
    try:
        result: tuple[bool, Any] = (True, work(*args))
    except InputError as exc:
        result = (False, exc)
    except Exception as exc:  # noqa: BLE001 -- any other failure reaches the page as one that can be pickled
        result = (False, WorkFailed(f"{type(exc).__name__}: {exc}"))
    answer.write_bytes(pickle.dumps(result, protocol=pickle.HIGHEST_PROTOCOL))


def check_upload(copy: str, settings: Settings, content: bytes, filename: str, name: str | None,
                 model_column: str | None, score_column: str | None, lower_is_better: bool | None,
                 model_set: str | None) -> CheckReport:
    """The Check page's work, in the child: read the upload within ``input_limits`` and check it
    against the published copy at ``copy`` (the caller verifies afterwards that the copy is still
    the one its render pinned)."""
    user = scores_from_bytes(content, filename, name, model_column, score_column, limits=settings.input_limits)
    with duckdb.connect(copy, read_only=True) as con:
        return check_benchmark(con, settings, user, name, lower_is_better, model_set)


def main() -> None:
    """A spare child: wait for one work's files on stdin (none: the server stopped), serve it, exit."""
    line = sys.stdin.readline().rstrip("\n")
    if not line:
        return
    given, answer, errors = (Path(p) for p in line.split("\t"))
    with errors.open("w") as stream:
        sys.stderr = stream
        _serve(given, answer)


if __name__ == "__main__":
    # Through the module's own name, so what the child pickles (WorkFailed) unpickles in the parent.
    from benchwatch.dashboard.background import main as serve_one

    serve_one()
