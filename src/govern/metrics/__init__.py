"""Metrics computed from mergeable partial aggregates (bin counts, group counts, sketches)."""

from govern.metrics._accumulator import Accumulator
from govern.metrics._binning import STRATEGIES, Bins, decile_edges, make_bins, uniform_edges
from govern.metrics._chi2 import chi2_homogeneity, chi2_sf
from govern.metrics._drift import CategoryCounts, DriftAccumulator
from govern.metrics._profile import (
    DECILES,
    CategoricalProfile,
    NumericProfile,
    ProfileSet,
    decile_counts,
    fine_edges_from_values,
    numeric_profile,
    out_of_range,
)
from govern.metrics._psi import DEFAULT_EPSILON, proportions, psi

__all__ = [
    # protocol
    "Accumulator",
    # drift
    "Bins",
    "CategoricalProfile",
    "CategoryCounts",
    "DECILES",
    "DEFAULT_EPSILON",
    "DriftAccumulator",
    "NumericProfile",
    "ProfileSet",
    "STRATEGIES",
    "chi2_homogeneity",
    "chi2_sf",
    "decile_counts",
    "decile_edges",
    "fine_edges_from_values",
    "make_bins",
    "numeric_profile",
    "out_of_range",
    "proportions",
    "psi",
    "uniform_edges",
]
