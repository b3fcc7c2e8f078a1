"""How a capabilities correlation is named: four bands with stated thresholds.

The dashboard and ``benchwatch check`` name a rho the same way. The top band
is the alert threshold from settings (``capability_threshold``), so a
benchmark shown as capability-tracking is one the alert rule would flag.
The two lower thresholds are display conventions, shown on every page that
uses them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

TRACKING = "capability-tracking"
CORRELATED = "correlated"
SEPARABLE = "separable"
INVERSE = "inverse"
CLASSES = (TRACKING, CORRELATED, SEPARABLE, INVERSE)


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
