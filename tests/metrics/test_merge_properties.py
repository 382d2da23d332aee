"""Merge associativity of the accumulators: any merge tree over the same batches agrees."""

from __future__ import annotations

from typing import Any

import numpy as np
import pyarrow as pa
from hypothesis import given, settings
from hypothesis import strategies as st

from govern.metrics import FairnessAccumulator, OperationalAccumulator, PerformanceAccumulator


@st.composite
def batches(draw: st.DrawFn) -> pa.Table:
    n = draw(st.integers(min_value=0, max_value=60))
    scores = draw(
        st.lists(
            st.sampled_from([0.0, 0.1, 0.5, 0.9, 1.0, float("nan")]) | st.floats(0, 1),
            min_size=n,
            max_size=n,
        )
    )
    labels = draw(st.lists(st.sampled_from([0, 1, None]), min_size=n, max_size=n))
    groups = draw(st.lists(st.sampled_from(["a", "b", "c", None]), min_size=n, max_size=n))
    lat = draw(st.lists(st.floats(0, 1e4), min_size=n, max_size=n))
    codes = draw(st.lists(st.sampled_from([None, "500", "429"]), min_size=n, max_size=n))
    return pa.table(
        {
            "score": pa.array(scores, pa.float64()),
            "label": pa.array(labels, pa.int64()),
            "group": pa.array(groups, pa.string()),
            "lat": pa.array(lat, pa.float64()),
            "err": pa.array(codes, pa.string()),
            "ts": pa.array(np.arange(n) * 10**6, pa.timestamp("us")),
        }
    )


PROTOS: list[Any] = [
    FairnessAccumulator(("group",), prediction="score", label="label", min_group_size=2),
    PerformanceAccumulator(prediction="score", label="label"),
    OperationalAccumulator(
        latency="lat",
        error_code="err",
        timestamp="ts",
        now=__import__("datetime").datetime(2030, 1, 1),
    ),
]


def _fed(proto: Any, batch: pa.Table) -> Any:
    a = proto.empty()
    a.update(batch)
    return a


@settings(max_examples=60, deadline=None)
@given(batches(), batches(), batches())
def test_merge_associative(b1: pa.Table, b2: pa.Table, b3: pa.Table) -> None:
    for proto in PROTOS:
        x, y, z = (_fed(proto, b) for b in (b1, b2, b3))
        left = x.merge(y).merge(z).finalize()
        right = x.merge(y.merge(z)).finalize()
        swapped = z.merge(x).merge(y).finalize()
        assert left == right
        assert sorted(map(repr, left)) == sorted(map(repr, swapped))
