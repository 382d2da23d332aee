"""The histogram kernel per value type: in place (`hist`) against cast-to-float64 then count.

In one process, on one decoded column of N values with 1% nulls and 11 fine edges: the time
of `hist(column)` (the comparison kernel over the type's own buffer, native/govern_linear.c)
and of `hist_f64(cast(column))` (what the scan did before issue 13: a column-sized float64
copy, then the per-value search; for a float64 column, the search alone). Both must give
the same counts. Run by hand (see benchmarks/README.md):

    .venv/bin/python benchmarks/hist_types.py --rows 1e7 --reps 7
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from govern._native import hist, hist_f64

TYPES = [pa.float64(), pa.float32(), pa.int64(), pa.int32(), pa.int16(), pa.uint8()]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--rows", type=float, default=10e6)
    ap.add_argument("--reps", type=int, default=7)
    args = ap.parse_args()
    n = int(args.rows)
    rng = np.random.default_rng(0)
    raw = rng.integers(0, 120, n)
    mask = rng.random(n) < 0.01
    edges = np.quantile(raw, np.linspace(0, 1, 11)) + 0.5
    print("| type | in place ms, min (median) | cast + float64 ms, min (median) | speed-up (min) |")
    print("|---|---|---|---|")
    for t in TYPES:
        col = pa.array(raw.astype(t.to_pandas_dtype()), type=t, mask=mask)
        fast, slow = [], []
        for rep in range(args.reps):
            # Alternate the order so that neither method always runs on a warm cache.
            for method in ("in place", "cast") if rep % 2 == 0 else ("cast", "in place"):
                t0 = time.perf_counter()
                if method == "in place":
                    a = hist(col, edges)
                    fast.append(time.perf_counter() - t0)
                else:
                    b = hist_f64(pc.cast(col, pa.float64(), safe=False), edges)
                    slow.append(time.perf_counter() - t0)
            if a.counts.tolist() != b.counts.tolist() or a.nulls != b.nulls:
                print(f"MISMATCH for {t}")
                return 1
        # Minimum over reps: on a shared machine it is the least disturbed estimate.
        f, s = min(fast), min(slow)
        mf, ms = statistics.median(fast), statistics.median(slow)
        print(
            f"| {t} | {f * 1e3:.1f} ({mf * 1e3:.0f}) | {s * 1e3:.1f} ({ms * 1e3:.0f}) "
            f"| {s / f:.2f}x |"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
