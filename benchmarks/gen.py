"""Seeded generator of drift benchmark data (run by hand; see benchmarks/README.md).

N rows x (ts, f0..f9 float64, c0/c1/c2 strings, score, label int8, group, latency_ms),
one row group per 1M-row chunk, zstd. Every chunk comes from
`np.random.default_rng([SEED, kind, chunk])`, so the output is bit-identical across runs.

f1/f4/f7 ~2% nulls; f3 ~0.5% NaN and f5 a few +-inf (the NaN/inf policy is exercised);
f6 rounded to 2 decimals and f9 Poisson (values on edges, duplicate deciles);
current: f2 +5, f4 +0.2 sd, f8 +0.5 sd, c1 re-weighted, c2 1% nulls + a new category.

    python benchmarks/gen.py --out benchmarks/data --rows 1M --kind baseline
    python benchmarks/gen.py --out benchmarks/data --rows 10M --kind current
    python benchmarks/gen.py --out benchmarks/data --rows 10M --kind current --split 10
"""

from __future__ import annotations

import argparse
from datetime import datetime
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

SEED = 20261123
CHUNK = 1_000_000
KINDS = {"baseline": 0, "current": 1}
CATS = {"c0": 5, "c1": 20, "c2": 50}
T0 = np.datetime64(datetime(2026, 11, 1), "us")
# The model card of the generated columns: drift only, and the extra monitoring families.
CARD = """\
name: bench
version: "1"
owner: bench@example.com
risk_tier: 2
use_case: benchmark
monitoring:
  features: [f0, f1, f2, f3, f4, f5, f6, f7, f8, f9, c0, c1, c2]
  prediction: score
"""
FAMILIES = """  label: label
  protected: [group]
  latency: latency_ms
  timestamp: ts
"""


def parse_rows(text: str) -> int:
    t = text.upper()
    mult = {"K": 1_000, "M": 1_000_000}
    return int(float(t[:-1]) * mult[t[-1]]) if t[-1] in mult else int(t)


def chunk(kind: str, k: int, n: int) -> pa.Table:
    cur = kind == "current"
    rng = np.random.default_rng([SEED, KINDS[kind], k])
    cols: dict[str, pa.Array] = {}
    start = T0 + np.timedelta64(k * CHUNK, "s")
    cols["ts"] = pa.array(start + np.arange(n).astype("timedelta64[s]"), type=pa.timestamp("us"))
    for i in range(10):
        if i == 2:
            v = rng.uniform(0, 100, n) + (5.0 if cur else 0.0)
        elif i == 6:
            v = np.round(rng.normal(0, 1, n), 2)
        elif i == 9:
            v = rng.poisson(3, n).astype(np.float64)
        else:
            v = rng.normal(0, 1, n)
            if cur and i == 4:
                v += 0.2
            if cur and i == 8:
                v += 0.5
        if i == 3:
            v[rng.random(n) < 0.005] = np.nan
        if i == 5:
            v[rng.random(n) < 1e-4] = np.inf
            v[rng.random(n) < 1e-4] = -np.inf
        mask = rng.random(n) < 0.02 if i in (1, 4, 7) else None
        cols[f"f{i}"] = pa.array(v, mask=mask, type=pa.float64())
    for c, m in CATS.items():
        w = np.ones(m)
        if cur and c == "c1":
            w = np.linspace(1, 3, m)
        w = w / w.sum()
        idx = rng.choice(m, size=n, p=w).astype(np.int32)
        names = [f"{c}_{j}" for j in range(m)]
        mask = None
        if cur and c == "c2":
            idx[rng.random(n) < 0.005] = m
            names.append("c2_new")
            mask = rng.random(n) < 0.01
        arr = pa.DictionaryArray.from_arrays(pa.array(idx, mask=mask), pa.array(names))
        cols[c] = arr.cast(pa.string())
    cols["score"] = pa.array(rng.beta(2, 5, n))
    cols["label"] = pa.array(rng.integers(0, 2, n).astype(np.int8))
    cols["group"] = pa.array(rng.choice(["a", "b", "c", "d"], n))
    cols["latency_ms"] = pa.array(rng.gamma(2.0, 10.0, n))
    return pa.table(cols)


def write(out: Path, kind: str, rows: int, split: int) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    chunks = (rows + CHUNK - 1) // CHUNK
    label = f"{rows // 1_000_000}M" if rows >= 1_000_000 else str(rows)
    paths = []
    per_file = max(1, chunks // split)
    for f in range(split):
        name = f"{kind}-{label}.parquet" if split == 1 else f"{kind}-{label}-part{f:02d}.parquet"
        target = out / (f"{kind}-{label}-split" if split > 1 else "") / name
        target.parent.mkdir(parents=True, exist_ok=True)
        ks = range(f * per_file, chunks if f == split - 1 else (f + 1) * per_file)
        writer = None
        for k in ks:
            n = min(CHUNK, rows - k * CHUNK)
            t = chunk(kind, k, n)
            if writer is None:
                writer = pq.ParquetWriter(target, t.schema, compression="zstd")
            writer.write_table(t, row_group_size=CHUNK)
        assert writer is not None
        writer.close()
        paths.append(target)
    return paths


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=Path("benchmarks/data"))
    ap.add_argument("--rows", default="1M")
    ap.add_argument("--kind", choices=sorted(KINDS), default="current")
    ap.add_argument("--split", type=int, default=1, help="write N files instead of one")
    a = ap.parse_args()
    for p in write(a.out, a.kind, parse_rows(a.rows), a.split):
        print(p)


if __name__ == "__main__":
    main()
