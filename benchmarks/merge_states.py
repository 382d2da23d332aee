"""The driver's share of a distributed scan: merge 10,000 per-file states and store them.

    python benchmarks/gen.py --out benchmarks/data --rows 1M --kind baseline
    python benchmarks/gen.py --out benchmarks/data --rows 1M --kind current
    python benchmarks/merge_states.py --baseline benchmarks/data/baseline-1M.parquet \
        --data benchmarks/data/current-1M.parquet --files 10000 --per-task 100 [--drift-only]

One real 1M-row file is counted through the plan API (card with drift, fairness,
performance and operational columns), which gives a realistic per-file state; its bytes
are reported (the blob a worker returns, the partial the driver stores, and each
accumulator's share). Then a plan of `--files` files is built around that state (every file
holds the same counts; merging costs the same whatever the values; the stored texts are
made to differ file by file, see `_distinct`) and `finish_scan` is
timed: decode the blobs (`--per-task` units each), load and merge every state, finalise,
and store the scan, its evidence, one partial per file and the audit record in one
transaction. Each blob carries its task's total (the units folded by the worker), so the
driver loads one state per task; per-file states are stored as the workers encoded them.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import re
import resource
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from govern.cards import parse_card
from govern.lifecycle import ModelRef
from govern.runner import _blob
from govern.runner._plan import PlanFile, WorkUnit
from govern.runner._units import plan_accumulators
from govern.runner.baseline import baseline
from govern.scanplan import finish_scan, prepare_scan, scan_units
from govern.store import Store
from govern.store.registry import upsert_card

sys.path.insert(0, str(Path(__file__).resolve().parent))
import gen  # noqa: E402  (benchmarks/gen.py: the data and its card)

REF = ModelRef("bench", "1")


_BASE64_RUN = re.compile(rb"[A-Za-z0-9+/]{64,}")
_ALPHABET = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"


def _distinct(text: str, i: int) -> str:
    """The state text with the characters of its long base64 runs permuted, per file.

    The driver stores each file's text without parsing it, so what matters to its cost is
    that the files' bytes differ as real files' counts do: same length and alphabet, and no
    long run shared between files that DuckDB's compression could fold at its checkpoint
    (the same text 10,000 times was stored in a few MB). The merge uses the true totals.
    """
    perm = bytes(np.random.default_rng(i).permutation(np.frombuffer(_ALPHABET, np.uint8)))
    table = bytes.maketrans(_ALPHABET, perm)
    raw = bytearray(text.encode())
    for m in _BASE64_RUN.finditer(raw):
        raw[m.start() : m.end()] = raw[m.start() : m.end()].translate(table)
    return raw.decode()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--baseline", type=Path, required=True)
    ap.add_argument("--data", type=Path, required=True, help="one inference parquet file")
    ap.add_argument("--files", type=int, default=10_000)
    ap.add_argument("--per-task", type=int, default=100)
    ap.add_argument("--drift-only", action="store_true", help="card without label etc.")
    ap.add_argument(
        "--same-bytes",
        action="store_true",
        help="store the very same state text for every file (DuckDB then compresses the "
        "copies away at its checkpoint; by default each file's text differs)",
    )
    a = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "bench.duckdb"
        with Store.open(db, create=True) as store:
            card = gen.CARD if a.drift_only else gen.CARD + gen.FAMILIES
            upsert_card(store, parse_card(card, "bench.yaml"))
            baseline(store, REF, data=[a.baseline])
            one = prepare_scan(store, REF, [a.data], incremental=False)
        blob = scan_units(one, one.units)
        decoded = _blob.decode(one, blob, 0)
        (unit,) = decoded.units
        text = bytes(unit.text).decode() if isinstance(unit.text, memoryview) else unit.text
        accumulators, _ = plan_accumulators(one)
        states = json.loads(text)["states"]
        print(f"one file of {unit.rows:,} rows: blob {len(blob):,} bytes, stored partial ")
        print(f"  {len(text):,} bytes of JSON, of which:")
        for acc, doc in zip(accumulators, states, strict=True):
            print(f"    {type(acc).__name__:28s} {len(json.dumps(doc)):>9,} bytes")

        f0 = one.files[0]
        files = tuple(
            PlanFile(f"/bench/part-{i:05d}.parquet", f0.size, f0.mtime, f0.fingerprint, False)
            for i in range(a.files)
        )
        units = tuple(WorkUnit(f.uri, f.size, one.units[0].version, None, f.size) for f in files)
        plan = dataclasses.replace(one, files=files, units=units, incremental=True, local=None)
        # A task's total is its units' states folded: here n copies of the one state.
        totals: dict[int, list] = {}
        blobs = []
        for i in range(0, len(units), a.per_task):
            chunk = units[i : i + a.per_task]
            if len(chunk) not in totals:
                parts = [acc.load_state(d) for acc, d in zip(accumulators, states, strict=True)]
                fold = [acc.empty() for acc in accumulators]
                for _ in chunk:
                    fold = [f.merge(p) for f, p in zip(fold, parts, strict=True)]
                totals[len(chunk)] = [f.to_state() for f in fold]
            if a.same_bytes:
                us = [_blob.UnitState(u, unit.rows, text) for u in chunk]
            else:
                us = [
                    _blob.UnitState(u, unit.rows, _distinct(text, i + j))
                    for j, u in enumerate(chunk)
                ]
            blobs.append(_blob.encode(plan, us, unit.rows * len(chunk), totals[len(chunk)]))
        print(
            f"{a.files:,} files in {len(blobs):,} blobs of {a.per_task} units: "
            f"{sum(map(len, blobs)) / 1e6:.1f} MB from the workers"
        )
        size0 = db.stat().st_size
        rss0 = _rss_mb()
        cpu0 = os.times()
        t0 = time.perf_counter()
        with Store.open(db) as store:
            result = finish_scan(store, plan, blobs)
        total = time.perf_counter() - t0
        cpu1 = os.times()
        print(
            f"finish_scan (decode, merge, finalise, store evidence + {a.files:,} partials + "
            f"audit in one transaction): {total:.2f} s; the store grew by "
            f"{(db.stat().st_size - size0) / 1e6:.0f} MB; {result.rows:,} rows merged"
        )
        # CPU of the process (every thread), which a loaded machine inflates less than the
        # wall time; the resident set before finish_scan (the blobs are in it) and its peak.
        print(
            f"  CPU {cpu1.user - cpu0.user:.2f} s user + {cpu1.system - cpu0.system:.2f} s "
            f"system; resident {rss0:,.0f} MB before, peak {_peak_mb():,.0f} MB"
        )


def _rss_mb() -> float:
    """Resident set of this process now, in MB (Linux /proc; 0 elsewhere)."""
    try:
        pages = int(Path("/proc/self/statm").read_text().split()[1])
    except (OSError, IndexError, ValueError):
        return 0.0
    return pages * os.sysconf("SC_PAGE_SIZE") / 1e6


def _peak_mb() -> float:
    """Peak resident set of this process so far, in MB (ru_maxrss is KiB on Linux)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 / 1e6


if __name__ == "__main__":
    main()
