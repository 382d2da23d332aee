"""Metrics computed from mergeable partial aggregates (bin counts, group counts, sketches)."""

from govern.metrics._profile import (
    DECILES,
    NumericProfile,
    decile_counts,
    fine_edges_from_values,
    out_of_range,
)
from govern.metrics._psi import DEFAULT_EPSILON, proportions, psi

__all__ = [
    # drift
    "DECILES",
    "DEFAULT_EPSILON",
    "NumericProfile",
    "decile_counts",
    "fine_edges_from_values",
    "out_of_range",
    "proportions",
    "psi",
]
