"""Benjamini-Hochberg q-values against statsmodels' own (the oracle), per family."""

from __future__ import annotations

import numpy as np
import pandas as pd
from statsmodels.stats.multitest import multipletests

from benchwatch.analysis.multiplicity import bh_qvalues, family_qvalues


def test_q_values_equal_statsmodels_fdr_bh_on_random_and_tied_p_values():
    rng = np.random.default_rng(7)
    for p in (rng.uniform(size=200), np.r_[rng.uniform(0, 0.01, 20), rng.uniform(size=80)],
              np.array([0.01, 0.01, 0.02, 0.5, 0.5, 1.0])):
        expected = multipletests(p, method="fdr_bh")[1]
        np.testing.assert_allclose(bh_qvalues(p), expected, rtol=0, atol=1e-12)


def test_known_values_and_nan_left_out_of_the_family():
    # m = 4 finite p-values: 0.01*4/1 = 0.04, 0.02*4/2 = 0.04, 0.03*4/3 = 0.04, 0.5*4/4 = 0.5.
    got = bh_qvalues(np.array([0.5, np.nan, 0.01, 0.03, 0.02]))
    np.testing.assert_allclose(got, [0.5, np.nan, 0.04, 0.04, 0.04])


def test_each_family_is_adjusted_on_its_own_and_outsiders_get_no_q():
    frame = pd.DataFrame({"as_of": ["a", "a", "a", "b", "b"],
                          "p": [0.01, 0.04, 0.001, 0.04, 0.02]})
    inside = pd.Series([True, True, False, True, True])
    q = family_qvalues(frame, inside, ["as_of"], "p")
    np.testing.assert_allclose(q[:2], multipletests([0.01, 0.04], method="fdr_bh")[1])
    assert np.isnan(q[2])
    np.testing.assert_allclose(q[3:], multipletests([0.04, 0.02], method="fdr_bh")[1])
