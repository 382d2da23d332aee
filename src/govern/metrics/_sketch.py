"""A mergeable quantile sketch with a relative-error guarantee (DDSketch-style log buckets).

Positive values are counted in buckets k = ceil(log(x) / log(gamma)), gamma = (1+a)/(1-a),
so bucket k covers (gamma**(k-1), gamma**k]. Answering with 2*gamma**k/(gamma+1) is within a
relative error `a` of every value in the bucket. The bounds gamma**k are computed once per
accuracy and the native kernel finds each value's bucket by comparing with them (no log per
value), so the buckets are exactly the intervals the quantiles are answered from. The bucket
range is fixed, so the state is a dense int64 array of a few thousand counters and merging
is exact element-wise addition (associative and commutative). Quantile q returns the value
of rank floor(q*(n-1)) in sorted order (numpy's method="lower"), within relative error `a`.

Reference: Masson, Rim, Lee, "DDSketch: a fast and fully-mergeable quantile sketch with
relative-error guarantees", VLDB 2019. Written from the paper's definition, not its code.
"""

from __future__ import annotations

import math
from functools import cache
from typing import Any, Self

import numpy as np

from govern._native import Float64Column, SketchIndex, sketch_counts, sketch_index
from govern.metrics._state import dense_counts, sparse_counts

DEFAULT_RELATIVE_ACCURACY = 0.005
# Values in [MIN_INDEXABLE, MAX_INDEXABLE] get their own buckets; smaller positive values share
# the lowest bucket, larger ones the highest (counted in `clamped_high`, the guarantee is lost).
MIN_INDEXABLE = 1e-6
MAX_INDEXABLE = 1e12


@cache
def _index(gamma: float, offset: int, size: int) -> SketchIndex:
    """Upper bounds gamma**k of the buckets (the same powers `quantile` answers from)."""
    return sketch_index(np.array([gamma ** (k + offset) for k in range(size)]))


class QuantileSketch:
    """Relative-error quantiles of non-negative values, exactly mergeable."""

    def __init__(self, *, relative_accuracy: float = DEFAULT_RELATIVE_ACCURACY) -> None:
        if not 0.0 < relative_accuracy < 1.0:
            raise ValueError(f"relative_accuracy must be in (0, 1), got {relative_accuracy}")
        self.relative_accuracy = relative_accuracy
        self.gamma = (1.0 + relative_accuracy) / (1.0 - relative_accuracy)
        self._log_gamma = math.log(self.gamma)
        self._offset = math.ceil(math.log(MIN_INDEXABLE) / self._log_gamma)
        top = math.ceil(math.log(MAX_INDEXABLE) / self._log_gamma)
        self.counts = np.zeros(top - self._offset + 1, dtype=np.int64)
        self.zeros = 0  # values equal to 0 (reported as 0 exactly)
        self.clamped_high = 0  # values above MAX_INDEXABLE (reported as the top bucket)

    @property
    def count(self) -> int:
        """Number of values added."""
        return int(self.counts.sum()) + self.zeros

    def empty(self) -> Self:
        """A fresh sketch with the same accuracy."""
        return type(self)(relative_accuracy=self.relative_accuracy)

    def add(self, values: np.ndarray) -> None:
        """Add finite, non-negative float64 values (the caller filters the rest)."""
        self.add_column(Float64Column(np.ascontiguousarray(values, dtype=np.float64)))

    def add_column(self, values: Float64Column) -> tuple[int, int]:
        """Add a column's finite, non-negative values; return (nulls, invalid values) skipped.

        Invalid: NaN, infinite or negative. One native pass; v > 0 goes to the bucket whose
        interval (gamma**(k-1), gamma**k] holds it, clipped to the fixed range.
        """
        index = _index(self.gamma, self._offset, self.counts.size)
        nulls, invalid, zeros, high = sketch_counts(
            values, self.counts, index, max_indexable=MAX_INDEXABLE
        )
        self.zeros += zeros
        self.clamped_high += high
        return nulls, invalid

    def merge(self, other: QuantileSketch) -> Self:
        """Exact merge of two sketches of the same accuracy (a new sketch)."""
        if other.relative_accuracy != self.relative_accuracy:
            raise ValueError("cannot merge sketches of different relative accuracy")
        out = self.empty()
        out.counts = self.counts + other.counts
        out.zeros = self.zeros + other.zeros
        out.clamped_high = self.clamped_high + other.clamped_high
        return out

    def to_state(self) -> dict[str, Any]:
        """JSON-safe exact state: the non-zero buckets as [index, count] pairs (sparse)."""
        return {
            "relative_accuracy": self.relative_accuracy,
            "buckets": sparse_counts(self.counts),
            "zeros": self.zeros,
            "clamped_high": self.clamped_high,
        }

    def load_state(self, doc: dict[str, Any]) -> Self:
        """A sketch holding the counts of `to_state` output (same relative accuracy)."""
        if float(doc["relative_accuracy"]) != self.relative_accuracy:
            raise ValueError("cannot load a sketch state of a different relative accuracy")
        out = self.empty()
        out.counts = dense_counts(doc["buckets"], self.counts.size)
        out.zeros = int(doc["zeros"])
        out.clamped_high = int(doc["clamped_high"])
        return out

    def quantile(self, q: float) -> float | None:
        """Value of rank floor(q*(n-1)), within the relative accuracy; None when empty."""
        if not 0.0 <= q <= 1.0:
            raise ValueError(f"quantile must be in [0, 1], got {q}")
        n = self.count
        if n == 0:
            return None
        rank = math.floor(q * (n - 1))
        if rank < self.zeros:
            return 0.0
        cumulative = np.cumsum(self.counts)
        k = int(np.searchsorted(cumulative, rank - self.zeros, side="right"))
        return 2.0 * self.gamma ** (k + self._offset) / (self.gamma + 1.0)
