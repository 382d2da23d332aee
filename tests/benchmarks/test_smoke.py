"""A tiny run of the benchmark scripts: they run, and every method agrees on the counts."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def test_side_by_side_script_agrees_at_tiny_size(tmp_path: Path) -> None:
    gen = [sys.executable, str(REPO / "benchmarks" / "gen.py"), "--out", str(tmp_path)]
    subprocess.run([*gen, "--rows", "3000", "--kind", "baseline"], check=True, capture_output=True)
    subprocess.run([*gen, "--rows", "2000", "--kind", "current"], check=True, capture_output=True)
    out = subprocess.run(
        [
            sys.executable,
            str(REPO / "benchmarks" / "drift_compare.py"),
            "--baseline",
            str(tmp_path / "baseline-3000.parquet"),
            "--data",
            str(tmp_path / "current-2000.parquet"),
            "--reps",
            "1",
            "--methods",
            "decode,govern,numpy,polars,duckdb",
        ],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    assert "2,000 rows" in out
    assert out.count("| yes |") == 4
