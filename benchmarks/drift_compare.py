"""Side by side: the same drift counts (fine-bin histograms, null/NaN/inf, categories) with
govern, numpy, polars (streaming >= counts, and cut), DuckDB, and parquet decode only.

Every method runs in a fresh subprocess (wall time in-process, peak RSS from wait4), the
bin counts of all methods must agree exactly, and the table prints medians and ratios from
the same run. Run by hand (see benchmarks/README.md):

    python benchmarks/drift_compare.py --baseline benchmarks/data/baseline-1M.parquet \
        --data benchmarks/data/current-10M.parquet --reps 3
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

FEATURES = [f"f{i}" for i in range(10)] + ["c0", "c1", "c2"]
OUTPUT = "score"
CARD = {"monitoring": {"features": FEATURES, "prediction": OUTPUT, "min_rows": 100}}
METHODS = ["decode", "decode_plain", "govern", "govern1", "polars", "duckdb", "numpy", "polars_cut"]


def make_profile(baseline: Path, out: Path) -> None:
    from govern.runner.baseline import build_profiles

    profiles, _ = build_profiles([baseline], CARD)
    out.write_text(json.dumps(profiles.to_dict()))


def _load(profile_path: Path) -> Any:
    from govern.metrics._profile import ProfileSet

    return ProfileSet.from_dict(json.loads(profile_path.read_text()))


# --- methods: each returns {column: [counts...]} in one canonical layout -------------------
# numeric:     fine-bin counts + [null, nan, +inf, -inf]
# categorical: counts per reference category + [unseen, null]


def m_govern(profile_path: Path, files: list[Path], threads: int = 2) -> dict[str, list[int]]:
    from govern.metrics._drift import DriftAccumulator
    from govern.runner._engine import scan_files

    profiles = _load(profile_path)
    acc = DriftAccumulator(profiles)
    dictionary = [p.name for p in profiles.columns if p.kind == "categorical"]
    expected = {p.name: p.dtype for p in profiles.columns}
    results = scan_files(files, [acc], expected=expected, dictionary=dictionary, threads=threads)
    total = acc.empty()
    for r in results:
        total = total.merge(r.states[0])
    total.finalize()  # PSI, chi2, rates: part of the measured work
    out = {}
    for name, s in total.states.items():
        if hasattr(s, "nans"):
            out[name] = s.counts.tolist() + [s.nulls, s.nans, s.posinf, s.neginf]
        else:
            out[name] = s.counts.tolist() + [s.nulls]
    return out


def m_govern1(profile_path: Path, files: list[Path]) -> dict[str, list[int]]:
    return m_govern(profile_path, files, threads=1)


class _Noop:
    independent_columns = True  # same read path as govern: one column at a time

    def __init__(self, columns: tuple[str, ...]) -> None:
        self.columns = columns

    def update(self, batch: Any) -> None:
        pass

    def empty(self) -> _Noop:
        return self

    def merge(self, other: _Noop) -> _Noop:
        return self


def m_decode(profile_path: Path, files: list[Path]) -> dict[str, list[int]]:
    """govern's read path (same threads, projection, dictionary reads) with no counting."""
    from govern.runner._engine import scan_files

    profiles = _load(profile_path)
    cols = tuple(p.name for p in profiles.columns)
    dictionary = [p.name for p in profiles.columns if p.kind == "categorical"]
    scan_files(files, [_Noop(cols)], expected={}, dictionary=dictionary, threads=2)  # type: ignore[list-item]
    return {}


def m_decode_plain(profile_path: Path, files: list[Path]) -> dict[str, list[int]]:
    """Plain pyarrow decode of the same columns: 2 threads x row groups, no memory map,
    one ParquetFile per thread (the research prototype's decode-only limit)."""
    from concurrent.futures import ThreadPoolExecutor

    import pyarrow.parquet as pq

    profiles = _load(profile_path)
    cols = [p.name for p in profiles.columns]
    dictionary = [p.name for p in profiles.columns if p.kind == "categorical"]
    tasks = [(f, rg) for f in files for rg in range(pq.ParquetFile(f).num_row_groups)]

    def read(worker: int) -> None:
        handles: dict[Path, Any] = {}
        for f, rg in tasks[worker::2]:
            pf = handles.setdefault(f, pq.ParquetFile(f, read_dictionary=dictionary))
            pf.read_row_group(rg, columns=cols, use_threads=len(tasks) < 2)

    with ThreadPoolExecutor(2) as pool:
        list(pool.map(read, range(2)))
    return {}


