"""Run `govern register` or `govern scan` in a loop, printing ACK <n> after each success.

Used by test_crash.py, which SIGKILLs this process at random points.
"""

from __future__ import annotations

import sys
from pathlib import Path

from govern.cli import main
from govern.runner import scan as _scan  # noqa: F401  (import before READY)
from govern.store import profiles

CARD = """name: crash
version: "{version}"
owner: o@example.com
risk_tier: 2
use_case: crash test
monitoring:
  features: [a, b]
  min_rows: 10
"""


def run(mode: str, db: str, work: Path, start: int) -> None:
    if mode == "scan-checkpoint":  # every scan commits as a large one does: by a checkpoint
        profiles.LARGE_WRITE = 0
        mode = "scan"
    print("READY", flush=True)
    i = start
    while True:
        if mode == "register":
            card = work / f"card-{i}.yaml"
            card.write_text(CARD.format(version=i))
            args = ["register", str(card)]
        else:
            args = [
                "scan",
                "crash@0",
                "--baseline",
                str(work / "base.parquet"),
                "--data",
                str(work / "cur.parquet"),
            ]
        rc = main(["--db", db, "-q", *args])
        if rc != 0:
            print(f"FAIL {rc}", flush=True)
            sys.exit(rc)
        print(f"ACK {i}", flush=True)
        i += 1


if __name__ == "__main__":
    run(sys.argv[1], sys.argv[2], Path(sys.argv[3]), int(sys.argv[4]))
