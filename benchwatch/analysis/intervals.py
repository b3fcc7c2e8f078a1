"""The interval around a rho and the one-sided p-values that invert it.

Why Fisher z with a variance floor: ``benchmarks/coverage.py`` measures the
coverage of the nominal 95% interval over normal and heavy-tailed data, n from
10 to 300 and rho up to 0.95 (table in the README, "Intervals and their
coverage"). On z = atanh(rho) the interval is ``z -+ c * se`` with se the
larger of the Bonett-Wright standard error for Spearman's rho,
``sqrt((1 + rho^2 / 2) / (n - 3))``, and the bootstrap's robust standard
error of atanh(rho*) over the resamples. The Bonett-Wright term is what keeps
small samples with |rho| near 1 covered (where every resample gives rho near
1 and a bootstrap interval collapses); the bootstrap term carries what the
formula cannot know: heavy tails, ties, and the error of an axis re-fitted
inside every resample.

The p-values are those of the same normal approximation on z, so the
interval and the tests cannot disagree: the lower bound of the two-sided
``level`` interval is at or above t exactly when the one-sided p-value for
rho > t is at most (1 - level) / 2.

Pure: arrays in, arrays out.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from benchwatch.analysis.classes import Bands

FISHER = "fisher-z"
# The p-value columns of a correlations row (``tests``).
PVALUES = ("p_tracking", "p_positive", "p_inverse")
# |rho| is clipped below 1 before atanh: a sample (or a resample) whose ranks agree perfectly
# still has an interval, as wide as its n allows.
MAX_ABS_RHO = 0.9999
# The robust standard error of the bootstrap's z: the 16th-84th percentile half-range (one SD
# for a normal), insensitive to the few resamples that land on the clip.
SPREAD_QUANTILES = (0.158655, 0.841345)


@dataclass(frozen=True)
class Thresholds:
    """The values the one-sided tests are against (classes.Bands' tracking and inverse bands)."""

    tracking: float = Bands.tracking
    positive: float = 0.0
    inverse: float = Bands.inverse


@dataclass(frozen=True)
class Interval:
    """Per column: bounds, the standard error on Fisher's z, and the method's name."""

    low: np.ndarray
    high: np.ndarray
    se: np.ndarray
    method: str


def fisher_z(rho: np.ndarray) -> np.ndarray:
    """atanh of rho clipped to +-MAX_ABS_RHO."""
    return np.arctanh(np.clip(rho, -MAX_ABS_RHO, MAX_ABS_RHO))


def bonett_wright_se(rho: np.ndarray, n: np.ndarray) -> np.ndarray:
    """Bonett and Wright's (2000) standard error of atanh(Spearman's rho); NaN below 4 pairs."""
    rho, n = np.asarray(rho, dtype=float), np.asarray(n, dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(n > 3, np.sqrt((1.0 + rho**2 / 2.0) / (n - 3.0)), np.nan)


def column_quantiles(values: np.ndarray, quantiles: tuple[float, ...]) -> np.ndarray:
    """(len(quantiles), k) quantiles of each column of (B, k) ``values``, NaN skipped; NaN for an all-NaN column.

    ``np.nanquantile``'s default ("linear") method, bit for bit, in one sort of the whole array:
    ``np.nanquantile(..., axis=0)`` on an array with any NaN falls back to one Python-level call
    per column (tens of thousands per recompute), and ``np.quantile`` needs a second code path
    for the NaN-free case. The arithmetic follows numpy's: virtual index ``(count - 1) * q``,
    its floor and the next value, and numpy's two-sided lerp.
    """
    values = np.asarray(values, dtype=float)
    q = np.asarray(quantiles, dtype=float)[:, None]
    count = (~np.isnan(values)).sum(axis=0)
    ordered = np.sort(values, axis=0)  # NaN sorts last: the first ``count`` rows of a column are its values
    virtual = (count - 1) * q
    previous = np.floor(virtual)
    last = np.maximum(count - 1, 0)
    above, below = virtual >= count - 1, virtual < 0
    before = np.where(above, last, np.where(below, 0, previous)).astype(np.intp)
    after = np.where(above, last, np.where(below, 0, previous + 1)).astype(np.intp)
    # numpy takes the fraction against the index it reads (-1 for the last value), then lerps.
    t = virtual - np.where(above, -1.0, np.where(below, 0.0, previous))
    column = np.arange(values.shape[1])
    a, b = ordered[before, column], ordered[after, column]
    difference = b - a
    result = a + difference * t
    np.subtract(b, difference * (1 - t), out=result, where=t >= 0.5)
    result[:, count == 0] = np.nan
    return result


def bootstrap_se(boot: np.ndarray) -> np.ndarray:
    """Robust SD of atanh(rho*) over the resamples, per column of (B, k) ``boot`` (NaN resamples skipped)."""
    low, high = column_quantiles(fisher_z(boot), SPREAD_QUANTILES)
    return (high - low) / 2.0


def critical_value(level: float) -> float:
    """The two-sided normal critical value: 1.96 for 0.95."""
    from scipy.special import ndtri  # imported when used: scipy costs seconds of every command's start

    return float(ndtri(1.0 - (1.0 - level) / 2.0))


def fisher_interval(rho: np.ndarray, n: np.ndarray, boot: np.ndarray, level: float) -> Interval:
    """Fisher-z interval with se = max(Bonett-Wright, bootstrap SD of z); NaN where no resample is finite."""
    rho = np.asarray(rho, dtype=float)
    spread = bootstrap_se(boot)
    se = np.where(np.isfinite(spread), np.fmax(bonett_wright_se(rho, n), spread), np.nan)
    z, c = fisher_z(rho), critical_value(level)
    return Interval(np.tanh(z - c * se), np.tanh(z + c * se), se, FISHER)


def p_above(rho: np.ndarray, se: np.ndarray, threshold: float) -> np.ndarray:
    """One-sided p-value for H1: rho > threshold, on Fisher's z with standard error ``se``."""
    from scipy.special import ndtr

    with np.errstate(invalid="ignore", divide="ignore"):
        return ndtr(-(fisher_z(rho) - fisher_z(threshold)) / se)


def p_below(rho: np.ndarray, se: np.ndarray, threshold: float) -> np.ndarray:
    """One-sided p-value for H1: rho < threshold."""
    from scipy.special import ndtr

    with np.errstate(invalid="ignore", divide="ignore"):
        return ndtr((fisher_z(rho) - fisher_z(threshold)) / se)


def p_values(rho: np.ndarray, se: np.ndarray, thresholds: Thresholds) -> dict[str, np.ndarray]:
    """The three one-sided p-values a correlations row carries."""
    return {
        "p_tracking": p_above(rho, se, thresholds.tracking),
        "p_positive": p_above(rho, se, thresholds.positive),
        "p_inverse": p_below(rho, se, thresholds.inverse),
    }
