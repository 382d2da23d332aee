"""Stored states: to_state -> JSON text -> load_state gives back exactly the same state.

What a re-scan merges from the store must be indistinguishable from what it would have
counted: same finalize() rows, same state again, same result when merged with more data.
The JSON must be strict (no NaN/Infinity numbers: DuckDB's JSON type rejects them).
"""

from __future__ import annotations

import json
import math
from datetime import date, datetime
from typing import Any

import numpy as np
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from govern.metrics import (
    ExactSum,
    FairnessAccumulator,
    OperationalAccumulator,
    PerformanceAccumulator,
    QuantileSketch,
)
from govern.metrics._auc import HIST_BINS, MAX_DISTINCT, AucState
from govern.metrics._state import (
    exactsum_from_json,
    exactsum_to_json,
    packed_counts,
    packed_floats,
    unpacked_counts,
    unpacked_floats,
)

NOW = datetime(2030, 1, 1)
# Finite magnitudes stay below 1e6: a regression error past ~1e154 overflows its square
# (a limit of the performance sums, not of the stored state).
SCORES = (
    st.sampled_from([0.0, -0.0, 0.5, 1.0, math.nan, math.inf, -math.inf, 5e-324])
    | st.floats(0, 1)
    | st.floats(-1e6, 1e6)
)


@st.composite
def batches(draw: st.DrawFn) -> pa.Table:
    n = draw(st.integers(min_value=0, max_value=50))

    def col(strategy: Any) -> list[Any]:
        return draw(st.lists(strategy, min_size=n, max_size=n))

    return pa.table(
        {
            "score": pa.array(col(SCORES), pa.float64()),
            "label": pa.array(col(st.sampled_from([0, 1, 2, None])), pa.int64()),
            "target": pa.array(col(st.floats(-1e6, 1e6) | st.none()), pa.float64()),
            "group": pa.array(col(st.sampled_from(["a", "b", "", None])), pa.string()),
            "code": pa.array(col(st.sampled_from([1, 2, -(2**62), None])), pa.int64()),
            "flag": pa.array(col(st.booleans() | st.none()), pa.bool_()),
            "lat": pa.array(
                col(st.floats(allow_nan=True, allow_infinity=True) | st.floats(0, 1e13)),
                pa.float64(),
            ),
            "err": pa.array(col(st.sampled_from([None, "500", "429", "ok"])), pa.string()),
            "ts": pa.array(col(st.integers(0, 2**52) | st.none()), pa.timestamp("us")),
        }
    )


PROTOS: list[Any] = [
    FairnessAccumulator(("group",), prediction="score", label="label", min_group_size=2),
    FairnessAccumulator(("code", "flag"), prediction="score", min_group_size=1),
    PerformanceAccumulator(prediction="score", label="label"),
    PerformanceAccumulator(prediction="score", label="target", task="regression"),
    OperationalAccumulator(
        latency="lat", error_code="err", ok_codes=("ok",), timestamp="ts", now=NOW
    ),
]


def _fed(proto: Any, *tables: pa.Table) -> Any:
    a = proto.empty()
    for t in tables:
        a.update(t)
    return a


def _round_trip(acc: Any) -> Any:
    text = json.dumps(acc.to_state(), allow_nan=False)  # strict JSON or it raises
    return acc.empty().load_state(json.loads(text))


@settings(max_examples=80, deadline=None)
@given(batches(), batches())
def test_load_state_gives_back_the_same_state(b1: pa.Table, b2: pa.Table) -> None:
    for proto in PROTOS:
        acc = _fed(proto, b1)
        back = _round_trip(acc)
        assert back.to_state() == acc.to_state()
        assert repr(back.finalize()) == repr(acc.finalize())  # repr: NaN-safe, exact floats
        more = _fed(proto, b2)
        assert repr(back.merge(more).finalize()) == repr(acc.merge(more).finalize())


def test_histogram_auc_state_is_packed_and_exact() -> None:
    rng = np.random.default_rng(3)
    scores = rng.random(MAX_DISTINCT + 10)
    scores[:5] = [-0.5, 1.5, 2.0, -1.0, 1.0]  # outside the range: counted in `outside`
    labels = (rng.random(scores.size) < scores).astype(np.int64)
    auc = AucState()
    auc.add(scores, labels)
    assert not auc.exact and auc.outside == 4
    doc = json.loads(json.dumps(auc.to_state(), allow_nan=False))
    assert "values" not in doc and isinstance(doc["histogram"], str)
    assert len(doc["histogram"]) < HIST_BINS * 2 * 8  # smaller than the raw int64 cells
    back = AucState().load_state(doc)
    assert not back.exact and back.outside == auc.outside
    assert np.array_equal(back.counts, auc.counts)
    assert back.auc() == auc.auc()


def test_exact_auc_state_keeps_every_float_bit() -> None:
    scores = np.array([0.1, 0.1 + 2**-55, 1 / 3, -0.0, 5e-324, math.inf, -math.inf])
    auc = AucState()
    auc.add(scores, np.array([0, 1, 0, 1, 0, 1, 0]))
    back = AucState().load_state(json.loads(json.dumps(auc.to_state(), allow_nan=False)))
    assert back.exact and back.values is not None and auc.values is not None
    assert back.values.tobytes() == auc.values.tobytes()
    assert np.array_equal(back.counts, auc.counts) and back.auc() == auc.auc()


def test_exact_sum_units_survive_readers_that_parse_numbers_as_doubles() -> None:
    s = ExactSum()
    for x in (1e308, 5e-324, -1e-300, 0.1, 1e308):
        s.add(x)
    text = exactsum_to_json(s)
    assert isinstance(text, str)  # a long integer would lose bits in DuckDB's JSON reader
    back = exactsum_from_json(json.loads(json.dumps(text)))
    assert back == s and back.value == s.value


