"""How a capabilities correlation is named: four bands with stated thresholds, in words.

The top band is the alert threshold from settings (``capability_threshold``),
so a benchmark shown as capability-tracking is one the alert rule would flag.
The two lower thresholds are display conventions, shown wherever they are
used (dashboard, CLI tables and JSON). Pure.

A class is *decided* by the bootstrap interval, not the point estimate: a
rho of 0.75 whose interval reaches down to 0.40 may as well be correlated, so
it is only *possibly* capability-tracking (``Bands.decide``). Only a decided
class is evidence: alerts and findings fire on it alone. A row over fewer than
``min_models`` models has no interval and no class (``TOO_FEW``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from benchwatch import numbers

TRACKING = "capability-tracking"
CORRELATED = "correlated"
SEPARABLE = "separable"
INVERSE = "inverse"
CLASSES = (TRACKING, CORRELATED, SEPARABLE, INVERSE)
POSSIBLY = "possibly "
TOO_FEW = "too few models"
# What each class means, in words (benchmarks are oriented so that higher = safer).
MEANINGS = {
    TRACKING: "moves with capabilities: higher scores mostly reflect more capable models",
    CORRELATED: "partly moves with capabilities",
    SEPARABLE: "measures something largely separable from capabilities",
    INVERSE: "gets worse as capabilities grow: a hazard that grows with capabilities (as WMDP, Cybench)",
}
UNDECIDED = "the point estimate is in this band but the interval is not: the class is not settled"
TOO_FEW_MEANING = "fewer models than min_models: rho is shown, but no interval and no class"


def meaning(label: str | None) -> str:
    """What a decided, possible or too-few class means, in words ("" for none)."""
    if not label:
        return ""
    if label == TOO_FEW:
        return TOO_FEW_MEANING
    if label.startswith(POSSIBLY):
        return f"{UNDECIDED} ({MEANINGS.get(label.removeprefix(POSSIBLY), '')})"
    return MEANINGS.get(label, "")


def is_decided(label: str | None) -> bool:
    """True for a class the interval settles (not "possibly ...", not too few, not none)."""
    return bool(label) and label in CLASSES


@dataclass(frozen=True)
class Bands:
    """rho >= tracking: capability-tracking; >= correlated: correlated; > inverse: separable."""

    tracking: float = 0.70
    correlated: float = 0.30
    inverse: float = -0.30

    def classify(self, rho: float | None) -> str | None:
        if rho is None or (isinstance(rho, float) and math.isnan(rho)):
            return None
        if rho >= self.tracking:
            return TRACKING
        if rho >= self.correlated:
            return CORRELATED
        if rho > self.inverse:
            return SEPARABLE
        return INVERSE

    def decide(self, rho: float | None, ci_low: float | None, ci_high: float | None) -> str | None:
        """The point estimate's band, decided only when the interval says so, else "possibly" it.

        capability-tracking: ci_low >= tracking; correlated: ci_low >= correlated;
        separable: inverse < ci_low and ci_high < correlated; inverse: ci_high <= inverse.
        Without an interval nothing is decided.
        """
        band = self.classify(rho)
        if band is None:
            return None
        low, high = (None if v is None or math.isnan(v) else float(v) for v in (ci_low, ci_high))
        if low is None or high is None:
            return POSSIBLY + band
        decided = {TRACKING: low >= self.tracking, CORRELATED: low >= self.correlated,
                   SEPARABLE: low > self.inverse and high < self.correlated, INVERSE: high <= self.inverse}[band]
        return band if decided else POSSIBLY + band

    def label(self, rho: float | None, ci_low: float | None, ci_high: float | None, n: int | None,
              min_models: int) -> str | None:
        """``decide``, or ``TOO_FEW`` below ``min_models`` models (rho alone is no result)."""
        if n is not None and not math.isnan(n) and n < min_models:
            return TOO_FEW
        return self.decide(rho, ci_low, ci_high)

    def describe(self) -> str:
        """The bands in words, thresholds as rho x100 (``benchwatch.numbers``), as every view shows rho."""
        return (f"{TRACKING}: the interval's lower bound ≥ {numbers.rho(self.tracking)} (the alert threshold) · "
                f"{CORRELATED}: lower bound ≥ {numbers.rho(self.correlated)} · "
                f"{SEPARABLE}: interval inside ({numbers.rho(self.inverse)}, {numbers.rho(self.correlated)}) · "
                f"{INVERSE}: upper bound ≤ {numbers.rho(self.inverse)} · "
                f"'{POSSIBLY}...' when only rho is in the band · "
                f"'{TOO_FEW}' below min_models")
