"""Fine edges -> PSI bins and out-of-range, checked against np.digitize on the raw values."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from govern._native import hist_f64
from govern.metrics._binning import decile_edges, make_bins, uniform_edges


def _direct(values: np.ndarray, psi_edges: np.ndarray, lo: float, hi: float) -> tuple:
    psi_bins = np.bincount(
        np.searchsorted(psi_edges, values, side="right"), minlength=psi_edges.size + 1
    )
    oor = int(((values < lo) | (values >= hi)).sum())
    return psi_bins.tolist(), oor


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.floats(-1e6, 1e6), min_size=1, max_size=200),
    st.lists(st.floats(-1e6, 1e6), min_size=0, max_size=200),
    st.sampled_from(["decile", "uniform", "explicit"]),
    st.lists(st.floats(-2e6, 2e6), min_size=1, max_size=12),
)
def test_fine_bins_collapse_to_psi_bins_and_range(
    ref: list[float], cur: list[float], strategy: str, explicit: list[float]
) -> None:
    r = np.asarray(ref)
    lo, vmax = float(r.min()), float(r.max())
    hi = float(np.nextafter(vmax, np.inf))
    if strategy == "decile":
        e = decile_edges(r)
    elif strategy == "uniform":
        e = uniform_edges(lo, vmax)
    else:
        e = np.asarray(sorted(explicit))
    bins = make_bins(e, lo, hi)
    c = np.asarray(cur, dtype=np.float64)
    fine = hist_f64(pa.array(c), bins.fine_edges).counts
    psi_bins, oor = _direct(c, e, lo, hi)
    assert bins.psi_counts(fine).tolist() == psi_bins
    assert bins.out_of_range(fine) == oor


def test_decile_layout_is_the_prototype_layout() -> None:
    r = np.arange(1, 101, dtype=np.float64)
    e = decile_edges(r)
    b = make_bins(e, 1.0, float(np.nextafter(100.0, np.inf)))
    assert b.fine_edges.tolist() == [1.0, *e.tolist(), float(np.nextafter(100.0, np.inf))]
    assert b.psi_map.tolist() == [0, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 9]
    assert b.oor_mask.tolist() == [True] + [False] * 10 + [True]


def test_unsorted_edges_are_refused() -> None:
    with pytest.raises(ValueError, match="sorted"):
        make_bins(np.asarray([2.0, 1.0]), 0.0, 3.0)
