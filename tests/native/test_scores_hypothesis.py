"""Differential tests of the scored-row kernels (native/govern_scores.c) against NumPy oracles.

Columns are sliced Arrow arrays (non-zero offsets) of several types with nulls, NaN and +-inf,
passed through the same `float_column` / `group_codes` views the accumulators use, so the
kernels' bitmap and offset handling is exercised on the buffers pyarrow hands them.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from govern._native import (
    GroupCodes,
    group_cell_counts,
    score_cells,
    score_stats,
    sketch_counts,
    sketch_index,
)
from govern.errors import NativeError
from govern.metrics._batch import float_column, group_codes, scored_rows

SETTINGS = settings(
    max_examples=400,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
SPECIAL = [np.nan, np.inf, -np.inf, -0.0, 0.0, 1.0, 0.5]
HIST_BINS = 64  # small bin counts make collisions and end bins frequent


def _sliced(draw: st.DrawFn, values: list[object], typ: pa.DataType, n: int) -> pa.Array:
    """An array of `typ` whose visible part (length n) starts at a random offset."""
    pad = draw(st.integers(0, 9))
    filler = [values[0] if values else None] * pad
    return pa.array(filler + values, type=typ).slice(pad, n)


@st.composite
def batches(draw: st.DrawFn) -> dict[str, object]:
    n = draw(st.integers(0, 120))
    score_pool = st.one_of(
        st.floats(-2.0, 3.0),
        st.sampled_from(SPECIAL),
        st.floats(allow_nan=True, allow_infinity=True, width=64),
    )
    scores = draw(st.lists(st.one_of(score_pool, st.none()), min_size=n, max_size=n))
    label_type = draw(st.sampled_from([pa.float64(), pa.int8(), pa.int64(), pa.bool_()]))
    if label_type == pa.bool_():
        label_pool: st.SearchStrategy[object] = st.booleans()
    elif pa.types.is_integer(label_type):
        label_pool = st.integers(-1, 2)
    else:
        label_pool = st.one_of(st.sampled_from([0.0, 1.0, -0.0, 2.0, np.nan, 0.5]), st.floats())
    labels = draw(st.lists(st.one_of(label_pool, st.none()), min_size=n, max_size=n))
    groups = draw(st.lists(st.sampled_from(["a", "b", "c", None]), min_size=n, max_size=n))
    score_type = draw(st.sampled_from([pa.float64(), pa.float32()]))
    if score_type == pa.float32():
        with np.errstate(over="ignore"):  # huge doubles become +-inf, as pyarrow would store
            scores = [None if v is None else float(np.float32(v)) for v in scores]
    return {
        "score": _sliced(draw, scores, score_type, n),
        "label": _sliced(draw, labels, label_type, n),
        "group": _sliced(draw, groups, pa.dictionary(pa.int32(), pa.string()), n),
        "scores": scores,
        "labels": labels,
        "groups": groups,
        "threshold": draw(st.sampled_from([0.5, 0.0, 1.0, -1.0])),
    }


def _state(y: object) -> int:
    if y is None:
        return 2
    f = float(y)  # type: ignore[arg-type]
    return 0 if f == 0.0 else (1 if f == 1.0 else 3)


def _cell(s: float | None, y: object, threshold: float) -> int:
    if s is None or np.isnan(s):
        return 8
    return int(s >= threshold) + 2 * _state(y)


@SETTINGS
@given(batches())
def test_cells_and_group_counts_match_oracle(b: dict[str, object]) -> None:
    score = float_column(b["score"], "score")  # type: ignore[arg-type]
    label = float_column(b["label"], "label")  # type: ignore[arg-type]
    cells, counts = score_cells(score, label, b["threshold"])  # type: ignore[arg-type]
    want_cells = [
        _cell(s, y, b["threshold"])  # type: ignore[arg-type]
        for s, y in zip(b["scores"], b["labels"], strict=True)  # type: ignore[call-overload]
    ]
    assert cells.tolist() == want_cells
    assert counts.tolist() == np.bincount(want_cells, minlength=9).tolist()
    table = pa.table({"group": b["group"]})
    codes, keys = group_codes(table, ("group",))
    got = group_cell_counts(cells, codes)
    want: dict[tuple[object, ...], np.ndarray] = {}
    for c, g in zip(want_cells, b["groups"], strict=True):  # type: ignore[call-overload]
        want.setdefault((g,), np.zeros(9, dtype=np.int64))[c] += 1
    got_by_key: dict[tuple[object, ...], np.ndarray] = {}
    for i in np.flatnonzero(got.sum(axis=1)):
        got_by_key[keys[i]] = got_by_key.get(keys[i], 0) + got[i]
    assert set(got_by_key) == set(want)
    for k, v in want.items():
        assert got_by_key[k].tolist() == v.tolist()
    # Without a label every row is unlabelled.
    plain, _ = score_cells(score, None, b["threshold"])  # type: ignore[arg-type]
    assert plain.tolist() == [_cell(s, None, b["threshold"]) for s in b["scores"]]  # type: ignore[arg-type, attr-defined]


@SETTINGS
@given(batches(), st.sampled_from([(0.0, 1.0), (-1.0, 2.0), (0.25, 0.75)]))
def test_score_stats_match_oracle(b: dict[str, object], score_range: tuple[float, float]) -> None:
    score = float_column(b["score"], "score")  # type: ignore[arg-type]
    label = float_column(b["label"], "label")  # type: ignore[arg-type]
    cells, _ = score_cells(score, label, b["threshold"])  # type: ignore[arg-type]
    auc = np.zeros((HIST_BINS, 2), dtype=np.int64)
    fine = np.zeros(HIST_BINS // 4, dtype=np.uint8)
    stats = score_stats(
        score,
        cells,
        score_range=score_range,
        auc_counts=auc,
        fine_seen=fine,
        fine_limit=HIST_BINS,  # never reached: 2 * HIST_BINS fine bins, < 120 rows
    )
    lo, hi = score_range
    used_s: list[float] = []
    used_y: list[int] = []
    for s, y in zip(b["scores"], b["labels"], strict=True):  # type: ignore[call-overload]
        if _cell(s, y, b["threshold"]) <= 3:  # type: ignore[arg-type]
            used_s.append(s)
            used_y.append(_state(y))
    s_arr = np.asarray(used_s, dtype=np.float64)
    y_arr = np.asarray(used_y, dtype=np.int64)
    assert stats.used == s_arr.size

    def bins(x: np.ndarray, n: int) -> np.ndarray:  # _auc.AucState._bin, n bins
        with np.errstate(invalid="ignore", over="ignore"):
            idx = np.floor((x - lo) * (n / (hi - lo)))
        idx = np.clip(np.nan_to_num(idx, nan=0.0, posinf=n, neginf=-1), 0, n - 1)
        return idx.astype(np.int64)

    want_auc = np.zeros((HIST_BINS, 2), dtype=np.int64)
    np.add.at(want_auc, (bins(s_arr, HIST_BINS), y_arr), 1)
    assert auc.tolist() == want_auc.tolist()
    assert stats.distinct_fine == np.unique(bins(s_arr, 2 * HIST_BINS)).size
    assert stats.outside == int(np.count_nonzero((s_arr < lo) | (s_arr > hi)))
    unit = (s_arr >= 0.0) & (s_arr <= 1.0)
    assert stats.outside_unit == s_arr.size - int(np.count_nonzero(unit))
    su, yu = s_arr[unit], y_arr[unit].astype(np.float64)
    assert stats.sq_error == pytest.approx(float(np.sum((su - yu) ** 2)), rel=1e-12, abs=1e-300)
    e = np.minimum((su * 10).astype(np.int64), 9)
    assert stats.ece_n.tolist() == np.bincount(e, minlength=10).tolist()
    assert stats.ece_pos.tolist() == np.bincount(e, weights=yu, minlength=10).astype(int).tolist()
    want_sums = np.bincount(e, weights=su, minlength=10)
    assert stats.ece_score == pytest.approx(want_sums.tolist(), rel=1e-12, abs=1e-300)


BOUNDS = np.array([1.02**k for k in range(-40, 41)])
INDEX = sketch_index(BOUNDS)


@SETTINGS
@given(
    st.lists(
        st.one_of(
            st.none(),
            st.floats(allow_nan=True, allow_infinity=True),
            st.sampled_from([float(x) for x in BOUNDS[::7]]),  # exactly on a bound
            st.sampled_from([float(np.nextafter(x, np.inf)) for x in BOUNDS[::5]]),
            st.floats(1e-3, 1e3),
        ),
        max_size=150,
    ),
    st.integers(0, 5),
)
def test_sketch_counts_match_searchsorted(values: list[float | None], pad: int) -> None:
    arr = pa.array([1.0] * pad + values, type=pa.float64()).slice(pad)
    buckets = np.zeros(BOUNDS.size, dtype=np.int64)
    nulls, invalid, zeros, high = sketch_counts(
        float_column(arr, "latency"), buckets, INDEX, max_indexable=float(BOUNDS[-1])
    )
    present = np.asarray([v for v in values if v is not None], dtype=np.float64)
    good = present[np.isfinite(present) & (present >= 0.0)]
    positive = good[good > 0.0]
    assert nulls == len(values) - present.size
    assert invalid == present.size - good.size
    assert zeros == good.size - positive.size
    assert high == int(np.count_nonzero(positive > BOUNDS[-1]))
    keys = np.minimum(np.searchsorted(BOUNDS, positive, side="left"), BOUNDS.size - 1)
    assert buckets.tolist() == np.bincount(keys, minlength=BOUNDS.size).tolist()


def test_dictionary_code_out_of_range_is_an_error() -> None:
    cells, _ = score_cells(float_column(pa.array([0.1, 0.9]), "score"), None, 0.5)
    codes = GroupCodes(np.array([0, 5], dtype=np.int32), groups=2)
    with pytest.raises(NativeError, match="out of range"):
        group_cell_counts(cells, codes)


def test_views_reject_mismatched_lengths() -> None:
    score = float_column(pa.array([0.1, 0.9]), "score")
    label = float_column(pa.array([1.0]), "label")
    with pytest.raises(ValueError, match="different lengths"):
        score_cells(score, label, 0.5)


def test_cells_are_computed_once_per_batch_and_question() -> None:
    batch = pa.table({"s": [0.2, 0.7, None], "y": [0, 1, 1]})
    first = scored_rows(batch, "s", "y", 0.5)
    assert scored_rows(batch, "s", "y", 0.5) is first
    assert scored_rows(batch, "s", "y", 0.6) is not first  # another threshold
    other = pa.table({"s": [0.9, 0.1, 0.5], "y": [1, 0, None]})
    assert scored_rows(other, "s", "y", 0.5).cells.tolist() == [3, 0, 5]
    assert not first.cells.flags.writeable


def test_sketch_index_rejects_unsorted_bounds() -> None:
    with pytest.raises(ValueError, match="ascending"):
        sketch_index(np.array([1.0, 0.5]))
