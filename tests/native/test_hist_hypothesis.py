"""Differential tests of the C kernels against a plain numpy oracle (>= 10,000 examples).

Values mix NaN, +-inf, -0.0, values exactly on edges and arbitrary floats; arrays carry
validity bitmaps and are sliced (non-zero Arrow offsets), so the kernel's bitmap and offset
handling is exercised on the same buffers pyarrow hands it.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from govern._native import count_dictionary, hist_f64

EXAMPLES = 2_600  # x 4 tests = 10,400 examples

SETTINGS = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

finite = st.floats(allow_nan=False, allow_infinity=False, width=64)
edge_lists = st.lists(finite, min_size=0, max_size=70).map(sorted)


@st.composite
def column(draw: st.DrawFn) -> tuple[pa.Array, np.ndarray, list[float]]:
    """(sliced Arrow array with nulls, edges, python values incl. None) for one case."""
    edges = draw(edge_lists)
    special = [np.nan, np.inf, -np.inf, -0.0, 0.0]
    pool = st.one_of(
        finite,
        st.sampled_from(special),
        st.sampled_from(edges) if edges else finite,  # exactly on an edge
        st.sampled_from([float(np.nextafter(e, 0.0)) for e in edges]) if edges else finite,
    )
    values = draw(st.lists(st.one_of(pool, st.none()), min_size=0, max_size=200))
    start = draw(st.integers(0, len(values)))
    stop = draw(st.integers(start, len(values)))
    arr = pa.array(values, type=pa.float64(), from_pandas=False).slice(start, stop - start)
    return arr, np.asarray(edges, dtype=np.float64), values[start:stop]


def oracle(values: list[float | None], edges: np.ndarray) -> tuple[np.ndarray, list[int]]:
    nulls = sum(v is None for v in values)
    x = np.asarray([v for v in values if v is not None], dtype=np.float64)
    nans = int(np.isnan(x).sum())
    pos = int((x == np.inf).sum())
    neg = int((x == -np.inf).sum())
    fin = x[np.isfinite(x)]
    counts = np.bincount(np.searchsorted(edges, fin, side="right"), minlength=edges.size + 1)
    return counts, [nulls, nans, pos, neg]


@SETTINGS
@given(column())
def test_hist_matches_numpy(case: tuple[pa.Array, np.ndarray, list[float | None]]) -> None:
    arr, edges, values = case
    got = hist_f64(arr, edges)
    counts, (nulls, nans, pos, neg) = oracle(values, edges)
    assert got.counts.tolist() == counts.tolist()
    assert (got.nulls, got.nans, got.posinf, got.neginf) == (nulls, nans, pos, neg)
    assert got.rows == len(values)  # valid + null + NaN + inf == rows


@SETTINGS
@given(column(), st.integers(1, 4))
def test_chunked_and_split_counts_merge_exactly(
    case: tuple[pa.Array, np.ndarray, list[float | None]], parts: int
) -> None:
    arr, edges, values = case
    cuts = np.linspace(0, len(arr), parts + 1).astype(int)
    chunks = [arr.slice(a, b - a) for a, b in zip(cuts[:-1], cuts[1:], strict=True)]
    whole = hist_f64(arr, edges)
    chunked = hist_f64(pa.chunked_array(chunks, type=pa.float64()), edges)
    merged = hist_f64(chunks[0], edges)
    for c in chunks[1:]:
        merged = merged.merge(hist_f64(c, edges))
    for h in (chunked, merged):
        assert h.counts.tolist() == whole.counts.tolist()
        assert (h.nulls, h.nans, h.posinf, h.neginf) == (
            whole.nulls,
            whole.nans,
            whole.posinf,
            whole.neginf,
        )


@SETTINGS
@given(
    st.lists(st.one_of(st.none(), st.integers(0, 40)), max_size=300),
    st.integers(0, 300),
    st.integers(0, 300),
)
def test_dictionary_counts_match_numpy(idx: list[int | None], a: int, b: int) -> None:
    start, stop = sorted((min(a, len(idx)), min(b, len(idx))))
    dictionary = pa.array([f"v{i}" for i in range(41)])
    arr = pa.DictionaryArray.from_arrays(pa.array(idx, type=pa.int32()), dictionary)
    arr = arr.slice(start, stop - start)
    counts, nulls = count_dictionary(arr, 41)
    window = idx[start:stop]
    valid = np.asarray([i for i in window if i is not None], dtype=np.int64)
    assert counts.tolist() == np.bincount(valid, minlength=41).tolist()
    assert nulls == sum(i is None for i in window)


@SETTINGS
@given(st.lists(st.floats(width=64), max_size=300), edge_lists)
def test_no_null_fast_path_matches_numpy(values: list[float], edges: list[float]) -> None:
    # No validity bitmap: the 4-way unrolled path (and its tail) of the kernel.
    e = np.asarray(edges, dtype=np.float64)
    got = hist_f64(pa.array(values, type=pa.float64()), e)
    counts, specials = oracle(list(values), e)
    assert got.counts.tolist() == counts.tolist()
    assert [got.nulls, got.nans, got.posinf, got.neginf] == specials
