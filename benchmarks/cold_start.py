"""Cold start of govern commands: the fixed cost a user pays before the first row or rule.

Two cases, each run in a fresh process N times after one warm-up run (disk cache warm),
printing the median, min and max wall time and the median CPU time (user + system):

* `check`: `govern check --policies policies --stage production --evidence drift.json` on
  one card, no database (the merge-gate path). The stock library denies this card (its
  evidence is self-supplied and there is no stored scan), so exit 1 — a decision — is
  expected; anything else fails the benchmark.
* `scan`: `govern scan MODEL --data FILE --full` on a 1,000-row parquet file, against a
  database where the card is registered and baselined: process start, imports, DuckDB
  open and checks, the scan, the evidence written. What stays when the file is small is
  the fixed cost of every scan.

The package's modules are byte-compiled first (what `pip install` does for a wheel), so an
environment with PYTHONDONTWRITEBYTECODE set does not time the compiler. Usage:

    .venv/bin/python benchmarks/cold_start.py [--runs 10] [--cases check,scan]
"""

from __future__ import annotations

import argparse
import compileall
import json
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

REPO = Path(__file__).resolve().parents[1]
GOVERN = Path(sys.executable).with_name("govern")
FEATURES = ["income", "debt_ratio", "utilisation", "age_of_file", "inquiries"]
SCAN_CARD = """name: coldstart
version: "1"
owner: bench@example.com
risk_tier: 2
use_case: benchmark
monitoring:
  features: [f32, i64, f64, region]
  min_rows: 100
"""


def _table(rows: int, seed: int) -> pa.Table:
    rng = np.random.default_rng(seed)
    return pa.table(
        {
            "f32": pa.array(rng.normal(0, 1, rows).astype(np.float32)),
            "i64": pa.array(rng.integers(0, 100, rows)),
            "f64": pa.array(rng.normal(5, 2, rows)),
            "region": pa.array(rng.choice(["north", "south", "east"], rows)),
        }
    )


def check_case(root: Path) -> tuple[list[str], Path, tuple[int, ...]]:
    """The merge-gate check: a card and an evidence file in a repository, no database."""
    shutil.copy(REPO / "data" / "models" / "credit-risk.yaml", root / "govern.yaml")
    drift = {
        "drift": {
            "max_psi": 0.02,
            "features": [
                {
                    "name": f,
                    "psi": 0.02,
                    "missing_rate": 0.01,
                    "inf_rate": 0.0,
                    "status": "ok",
                    "reasons": [],
                }
                for f in FEATURES
            ],
        }
    }
    (root / "drift.json").write_text(json.dumps(drift))
    cmd = [
        str(GOVERN),
        "check",
        "--policies",
        str(REPO / "policies"),
        "--stage",
        "production",
        "--evidence",
        "drift.json",
    ]
    return cmd, root, (0, 1)


def scan_case(root: Path) -> tuple[list[str], Path, tuple[int, ...]]:
    """A scan of a 1,000-row file against a registered, baselined card."""
    db = root / "g.duckdb"
    (root / "card.yaml").write_text(SCAN_CARD)
    pq.write_table(_table(10_000, 1), root / "baseline.parquet")
    pq.write_table(_table(1_000, 2), root / "today.parquet")
    for args in (
        ["init"],
        ["register", "card.yaml"],
        ["baseline", "coldstart@1", "--data", "baseline.parquet"],
    ):
        subprocess.run([str(GOVERN), "--db", str(db), *args], cwd=root, check=True)
    cmd = [
        str(GOVERN),
        "--db",
        str(db),
        "--quiet",
        "scan",
        "coldstart@1",
        "--data",
        "today.parquet",
        "--full",
    ]
    return cmd, root, (0,)


CASES = {"check": check_case, "scan": scan_case}


def measure(
    cmd: list[str], cwd: Path, ok: tuple[int, ...], runs: int
) -> tuple[list[float], list[float]]:
    """Wall and CPU seconds of `runs` fresh processes, after one warm-up."""
    walls, cpus = [], []
    for i in range(runs + 1):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        proc = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True)
        wall = time.perf_counter() - start
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        if proc.returncode not in ok:
            raise SystemExit(f"{' '.join(cmd)}: exit {proc.returncode}\n{proc.stdout}{proc.stderr}")
        if i:  # the first run warms the disk cache
            walls.append(wall)
            cpus.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
    return walls, cpus


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--cases", default="check,scan")
    args = parser.parse_args()
    compileall.compile_dir(str(REPO / "src" / "govern"), quiet=1)
    for name in args.cases.split(","):
        with tempfile.TemporaryDirectory() as tmp:
            cmd, cwd, ok = CASES[name](Path(tmp))
            walls, cpus = measure(cmd, cwd, ok, args.runs)
        print(f"{name}: {' '.join(Path(c).name if c.startswith('/') else c for c in cmd)}")
        print(
            f"  {args.runs} runs: wall median {statistics.median(walls):.3f} s "
            f"(min {min(walls):.3f}, max {max(walls):.3f}), "
            f"CPU median {statistics.median(cpus):.3f} s"
        )


if __name__ == "__main__":
    main()
