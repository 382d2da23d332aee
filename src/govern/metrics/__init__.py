"""Metrics computed from mergeable partial aggregates (bin counts, group counts, sketches)."""

from govern.metrics._accumulator import Accumulator
from govern.metrics._auc import AucState
from govern.metrics._binning import STRATEGIES, Bins, decile_edges, make_bins, uniform_edges
from govern.metrics._chi2 import chi2_homogeneity, chi2_sf
from govern.metrics._drift import CategoryCounts, DriftAccumulator
from govern.metrics._exactsum import ExactSum
from govern.metrics._factory import (
    accumulators_from_card,
    accumulators_from_config,
    check_schema,
)
from govern.metrics._fairness import FairnessAccumulator, two_proportion_p_value
from govern.metrics._grouped import GroupedResult
from govern.metrics._monitoring import MonitoringConfig, parse_monitoring
from govern.metrics._operational import OperationalAccumulator
from govern.metrics._performance import PerformanceAccumulator
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
from govern.metrics._sketch import QuantileSketch

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
    # streaming accumulators: fairness, performance, operational
    "Accumulator",
    "AucState",
    "ExactSum",
    "FairnessAccumulator",
    "GroupedResult",
    "MonitoringConfig",
    "OperationalAccumulator",
    "PerformanceAccumulator",
    "QuantileSketch",
    "accumulators_from_card",
    "accumulators_from_config",
    "check_schema",
    "parse_monitoring",
    "two_proportion_p_value",
    "uniform_edges",
]
