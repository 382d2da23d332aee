"""Incremental re-scan vs full re-scan of a 10-file window after one new file arrives.

    python benchmarks/incremental.py --baseline benchmarks/data/baseline-1M.parquet \
        --split-dir benchmarks/data/current-10M-split --reps 3 [--all-families]

Files 1..9 are scanned once (their partial counts are stored); then file 10 "arrives" and
the window of 10 files is scanned again, incrementally (reads one file) and in full (--full).
Both scans must store identical evidence values (with --all-families the card also names
label, protected group, latency and timestamp, so fairness, performance and operational
states are stored and reused too; freshness, relative to each scan's start time, is left
out of the comparison).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

from govern.cards import parse_card
from govern.lifecycle import ModelRef
from govern.runner.baseline import baseline
from govern.runner.scan import scan
from govern.store import Store
from govern.store.registry import upsert_card

sys.path.insert(0, str(Path(__file__).resolve().parent))
import gen  # noqa: E402  (benchmarks/gen.py: the data and its card)


def values(result) -> list[tuple]:  # type: ignore[no-untyped-def]
    return sorted(
        (m.family, m.subject, m.metric, m.value, m.status)
        for m in result.metrics
        if m.metric != "freshness_seconds"  # relative to the scan's own start time
    )


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--baseline", type=Path, required=True)
    ap.add_argument("--split-dir", type=Path, required=True)
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--all-families", action="store_true")
    a = ap.parse_args()
    card = gen.CARD + gen.FAMILIES if a.all_families else gen.CARD
    files = sorted(a.split_dir.glob("*.parquet"))
    assert len(files) == 10, f"expected 10 files in {a.split_dir}"
    inc, full = [], []
    with tempfile.TemporaryDirectory() as tmp:
        for rep in range(a.reps):
            db = Path(tmp) / f"bench{rep}.duckdb"
            with Store.open(db, create=True) as store:
                upsert_card(store, parse_card(card))
                ref = ModelRef("bench", "1")
                baseline(store, ref, data=[a.baseline])
                scan(store, ref, data=files[:9])  # the window so far: partials stored
                t = time.perf_counter()
                r_inc = scan(store, ref, data=files)  # file 10 arrived
                inc.append(time.perf_counter() - t)
                t = time.perf_counter()
                r_full = scan(store, ref, data=files, incremental=False)
                full.append(time.perf_counter() - t)
                assert values(r_inc) == values(r_full), "incremental and full evidence differ"
    mi, mf = statistics.median(inc), statistics.median(full)
    families = {m.family for m in r_full.metrics}
    print(f"10 files x 1M rows, {a.reps} reps (2 cores, shared machine); {sorted(families)}")
    print(f"incremental re-scan (1 new file read, 9 reused): median {mi:.3f} s")
    print(f"full re-scan (10 files read):                    median {mf:.3f} s")
    print(f"speed-up: {mf / mi:.1f}x; evidence identical: yes")


if __name__ == "__main__":
    main()