def m_numpy(profile_path: Path, files: list[Path]) -> dict[str, list[int]]:
    import numpy as np
    import pyarrow.parquet as pq

    profiles = _load(profile_path)
    out: dict[str, Any] = {}
    for p in profiles.columns:
        if p.kind == "numeric":
            out[p.name] = np.zeros(p.fine_edges.size + 5, dtype=np.int64)
        else:
            out[p.name] = np.zeros(len(p.categories) + 2, dtype=np.int64)
    cats = {
        p.name: {c: i for i, c in enumerate(p.categories)}
        for p in profiles.columns
        if p.kind != "numeric"
    }
    names = [p.name for p in profiles.columns]
    for f in files:
        pf = pq.ParquetFile(f, read_dictionary=list(cats))
        for rg in range(pf.num_row_groups):
            t = pf.read_row_group(rg, columns=names)
            for p in profiles.columns:
                col = t.column(p.name)
                acc = out[p.name]
                if p.kind == "numeric":
                    v = col.to_numpy(zero_copy_only=False)
                    valid = ~np.asarray(col.is_null().to_numpy(zero_copy_only=False))
                    nulls = int((~valid).sum())
                    v = v[valid]
                    nan = np.isnan(v)
                    pinf = v == np.inf
                    ninf = v == -np.inf
                    fin = v[np.isfinite(v)]
                    nb = p.fine_edges.size + 1
                    acc[:nb] += np.bincount(
                        np.searchsorted(p.fine_edges, fin, side="right"), minlength=nb
                    )
                    acc[nb:] += [nulls, int(nan.sum()), int(pinf.sum()), int(ninf.sum())]
                else:
                    k = len(p.categories)
                    for chunk in col.chunks:
                        idx = chunk.indices.to_numpy(zero_copy_only=False)
                        valid = ~np.asarray(chunk.is_null().to_numpy(zero_copy_only=False))
                        counts = np.bincount(
                            idx[valid].astype(np.int64), minlength=len(chunk.dictionary)
                        )
                        for value, n in zip(
                            chunk.dictionary.to_pylist(), counts.tolist(), strict=True
                        ):
                            acc[cats[p.name].get(value, k)] += n
                        acc[k + 1] += int((~valid).sum())
    return {k: v.tolist() for k, v in out.items()}


def _numeric_from_ge(
    total: int, valid_finite: int, ge: list[int], nulls: int, nans: int, pinf: int, ninf: int
) -> list[int]:
    bins = [valid_finite - ge[0]] + [ge[k - 1] - ge[k] for k in range(1, len(ge))] + [ge[-1]]
    return bins + [nulls, nans, pinf, ninf]


def m_polars(profile_path: Path, files: list[Path]) -> dict[str, list[int]]:
    import polars as pl

    profiles = _load(profile_path)
    lf = pl.scan_parquet([str(f) for f in files])
    exprs = []
    for p in profiles.columns:
        if p.kind != "numeric":
            continue
        c = pl.col(p.name)
        fin = c.is_finite()
        exprs += [
            fin.sum().alias(f"{p.name}__fin"),
            c.is_null().sum().alias(f"{p.name}__null"),
            c.is_nan().sum().alias(f"{p.name}__nan"),
            (c == float("inf")).sum().alias(f"{p.name}__pinf"),
            (c == float("-inf")).sum().alias(f"{p.name}__ninf"),
        ]
        exprs += [
            (fin & (c >= e)).sum().alias(f"{p.name}__ge{k}")
            for k, e in enumerate(p.fine_edges.tolist())
        ]
    queries = [lf.select(exprs)]
    cat = [p for p in profiles.columns if p.kind != "numeric"]
    for p in cat:
        queries.append(lf.group_by(p.name).len())
    frames = pl.collect_all(queries, engine="streaming")
    row = frames[0].row(0, named=True)
    out: dict[str, list[int]] = {}
    for p in profiles.columns:
        if p.kind != "numeric":
            continue
        n = p.name
        ge = [int(row[f"{n}__ge{k}"]) for k in range(p.fine_edges.size)]
        out[n] = _numeric_from_ge(
            0,
            int(row[f"{n}__fin"]),
            ge,
            int(row[f"{n}__null"]),
            int(row[f"{n}__nan"]),
            int(row[f"{n}__pinf"]),
            int(row[f"{n}__ninf"]),
        )
    for p, fr in zip(cat, frames[1:], strict=True):
        out[p.name] = _cat_counts(p, fr.rows())
    return out


