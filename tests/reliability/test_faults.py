"""Every fault and bad input of ``faults.CASES``, against every source, ends as a recorded error
or an explained cleaning step, never a crash or a half-written fetch, and the next source still runs."""

from __future__ import annotations

from pathlib import Path

import pytest

from benchwatch.sources import SOURCES
from tests.reliability.faults import CASES, run_case
from tests.reliability.wire import wires


def _pairs() -> list:
    """Every (source, case). The default run takes one diagonal of the matrix (each case once,
    on a source that changes from case to case, every source in turn); the rest is marked
    ``matrix``: ``pytest -m matrix`` runs it, and CI runs every cell through the reliability report,
    which fails on what this test asserts."""
    names = list(SOURCES)
    return [pytest.param(source, case, id=f"{source}-{case.kind}",
                         marks=() if (i + j) % len(names) == 0 else pytest.mark.matrix)
            for j, case in enumerate(CASES) for i, source in enumerate(names)]


@pytest.mark.parametrize(("source", "case"), _pairs())
def test_fault_is_recorded_and_the_refresh_goes_on(source, case, data_dir: Path, tmp_path: Path) -> None:
    outcome = run_case(case, source, data_dir, tmp_path)
    if outcome.status == "n/a":
        assert case.category == "input" or case.cut_file, outcome.message
        return
    assert outcome.status in case.allowed_for(wires(data_dir)[source]), outcome.message
    assert sorted(outcome.stored_names) == sorted(case.names)  # stored verbatim, as data
    assert outcome.survived, outcome.message
