"""The comparison kernel (at most 16 edges in a type's range) equals the float64 search path.

`hist` counts a column with few edges by comparing every value with each edge converted to
a threshold in the column's own type (native/govern_linear.c); `hist_f64` bins each value
by a binary search over the float64 edges. Both must agree bin for bin, and with numpy, for
every type: values on, just under and just over each edge (float64 and float32 ulps,
integers either side), -0.0 and +0.0, NaN, +-inf, int64 and uint64 beyond 2**53 where
float64 rounds, edges outside the type's range, nulls, Arrow offsets that are not a
multiple of 8, and lengths that end inside a vector or a 4096-value chunk.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from govern._native import hist, hist_f64

SETTINGS = settings(
    max_examples=600,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
INTS = [pa.int8(), pa.int16(), pa.int32(), pa.int64(), pa.uint8(), pa.uint16(), pa.uint32()]
TYPES = [pa.float64(), pa.float32(), *INTS, pa.uint64()]
BIG = [2**31 - 1, 2**31, 2**53 - 1, 2**53, 2**53 + 1, 2**53 + 3, 2**62 + 1, 2**63 - 1, 2**64 - 1]


def _near_edge(e: float, t: pa.DataType) -> list[float | int]:
    """Values of type `t` on and either side of edge `e`."""
    if pa.types.is_floating(t):
        ftype = np.float32 if t == pa.float32() else np.float64
        with np.errstate(over="ignore"):
            f = ftype(e)
        if not np.isfinite(f):
            return []
        down, up = ftype(-np.inf), ftype(np.inf)
        return [float(f), float(np.nextafter(f, down)), float(np.nextafter(f, up))]
    info = np.iinfo(t.to_pandas_dtype())
    lo, hi = int(info.min), int(info.max)
    base = int(np.floor(e)) if -(2.0**64) < e < 2.0**64 else (hi if e > 0 else lo)
    return [v for v in range(base - 2, base + 3) if lo <= v <= hi]


@st.composite
def case(draw: st.DrawFn) -> tuple[pa.Array, np.ndarray]:
    t = draw(st.sampled_from(TYPES))
    if pa.types.is_floating(t):
        width = 32 if t == pa.float32() else 64
        scalar = st.floats(width=width)
        seed: st.SearchStrategy[float] = st.one_of(
            st.floats(-1e6, 1e6, width=width),
            st.sampled_from([0.0, -0.0, 1e38, -1e38, 3.5e38, -3.5e38, 1e300, -1e300]),
        )
    else:
        info = np.iinfo(t.to_pandas_dtype())
        scalar = st.integers(int(info.min), int(info.max))
        outside = [float(info.min) - 1e3, float(info.max) + 1e3, -1e300, 1e300]
        seed = st.one_of(
            st.integers(-1000, 1000).map(float),
            scalar.map(float),
            st.sampled_from([float(b) for b in BIG] + [-float(b) for b in BIG] + outside),
            st.floats(-1e4, 1e4),
        )
    raw = draw(st.lists(seed, max_size=18))
    ups = {float(np.nextafter(float(x), np.inf)) for x in raw[:3]}  # off-grid edges
    edges = sorted({float(x) for x in raw} | ups)
    edges = [e for e in edges if np.isfinite(e)]
    near = [v for e in edges for v in _near_edge(e, t)]
    specials = [0.0, -0.0, np.nan, np.inf, -np.inf] if pa.types.is_floating(t) else [0]
    pool = st.one_of(scalar, st.sampled_from(near + specials))
    n = draw(st.sampled_from([0, 1, 7, 8, 9, 33, 300]))
    values = draw(st.lists(st.one_of(pool, st.none()), min_size=n, max_size=n))
    values *= draw(st.sampled_from([1, 1, 15, 31]))  # past one and two 4096-value chunks
    start = draw(st.integers(0, min(len(values), 20)))
    arr = pa.array(values, type=t).slice(start)
    return arr, np.asarray(edges, dtype=np.float64)


def _numpy_bins(arr: pa.Array, edges: np.ndarray) -> list[int]:
    """The oracle: numpy's searchsorted over the values cast to float64, nulls dropped."""
    x = pc.cast(arr.drop_null(), pa.float64(), safe=False).to_numpy(zero_copy_only=False)
    x = x[np.isfinite(x)]
    return np.bincount(np.searchsorted(edges, x, side="right"), minlength=edges.size + 1).tolist()


@SETTINGS
@given(case())
def test_comparison_kernel_equals_search_and_numpy(c: tuple[pa.Array, np.ndarray]) -> None:
    arr, edges = c
    native = hist(arr, edges)
    search = hist_f64(pc.cast(arr, pa.float64(), safe=False), edges)
    assert native.counts.tolist() == search.counts.tolist() == _numpy_bins(arr, edges)
    assert (native.nulls, native.nans, native.posinf, native.neginf) == (
        search.nulls,
        search.nans,
        search.posinf,
        search.neginf,
    )


@pytest.mark.parametrize("t", TYPES, ids=str)
@pytest.mark.parametrize("nedges", [0, 1, 11, 16, 17])
@pytest.mark.parametrize("offset", [0, 3, 8, 13])
def test_every_edge_count_offset_and_type(t: pa.DataType, nedges: int, offset: int) -> None:
    # 16 edges is the largest the comparison kernel takes; 17 goes to the search.
    rng = np.random.default_rng(nedges * 31 + offset)
    n = 10_007
    raw = rng.integers(0, 120, n).astype(t.to_pandas_dtype())
    arr = pa.array(raw, type=t, mask=rng.random(n) < 0.05).slice(offset)
    edges = np.sort(rng.choice(np.arange(0.0, 120.0, 0.5), nedges, replace=False))
    got = hist(arr, edges)
    assert got.counts.tolist() == _numpy_bins(arr, edges)
    assert got.nulls == arr.null_count


@pytest.mark.parametrize(
    ("t", "values", "edge"),
    [
        # float64 rounds these integers: 2**53 + 1 becomes 2**53, so it is >= an edge at 2**53.
        (pa.int64(), [2**53, 2**53 + 1, 2**53 - 1], 2.0**53),
        (pa.int64(), [2**63 - 1, 2**63 - 512, 2**63 - 513], 2.0**63),
        (pa.int64(), [-(2**63), -(2**63) + 1], -(2.0**63)),
        (pa.uint64(), [2**64 - 1, 2**63], 2.0**64 - 2048),
        (pa.float32(), [16777217.0, 16777216.0], 16777216.5),
        (pa.float32(), [-0.0, 0.0, -1e-45], 0.0),
        (pa.float64(), [-0.0, 0.0, -5e-324], -0.0),
        (pa.int32(), [-(2**31), 2**31 - 1], -(2.0**31)),
    ],
    ids=str,
)
def test_values_next_to_edges(t: pa.DataType, values: list[float], edge: float) -> None:
    arr = pa.array(values, type=t)
    edges = np.asarray([edge])
    assert hist(arr, edges).counts.tolist() == _numpy_bins(arr, edges)


@pytest.mark.parametrize("edges", [[2.0, 1.0], [0.0, float("nan")], [float("inf")]], ids=str)
@pytest.mark.parametrize("t", [pa.float64(), pa.float32(), pa.int64()], ids=str)
def test_bad_edge_arrays_are_refused_by_the_kernel(t: pa.DataType, edges: list[float]) -> None:
    # float64 arrays skip the Python-side checks; the kernel's own check must refuse them.
    with pytest.raises(ValueError, match="finite and sorted"):
        hist(pa.array([1, 2, 3], type=t), np.asarray(edges, dtype=np.float64))
