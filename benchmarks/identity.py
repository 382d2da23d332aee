"""Cost of a file's content identity (footer sha256) beside the stat() it replaced as cache key.

    python benchmarks/identity.py --files 500 --columns 20 --reps 3

Every incremental scan identifies every file of the window, read or reused (runner/_identity.py):
one stat, one open, two small reads from the end of the file and a sha256 of the footer.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from govern.runner._identity import identify


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--files", type=int, default=500)
    ap.add_argument("--columns", type=int, default=20)
    ap.add_argument("--rows", type=int, default=20_000)
    ap.add_argument("--reps", type=int, default=3)
    args = ap.parse_args()
    rng = np.random.default_rng(1)
    table = pa.table({f"c{i}": rng.normal(size=args.rows) for i in range(args.columns)})
    with tempfile.TemporaryDirectory() as tmp:
        files = [Path(tmp) / f"part-{i}.parquet" for i in range(args.files)]
        for f in files:
            pq.write_table(table, f, row_group_size=5_000)
        footer = int.from_bytes(files[0].read_bytes()[-8:-4], "little")
        print(f"{args.files} files of {files[0].stat().st_size} bytes, footer {footer} bytes")
        stat_us, ident_us = [], []
        for _ in range(args.reps):
            t0 = time.perf_counter()
            for f in files:
                os.stat(f)
            stat_us.append((time.perf_counter() - t0) / args.files * 1e6)
            t0 = time.perf_counter()
            for f in files:
                identify(f)
            ident_us.append((time.perf_counter() - t0) / args.files * 1e6)
        print(f"stat():     median {statistics.median(stat_us):7.1f} us/file")
        print(f"identify(): median {statistics.median(ident_us):7.1f} us/file")


if __name__ == "__main__":
    main()
