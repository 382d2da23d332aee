"""Bin edges for numeric drift: tie-aware quantiles, uniform width, or explicit edges.

Whatever the strategy, the kernel counts one column once against "fine" edges: the sorted
union of the PSI edges and the reference range [min, nextafter(max)). Each fine bin then maps
to exactly one PSI bin and is either inside or outside the reference range, so PSI and the
out-of-range rate come out of a single pass. For deciles this is the 11-edge layout
[min, q1..q9, nextafter(max)] of the research prototype.

Quantile ("decile") edges follow one of four rules, recorded in the profile (see
docs/metrics-drift.md, "Binning rules"):

- `constant`: one distinct finite value; no PSI can be measured against it.
- `distinct`: at most `n_bins` distinct values; one bin per value, an edge at each value.
- `point_mass`: values holding at least 1/n_bins of the reference mass get a bin of their
  own (from the value up to the next distinct reference value); the values between them are
  split by quantiles, each run into bins in proportion to its mass, every edge moved up to a
  value of the run so that no bin is empty.
- `quantile`: no point mass; numpy's linear quantiles, as before.

Ties at an edge: bins are left-closed [e_k, e_k+1), so a value equal to an edge counts in the
bin that starts at it, and every copy of a value lands in the same bin.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

STRATEGIES = ("decile", "uniform", "explicit")
RULES = ("constant", "distinct", "point_mass", "quantile", "uniform", "explicit")
DEFAULT_BINS = 10


@dataclass(frozen=True)
class Bins:
    """Fine edges plus the maps from fine bins to PSI bins and to "out of range"."""

    psi_edges: np.ndarray  # interior PSI edges; PSI has len(psi_edges) + 1 open-ended bins
    fine_edges: np.ndarray  # sorted union of psi_edges and [lo, hi]
    psi_map: np.ndarray  # int64[len(fine_edges) + 1]: PSI bin of each fine bin
    oor_mask: np.ndarray  # bool[len(fine_edges) + 1]: fine bin lies outside [lo, hi)
    lo: float  # reference minimum
    hi: float  # nextafter(reference maximum, +inf)

    @property
    def n_psi(self) -> int:
        """Number of PSI bins."""
        return int(self.psi_edges.size + 1)

    def psi_counts(self, fine_counts: np.ndarray) -> np.ndarray:
        """Collapse fine-bin counts into PSI-bin counts."""
        out = np.zeros(self.n_psi, dtype=np.int64)
        np.add.at(out, self.psi_map, np.asarray(fine_counts, dtype=np.int64))
        return out

    def out_of_range(self, fine_counts: np.ndarray) -> int:
        """Values below the reference minimum or at/above nextafter(maximum)."""
        return int(np.asarray(fine_counts, dtype=np.int64)[self.oor_mask].sum())


def make_bins(psi_edges: np.ndarray, lo: float, hi: float) -> Bins:
    """Bins from interior PSI edges and the reference range [lo, hi) (hi = nextafter(max)).

    A fine bin j holds the values v with exactly j fine edges <= v. When it is non-empty its
    left neighbours are exactly the edges <= v whatever the order of ties, so counting the
    PSI edges (and lo, hi) among the first j sorted edges gives its PSI bin and range.
    """
    e = np.asarray(psi_edges, dtype=np.float64)
    if e.ndim != 1 or not np.all(np.isfinite(e)) or np.any(e[1:] < e[:-1]):
        raise ValueError("PSI edges must be finite and sorted non-decreasing")
    values = np.concatenate([[lo], e, [hi]])
    tags = np.concatenate([[1], np.zeros(e.size, dtype=np.int64), [2]])  # 1 lo, 2 hi, 0 psi
    order = np.argsort(values, kind="stable")
    fine = values[order]
    tag = tags[order]
    n = fine.size
    psi_map = np.zeros(n + 1, dtype=np.int64)
    oor = np.zeros(n + 1, dtype=bool)
    for j in range(n + 1):
        first = tag[:j]
        psi_map[j] = int(np.count_nonzero(first == 0))
        oor[j] = (1 not in first) or (2 in first)
    return Bins(e, fine, psi_map, oor, float(lo), float(hi))


def decile_edges(finite_sorted: np.ndarray, n_bins: int = DEFAULT_BINS) -> np.ndarray:
    """Interior quantile edges (numpy 'linear' method) for `n_bins` equal-mass bins."""
    q = np.linspace(0.0, 1.0, n_bins + 1)[1:-1]
    edges: np.ndarray = np.quantile(finite_sorted, q, method="linear").astype(np.float64)
    return edges


def uniform_edges(lo: float, hi_value: float, n_bins: int = DEFAULT_BINS) -> np.ndarray:
    """Interior edges of `n_bins` equal-width bins over [min, max]."""
    return np.linspace(lo, hi_value, n_bins + 1)[1:-1].astype(np.float64)


def tie_aware_edges(finite: np.ndarray, n_bins: int = DEFAULT_BINS) -> tuple[np.ndarray, str]:
    """(interior PSI edges, rule) for quantile binning that sees discrete and tied values.

    `finite` holds the reference's finite values, in any order (at least one).
    Every edge lies strictly above the reference minimum, so the first bin holds it.
    """
    values, counts = np.unique(finite, return_counts=True)
    if values.size == 1:
        return np.empty(0, dtype=np.float64), "constant"
    if values.size <= n_bins:
        return values[1:].astype(np.float64), "distinct"
    total = int(counts.sum())
    mass = counts * n_bins >= total  # at least 1/n_bins of the reference mass (exact)
    if not mass.any():
        return decile_edges(finite, n_bins), "quantile"
    edges: list[float] = []
    budget = max(n_bins - int(mass.sum()), 0)
    rest = total - int(counts[mass].sum())
    start = 0
    for i in np.flatnonzero(mass).tolist() + [values.size]:
        if i > start:  # a run of non-mass values [start, i): split by quantiles
            run_vals, run_counts = values[start:i], counts[start:i]
            k = max(1, round(budget * int(run_counts.sum()) / rest)) if rest else 1
            edges.append(float(run_vals[0]))
            if k > 1:
                # Quantiles of the run, each moved up to the first run value at or above it,
                # so that every bin starts at a value it holds (none is left empty).
                q = decile_edges(np.repeat(run_vals, run_counts), k)
                at = np.minimum(np.searchsorted(run_vals, q, side="left"), run_vals.size - 1)
                edges.extend(run_vals[at].tolist())
        if i < values.size:  # the point mass: a bin from its value to the next value
            edges.append(float(values[i]))
        start = i + 1
    e = np.unique(np.asarray(edges, dtype=np.float64))
    return e[e > values[0]], "point_mass"
