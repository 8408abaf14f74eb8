"""Intervals for proportions and counts, and the rules that read them.

The Wilson score interval for a proportion:

Wilson, E. B. (1927). Probable inference, the law of succession, and statistical inference.
*Journal of the American Statistical Association* 22(158), 209-212. ONS and OHID (Fingertips) use it
for survey and small-count proportions because, unlike the normal ("Wald") interval, it stays inside
0-100% and is sensible at 0% and 100%.

For k satisfied of n respondents, p = k / n and z = 1.959964 (95%):

    centre = (p + z² / 2n) / (1 + z² / n)
    half   = z / (1 + z² / n) × sqrt(p (1 − p) / n + z² / 4n²)
    interval = centre ± half

The difference between two independent proportions gets Newcombe's hybrid score interval built from
the two Wilson intervals (Newcombe, R. G. (1998). Interval estimation for the difference between
independent proportions. *Statistics in Medicine* 17, 873-890, method 10):

    d = p1 − p2
    lower = d − sqrt((p1 − l1)² + (u2 − p2)²)
    upper = d + sqrt((u1 − p1)² + (p2 − l2)²)

The Wilson functions take and return percentages (0-100).

Byar's approximation to the exact Poisson interval for a count O (Breslow & Day 1987, *Statistical
Methods in Cancer Research* vol. II, p. 69; the method OHID's Fingertips uses for counts and crude
rates):

    lower = O x (1 - 1/(9 O) - z / (3 sqrt(O)))^3          (0 when O = 0)
    upper = (O + 1) x (1 - 1/(9 (O + 1)) + z / (3 sqrt(O + 1)))^3
"""

from __future__ import annotations

import math

import numpy as np

Z95 = 1.959964  # the 97.5th percentile of the standard normal distribution (Wilson; 6 decimals as published)
Z80 = 1.2815515655446004  # the 90th percentile (80% intervals)
Z95_EXACT = 1.959963984540054  # the same to double precision (Byar)

ABOVE, BELOW, NOT_SIGNIFICANT, NO_TARGET = "above", "below", "not significant", "no target"
UP, DOWN, NO_CHANGE = "up", "down", "no significant change"


def wilson(satisfied: int, respondents: int, z: float = Z95) -> tuple[float, float, float]:
    """(satisfied %, lower %, upper %) of the Wilson score interval; all NaN when ``respondents`` is 0.

    ``satisfied`` and ``respondents`` are counts of people (0 <= satisfied <= respondents).
    """
    if respondents < 0 or satisfied < 0 or satisfied > respondents:
        raise ValueError(f"need 0 <= satisfied <= respondents, got {satisfied} of {respondents}")
    if respondents == 0:
        return math.nan, math.nan, math.nan
    n = float(respondents)
    p = satisfied / n
    z2 = z * z
    denominator = 1 + z2 / n
    centre = (p + z2 / (2 * n)) / denominator
    half = z / denominator * math.sqrt(p * (1 - p) / n + z2 / (4 * n * n))
    # At 0% and 100% one end is exactly 0 or 1 (centre = half); rounding error must not move it.
    lower = 0.0 if satisfied == 0 else max(0.0, centre - half)
    upper = 1.0 if satisfied == respondents else min(1.0, centre + half)
    return 100 * p, 100 * lower, 100 * upper


def status(lower: float, upper: float, target: float | None) -> str:
    """``above`` when the whole interval is at or over the target, ``below`` when it is wholly under
    it, ``not significant`` otherwise (including when there is no interval), ``no target`` without one."""
    if target is None or math.isnan(target):
        return NO_TARGET
    if lower >= target:
        return ABOVE
    if upper < target:
        return BELOW
    return NOT_SIGNIFICANT


def overlap(a: tuple[float, float], b: tuple[float, float]) -> bool:
    """Whether the intervals (lower, upper) ``a`` and ``b`` share any point (touching counts)."""
    return a[0] <= b[1] and b[0] <= a[1]


def change(previous: tuple[float, float, float], current: tuple[float, float, float]) -> str:
    """``up`` / ``down`` when the (pct, lower, upper) intervals do not overlap, else ``no significant
    change``. A deliberately cautious rule: non-overlap is stricter than a test of the difference."""
    if any(math.isnan(v) for v in (*previous, *current)) or overlap(previous[1:], current[1:]):
        return NO_CHANGE
    return UP if current[0] > previous[0] else DOWN


def difference(first: tuple[float, float, float], second: tuple[float, float, float]) -> tuple[float, float, float]:
    """(difference, lower, upper) in percentage points of first − second, by Newcombe's method 10;
    each argument is (pct, lower, upper) of a Wilson interval."""
    p1, l1, u1 = first
    p2, l2, u2 = second
    d = p1 - p2
    return d, d - math.hypot(p1 - l1, u2 - p2), d + math.hypot(u1 - p1, p2 - l2)


def byar_interval(count, z: float = Z95_EXACT) -> tuple[np.ndarray, np.ndarray]:
    """Byar's interval for Poisson counts (array-like, >= 0): (lower, upper), same shape."""
    o = np.asarray(count, dtype=float)
    if (o < 0).any() or not np.all(np.isfinite(o)):
        raise ValueError("counts must be finite and >= 0")
    with np.errstate(divide="ignore", invalid="ignore"):
        lower = np.where(o > 0, o * (1 - 1 / (9 * o) - z / (3 * np.sqrt(o))) ** 3, 0.0)
    upper = (o + 1) * (1 - 1 / (9 * (o + 1)) + z / (3 * np.sqrt(o + 1))) ** 3
    return np.maximum(lower, 0.0), upper
