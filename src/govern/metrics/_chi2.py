"""Chi-square test of homogeneity over the PSI bins, beside PSI.

PSI's 0.1 / 0.25 bands say nothing about sampling error (Yurdakul 2018): with few rows a
large PSI can be noise, with millions of rows a tiny PSI is "significant". The two-sample
chi-square test over the same bins gives the error rate the bands lack.

    chi2 = sum_ij (O_ij - E_ij)^2 / E_ij,  E_ij = row_i * col_j / N,
    df = (bins with any count) - 1,  p = Q(df / 2, chi2 / 2)

Q is the regularised upper incomplete gamma function, computed here (series below a + 1,
continued fraction above) so that the scan needs no scipy; tests check it against scipy.
"""

from __future__ import annotations

import math

import numpy as np

_EPS = 1e-15
_TINY = 1e-300
_MAX_ITER = 10_000


def _lower_series(a: float, x: float) -> float:
    """P(a, x) by its power series (converges fast for x < a + 1)."""
    term = 1.0 / a
    total = term
    for n in range(1, _MAX_ITER):
        term *= x / (a + n)
        total += term
        if abs(term) < abs(total) * _EPS:
            break
    return total * math.exp(-x + a * math.log(x) - math.lgamma(a))


def _upper_fraction(a: float, x: float) -> float:
    """Q(a, x) by its continued fraction, evaluated with the modified Lentz method."""
    b = x + 1.0 - a
    c = 1.0 / _TINY
    d = 1.0 / b
    h = d
    for i in range(1, _MAX_ITER):
        an = -i * (i - a)
        b += 2.0
        d = an * d + b
        d = _TINY if abs(d) < _TINY else d
        c = b + an / c
        c = _TINY if abs(c) < _TINY else c
        d = 1.0 / d
        delta = d * c
        h *= delta
        if abs(delta - 1.0) < _EPS:
            break
    return h * math.exp(-x + a * math.log(x) - math.lgamma(a))


def chi2_sf(statistic: float, df: int) -> float:
    """Survival function of the chi-square distribution: P(X >= statistic)."""
    if df <= 0:
        raise ValueError("degrees of freedom must be positive")
    if statistic <= 0:
        return 1.0
    a, x = df / 2.0, statistic / 2.0
    if x < a + 1.0:
        return max(0.0, 1.0 - _lower_series(a, x))
    return min(1.0, _upper_fraction(a, x))


def chi2_homogeneity(expected_counts: np.ndarray, actual_counts: np.ndarray) -> tuple[float, int]:
    """(statistic, degrees of freedom) of the 2 x k test; bins empty in both are dropped.

    Both totals must be positive and at least two bins must hold counts (else df is 0 and
    the test is undefined: callers report insufficient data).
    """
    e = np.asarray(expected_counts, dtype=np.float64)
    a = np.asarray(actual_counts, dtype=np.float64)
    keep = (e + a) > 0
    e, a = e[keep], a[keep]
    df = int(e.size - 1)
    ne, na = e.sum(), a.sum()
    if ne <= 0 or na <= 0 or df < 1:
        return 0.0, df
    n = ne + na
    col = e + a
    ee = col * ne / n
    ea = col * na / n
    stat = float(np.sum((e - ee) ** 2 / ee) + np.sum((a - ea) ** 2 / ea))
    return stat, df
