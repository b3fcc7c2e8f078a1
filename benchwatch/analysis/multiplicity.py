"""Multiplicity: Benjamini-Hochberg q-values across the tests one analysis run makes.

A run tests hundreds of (benchmark, axis, model set) pairs against one
threshold at each as-of date; at a 2.5% one-sided level some would cross it by
chance alone. The family of the capability-tracking claim is every evidence
row of one run at one as-of date (a safety benchmark, independent of the axis,
over at least ``min_models`` models, with a p-value): its p is ``p_tracking``
(one-sided, rho > the tracking threshold), and its q-value controls the false
discovery rate across that family. Rows outside the family (not evidence, too
few models) get no q. Drift has its own family (``analysis.drift``). Pure.
"""

from __future__ import annotations

import numpy as np
import pandas as pd


def bh_qvalues(p: np.ndarray) -> np.ndarray:
    """Benjamini-Hochberg adjusted p-values (q-values) of ``p``; NaN stays NaN and is not counted.

    q_(i) = min over j >= i of m p_(j) / j, capped at 1, with m the number of
    finite p-values (as ``statsmodels.stats.multitest.multipletests(method="fdr_bh")``).
    """
    p = np.asarray(p, dtype=float)
    q = np.full(p.shape, np.nan)
    finite = np.isfinite(p)
    m = int(finite.sum())
    if m == 0:
        return q
    order = np.argsort(p[finite], kind="stable")
    ranked = p[finite][order] * m / np.arange(1, m + 1)
    adjusted = np.minimum(np.minimum.accumulate(ranked[::-1])[::-1], 1.0)
    values = np.empty(m)
    values[order] = adjusted
    q[finite] = values
    return q


def family_qvalues(frame: pd.DataFrame, in_family: pd.Series, by: list[str], p_column: str) -> pd.Series:
    """q-values of ``p_column`` within each family (rows with equal ``by`` values among ``in_family``).

    Rows outside the family get NaN.
    """
    q = pd.Series(np.nan, index=frame.index, dtype=float)
    members = frame[in_family.reindex(frame.index, fill_value=False).astype(bool)]
    for _, group in members.groupby(by, sort=False, dropna=False):
        q.loc[group.index] = bh_qvalues(group[p_column].to_numpy(dtype=float))
    return q
