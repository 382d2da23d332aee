"""A tiny run of the report/serve benchmark: it builds, reports, serves and prints its tables."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def test_report_bench_runs_at_tiny_size(tmp_path: Path) -> None:
    out = subprocess.run(
        [
            sys.executable,
            str(REPO / "benchmarks" / "report_bench.py"),
            "--models",
            "3",
            "--scans",
            "2",
            "--clients",
            "2",
            "--requests",
            "2",
            "--reps",
            "1",
            "--cache",
            str(tmp_path),
        ],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    assert "| --all |" in out and "| one model |" in out
    assert "| cache on | 2 | 4 |" in out and "| cache off | 1 | 2 |" in out
