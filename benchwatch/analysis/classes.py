"""How a capabilities correlation is named: four bands with stated thresholds, in words.

The top band is the alert threshold from settings (``capability_threshold``),
so a benchmark shown as capability-tracking is one the alert rule would flag.
The two lower thresholds are display conventions, shown wherever they are
used (dashboard, CLI tables and JSON). Pure.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

TRACKING = "capability-tracking"
CORRELATED = "correlated"
SEPARABLE = "separable"
INVERSE = "inverse"
CLASSES = (TRACKING, CORRELATED, SEPARABLE, INVERSE)
# What each class means, in words (benchmarks are oriented so that higher = safer).
MEANINGS = {
    TRACKING: "moves with capabilities: higher scores mostly reflect more capable models",
    CORRELATED: "partly moves with capabilities",
    SEPARABLE: "measures something largely separable from capabilities",
    INVERSE: "gets worse as capabilities grow: a hazard that grows with capabilities (as WMDP, Cybench)",
}


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

    def describe(self) -> str:
        return (f"{TRACKING}: rho ≥ {self.tracking:.2f} (the alert threshold) · "
                f"{CORRELATED}: {self.correlated:.2f} ≤ rho < {self.tracking:.2f} · "
                f"{SEPARABLE}: {self.inverse:.2f} < rho < {self.correlated:.2f} · "
                f"{INVERSE}: rho ≤ {self.inverse:.2f}")
