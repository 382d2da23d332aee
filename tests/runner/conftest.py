"""A registered model with a timestamped reference and inference parquet files."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from govern.cli import main

CARD = """\
name: m
version: "1"
owner: a@example.com
risk_tier: 2
use_case: testing
monitoring:
  features: [x, z, c, flag]
  prediction: score
  timestamp: ts
  min_rows: 50
"""


def table(seed: int, n: int = 2_000, shift: float = 0.0, day: int = 1) -> pa.Table:
    rng = np.random.default_rng(seed)
    start = datetime(2026, 11, day)
    ts = [start + timedelta(seconds=int(s)) for s in np.sort(rng.integers(0, 86_400, n))]
    x = rng.normal(shift, 1, n)
    x[rng.random(n) < 0.01] = np.nan
    return pa.table(
        {
            "ts": pa.array(ts, type=pa.timestamp("us")),
            "x": pa.array(x, mask=rng.random(n) < 0.02),
            "z": pa.array(rng.exponential(2, n)),
            "c": pa.array(rng.choice(["a", "b", "c"], n).tolist()),
            "flag": pa.array(rng.random(n) < 0.3),
            "score": pa.array(rng.random(n)),
        }
    )


@pytest.fixture
def model(tmp_path: Path) -> dict[str, Path]:
    db = tmp_path / "g.duckdb"
    card = tmp_path / "m.yaml"
    card.write_text(CARD)
    ref = tmp_path / "train.parquet"
    pq.write_table(table(1, 5_000), ref)
    logs = tmp_path / "logs"
    for day in (1, 2, 3):
        part = logs / f"dt=2026-11-0{day}"
        part.mkdir(parents=True)
        pq.write_table(
            table(10 + day, shift=0.1 * day, day=day), part / "part-0.parquet", row_group_size=700
        )
    assert main(["--db", str(db), "init"]) == 0
    assert main(["--db", str(db), "register", str(card)]) == 0
    assert main(["--db", str(db), "baseline", "m@1", "--data", str(ref)]) == 0
    return {"db": db, "ref": ref, "logs": logs, "tmp": tmp_path}


def registered(tmp_path: Path, cards: dict[str, str]) -> str:
    """A new database at tmp_path/g.duckdb with `cards` (file stem -> YAML) registered."""
    path = str(tmp_path / "g.duckdb")
    files = []
    for stem, text in cards.items():
        card = tmp_path / f"{stem}.yaml"
        card.write_text(text)
        files.append(str(card))
    assert main(["--db", path, "init"]) == 0
    assert main(["--db", path, "register", *files]) == 0
    return path
