"""The drift test inside an analysis run: each unit tests its series against the source's previous
as-of date, the run adds q-values per date, and ``rules.drift`` fires on a known change only."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd

from benchwatch.alerting.rules import drift
from benchwatch.analysis.drift import run_qvalues
from benchwatch.analysis.engine import Params, Results
from benchwatch.analysis.history import known_on
from benchwatch.pipeline.analyze import AnalysisUnit, analyze_unit

DATES = [date(2024, 1, 31), date(2024, 2, 29)]
REGISTRY = pd.DataFrame({"source": "s", "column": ["cap0", "cap1", "cap2", "guard", "steady"],
                         "category": ["capability"] * 3 + ["safety"] * 2, "direction": 1})


def history(models: int = 40, seed: int = 3) -> pd.DataFrame:
    """Capabilities of ``models`` models; ``guard`` is noise until it is rescored on 2024-02-05 to track
    them, ``steady`` is the same noise throughout."""
    rng = np.random.default_rng(seed)
    rows = []
    for i in range(models):
        skill, model = rng.normal(), f"m{i}"
        rows += [(model, f"cap{j}", skill + rng.normal(scale=0.3), "2024-01-10", None) for j in range(3)]
        rows += [(model, "steady", rng.normal(), "2024-01-10", None),
                 (model, "guard", rng.normal(), "2024-01-10", "2024-02-05"),
                 (model, "guard", skill + rng.normal(scale=0.3), "2024-02-05", None)]
    frame = pd.DataFrame(rows, columns=["model", "benchmark", "value", "valid_from", "valid_to"])
    return frame.assign(source="s", model_set="all", model_type=None, valid_from=pd.to_datetime(frame["valid_from"]),
                        valid_to=pd.to_datetime(frame["valid_to"]))


def analysed(frame: pd.DataFrame) -> pd.DataFrame:
    """The units of one source at both dates through ``analyze_unit``, with the run's q-values."""
    known = [known_on(frame, as_of) for as_of in DATES]
    units = [AnalysisUnit("s", as_of, True, i == len(DATES) - 1, known[i], None, known[i - 1] if i else None)
             for i, as_of in enumerate(DATES)]
    rows = Results.concat(analyze_unit(u, REGISTRY, Params(resamples=300, subsets=20)) for u in units).correlations
    category = pd.Series("safety", index=rows.index)
    return rows.assign(category=category, q_drift=run_qvalues(rows, category, min_models=10))


def test_a_rescored_benchmark_that_now_tracks_capabilities_fires_drift_and_a_steady_one_does_not():
    rows = analysed(history())
    first = rows[rows["as_of"] == DATES[0]]
    assert first[["drift_change", "p_drift", "q_drift"]].isna().all().all()  # nothing to compare with
    second = rows[rows["as_of"] == DATES[1]].set_index("benchmark")
    assert second.loc["guard", "drift_change"] > 0.5 and second.loc["guard", "q_drift"] <= 0.05
    assert abs(second.loc["steady", "drift_change"]) < 1e-9 and second.loc["steady", "p_drift"] > 0.5
    fired = drift(rows, rise=0.20, window_days=180, min_models=10, hysteresis=0.05, alert_fdr=0.05)
    assert [(t.benchmark, t.state, t.data_time) for t in fired] == [("guard", "firing", DATES[1])]
    assert "q=" in fired[0].message
