"""The drift accumulator: merge laws, row accounting, statuses, and PSI against numpy."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from govern._native import hist_f64
from govern.metrics._drift import DriftAccumulator
from govern.metrics._profile import CategoricalProfile, ProfileSet, numeric_profile

REF_X = np.random.default_rng(1).normal(size=5_000)


def _profiles(min_rows: int = 10) -> ProfileSet:
    x, _ = numeric_profile("x", "double", REF_X)
    hist_f64(pa.array(REF_X), x.fine_edges, into=x.reference)
    cat = CategoricalProfile("c", "string", ("a", "b", "c"), np.asarray([50, 30, 20]), 5)
    y, _ = numeric_profile("y", "double", REF_X * 2)
    hist_f64(pa.array(REF_X * 2), y.fine_edges, into=y.reference)
    return ProfileSet((x, cat, y), output="y", min_rows=min_rows)


def _batch(rng: np.random.Generator, n: int) -> pa.Table:
    x = rng.normal(0.3, 1, n)
    x[rng.random(n) < 0.05] = np.nan
    x[rng.random(n) < 0.01] = np.inf
    cats = rng.choice(["a", "b", "c", "zz", None], n, p=[0.4, 0.3, 0.2, 0.05, 0.05])
    return pa.table(
        {
            "x": pa.array(x, mask=rng.random(n) < 0.03),
            "c": pa.array(cats.tolist(), type=pa.string()),
            "y": pa.array(rng.normal(size=n)),
        }
    )


def _state(acc: DriftAccumulator) -> dict:
    return acc.to_state()


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(0, 400), min_size=3, max_size=3), st.integers(0, 2**32 - 1))
def test_merge_is_associative_and_commutative(sizes: list[int], seed: int) -> None:
    rng = np.random.default_rng(seed)
    base = DriftAccumulator(_profiles())
    parts = []
    for n in sizes:
        acc = base.empty()
        acc.update(_batch(rng, n))
        parts.append(acc)
    a, b, c = parts
    left = a.merge(b).merge(c)
    right = a.merge(b.merge(c))
    swapped = c.merge(a).merge(b)
    assert _state(left) == _state(right) == _state(swapped)
    assert _state(a.merge(base.empty())) == _state(a)  # empty is the identity


def test_split_scan_equals_one_scan() -> None:
    rng = np.random.default_rng(3)
    t = _batch(rng, 3_000)
    one = DriftAccumulator(_profiles())
    one.update(t)
    split = one.empty()
    for off in range(0, 3_000, 700):
        part = one.empty()
        part.update(t.slice(off, 700))
        split = split.merge(part)
    assert _state(one) == _state(split)
    assert [(m.subject, m.metric, m.value) for m in one.finalize()] == [
        (m.subject, m.metric, m.value) for m in split.finalize()
    ]


def _numpy_psi(ref: np.ndarray, cur: np.ndarray, edges: np.ndarray) -> float:
    e = np.bincount(np.digitize(ref, edges), minlength=edges.size + 1) / ref.size
    a = np.bincount(np.digitize(cur, edges), minlength=edges.size + 1) / cur.size
    e, a = np.maximum(e, 1e-6), np.maximum(a, 1e-6)
    return float(np.sum((a - e) * np.log(a / e)))


def test_numeric_metrics_match_an_independent_numpy_computation() -> None:
    rng = np.random.default_rng(5)
    t = _batch(rng, 20_000)
    acc = DriftAccumulator(_profiles())
    acc.update(t)
    rows = {(m.subject, m.metric): m for m in acc.finalize()}
    x = t.column("x").to_numpy(zero_copy_only=False)
    valid = ~np.asarray(t.column("x").is_null())
    finite = x[valid & np.isfinite(x)]
    deciles = np.quantile(REF_X, np.linspace(0.1, 0.9, 9))
    assert rows["x", "psi"].value == pytest.approx(_numpy_psi(REF_X, finite, deciles), abs=1e-12)
    assert rows["x", "missing_rate"].value == pytest.approx(
        ((~valid).sum() + np.isnan(x[valid]).sum()) / len(x)
    )
    assert rows["x", "inf_rate"].value == pytest.approx(np.isinf(x[valid]).sum() / len(x))
    oor = ((finite < REF_X.min()) | (finite > REF_X.max())).sum() / finite.size
    assert rows["x", "out_of_range_rate"].value == pytest.approx(oor)
    assert rows["y", "psi"].detail["role"] == "output"
    d = rows["x", "psi"].detail
    assert d["valid"] + d["nulls"] + d["nans"] + d["posinf"] + d["neginf"] == d["rows"] == len(x)


def test_categorical_metrics_match_counts() -> None:
    rng = np.random.default_rng(9)
    t = _batch(rng, 10_000)
    acc = DriftAccumulator(_profiles())
    acc.update(t)
    rows = {(m.subject, m.metric): m for m in acc.finalize()}
    values = t.column("c").to_pylist()
    n = len(values)
    nulls = values.count(None)
    unseen = sum(v == "zz" for v in values)
    assert rows["c", "missing_rate"].value == pytest.approx(nulls / n)
    assert rows["c", "unseen_rate"].value == pytest.approx(unseen / (n - nulls))
    assert rows["c", "missing_rate_change"].value == pytest.approx(nulls / n - 5 / 105)
    ref = np.asarray([50, 30, 20, 0]) / 100
    cur = np.asarray([values.count(k) for k in ("a", "b", "c")] + [unseen]) / (n - nulls)
    ref, cur = np.maximum(ref, 1e-6), np.maximum(cur, 1e-6)
    assert rows["c", "psi"].value == pytest.approx(float(np.sum((cur - ref) * np.log(cur / ref))))
    assert rows["c", "psi"].detail["unseen_examples"] == ["zz"]


def test_dictionary_and_plain_strings_count_the_same() -> None:
    values = ["a", "b", None, "q", "a", "c"] * 50
    plain = DriftAccumulator(_profiles())
    enc = plain.empty()
    other = {"x": pa.array(np.zeros(len(values))), "y": pa.array(np.zeros(len(values)))}
    plain.update(pa.table({**other, "c": pa.array(values)}))
    enc.update(pa.table({**other, "c": pa.array(values).dictionary_encode()}))
    assert _state(plain) == _state(enc)


def test_boolean_column_counts_as_categories() -> None:
    p = CategoricalProfile("b", "bool", (False, True), np.asarray([60, 40]), 0)
    acc = DriftAccumulator(ProfileSet((p,), min_rows=1))
    acc.update(pa.table({"b": pa.array([True, True, False, None])}))
    s = acc.states["b"]
    assert s.counts.tolist() == [1, 2, 0] and s.nulls == 1


@pytest.mark.parametrize(
    ("values", "status", "reason"),
    [
        ([], "insufficient_data", "no rows in the current data"),
        ([None, None, None], "insufficient_data", "no valid values in the current data"),
        ([np.nan] * 4, "insufficient_data", "no valid values in the current data"),
        ([0.1, 0.2], "insufficient_data", "2 valid values, fewer than the minimum of 10"),
    ],
)
def test_metrics_that_cannot_be_computed_carry_a_status(
    values: list[float | None], status: str, reason: str
) -> None:
    p = _profiles().get("x")
    acc = DriftAccumulator(ProfileSet((p,), min_rows=10))
    acc.update(pa.table({"x": pa.array(values, type=pa.float64())}))
    rows = {m.metric: m for m in acc.finalize()}
    for metric in ("psi", "chi2", "p_value", "out_of_range_rate"):
        assert rows[metric].value is None
        assert (rows[metric].status, rows[metric].reason) == (status, reason)


def test_reference_without_finite_values_is_invalid() -> None:
    p, _ = numeric_profile("x", "double", np.empty(0))
    acc = DriftAccumulator(ProfileSet((p,), min_rows=1))
    acc.update(pa.table({"x": pa.array([1.0, 2.0])}))
    rows = {m.metric: m for m in acc.finalize()}
    assert rows["psi"].status == "invalid" and rows["psi"].value is None
    assert rows["missing_rate"].value == 0.0


def test_state_round_trip() -> None:
    acc = DriftAccumulator(_profiles())
    acc.update(_batch(np.random.default_rng(2), 500))
    again = acc.load_state(acc.to_state())
    assert _state(again) == _state(acc)
    restored = ProfileSet.from_dict(_profiles().to_dict())
    assert restored.digest == _profiles().digest
