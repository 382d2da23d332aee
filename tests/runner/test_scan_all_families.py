"""One scan pass measures drift, fairness, performance and operational evidence together.

The card's `monitoring` mapping names the columns; the policy input's sections are checked
against scikit-learn and plain numpy on the same generated parquet.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from sklearn.metrics import f1_score, roc_auc_score

from govern.cards import parse_card
from govern.lifecycle import ModelRef
from govern.runner.baseline import baseline
from govern.runner.evidence_doc import evidence_document
from govern.runner.scan import scan
from govern.store import Store
from govern.store.registry import upsert_card

CARD = """name: m
version: "1"
owner: o@example.com
risk_tier: 2
use_case: test
monitoring:
  features: [f0, f1]
  prediction: score
  threshold: 0.5
  label: label
  protected: [group]
  min_group_size: 10
  latency: latency_ms
  error_code: error_code
"""


def _table(rng: np.random.Generator, n: int) -> pa.Table:
    group = rng.choice(["a", "b", "c"], size=n)
    score = rng.random(n)
    label = (rng.random(n) < score).astype(np.int64)
    return pa.table(
        {
            "f0": rng.normal(size=n),
            "f1": rng.normal(size=n),
            "score": score,
            "label": label,
            "group": group,
            "latency_ms": rng.gamma(2.0, 20.0, size=n),
            "error_code": pa.array(
                np.where(rng.random(n) < 0.03, "E500", None).tolist(), type=pa.string()
            ),
        }
    )


@pytest.fixture
def measured(tmp_path: Path) -> tuple[dict, pa.Table]:
    rng = np.random.default_rng(7)
    train, current = _table(rng, 5_000), _table(rng, 20_000)
    pq.write_table(train, tmp_path / "train.parquet")
    pq.write_table(current, tmp_path / "current.parquet", row_group_size=6_000)
    with Store.open(tmp_path / "g.duckdb", create=True) as store:
        upsert_card(store, parse_card(CARD, "m.yaml"))
        ref = ModelRef("m", "1")
        baseline(store, ref, data=[tmp_path / "train.parquet"])
        scan(store, ref, data=[tmp_path / "current.parquet"])
        doc = evidence_document(store, "m", "1")
    return doc, current


def test_every_family_is_in_the_policy_input(measured: tuple[dict, pa.Table]) -> None:
    doc, _ = measured
    assert set(doc) == {"drift", "fairness", "performance", "operational"}
    scan_ids = {doc[k]["scan_id"] for k in doc}
    assert len(scan_ids) == 1  # one pass, one provenance


def test_performance_matches_scikit_learn(measured: tuple[dict, pa.Table]) -> None:
    doc, t = measured
    y, s = t["label"].to_numpy(), t["score"].to_numpy()
    perf = doc["performance"]
    assert perf["auc"] == pytest.approx(roc_auc_score(y, s), abs=1e-12)
    assert perf["f1"] == pytest.approx(f1_score(y, s >= 0.5), abs=1e-12)


def test_selection_rates_match_numpy(measured: tuple[dict, pa.Table]) -> None:
    doc, t = measured
    (attr,) = doc["fairness"]["attributes"]
    groups = {g["group"]: g for g in attr["groups"]}
    g, s = t["group"].to_numpy(zero_copy_only=False), t["score"].to_numpy()
    for name in ("a", "b", "c"):
        expected = float(np.mean(s[g == name] >= 0.5))
        assert groups[name]["selection_rate"] == pytest.approx(expected, abs=1e-12)


def test_operational_error_rate_and_latency(measured: tuple[dict, pa.Table]) -> None:
    doc, t = measured
    ops = doc["operational"]
    errors = np.mean(np.array(t["error_code"].to_pylist(), dtype=object) != None)  # noqa: E711
    assert ops["error_rate"] == pytest.approx(float(errors), abs=1e-12)
    p99 = float(np.quantile(t["latency_ms"].to_numpy(), 0.99))
    assert ops["latency_p99"] == pytest.approx(p99, rel=0.01)


def test_the_fairness_pack_reads_the_scanned_groups(tmp_path: Path) -> None:
    """Through the real library: a disparity measured by the scan fires FAIR-AIR-01."""
    from govern.policy import load
    from govern.runner.check import build_input

    from ..conftest import POLICIES

    rng = np.random.default_rng(11)
    t = _table(rng, 6_000)
    score = t["score"].to_numpy().copy()
    score[t["group"].to_numpy(zero_copy_only=False) == "c"] *= 0.5  # group c selected less
    t = t.set_column(t.schema.get_field_index("score"), "score", pa.array(score))
    pq.write_table(t, tmp_path / "c.parquet")
    card = CARD + "regulatory_scope: [fairness]\n"
    with Store.open(tmp_path / "g.duckdb", create=True) as store:
        upsert_card(store, parse_card(card, "m.yaml"))
        ref = ModelRef("m", "1")
        baseline(store, ref, data=[tmp_path / "c.parquet"])
        scan(store, ref, data=[tmp_path / "c.parquet"])
        doc = build_input(store, "m", "1", "production")
    with load(POLICIES) as prepared:
        d = prepared.decide(doc, model="m", version="1", stage="production")
    air = [v for v in d.denials if v.control == "FAIR-AIR-01"]
    assert air and "group c: impact ratio" in air[0].msg
