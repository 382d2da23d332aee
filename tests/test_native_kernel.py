"""The C histogram kernel against a plain numpy reference."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from govern._native import HistCounts, count_dictionary, hist_f64

finite = st.floats(allow_nan=False, allow_infinity=False, width=64)
special = st.sampled_from([float("nan"), float("inf"), float("-inf"), -0.0, 0.0])
value = st.one_of(finite, special, st.none())


def reference(values: list[float | None], edges: np.ndarray) -> tuple[np.ndarray, list[int]]:
    """numpy reference: bin = #{edges <= v} for finite values; specials counted apart."""
    nulls = sum(v is None for v in values)
    arr = np.array([v for v in values if v is not None], dtype=np.float64)
    nans = int(np.isnan(arr).sum())
    pos = int(np.isposinf(arr).sum())
    neg = int(np.isneginf(arr).sum())
    fin = arr[np.isfinite(arr)]
    idx = np.searchsorted(edges, fin, side="right")
    counts = np.bincount(idx, minlength=edges.size + 1)
    return counts, [nulls, nans, pos, neg]


@st.composite
def case(draw: st.DrawFn) -> tuple[list[float | None], np.ndarray]:
    values = draw(st.lists(value, max_size=200))
    raw_edges = draw(st.lists(finite, max_size=70))
    # values exactly on edges are the interesting boundary
    raw_edges += [v for v in values if isinstance(v, float) and np.isfinite(v)][:3]
    return values, np.sort(np.array(raw_edges, dtype=np.float64))


@settings(max_examples=1500, deadline=None)
@given(case())
def test_hist_matches_numpy(c: tuple[list[float | None], np.ndarray]) -> None:
    values, edges = c
    got = hist_f64(pa.array(values, type=pa.float64()), edges)
    counts, (nulls, nans, pos, neg) = reference(values, edges)
    np.testing.assert_array_equal(got.counts, counts)
    assert (got.nulls, got.nans, got.posinf, got.neginf) == (nulls, nans, pos, neg)
    assert got.rows == len(values)


@settings(max_examples=300, deadline=None)
@given(case(), st.integers(0, 50), st.integers(0, 50))
def test_sliced_arrays_honour_offset(
    c: tuple[list[float | None], np.ndarray], start: int, length: int
) -> None:
    values, edges = c
    arr = pa.array(values, type=pa.float64()).slice(start, length)
    got = hist_f64(arr, edges)
    counts, specials = reference(values[start : start + length], edges)
    np.testing.assert_array_equal(got.counts, counts)
    assert [got.nulls, got.nans, got.posinf, got.neginf] == specials


def test_chunked_and_merged_counts_equal_one_pass() -> None:
    rng = np.random.default_rng(1)
    x = rng.normal(size=10_000)
    edges = np.quantile(x, np.linspace(0.1, 0.9, 9))
    whole = hist_f64(pa.array(x), edges)
    parts = [hist_f64(pa.array(x[i : i + 999]), edges) for i in range(0, x.size, 999)]
    merged = parts[0]
    for p in parts[1:]:
        merged = merged.merge(p)
    np.testing.assert_array_equal(merged.counts, whole.counts)
    chunked = hist_f64(pa.chunked_array([x[:10], x[10:]]), edges)
    np.testing.assert_array_equal(chunked.counts, whole.counts)


def test_empty_input_and_no_edges() -> None:
    got = hist_f64(pa.array([], type=pa.float64()), [0.0, 1.0])
    assert got.rows == 0 and got.counts.tolist() == [0, 0, 0]
    got = hist_f64(pa.array([1.0, None, 3.0]), [])
    assert got.counts.tolist() == [2] and got.nulls == 1


def test_all_null_column() -> None:
    got = hist_f64(pa.array([None] * 5, type=pa.float64()), [0.5])
    assert got.nulls == 5 and got.valid == 0


def test_rejects_bad_edges_and_types() -> None:
    with pytest.raises(ValueError, match="sorted"):
        hist_f64(pa.array([1.0]), [2.0, 1.0])
    with pytest.raises(ValueError, match="finite"):
        hist_f64(pa.array([1.0]), [float("nan")])
    with pytest.raises(TypeError, match="float64"):
        hist_f64(pa.array([1], type=pa.int64()), [0.0])
    with pytest.raises(ValueError, match="different"):
        hist_f64(pa.array([1.0]), [0.0], into=HistCounts(np.zeros(5, dtype=np.int64)))


def test_dictionary_counts_match_value_counts() -> None:
    arr = pa.array(["a", "b", None, "a", "c", "a"]).dictionary_encode()
    counts, nulls = count_dictionary(arr, len(arr.dictionary))
    assert dict(zip(arr.dictionary.to_pylist(), counts.tolist(), strict=True)) == {
        "a": 3,
        "b": 1,
        "c": 1,
    }
    assert nulls == 1
    sliced = arr.slice(1, 3)
    counts, nulls = count_dictionary(sliced, len(arr.dictionary))
    assert counts.tolist() == [1, 1, 0] and nulls == 1
