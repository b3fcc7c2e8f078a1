"""Issue 27: the Check page's work stops when its session does.

Streamlit stops a session's script (its tab closed: ``disconnect_session``; an input changed:
a rerun) by raising ``StopException`` / ``RerunException`` at the script's next ``st`` call.
While a check runs the page makes such a call a few times a second (``tick``), so the request
surfaces there; these tests raise it there as Streamlit does and look at the child process.
"""

from __future__ import annotations

import time

import psutil
import pytest
from streamlit.runtime.scriptrunner_utils.exceptions import RerunException, StopException

from benchwatch.dashboard import background
from benchwatch.sources.tabular import InputError


def working_children() -> list[psutil.Process]:
    """This process's check children that are running a work (not the waiting spare)."""
    spare = background._spare.pid if background._spare is not None else None
    return [c for c in psutil.Process().children() if c.pid != spare and "benchwatch.dashboard.background"
            in " ".join(c.cmdline())]


@pytest.mark.parametrize("stop", [StopException(), RerunException(None)], ids=["session-ended", "rerun"])
def test_a_stopped_session_kills_its_check(stop):
    seen: list[int] = []

    def tick(seconds: float) -> None:
        seen.extend(c.pid for c in working_children())
        if seen:
            raise stop  # as Streamlit raises it at the page's next st call

    with pytest.raises(type(stop)):
        background.run_stoppable(time.sleep, 3600, tick=tick)  # a work that would run for an hour
    assert seen, "the work never ran in a child"
    for pid in set(seen):
        assert not psutil.pid_exists(pid) or psutil.Process(pid).status() == psutil.STATUS_ZOMBIE, pid
    assert working_children() == []


def test_a_finished_check_answers_and_a_bad_file_says_why():
    assert background.run_stoppable(divmod, 7, 2, tick=lambda seconds: None) == (3, 1)
    with pytest.raises(InputError, match="the file is empty"):
        background.run_stoppable(background.scores_from_bytes, b"", "empty.csv", tick=lambda seconds: None)
    with pytest.raises(background.WorkFailed, match="ZeroDivisionError"):
        background.run_stoppable(divmod, 1, 0, tick=lambda seconds: None)