def test_sketch_state_is_sparse_and_checks_the_accuracy() -> None:
    sk = QuantileSketch()
    sk.add(np.array([0.0, 0.0, 1.0, 2.5, 1e13, 1e-9]))
    doc = json.loads(json.dumps(sk.to_state(), allow_nan=False))
    assert len(doc["buckets"]) <= 4 and doc["zeros"] == 2 and doc["clamped_high"] == 1
    back = QuantileSketch().load_state(doc)
    assert np.array_equal(back.counts, sk.counts) and back.count == sk.count
    assert [back.quantile(q) for q in (0, 0.5, 1)] == [sk.quantile(q) for q in (0, 0.5, 1)]
    with pytest.raises(ValueError, match="relative accuracy"):
        QuantileSketch(relative_accuracy=0.01).load_state(doc)


def test_fairness_state_refuses_group_values_json_cannot_hold() -> None:
    acc = FairnessAccumulator(("d",), prediction="score")
    acc.update(pa.table({"score": [0.2, 0.9], "d": pa.array([date(2026, 1, 1), None])}))
    with pytest.raises(TypeError, match="valid types are: str, int, bool, None"):
        acc.to_state()


def test_operational_state_holds_no_time_relative_value() -> None:
    t = pa.table({"ts": pa.array([10**15, 2 * 10**15], pa.timestamp("us"))})
    early = OperationalAccumulator(timestamp="ts", now=datetime(2030, 1, 1))
    late = OperationalAccumulator(timestamp="ts", now=datetime(2031, 1, 1))
    early.update(t)
    assert early.config == late.config  # `now` is no part of the key of stored partials
    moved = late.load_state(early.to_state())
    rows = {r.metric: r for r in moved.finalize()}
    newest = 2 * 10**15 / 1e6
    expected = (datetime(2031, 1, 1) - datetime(1970, 1, 1)).total_seconds() - newest
    assert rows["freshness_seconds"].value == expected
    assert rows["freshness_seconds"].detail["now"] == "2031-01-01T00:00:00.000000Z"
    assert "now" not in rows["throughput_rows_per_hour"].detail  # deterministic across scans


def test_freshness_without_a_reference_time_is_not_guessed() -> None:
    acc = OperationalAccumulator(timestamp="ts")
    acc.update(pa.table({"ts": pa.array([10**15], pa.timestamp("us"))}))
    (fresh,) = [r for r in acc.finalize() if r.metric == "freshness_seconds"]
    assert fresh.value is None and fresh.status == "insufficient_data"
    assert "reference time" in (fresh.reason or "")


def test_packed_counts_round_trip_and_check_the_shape() -> None:
    counts = np.array([[0, 1], [2**62, 3], [7, 0]], dtype=np.int64)
    text = packed_counts(counts)
    back = unpacked_counts(text, (3, 2))
    assert back.dtype == np.int64 and back.flags.writeable
    assert np.array_equal(back, counts)
    with pytest.raises(ValueError, match="expected shape"):
        unpacked_counts(text, (4, 2))


@pytest.mark.parametrize(
    ("counts", "layout"),
    [
        (np.zeros((65_536, 2), dtype=np.int64), "s"),  # an empty histogram
        (np.eye(7, 2, dtype=np.int64) * 300, "s"),  # few cells, values past one byte
        (np.random.default_rng(0).poisson(7, (65_536, 2)), "d1"),  # a full 1M-row file
        (np.random.default_rng(1).poisson(3000, (1_000, 2)), "d2"),
        (np.array([[2**62, 1], [0, 2**40]], dtype=np.int64), "d8"),
    ],
    ids=["empty", "sparse-wide", "dense-byte", "dense-short", "huge"],
)
def test_packed_counts_pick_the_compact_layout_and_round_trip(
    counts: np.ndarray, layout: str
) -> None:
    text = packed_counts(counts)
    assert text.startswith(layout)
    back = unpacked_counts(text, counts.shape)
    assert back.dtype == np.int64 and back.flags.writeable and back.flags.c_contiguous
    assert np.array_equal(back, counts)


def test_a_full_auc_histogram_packs_far_smaller_than_the_int64_layout() -> None:
    import base64
    import zlib

    # ~1M rows spread evenly over the bins: noisier than real scores (75 KB for a real 1M-row
    # file, benchmarks/README.md), so the bound here is looser.
    counts = np.random.default_rng(0).poisson(7.6, (65_536, 2))
    old = base64.b64encode(zlib.compress(counts.astype("<i8").tobytes(), 1))  # format 4
    assert len(packed_counts(counts)) < 0.6 * len(old)


def test_packed_counts_refuse_negative_counts_and_bad_text() -> None:
    with pytest.raises(ValueError, match="non-negative"):
        packed_counts(np.array([[-1, 0]]))
    with pytest.raises(ValueError, match="unknown count encoding"):
        unpacked_counts("q1:", (1, 2))


@pytest.mark.parametrize(
    "values",
    [
        np.array([]),
        np.array([0.0, -0.0, 5e-324, 1.0, np.inf, -np.inf, np.nan, -1e308]),
        np.sort(np.random.default_rng(2).random(50_000)),
    ],
    ids=["empty", "special", "sorted-scores"],
)
def test_packed_floats_round_trip_every_bit(values: np.ndarray) -> None:
    back = unpacked_floats(packed_floats(values))
    assert back.dtype == np.float64 and back.flags.writeable
    assert np.array_equal(back.view(np.uint64), values.astype(np.float64).view(np.uint64))