def _cat_counts(p: Any, pairs: list[tuple[Any, int]]) -> list[int]:
    k = len(p.categories)
    index = {c: i for i, c in enumerate(p.categories)}
    counts = [0] * (k + 2)
    for value, n in pairs:
        counts[k + 1 if value is None else index.get(value, k)] += int(n)
    return counts


def m_polars_cut(profile_path: Path, files: list[Path]) -> dict[str, list[int]]:
    import numpy as np
    import polars as pl

    profiles = _load(profile_path)
    lf = pl.scan_parquet([str(f) for f in files])
    queries = []
    num = [p for p in profiles.columns if p.kind == "numeric"]
    for p in num:
        u = np.unique(p.fine_edges)
        labels = [str(i) for i in range(u.size + 1)]
        c = pl.col(p.name)
        queries.append(
            lf.select(
                c.filter(c.is_finite()).cut(u.tolist(), labels=labels, left_closed=True).alias("b")
            )
            .group_by("b")
            .len()
        )
        queries.append(
            lf.select(
                c.is_null().sum().alias("null"),
                c.is_nan().sum().alias("nan"),
                (c == float("inf")).sum().alias("pinf"),
                (c == float("-inf")).sum().alias("ninf"),
            )
        )
    cat = [p for p in profiles.columns if p.kind != "numeric"]
    for p in cat:
        queries.append(lf.group_by(p.name).len())
    frames = pl.collect_all(queries, engine="streaming")
    out: dict[str, list[int]] = {}
    for i, p in enumerate(num):
        u = np.unique(p.fine_edges)
        fine = np.zeros(p.fine_edges.size + 1, dtype=np.int64)
        for b, n in frames[2 * i].rows():
            j = int(b)
            target = 0 if j == 0 else int(np.searchsorted(p.fine_edges, u[j - 1], side="right"))
            fine[target] += n
        s = frames[2 * i + 1].row(0)
        out[p.name] = fine.tolist() + [int(x) for x in s]
    for p, fr in zip(cat, frames[2 * len(num) :], strict=True):
        out[p.name] = _cat_counts(p, fr.rows())
    return out


def m_duckdb(profile_path: Path, files: list[Path]) -> dict[str, list[int]]:
    import duckdb

    profiles = _load(profile_path)
    sel = []
    for p in profiles.columns:
        n = f'"{p.name}"'
        if p.kind == "numeric":
            sel += [
                f"count_if(isfinite({n}))",
                f"count(*) - count({n})",
                # not count_if(isnan(x)): DuckDB 2.0.0 returns 0 on these files (NaN is
                # absent from the parquet min/max statistics); derive NaN from the others.
                f"count({n})",
                f"count_if({n} = 'inf'::DOUBLE)",
                f"count_if({n} = '-inf'::DOUBLE)",
            ]
            sel += [f"count_if(isfinite({n}) AND {n} >= {e!r})" for e in p.fine_edges.tolist()]
        else:
            sel += [f"histogram({n})", f"count(*) - count({n})"]
    con = duckdb.connect()
    con.execute("SET threads = 2")
    src = ", ".join(f"'{f}'" for f in files)
    row = con.execute(f"SELECT {', '.join(sel)} FROM read_parquet([{src}])").fetchone()
    assert row is not None
    out: dict[str, list[int]] = {}
    i = 0
    for p in profiles.columns:
        if p.kind == "numeric":
            fin, nulls, nonnull, pinf, ninf = row[i : i + 5]
            nans = nonnull - fin - pinf - ninf
            ge = list(row[i + 5 : i + 5 + p.fine_edges.size])
            i += 5 + p.fine_edges.size
            out[p.name] = _numeric_from_ge(0, fin, ge, nulls, nans, pinf, ninf)
        else:
            hist, nulls = row[i], row[i + 1]
            i += 2
            counts = _cat_counts(p, list(dict(hist).items()))
            counts[-1] = int(nulls)
            out[p.name] = counts
    return out


def child(method: str, profile_path: Path, files: list[Path], out: Path) -> None:
    fn = globals()[f"m_{method}"]
    t0 = time.perf_counter()
    counts = fn(profile_path, files)
    wall = time.perf_counter() - t0
    out.write_text(json.dumps({"wall": wall, "counts": counts}))


