"""Types that real writers produce (issue 13, item 3), through baseline and scan on parquet.

string / large_string / dictionary are one logical type; integer and float columns of any
width are numbers binned by their float64 value. A scan of the same values written with
another type of the same family stores exactly the evidence of the reference's own type.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from govern.cards import parse_card
from govern.errors import MetricInputError
from govern.lifecycle import ModelRef
from govern.runner.baseline import baseline
from govern.runner.scan import scan
from govern.store import Store
from govern.store.registry import upsert_card

CARD = """name: m
version: "1"
owner: o@example.com
risk_tier: 2
use_case: test
monitoring:
  features: [x]
  min_rows: 10
"""
N = 5_000


def _evidence(tmp_path: Path, train: pa.Array, current: pa.Array) -> dict:
    tmp_path.mkdir(parents=True, exist_ok=True)
    pq.write_table(pa.table({"x": train}), tmp_path / "train.parquet")
    pq.write_table(pa.table({"x": current}), tmp_path / "cur.parquet")
    with Store.open(tmp_path / "g.duckdb", create=True) as store:
        upsert_card(store, parse_card(CARD, "m.yaml"))
        baseline(store, ModelRef("m", "1"), data=[tmp_path / "train.parquet"])
        result = scan(store, ModelRef("m", "1"), data=[tmp_path / "cur.parquet"])
    return {(m.metric, m.status): (m.value, m.detail.get("bins")) for m in result.metrics}


TEXT = [pa.string(), pa.large_string(), pa.dictionary(pa.int32(), pa.string())]


@pytest.mark.parametrize("ref_type", TEXT, ids=str)
@pytest.mark.parametrize("cur_type", TEXT, ids=str)
def test_string_forms_are_one_type(
    tmp_path: Path, ref_type: pa.DataType, cur_type: pa.DataType
) -> None:
    rng = np.random.default_rng(1)
    ref = rng.choice(["a", "b", "c"], N, p=[0.5, 0.3, 0.2]).tolist()
    cur = rng.choice(["a", "b", "c", "d"], N, p=[0.3, 0.3, 0.2, 0.2]).tolist()
    expected = _evidence(tmp_path / "plain", pa.array(ref), pa.array(cur))
    got = _evidence(tmp_path / "typed", pa.array(ref).cast(ref_type), pa.array(cur).cast(cur_type))
    assert got == expected


NUMBERS = [pa.int8(), pa.int32(), pa.int64(), pa.uint8(), pa.uint64(), pa.float32(), pa.float64()]


@pytest.mark.parametrize("ref_type", [pa.int64(), pa.float64(), pa.float32()], ids=str)
@pytest.mark.parametrize("cur_type", NUMBERS, ids=str)
def test_numbers_of_any_width_are_binned_by_their_value(
    tmp_path: Path, ref_type: pa.DataType, cur_type: pa.DataType
) -> None:
    """Small integers are exact in every type: same values, same evidence, whatever type."""
    rng = np.random.default_rng(2)
    ref = rng.integers(0, 100, N)
    cur = rng.integers(10, 110, N)
    expected = _evidence(tmp_path / "f64", pa.array(ref, pa.float64()), pa.array(cur, pa.float64()))
    got = _evidence(tmp_path / "typed", pa.array(ref).cast(ref_type), pa.array(cur).cast(cur_type))
    assert got == expected


def test_fractional_values_against_an_integer_reference_keep_their_value(tmp_path: Path) -> None:
    """A unit change (hours * 1.5) is drift to report, not a cast that moves values."""
    hours = np.random.default_rng(3).integers(0, 40, N)
    ev = _evidence(tmp_path, pa.array(hours, pa.int64()), pa.array(hours * 1.5, pa.float64()))
    psi, _ = ev[("psi", "ok")]
    assert psi is not None and psi > 0.25


def test_integers_beyond_2_53_are_counted_not_refused(tmp_path: Path) -> None:
    big = np.arange(N, dtype=np.int64) + 2**60
    ev = _evidence(tmp_path, pa.array(big), pa.array(big[::-1].copy()))
    assert ev[("psi", "ok")][0] == pytest.approx(0.0, abs=1e-12)


@pytest.mark.parametrize(
    ("ref", "cur"),
    [
        (pa.array(["1", "2"] * 50), pa.array([1.0, 2.0] * 50)),
        (pa.array([1.0, 2.0] * 50), pa.array(["1", "2"] * 50)),
        (pa.array([True, False] * 50), pa.array([1, 0] * 50)),
    ],
    ids=["text-vs-number", "number-vs-text", "bool-vs-int"],
)
def test_other_families_are_refused_with_what_to_do(
    tmp_path: Path, ref: pa.Array, cur: pa.Array
) -> None:
    with pytest.raises(MetricInputError) as err:
        _evidence(tmp_path, ref, cur)
    msg = str(err.value)
    assert "cur.parquet" in msg and "govern does not cast implicitly" in msg
    assert "re-run `govern baseline`" in msg
