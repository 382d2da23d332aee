"""Cold start of `govern check` on one model card with the default policy library.

Runs the installed console script in a fresh process N times (after one warm-up run, so
the disk cache is warm) and prints the median, min and max wall time. No database: the
card and an evidence file are read from a temporary repository, which is the merge-gate
path. Usage: .venv/bin/python benchmarks/cold_start.py [--runs 10]
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
GOVERN = Path(sys.executable).with_name("govern")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=10)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        shutil.copy(REPO / "data" / "models" / "credit-risk.yaml", root / "govern.yaml")
        features = ["income", "debt_ratio", "utilisation", "age_of_file", "inquiries"]
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
                    for f in features
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
        subprocess.run(cmd, cwd=root, check=True, capture_output=True)  # warm-up
        times = []
        for _ in range(args.runs):
            start = time.perf_counter()
            proc = subprocess.run(cmd, cwd=root, capture_output=True, text=True)
            times.append(time.perf_counter() - start)
            assert proc.returncode == 0, proc.stdout + proc.stderr
    print(f"command: (cd <repo with govern.yaml> && {' '.join(cmd[1:])})")
    print(
        f"govern check cold start over {args.runs} runs: median {statistics.median(times):.3f} s, "
        f"min {min(times):.3f} s, max {max(times):.3f} s"
    )


if __name__ == "__main__":
    main()
