"""Which correlation rows are results, and the q-value of each one that is evidence.

Two rules the analysis applies to a run's rows before they are stored:
- below ``min_models`` models a row is no result: it keeps rho and n, but no
  interval, no p-values and no class, and says "too few models" (an interval
  from three models covers nearly everything and decides nothing);
- the capability-tracking claim is tested as a family: every row of one run at
  one as-of date that could be evidence (a safety benchmark, independent of its
  axis, with enough models) enters with its one-sided ``p_tracking``, and gets a
  Benjamini-Hochberg q-value (``analysis.multiplicity``). The alert rules then
  require q <= ``alert_fdr``.
Pure: frames in, frames out.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from benchwatch.analysis.circularity import INDEPENDENT
from benchwatch.analysis.classes import TOO_FEW
from benchwatch.analysis.multiplicity import family_qvalues

# Everything a row over too few models does not get (the contract's interval columns).
INTERVAL_COLUMNS = ("ci_low", "ci_high", "interval", "p_tracking", "p_positive", "p_inverse")
# One family of the tracking claim: one run's rows at one as-of date.
FAMILY = ["as_of"]


def too_few(correlations: pd.DataFrame, min_models: int) -> pd.DataFrame:
    """Rows over fewer than ``min_models`` models lose their interval and p-values; ``note`` says why."""
    small = correlations["n"].fillna(0).to_numpy() < min_models
    frame = correlations.copy()
    for column in INTERVAL_COLUMNS:
        if column in frame:
            frame[column] = frame[column].mask(small)
    frame["note"] = np.where(small, TOO_FEW, "")
    return frame


def tracking_family(correlations: pd.DataFrame, category: pd.Series, min_models: int) -> pd.Series:
    """The rows that test the capability-tracking claim: safety, independent, enough models, a p-value."""
    relation = correlations["relation"].fillna(INDEPENDENT) if "relation" in correlations else INDEPENDENT
    p = correlations["p_tracking"] if "p_tracking" in correlations else pd.Series(np.nan, index=correlations.index)
    return ((category.reindex(correlations.index) == "safety") & (relation == INDEPENDENT)
            & (correlations["n"].fillna(0) >= min_models) & np.isfinite(p.astype(float)))


def with_qvalues(correlations: pd.DataFrame, category: pd.Series, min_models: int) -> pd.DataFrame:
    """``correlations`` with ``q``: BH over each as-of date's tracking family, NaN outside it."""
    if correlations.empty:
        return correlations.assign(q=pd.Series(dtype=float))
    family = tracking_family(correlations, category, min_models)
    return correlations.assign(q=family_qvalues(correlations, family, FAMILY, "p_tracking"))
