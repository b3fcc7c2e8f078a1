"""Too few models is no result; the tracking family's q-values (the oracle: statsmodels)."""

from __future__ import annotations

import numpy as np
import pandas as pd
from statsmodels.stats.multitest import multipletests

from benchwatch.analysis.evidence import too_few, with_qvalues


def rows() -> pd.DataFrame:
    return pd.DataFrame({
        "as_of": ["2026-01-01"] * 5 + ["2026-02-01"] * 2,
        "benchmark": list("abcdefg"),
        "rho": [0.9, 0.8, 0.95, 0.7, 0.85, 0.75, 0.6],
        "ci_low": [0.8, 0.6, 0.5, 0.4, 0.7, 0.6, 0.3], "ci_high": [1.0, 0.9, 1.0, 0.9, 0.95, 0.9, 0.8],
        "interval": ["bca"] * 7,
        "n": [30, 30, 4, 30, 30, 25, 25],
        "p_tracking": [0.001, 0.2, 0.01, 0.5, 0.02, 0.03, 0.4],
        "relation": ["independent"] * 4 + ["part of the axis", "independent", "independent"],
    })


def test_a_row_under_min_models_keeps_rho_and_n_and_loses_its_interval():
    got = too_few(rows(), min_models=10)
    small = got.loc[2]
    assert small["rho"] == 0.95 and small["n"] == 4 and small["note"] == "too few models"
    assert np.isnan(small["ci_low"]) and np.isnan(small["ci_high"]) and np.isnan(small["p_tracking"])
    assert pd.isna(small["interval"])
    assert got.loc[0, "ci_low"] == 0.8 and got.loc[0, "note"] == ""


def test_q_values_per_as_of_date_over_the_evidence_rows_only():
    frame = too_few(rows(), min_models=10)
    category = pd.Series(["safety", "safety", "safety", "other", "safety", "safety", "safety"])
    got = with_qvalues(frame, category, min_models=10)
    # 2026-01-01: a and b (c too few, d not safety, e part of the axis); 2026-02-01: f and g.
    np.testing.assert_allclose(got.loc[[0, 1], "q"], multipletests([0.001, 0.2], method="fdr_bh")[1])
    np.testing.assert_allclose(got.loc[[5, 6], "q"], multipletests([0.03, 0.4], method="fdr_bh")[1])
    assert got.loc[[2, 3, 4], "q"].isna().all()
