"""Generated inference logs written to real parquet, and a split-and-merge scan helper."""

from __future__ import annotations

from collections.abc import Sequence
from functools import reduce
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from govern.results import MetricRow


def make_log(n: int, *, seed: int = 7, groups: Sequence[str] = ("A", "B", "C")) -> pa.Table:
    """Scores depend on the group (so disparities are not zero); labels 10% null."""
    rng = np.random.default_rng(seed)
    g = rng.choice(np.array(groups), n, p=None)
    shift = {k: 0.15 * i for i, k in enumerate(groups)}
    base = np.array([shift[x] for x in g])
    label = (rng.random(n) < 0.3 + base).astype(np.int64)
    score = np.clip(0.25 * label + 0.5 * rng.random(n) + 0.5 * base, 0.0, 1.0)
    label_arr = pa.array(label, mask=rng.random(n) < 0.1)
    region = rng.choice(np.array(["north", "south"]), n)
    return pa.table(
        {
            "score": score,
            "label": label_arr,
            "group": g,
            "region": region,
            "latency_ms": rng.lognormal(3.0, 0.8, n),
            "error_code": pa.array(
                rng.choice(np.array(["", "500", "429"]), n, p=[0.94, 0.04, 0.02])
            ),
            "ts": pa.array(
                1_780_000_000_000_000 + np.sort(rng.integers(0, 7_200_000_000, n)),
                pa.timestamp("us"),
            ),
        }
    )


def write(table: pa.Table, path: Path, *, row_group_size: int = 1000) -> Path:
    pq.write_table(table, path, row_group_size=row_group_size)
    return path


def scan_parts(path: Path, accumulator: Any, *, parts: int = 3) -> Any:
    """Read row group by row group, deal them round-robin to `parts` states, merge them."""
    pf = pq.ParquetFile(path)
    states = [accumulator.empty() for _ in range(parts)]
    for i in range(pf.num_row_groups):
        states[i % parts].update(pf.read_row_group(i, columns=list(accumulator.columns)))
    return reduce(lambda a, b: a.merge(b), states)


def rows_by(rows: list[MetricRow]) -> dict[tuple[str, str], MetricRow]:
    out = {(r.subject, r.metric): r for r in rows}
    assert len(out) == len(rows), "duplicate (subject, metric) rows"
    return out
