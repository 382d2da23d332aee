"""float32 and integer columns counted in place equal the float64 path, bin for bin.

The kernel reads each type's own Arrow buffer (no column-sized widening copy) and must put
every value in the bin its float64 value gets from `hist_f64` after an Arrow cast. Values are
drawn next to the edges on purpose: each edge, one float64 ulp either side, its float32
neighbours, integers around it, and integers past 2**53 where float64 rounds. Arrays carry
nulls and Arrow offsets; blocks of 1024 are crossed by long arrays.
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
    max_examples=300,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
INT_TYPES = [pa.int8(), pa.int16(), pa.int32(), pa.int64()]
UINT_TYPES = [pa.uint8(), pa.uint16(), pa.uint32(), pa.uint64()]
TYPES = [pa.float32(), *INT_TYPES, *UINT_TYPES]


def _limits(t: pa.DataType) -> tuple[int, int]:
    info = np.iinfo(t.to_pandas_dtype())
    return int(info.min), int(info.max)


def _near(edges: list[float], t: pa.DataType) -> list[float | int]:
    """Values on and next to every edge, representable in `t`."""
    out: list[float | int] = []
    for e in edges:
        if pa.types.is_floating(t):
            f = np.float32(e)
            if np.isfinite(f):
                out += [float(f), float(np.nextafter(f, np.float32(-np.inf)))]
                out += [float(np.nextafter(f, np.float32(np.inf)))]
        else:
            lo, hi = _limits(t)
            base = int(np.floor(e)) if abs(e) < 2.0**63 else (hi if e > 0 else lo)
            out += [v for v in range(base - 2, base + 3) if lo <= v <= hi]
    return out


@st.composite
def case(draw: st.DrawFn) -> tuple[pa.Array, np.ndarray]:
    t = draw(st.sampled_from(TYPES))
    if pa.types.is_floating(t):
        scalar = st.floats(width=32, allow_nan=True, allow_infinity=True)
        seeds: st.SearchStrategy[float] = st.floats(-1e6, 1e6, width=32)
    else:
        lo, hi = _limits(t)
        scalar = st.integers(lo, hi)
        big = [v for v in (2**53 - 1, 2**53, 2**53 + 1, 2**53 + 3, 2**62 + 1) if v <= hi]
        seeds = st.one_of(st.integers(lo, hi), st.sampled_from(big or [hi]))
    raw_edges = draw(st.lists(seeds, max_size=70))
    # Edges: the drawn values as float64, and their float64 neighbours (off-grid edges).
    edges = sorted(
        {float(x) for x in raw_edges}
        | {float(np.nextafter(float(x), np.inf)) for x in raw_edges[:5]}
        | {float(x) + 0.5 for x in raw_edges[5:8]}
    )
    edges = [e for e in edges if np.isfinite(e)]
    near = _near(edges, t)
    pool = st.one_of(scalar, st.sampled_from(near)) if near else scalar
    n = draw(st.sampled_from([0, 1, 7, 64, 300, 2_100]))
    values = draw(st.lists(st.one_of(pool, st.none()), min_size=n, max_size=n))
    start = draw(st.integers(0, len(values)))
    arr = pa.array(values, type=t).slice(start)
    return arr, np.asarray(edges, dtype=np.float64)


@SETTINGS
@given(case())
def test_typed_kernel_equals_float64_path(c: tuple[pa.Array, np.ndarray]) -> None:
    arr, edges = c
    native = hist(arr, edges)
    widened = hist_f64(pc.cast(arr, pa.float64(), safe=False), edges)
    assert native.counts.tolist() == widened.counts.tolist()
    assert (native.nulls, native.nans, native.posinf, native.neginf) == (
        widened.nulls,
        widened.nans,
        widened.posinf,
        widened.neginf,
    )


@pytest.mark.parametrize("t", TYPES, ids=str)
def test_long_column_with_nulls_crosses_blocks(t: pa.DataType) -> None:
    rng = np.random.default_rng(9)
    n = 10_000
    values = rng.integers(0, 100, n).astype(t.to_pandas_dtype())
    arr = pa.array(values, type=t, mask=rng.random(n) < 0.1).slice(3, n - 10)
    edges = np.arange(5.0, 100.0, 9.5)
    native = hist(arr, edges)
    x = np.asarray(arr.to_pandas(), dtype=np.float64)
    x = x[~np.isnan(x)]
    expected = np.bincount(np.searchsorted(edges, x, side="right"), minlength=edges.size + 1)
    assert native.counts.tolist() == expected.tolist()
    assert native.nulls == arr.null_count


def test_float16_is_cast_and_other_types_refused() -> None:
    half = pa.array(np.asarray([0.5, 1.5, None], dtype=object), type=pa.float16())
    assert hist(half, [1.0]).counts.tolist() == [1, 1]
    with pytest.raises(TypeError, match="numeric"):
        hist(pa.array(["a"]), [1.0])