def run_one(method: str, profile_path: Path, files: list[Path]) -> dict[str, Any]:
    with tempfile.NamedTemporaryFile(suffix=".json", delete=False) as tmp:
        out = Path(tmp.name)
    cmd = [
        sys.executable,
        __file__,
        "--child",
        method,
        "--profile",
        str(profile_path),
        "--out",
        str(out),
        *map(str, files),
    ]
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd)
    _, status, ru = os.wait4(proc.pid, 0)
    outer = time.perf_counter() - t0
    if status != 0:
        raise SystemExit(f"{method} failed with status {status}")
    res = json.loads(out.read_text())
    out.unlink()
    res["rss_mb"] = ru.ru_maxrss / 1024
    res["cpu"] = ru.ru_utime + ru.ru_stime  # whole child incl. imports: robust to contention
    res["outer"] = outer
    return res


def others_load() -> float:
    return os.getloadavg()[0]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--child")
    ap.add_argument("--profile", type=Path)
    ap.add_argument("--out", type=Path)
    ap.add_argument("--baseline", type=Path)
    ap.add_argument("--data", type=Path, nargs="+")
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--methods", default=",".join(METHODS))
    ap.add_argument("files", nargs="*", type=Path)
    a = ap.parse_args()
    if a.child:
        child(a.child, a.profile, a.files, a.out)
        return
    from govern.runner._parquet import discover

    files = discover(a.data)
    profile_path = Path(tempfile.gettempdir()) / f"govern-bench-profile-{a.baseline.stem}.json"
    make_profile(a.baseline, profile_path)
    methods = a.methods.split(",")
    import pyarrow.parquet as pq

    rows = sum(pq.ParquetFile(f).metadata.num_rows for f in files)
    runs: dict[str, list[dict[str, Any]]] = {m: [] for m in methods}
    loads = []
    for _ in range(a.reps):  # rep-major: every method once per rep, so ratios are same-run
        for m in methods:
            loads.append(others_load())
            runs[m].append(run_one(m, profile_path, files))
    counted = [m for m in methods if not m.startswith("decode")]
    ref_counts = next(r["counts"] for m in counted for r in runs[m])
    agree = {m: all(r["counts"] == ref_counts for r in runs[m]) for m in counted}
    med = {m: statistics.median(r["wall"] for r in runs[m]) for m in methods}
    rss = {m: max(r["rss_mb"] for r in runs[m]) for m in methods}
    peers = [m for m in ("numpy", "polars", "duckdb", "polars_cut") if m in med]
    fastest_peer = min(peers, key=lambda m: med[m]) if peers else None
    print(
        f"\n{rows:,} rows, {len(files)} file(s), {a.reps} reps, load avg during run "
        f"{min(loads):.2f}-{max(loads):.2f} (2 cores; other helpers share the machine)"
    )
    cpu = {m: statistics.median(r["cpu"] for r in runs[m]) for m in methods}
    print(
        "| method | wall s (median) | rows/s | peak RSS MB | x govern "
        "| process CPU s | counts agree |"
    )
    print("|---|---|---|---|---|---|---|")
    for m in methods:
        agree_s = "n/a" if m.startswith("decode") else ("yes" if agree[m] else "NO")
        ratio = med[m] / med["govern"] if "govern" in med else float("nan")
        print(
            f"| {m} | {med[m]:.3f} | {rows / med[m] / 1e6:.1f} M | {rss[m]:.0f} | {ratio:.2f} "
            f"| {cpu[m]:.2f} | {agree_s} |"
        )
    if "govern" in med and fastest_peer:
        print(
            f"\ngovern vs fastest peer ({fastest_peer}): "
            f"{med[fastest_peer] / med['govern']:.2f}x faster"
        )
    for d in ("decode", "decode_plain"):
        if "govern" in med and d in med:
            per_rep = [x["wall"] / g["wall"] for x, g in zip(runs[d], runs["govern"], strict=True)]
            print(
                f"govern fraction of the {d} limit: median {statistics.median(per_rep):.2f} "
                f"(per rep {', '.join(f'{x:.2f}' for x in per_rep)})"
            )
    if not all(agree.values()):
        raise SystemExit("bin counts disagree between methods")


if __name__ == "__main__":
    main()
