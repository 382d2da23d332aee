"""Metrics computed from mergeable partial aggregates (bin counts, group counts, sketches)."""

from govern.metrics._accumulator import Accumulator
from govern.metrics._auc import AucState
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
    NumericProfile,
    decile_counts,
    fine_edges_from_values,
    out_of_range,
)
from govern.metrics._psi import DEFAULT_EPSILON, proportions, psi
from govern.metrics._sketch import QuantileSketch

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
]
