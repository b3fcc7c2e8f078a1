"""Classes decided by the interval: each band's rule on rows where the point estimate alone
would say otherwise."""

from __future__ import annotations

import math

from benchwatch.analysis.classes import TOO_FEW, Bands, is_decided, meaning

BANDS = Bands(tracking=0.70)


def test_tracking_is_decided_only_when_the_lower_bound_reaches_the_threshold():
    assert BANDS.decide(0.80, 0.70, 0.90) == "capability-tracking"
    assert BANDS.decide(0.80, 0.69, 0.90) == "possibly capability-tracking"
    assert BANDS.decide(0.75, 0.40, 0.90) == "possibly capability-tracking"


def test_the_lower_bands_have_their_own_rule():
    assert BANDS.decide(0.50, 0.30, 0.80) == "correlated"
    assert BANDS.decide(0.50, 0.29, 0.80) == "possibly correlated"
    assert BANDS.decide(0.00, -0.29, 0.29) == "separable"
    assert BANDS.decide(0.00, -0.30, 0.29) == "possibly separable"
    assert BANDS.decide(0.00, -0.20, 0.30) == "possibly separable"
    assert BANDS.decide(-0.60, -0.90, -0.30) == "inverse"
    assert BANDS.decide(-0.60, -0.90, -0.29) == "possibly inverse"


def test_no_interval_decides_nothing_and_too_few_models_has_no_class():
    assert BANDS.decide(0.90, math.nan, math.nan) == "possibly capability-tracking"
    assert BANDS.decide(math.nan, 0.1, 0.2) is None
    assert BANDS.label(0.95, 0.9, 1.0, 9, min_models=10) == TOO_FEW
    assert BANDS.label(0.95, 0.9, 1.0, 10, min_models=10) == "capability-tracking"


def test_meanings_say_whether_the_class_is_settled():
    assert is_decided("inverse") and not is_decided("possibly inverse") and not is_decided(TOO_FEW)
    assert "not settled" in meaning("possibly correlated") and "partly" in meaning("possibly correlated")
    assert "no interval" in meaning(TOO_FEW)
    assert "lower bound" in BANDS.describe() and "possibly" in BANDS.describe()
