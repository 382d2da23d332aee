"""A real database with every kind of evidence the report shows, built once per session.

- `m@1`: drift (numeric and categorical features, the score), fairness (group `d` below
  min_group_size, so withheld), performance against a validated baseline, latency and
  errors; three scans of different data (trend), a production gate decision.
- `quiet@1`: registered, never scanned.
- `thin@1`: scanned with fewer rows than min_rows: drift metrics are insufficient_data.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from govern.cards import parse_card
from govern.lifecycle import ModelRef
from govern.policy import load
from govern.runner.baseline import baseline
from govern.runner.check import check
from govern.runner.scan import scan
from govern.store import Store
from govern.store.lifecycle import add_approval
from govern.store.registry import upsert_card

from ..conftest import POLICIES

CARD = """name: {name}
version: "1"
owner: owner@example.com
risk_tier: 2
use_case: report test
regulatory_scope: [fairness]
validation:
  baseline: {{auc: 0.7, accuracy: 0.6}}
monitoring:
  features: [f0, f1, channel]
  prediction: score
  threshold: 0.5
  label: label
  protected: [group]
  min_group_size: 200
  min_rows: {min_rows}
  latency: latency_ms
  error_code: error_code
"""
SCANS = 3


@dataclass(frozen=True)
class Built:
    db: Path
    train: pa.Table
    current: list[pa.Table]  # one per scan of m@1, oldest first


def table(rng: np.random.Generator, n: int, shift: float = 0.0) -> pa.Table:
    group = rng.choice(["a", "b", "c", "d"], size=n, p=[0.45, 0.35, 0.19, 0.01])
    score = np.clip(rng.random(n) + shift * (group == "c"), 0, 1)
    label = (rng.random(n) < score).astype(np.int64)
    f0 = rng.normal(loc=shift, size=n)
    f0[rng.random(n) < 0.02] = np.nan
    return pa.table(
        {
            "f0": f0,
            "f1": rng.lognormal(size=n),
            "channel": rng.choice(["web", "app", "branch"], size=n, p=[0.5, 0.3, 0.2]),
            "score": score,
            "label": label,
            "group": group,
            "latency_ms": rng.gamma(2.0, 20.0 + 10 * shift, size=n),
            "error_code": pa.array(
                np.where(rng.random(n) < 0.02, "E500", None).tolist(), type=pa.string()
            ),
        }
    )


def build(root: Path) -> Built:
    rng = np.random.default_rng(16)
    db = root / "govern.duckdb"
    train = table(rng, 8_000)
    pq.write_table(train, root / "train.parquet")
    currents = []
    for i in range(SCANS):
        t = table(rng, 6_000, shift=-0.15 * i)
        pq.write_table(t, root / f"cur-{i}.parquet")
        currents.append(t)
    pq.write_table(table(rng, 30), root / "thin.parquet")
    with Store.open(db, create=True) as store, load(POLICIES) as prepared:
        for name, min_rows in (("m", 500), ("quiet", 500), ("thin", 500)):
            upsert_card(
                store, parse_card(CARD.format(name=name, min_rows=min_rows), f"{name}.yaml")
            )
        ref = ModelRef("m", "1")
        baseline(store, ref, data=[root / "train.parquet"])
        for i in range(SCANS):
            scan(store, ref, data=[root / f"cur-{i}.parquet"])
        add_approval(
            store,
            name="m",
            version="1",
            stage="production",
            role="model_risk_committee",
            by="mrc@example.com",
            note="approved with conditions",
            actor="test",
        )
        check(store, prepared, ref, "production")
        thin = ModelRef("thin", "1")
        baseline(store, thin, data=[root / "train.parquet"])
        scan(store, thin, data=[root / "thin.parquet"])
    return Built(db, train, currents)


@pytest.fixture(scope="session")
def built(tmp_path_factory: pytest.TempPathFactory) -> Built:
    return build(tmp_path_factory.mktemp("report"))
