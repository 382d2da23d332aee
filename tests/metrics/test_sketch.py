from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from govern.metrics import ExactSum, QuantileSketch

ALPHA = QuantileSketch().relative_accuracy
SLACK = 1e-12  # float rounding of log/pow at bucket boundaries

values = st.lists(
    st.floats(min_value=1e-6, max_value=1e12, allow_nan=False, allow_infinity=False) | st.just(0.0),
    min_size=1,
    max_size=300,
)


def _sketch(v: list[float]) -> QuantileSketch:
    s = QuantileSketch()
    s.add(np.array(v, dtype=np.float64))
    return s


@settings(max_examples=200, deadline=None)
@given(values, st.floats(min_value=0.0, max_value=1.0))
def test_relative_error_bound(v: list[float], q: float) -> None:
    est = _sketch(v).quantile(q)
    exact = float(np.quantile(np.array(v), q, method="lower"))
    assert est is not None
    if exact == 0.0:
        assert est == 0.0
    else:
        assert abs(est - exact) <= (ALPHA + SLACK) * exact


@settings(max_examples=100, deadline=None)
@given(values, values, values)
def test_sketch_merge_associative_and_commutative(
    a: list[float], b: list[float], c: list[float]
) -> None:
    sa, sb, sc = _sketch(a), _sketch(b), _sketch(c)
    left, right = sa.merge(sb).merge(sc), sa.merge(sb.merge(sc))
    assert np.array_equal(left.counts, right.counts) and left.zeros == right.zeros
    assert np.array_equal(sa.merge(sb).counts, sb.merge(sa).counts)
    whole = _sketch(a + b + c)
    assert np.array_equal(whole.counts, left.counts) and whole.zeros == left.zeros


@settings(max_examples=200, deadline=None)
@given(st.lists(st.floats(min_value=-1e300, max_value=1e300, allow_nan=False), max_size=50))
def test_exact_sum_is_exact_and_order_free(xs: list[float]) -> None:
    from fractions import Fraction

    fwd, rev = ExactSum(), ExactSum()
    for x in xs:
        fwd.add(x)
    for x in reversed(xs):
        rev.add(x)
    assert fwd == rev
    assert fwd.value == float(sum((Fraction(x) for x in xs), Fraction(0)))


def test_empty_sketch_and_big_values() -> None:
    s = QuantileSketch()
    assert s.quantile(0.5) is None
    s.add(np.array([5e12]))
    assert s.clamped_high == 1
