"""End to end on a mixed-type log: `govern scan --full` against decode-only and polars.

The log has the shape real writers produce (issue 13): 12 float32, 6 int64 (counts, a
zero-inflated amount, a rating, flags), 4 float64 and 2 string columns, 1% nulls. Every method
runs as a user runs it, in a fresh process, and is timed from process start to exit:

* govern: `govern scan MODEL --data FILE --full` (the CLI: imports, DuckDB, scan, evidence
  written);
* decode: a Python process decoding the same 24 columns with pyarrow, row group by row group
  on 2 threads, strings as dictionaries: the decode-only limit;
* polars: polars doing govern's work: per numeric column null, NaN, +inf, -inf and finite
  counts plus counts over the fine edges; per string column value counts;
* polars_psi: the lighter query a user writing their own PSI would run: counts over the PSI
  edges only, value counts for strings.

Then `--pairs` more govern and decode runs back to back: the median of their per-pair
ratios is steadier on a shared machine than a ratio of medians (the load drifts between
runs). The PSI-bin counts of govern (stored evidence) and of both polars queries must agree
exactly, or the script exits non-zero. Run by hand (see benchmarks/README.md):

    .venv/bin/python benchmarks/mixed_types.py --rows 10M --reps 3 [--pairs 5]
"""

from __future__ import annotations

import argparse
import compileall
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

DATA = Path(__file__).parent / "data"
F32 = [f"a{i}" for i in range(12)]
I64 = [f"n{i}" for i in range(6)]
F64 = [f"x{i}" for i in range(4)]
STR = ["region", "channel"]
COLUMNS = F32 + I64 + F64 + STR
BIN = Path(sys.executable).parent


def _rows(text: str) -> int:
    text = text.upper()
    scale = {"K": 1_000, "M": 1_000_000}.get(text[-1], 1)
    return int(float(text.rstrip("KM")) * scale)


def table(rng: np.random.Generator, n: int) -> pa.Table:
    """One chunk of the log (values drawn per column; 1% nulls everywhere)."""
    cols: dict[str, pa.Array] = {}

    def mask() -> np.ndarray:
        return rng.random(n) < 0.01

    for i, c in enumerate(F32):
        v = rng.lognormal(0.5 + 0.1 * i, 0.6, n).astype(np.float32)
        if i == 0:
            v[rng.random(n) < 0.001] = np.nan
        cols[c] = pa.array(v, mask=mask(), type=pa.float32())
    ints = [
        rng.poisson(3.0, n),  # a count
        np.where(rng.random(n) < 0.9, 0, rng.integers(1, 5_000, n)),  # zero-inflated amount
        rng.integers(1, 6, n),  # a rating 1..5
        (rng.random(n) < 0.2).astype(np.int64),  # a flag
        rng.integers(0, 1_000_000, n),  # an id-like spread
        rng.geometric(0.05, n),  # days since
    ]
    for c, v in zip(I64, ints, strict=True):
        cols[c] = pa.array(v.astype(np.int64), mask=mask(), type=pa.int64())
    for i, c in enumerate(F64):
        cols[c] = pa.array(rng.normal(i, 1.0 + i, n), mask=mask(), type=pa.float64())
    cols["region"] = pa.array(rng.choice(["north", "south", "east", "west", "central"], n))
    cols["channel"] = pa.array(rng.choice(["web", "app", "branch"], n, p=[0.5, 0.4, 0.1]))
    return pa.table(cols)


def write(path: Path, rows: int, row_group: int, codec: str, seed: int) -> Path:
    """Write `rows` rows, `row_group` rows per row group (kept if already there).

    One block of at most 1M rows is drawn and written again until `rows` are written: the
    decoder and the kernels see the same work as with fresh draws, and generating 10M rows
    takes seconds instead of minutes on a shared machine.
    """
    if path.exists():
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    block = table(np.random.default_rng(seed), min(rows, 1_000_000))
    tmp = path.with_suffix(".tmp")
    with pq.ParquetWriter(tmp, block.schema, compression=codec) as w:
        done = 0
        while done < rows:
            n = min(block.num_rows, rows - done)
            w.write_table(block.slice(0, n), row_group_size=row_group)
            done += n
    tmp.rename(path)
    return path


CARD = """name: mixed
version: "1"
owner: bench@example.com
risk_tier: 2
use_case: benchmark
monitoring:
  features: [{features}]
  min_rows: 100
"""


def setup(workdir: Path, baseline: Path) -> tuple[Path, dict[str, Any]]:
    """A database with the card registered and the baseline profiled; the stored profile."""
    db = workdir / "g.duckdb"
    card = workdir / "mixed.yaml"
    card.write_text(CARD.format(features=", ".join(COLUMNS)))
    for args in (
        ["init"],
        ["register", str(card)],
        ["baseline", "mixed@1", "--data", str(baseline)],
    ):
        subprocess.run(
            [str(BIN / "govern"), "--db", str(db), *args], check=True, capture_output=True
        )
    from govern.store import Store
    from govern.store import profiles as profile_store

    with Store.open(db, read_only=True) as store:
        stored = profile_store.latest_profile(store, "mixed", "1")
    assert stored is not None
    return db, stored["profile"]


