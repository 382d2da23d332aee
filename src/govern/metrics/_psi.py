"""Population Stability Index from bin counts.

PSI = sum_i (a_i - e_i) * ln(a_i / e_i), where e and a are the reference ("expected") and
current ("actual") bin proportions over non-missing values. Empty bins would make the log
undefined, so each proportion is floored at `epsilon` (default 1e-6, see docs/metrics-drift.md).
"""

from __future__ import annotations

import numpy as np

DEFAULT_EPSILON = 1e-6


def proportions(counts: np.ndarray, *, epsilon: float = DEFAULT_EPSILON) -> np.ndarray:
    """Bin shares floored at epsilon; requires a positive total."""
    c = np.asarray(counts, dtype=np.float64)
    total = c.sum()
    if total <= 0:
        raise ValueError("proportions of an empty histogram are undefined")
    shares: np.ndarray = np.maximum(c / total, epsilon)
    return shares


def psi(
    expected_counts: np.ndarray,
    actual_counts: np.ndarray,
    *,
    epsilon: float = DEFAULT_EPSILON,
) -> float:
    """PSI between two histograms over the same bins (both totals must be positive)."""
    e = np.asarray(expected_counts)
    a = np.asarray(actual_counts)
    if e.shape != a.shape:
        raise ValueError(f"histograms differ in shape: {e.shape} vs {a.shape}")
    pe = proportions(e, epsilon=epsilon)
    pa = proportions(a, epsilon=epsilon)
    return float(np.sum((pa - pe) * np.log(pa / pe)))
