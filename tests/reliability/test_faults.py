"""Every fault and bad input of ``faults.CASES`` ends as a recorded error or an explained
cleaning step, never a crash or a half-written fetch, and the next source still runs."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.reliability.faults import CASES, run_case


@pytest.mark.parametrize("case", CASES, ids=[c.kind for c in CASES])
def test_fault_is_recorded_and_the_refresh_goes_on(case, data_dir: Path, tmp_path: Path) -> None:
    outcome = run_case(case, data_dir, tmp_path)
    assert outcome.status == case.expect, outcome.message
    assert case.explains in outcome.message
    assert sorted(outcome.stored_names) == sorted(case.names)  # stored verbatim, as data
    assert outcome.survived