DECODE = """
import sys, pyarrow.parquet as pq
from concurrent.futures import ThreadPoolExecutor
path, cols = sys.argv[1], sys.argv[2].split(",")
strings = sys.argv[3].split(",")
n = pq.ParquetFile(path).num_row_groups
def read(rg):
    pf = pq.ParquetFile(path, read_dictionary=strings)
    return pf.read_row_group(rg, columns=cols).num_rows
with ThreadPoolExecutor(2) as pool:
    print(sum(pool.map(read, range(n))))
"""

POLARS = """
import json, sys
import polars as pl
path, spec_path, mode = sys.argv[1], sys.argv[2], sys.argv[3]
spec = json.load(open(spec_path))
exprs = []
for name, edges in spec["numeric"].items():
    c = pl.col(name).cast(pl.Float64)
    fin = c.is_finite()
    exprs.append(fin.sum().alias(f"{name}|finite"))
    if mode == "full":
        exprs += [c.is_null().sum().alias(f"{name}|null"), c.is_nan().sum().alias(f"{name}|nan"),
                  (c == float("inf")).sum().alias(f"{name}|pinf"),
                  (c == float("-inf")).sum().alias(f"{name}|ninf")]
        use = edges["fine"]
    else:
        use = edges["psi"]
    exprs += [(fin & (c >= e)).sum().alias(f"{name}|ge|{k}") for k, e in enumerate(use)]
lf = pl.scan_parquet(path)
queries = [lf.select(exprs)] + [lf.group_by(s).len() for s in spec["strings"]]
out = pl.collect_all(queries, engine="streaming")
row = out[0].row(0, named=True)
result = {}
for name, edges in spec["numeric"].items():
    use = edges["fine"] if mode == "full" else edges["psi"]
    ge = [row[f"{name}|ge|{k}"] for k in range(len(use))]
    fin = row[f"{name}|finite"]
    counts = [fin - (ge[0] if ge else 0)] + [ge[k] - ge[k + 1] for k in range(len(ge) - 1)]
    counts += [ge[-1]] if ge else []
    if mode == "full":
        psi = [0] * (len(edges["psi"]) + 1)
        for j, b in enumerate(edges["map"]):
            psi[b] += counts[j]
        counts = psi
    result[name] = counts
for s, frame in zip(spec["strings"], out[1:]):
    result[s] = {str(k): int(v) for k, v in frame.iter_rows()}
json.dump(result, open(sys.argv[4], "w"))
"""


def spec_of(profile: dict[str, Any]) -> dict[str, Any]:
    """Edges per numeric column (PSI, fine, fine -> PSI map) and the string columns."""
    from govern.metrics._profile import ProfileSet

    ps = ProfileSet.from_dict(profile)
    numeric: dict[str, Any] = {}
    strings = []
    for p in ps.columns:
        if p.kind == "numeric" and p.bins is not None:
            b = p.bins
            numeric[p.name] = {
                "psi": b.psi_edges.tolist(),
                "fine": b.fine_edges.tolist(),
                "map": b.psi_map.tolist(),
            }
        else:
            strings.append(p.name)
    return {"numeric": numeric, "strings": strings}


def govern_bins(db: Path) -> dict[str, Any]:
    """PSI-bin counts of the latest scan, as stored in the evidence."""
    import duckdb

    con = duckdb.connect(str(db), read_only=True)
    rows = con.execute(
        "SELECT e.subject, e.detail FROM evidence e JOIN v_latest_evidence v "
        "USING (scan_id, subject, metric) WHERE v.name = 'mixed' AND e.metric = 'psi'"
    ).fetchall()
    con.close()
    out: dict[str, Any] = {}
    for subject, detail in rows:
        d = json.loads(detail)
        out[subject] = d.get("bins")
    return out


