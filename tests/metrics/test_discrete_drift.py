"""Drift of discrete, tied, zero-inflated and constant features (issue 13, item 1).

Decile edges collapse on tied values: a feature that is 92% zeros got nine edges at 0, every
value landed in one bin and PSI read 0.0 whatever happened. Each shape below is checked with
and without a planted shift, end to end (parquet -> baseline -> scan -> policy input -> the
shipped policy library), and PSI is recomputed by plain numpy over the same stored edges.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from govern.cards import parse_card
from govern.lifecycle import ModelRef
from govern.metrics._binning import tie_aware_edges
from govern.metrics._profile import ProfileSet, StaleProfileError, numeric_profile
from govern.policy import load
from govern.runner.baseline import baseline
from govern.runner.check import build_input
from govern.runner.scan import scan
from govern.store import Store
from govern.store.registry import upsert_card

from ..conftest import POLICIES

N = 20_000
CARD = """name: m
version: "1"
owner: o@example.com
risk_tier: 2
use_case: test
monitoring:
  features: [x]
  min_rows: 100
"""


def zero_inflated(rng: np.random.Generator, shifted: bool) -> np.ndarray:
    nonzero = rng.random(N) < (0.35 if shifted else 0.08)
    return np.where(nonzero, rng.exponential(50.0, N), 0.0)


def heavily_tied(rng: np.random.Generator, shifted: bool) -> np.ndarray:
    return np.round(rng.exponential(3.5 if shifted else 2.0, N))  # counts: 0, 1, 2, ...


def two_valued(rng: np.random.Generator, shifted: bool) -> np.ndarray:
    return (rng.random(N) < (0.35 if shifted else 0.10)).astype(np.float64)


def rating(rng: np.random.Generator, shifted: bool) -> np.ndarray:
    p = [0.05, 0.1, 0.2, 0.4, 0.25] if not shifted else [0.25, 0.25, 0.2, 0.2, 0.1]
    return rng.choice([1.0, 2.0, 3.0, 4.0, 5.0], N, p=p)


SHAPES: dict[str, Callable[[np.random.Generator, bool], np.ndarray]] = {
    "zero_inflated": zero_inflated,
    "heavily_tied": heavily_tied,
    "two_valued": two_valued,
    "rating": rating,
}
RULES = {
    "zero_inflated": "point_mass",
    "heavily_tied": "point_mass",
    "two_valued": "distinct",
    "rating": "distinct",
}


def numpy_psi(edges: np.ndarray, ref: np.ndarray, cur: np.ndarray, eps: float = 1e-6) -> float:
    """PSI over left-closed bins [e_k, e_k+1), computed from the raw values."""
    k = edges.size + 1
    e = np.bincount(np.searchsorted(edges, ref, side="right"), minlength=k) / ref.size
    a = np.bincount(np.searchsorted(edges, cur, side="right"), minlength=k) / cur.size
    e, a = np.maximum(e, eps), np.maximum(a, eps)
    return float(np.sum((a - e) * np.log(a / e)))


def _run(tmp_path: Path, ref: np.ndarray, cur: np.ndarray) -> tuple[dict, ProfileSet, object]:
    pq.write_table(pa.table({"x": ref}), tmp_path / "train.parquet")
    pq.write_table(pa.table({"x": cur}), tmp_path / "cur.parquet")
    with Store.open(tmp_path / "g.duckdb", create=True) as store:
        upsert_card(store, parse_card(CARD, "m.yaml"))
        profiles = baseline(store, ModelRef("m", "1"), data=[tmp_path / "train.parquet"]).profiles
        scan(store, ModelRef("m", "1"), data=[tmp_path / "cur.parquet"])
        doc = build_input(store, "m", "1", "production")
    with load(POLICIES) as prepared:
        decision = prepared.decide(doc, model="m", version="1", stage="production")
    return doc, profiles, decision


def _csi(decision: object) -> list[str]:
    found = [*decision.denials, *decision.warnings]  # type: ignore[attr-defined]
    return [v.msg for v in found if v.control == "MON-CSI-01"]


@pytest.mark.parametrize("shape", sorted(SHAPES))
@pytest.mark.parametrize("shifted", [False, True], ids=["same", "shifted"])
def test_discrete_features_see_a_planted_shift(tmp_path: Path, shape: str, shifted: bool) -> None:
    rng = np.random.default_rng(13)
    ref, cur = SHAPES[shape](rng, False), SHAPES[shape](rng, shifted)
    doc, profiles, decision = _run(tmp_path, ref, cur)
    p = profiles.get("x")
    assert p.rule == RULES[shape]  # type: ignore[union-attr]
    edges = p.bins.psi_edges  # type: ignore[union-attr]
    (f,) = doc["evidence"]["drift"]["features"]
    assert f["status"] == "ok", f["reasons"]
    assert f["psi"] == pytest.approx(numpy_psi(edges, ref, cur), rel=1e-12, abs=1e-15)
    csi = _csi(decision)
    assert not [m for m in csi if "could not be measured" in m]  # measurable: never "unmeasured"
    if shifted:
        assert f["psi"] >= 0.25
        assert f["p_value"] < 1e-6
        assert any("significant shift" in m for m in csi)
    else:
        assert f["psi"] < 0.01
        assert not csi


@pytest.mark.parametrize("shifted", [False, True], ids=["same", "shifted"])
def test_constant_reference_is_invalid_not_psi_zero(tmp_path: Path, shifted: bool) -> None:
    rng = np.random.default_rng(5)
    ref = np.full(N, 3.0)
    cur = np.where(rng.random(N) < (0.3 if shifted else 0.0), 4.0, 3.0)
    doc, profiles, decision = _run(tmp_path, ref, cur)
    assert profiles.get("x").rule == "constant"  # type: ignore[union-attr]
    (f,) = doc["evidence"]["drift"]["features"]
    assert f["status"] == "invalid"
    assert f["psi"] is None and f["chi2"] is None and f["p_value"] is None
    assert f["reasons"] == [
        "the reference's valid values all fall in one bin (the column is constant at 3.0), so "
        "PSI and chi-square have nothing to compare; re-baseline on data where the column "
        "varies, or stop monitoring it"
    ]
    # What does not need two bins is still measured: the share of values other than 3.0.
    assert f["out_of_range_rate"] == pytest.approx(float(np.mean(cur != 3.0)), abs=1e-15)
    (msg,) = _csi(decision)
    assert msg.startswith("feature x: drift could not be measured (the reference's valid values")


def test_single_category_reference_is_invalid(tmp_path: Path) -> None:
    ref = pa.table({"x": ["a"] * 500})
    cur = pa.table({"x": ["a"] * 300 + ["b"] * 200})
    pq.write_table(ref, tmp_path / "train.parquet")
    pq.write_table(cur, tmp_path / "cur.parquet")
    with Store.open(tmp_path / "g.duckdb", create=True) as store:
        upsert_card(store, parse_card(CARD, "m.yaml"))
        baseline(store, ModelRef("m", "1"), data=[tmp_path / "train.parquet"])
        scan(store, ModelRef("m", "1"), data=[tmp_path / "cur.parquet"])
        (f,) = build_input(store, "m", "1", "production")["evidence"]["drift"]["features"]
    assert f["status"] == "invalid" and f["psi"] is None
    assert "the only category is 'a'" in f["reasons"][0]
    assert f["unseen_rate"] == pytest.approx(0.4)


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.integers(-5, 40), min_size=1, max_size=400),
    st.lists(st.floats(-100, 100, allow_nan=False), max_size=200),
    st.integers(2, 20),
)
def test_every_point_mass_has_its_own_bin_and_every_bin_reference_mass(
    ints: list[int], floats: list[float], n_bins: int
) -> None:
    """The rules hold on any reference: masses alone in a bin, no empty reference bin.

    (The quantile rule keeps numpy's interpolated edges for continuous data; on a tiny,
    tied sample one of its bins can hold no reference value, as before.)
    """
    ref = np.asarray(ints + floats, dtype=np.float64)
    edges, rule = tie_aware_edges(ref, n_bins)
    values, counts = np.unique(ref, return_counts=True)
    assert np.all(edges[1:] > edges[:-1]) and np.all(edges > values[0])
    which = np.searchsorted(edges, values, side="right")  # bin of each distinct value
    per_bin = np.bincount(which, weights=counts, minlength=edges.size + 1)
    if rule == "constant":
        assert values.size == 1 and edges.size == 0
        return
    if rule in ("distinct", "point_mass"):  # every bin holds reference values
        assert np.all(per_bin > 0), (rule, edges)
    if rule == "distinct":
        assert values.size <= n_bins and np.unique(which).size == values.size
    for v_bin, c in zip(which, counts, strict=True):
        if c * n_bins >= ref.size:  # a point mass shares its bin with no other value
            assert per_bin[v_bin] == c, (rule, edges)


def test_quantile_rule_keeps_the_decile_edges_of_continuous_data() -> None:
    x = np.random.default_rng(3).normal(size=10_001)
    edges, rule = tie_aware_edges(x)
    assert rule == "quantile"
    assert edges.tolist() == np.quantile(x, np.linspace(0.0, 1.0, 11)[1:-1]).tolist()


def _legacy_doc(edges: list[float]) -> dict:
    profile, _ = numeric_profile("x", "double", np.arange(10.0))
    doc = ProfileSet((profile,)).to_dict()
    del doc["format"], doc["columns"][0]["rule"]
    doc["columns"][0]["psi_edges"] = edges
    doc["columns"][0]["counts"] = [0] * (len(set(edges)) + 3)
    return doc


def test_old_profile_with_collapsed_edges_is_refused_with_what_to_do(tmp_path: Path) -> None:
    with pytest.raises(StaleProfileError, match=r"column\(s\) x.*re-run `govern baseline`"):
        ProfileSet.from_dict(_legacy_doc([0.0] * 9))


def test_old_profile_with_distinct_edges_still_loads() -> None:
    loaded = ProfileSet.from_dict(_legacy_doc([1.0, 2.0, 3.0]))
    assert loaded.get("x").rule == "legacy"  # type: ignore[union-attr]
