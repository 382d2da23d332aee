"""Reference profiles of numeric features: decile edges, range and reference counts.

Edges are the reference deciles (numpy 'linear' quantiles of the finite, non-null values).
The kernel bins against 11 "fine" edges [min, q1..q9, nextafter(max, +inf)], which gives the
10 decile bins and the out-of-range counts (below min, above max) in one pass.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from govern._native import HistCounts

DECILES = np.linspace(0.1, 0.9, 9)


@dataclass(frozen=True)
class NumericProfile:
    """What a scan needs to know of one reference feature."""

    name: str
    fine_edges: np.ndarray  # [min, q1..q9, nextafter(max)]; empty when the reference had no values
    reference: HistCounts  # reference counts over fine_edges

    @property
    def usable(self) -> bool:
        """False when the reference had no finite values (no edges can be derived)."""
        return self.fine_edges.size > 0

    def to_dict(self) -> dict[str, object]:
        """JSON-ready form (stored with the baseline)."""
        r = self.reference
        return {
            "name": self.name,
            "fine_edges": self.fine_edges.tolist(),
            "counts": r.counts.tolist(),
            "nulls": r.nulls,
            "nans": r.nans,
            "posinf": r.posinf,
            "neginf": r.neginf,
        }


def fine_edges_from_values(finite_values: np.ndarray) -> np.ndarray:
    """Fine edges from a reference sample of finite values (empty array for no values)."""
    if finite_values.size == 0:
        return np.empty(0, dtype=np.float64)
    q = np.quantile(finite_values, DECILES, method="linear")
    lo = float(finite_values.min())
    hi = float(np.nextafter(finite_values.max(), np.inf))
    return np.concatenate([[lo], q, [hi]]).astype(np.float64)


def decile_counts(fine_counts: np.ndarray) -> np.ndarray:
    """Collapse 12 fine bins into the 10 decile bins (outer bins open-ended)."""
    c = np.asarray(fine_counts, dtype=np.int64)
    return np.concatenate([[c[0] + c[1]], c[2:10], [c[10] + c[11]]])


def out_of_range(fine_counts: np.ndarray) -> int:
    """Values below the reference minimum or above its maximum."""
    return int(fine_counts[0] + fine_counts[-1])