def run(cmd: list[str]) -> tuple[float, float]:
    """(wall seconds, user + system CPU seconds) of one fresh process, start to exit."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    subprocess.run(cmd, check=True, capture_output=True)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--rows", default="10M")
    ap.add_argument("--baseline-rows", default="1M")
    ap.add_argument("--row-groups", default="100K,250K,1M")
    ap.add_argument("--codecs", default="snappy,zstd")
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument(
        "--pairs",
        type=int,
        default=5,
        help="extra govern/decode runs back to back, for the per-pair ratio (steadier)",
    )
    args = ap.parse_args()
    # Byte-compile govern as `pip install` does for a wheel: with PYTHONDONTWRITEBYTECODE set,
    # every run would otherwise time the compiler on govern's own modules.
    compileall.compile_dir(str(Path(__file__).resolve().parents[1] / "src" / "govern"), quiet=1)
    rows = _rows(args.rows)
    base = write(
        DATA / f"mixed-baseline-{args.baseline_rows}.parquet",
        _rows(args.baseline_rows),
        250_000,
        "zstd",
        1,
    )
    work = Path(tempfile.mkdtemp(prefix="govern-mixed-"))
    db, profile = setup(work, base)
    spec = spec_of(profile)
    spec_path = work / "spec.json"
    spec_path.write_text(json.dumps(spec))
    report = []
    failed = False
    for codec in args.codecs.split(","):
        for rg_text in args.row_groups.split(","):
            rg = _rows(rg_text)
            data = write(DATA / f"mixed-{args.rows}-{rg_text}-{codec}.parquet", rows, rg, codec, 2)
            cmds = {
                "govern": [
                    str(BIN / "govern"),
                    "--db",
                    str(db),
                    "--quiet",
                    "scan",
                    "mixed@1",
                    "--data",
                    str(data),
                    "--full",
                ],
                "decode": [
                    sys.executable,
                    "-c",
                    DECODE,
                    str(data),
                    ",".join(COLUMNS),
                    ",".join(STR),
                ],
                "polars": [
                    sys.executable,
                    "-c",
                    POLARS,
                    str(data),
                    str(spec_path),
                    "full",
                    str(work / "pf.json"),
                ],
                "polars_psi": [
                    sys.executable,
                    "-c",
                    POLARS,
                    str(data),
                    str(spec_path),
                    "psi",
                    str(work / "pp.json"),
                ],
            }
            times: dict[str, list[float]] = {k: [] for k in cmds}
            cpu: dict[str, list[float]] = {k: [] for k in cmds}
            loads = []
            for _ in range(args.reps):
                loads.append(os.getloadavg()[0])
                for k, cmd in cmds.items():
                    wall, used = run(cmd)
                    times[k].append(wall)
                    cpu[k].append(used)
            # On a shared machine the load drifts between runs: a ratio of two runs made back
            # to back (govern, then decode) is steadier than a ratio of two medians.
            pairs: list[tuple[float, float]] = []
            for _ in range(args.pairs):
                gw, gc = run(cmds["govern"])
                dw, dc = run(cmds["decode"])
                pairs.append((dc / gc, dw / gw))
            ours = govern_bins(db)
            for f in ("pf.json", "pp.json"):
                theirs = json.loads((work / f).read_text())
                for name in spec["numeric"]:
                    if theirs[name] != ours[name]:
                        print(f"MISMATCH {f} {name}: {theirs[name]} vs {ours[name]}")
                        failed = True
            med = {k: statistics.median(v) for k, v in times.items()}
            med_cpu = {k: statistics.median(v) for k, v in cpu.items()}
            loads.append(os.getloadavg()[0])
            pair = (
                statistics.median(p[0] for p in pairs) if pairs else float("nan"),
                statistics.median(p[1] for p in pairs) if pairs else float("nan"),
            )
            report.append((codec, rg_text, med, med_cpu, min(loads), max(loads), pair))
            print(codec, rg_text, "wall", {k: round(v, 3) for k, v in med.items()}, flush=True)
            print(codec, rg_text, "cpu", {k: round(v, 3) for k, v in med_cpu.items()}, flush=True)
    print(
        "\n| codec | row group | govern s | decode s | decode / govern | polars s "
        "| polars / govern | polars_psi s | polars_psi / govern | load |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|")
    for codec, rg_text, m, _, lo, hi, _ in report:
        g = m["govern"]
        print(
            f"| {codec} | {rg_text} | {g:.2f} | {m['decode']:.2f} | {m['decode'] / g:.2f} | "
            f"{m['polars']:.2f} | {m['polars'] / g:.2f} | {m['polars_psi']:.2f} | "
            f"{m['polars_psi'] / g:.2f} | {lo:.1f}-{hi:.1f} |"
        )
    print("\nCPU seconds (user + system), medians:\n")
    print("| codec | row group | govern | decode | decode / govern | polars | polars_psi |")
    print("|---|---|---|---|---|---|---|")
    for codec, rg_text, _, c, _, _, _ in report:
        print(
            f"| {codec} | {rg_text} | {c['govern']:.2f} | {c['decode']:.2f} | "
            f"{c['decode'] / c['govern']:.2f} | {c['polars']:.2f} | {c['polars_psi']:.2f} |"
        )
    print(f"\ndecode / govern of {args.pairs} back-to-back pairs, median:\n")
    print("| codec | row group | CPU | wall |")
    print("|---|---|---|---|")
    for codec, rg_text, _, _, _, _, (pc, pw) in report:
        print(f"| {codec} | {rg_text} | {pc:.2f} | {pw:.2f} |")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
