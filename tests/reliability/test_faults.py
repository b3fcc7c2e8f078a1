"""Every fault and bad input of ``faults.CASES``, against every source, ends as a recorded error
or an explained cleaning step, never a crash or a half-written fetch, and the next source still runs."""

from __future__ import annotations

from pathlib import Path

import pytest

from benchwatch.sources import SOURCES
from tests.reliability.faults import CASES, run_case
from tests.reliability.wire import wires


@pytest.mark.parametrize("case", CASES, ids=[c.kind for c in CASES])
@pytest.mark.parametrize("source", list(SOURCES))
def test_fault_is_recorded_and_the_refresh_goes_on(source, case, data_dir: Path, tmp_path: Path) -> None:
    outcome = run_case(case, source, data_dir, tmp_path)
    if outcome.status == "n/a":
        assert case.category == "input" or case.cut_file, outcome.message
        return
    assert outcome.status in case.allowed_for(wires(data_dir)[source]), outcome.message
    assert sorted(outcome.stored_names) == sorted(case.names)  # stored verbatim, as data
    assert outcome.survived, outcome.message
