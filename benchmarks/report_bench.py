"""`govern report` at inventory scale and `govern serve` under concurrent load.

    python benchmarks/report_bench.py --models 1000 --scans 100 --clients 20 --requests 50

1. A database of N model versions, each with a card naming every evidence family, a
   reference profile, one scan (drift of 5 features and the score, fairness over 4 groups,
   performance, latency and errors) and a production gate decision (`check_all`), built with
   the real pipeline (cached under --cache between runs).
2. `govern report --all -o FILE` and `govern report ONE@1 -o FILE` as fresh processes:
   wall time (best of --reps), peak RSS of the child, and the size of the HTML.
3. One of the versions gets --scans scans in all (a 100-point history); a `govern serve`
   child answers --clients threads that each fetch its page --requests times (alternating
   with the JSON API); latency percentiles with the answer cache on (the default), and for
   one client with it off (every request opens the database and builds the answer).
"""

from __future__ import annotations

import argparse
import http.client
import os
import resource
import socket
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

CARD = """name: {name}
version: "1"
owner: team-{team}@example.com
risk_tier: {tier}
use_case: benchmark
validation:
  baseline: {{auc: 0.8}}
monitoring:
  features: [f0, f1, f2, f3, channel]
  prediction: score
  threshold: 0.5
  label: label
  protected: [group]
  min_group_size: 30
  latency: latency_ms
  error_code: error_code
"""


def _table(rng: np.random.Generator, n: int, shift: float) -> pa.Table:
    score = rng.random(n)
    return pa.table(
        {
            "f0": rng.normal(shift, 1, n),
            "f1": rng.lognormal(size=n),
            "f2": rng.normal(size=n),
            "f3": rng.gamma(2.0, 2.0, n),
            "channel": rng.choice(["web", "app", "branch"], n),
            "score": score,
            "label": (rng.random(n) < score).astype(np.int64),
            "group": rng.choice(["a", "b", "c", "d"], n),
            "latency_ms": rng.gamma(2.0, 20.0, n),
            "error_code": pa.array(np.where(rng.random(n) < 0.02, "E1", None).tolist()),
        }
    )


def build(root: Path, models: int, scans: int) -> Path:
    """The benchmark database (reused when it already holds the requested shape)."""
    from govern.cards import parse_card
    from govern.lifecycle import ModelRef
    from govern.policy import load
    from govern.runner.baseline import baseline
    from govern.runner.check import check_all
    from govern.runner.scan import scan
    from govern.store import Store
    from govern.store.registry import upsert_card

    root.mkdir(parents=True, exist_ok=True)
    db = root / f"report-{models}-{scans}.duckdb"
    if db.exists():
        return db
    tmp = db.with_suffix(".building")
    tmp.unlink(missing_ok=True)
    rng = np.random.default_rng(1)
    pq.write_table(_table(rng, 5_000, 0.0), root / "train.parquet")
    for i in range(scans):
        pq.write_table(_table(rng, 2_000, 0.02 * i), root / f"cur-{i}.parquet")
    repo = Path(__file__).resolve().parents[1]
    t0 = time.perf_counter()
    with Store.open(tmp, create=True) as store, load(repo / "policies") as prepared:
        for i in range(models):
            name = f"model-{i:04d}"
            card = CARD.format(name=name, team=i % 17, tier=1 + i % 3)
            upsert_card(store, parse_card(card, f"{name}.yaml"))
            ref = ModelRef(name, "1")
            baseline(store, ref, data=[root / "train.parquet"])
            scan(store, ref, data=[root / "cur-0.parquet"])
        for i in range(1, scans):
            scan(store, ModelRef("model-0000", "1"), data=[root / f"cur-{i}.parquet"])
        check_all(store, prepared)
    tmp.rename(db)
    print(f"built {db} in {time.perf_counter() - t0:.0f} s", file=sys.stderr)
    return db


def _child(args: list[str]) -> tuple[float, float]:
    """Wall seconds and peak RSS (MB) of one fresh `govern` process (imports included)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    t0 = time.perf_counter()
    subprocess.run(
        [sys.executable, "-c", "from govern.cli import run; run()", *args],
        check=True,
        capture_output=True,
    )
    wall = time.perf_counter() - t0
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return wall, max(peak, before) / 1024


def bench_report(db: Path, out: Path, reps: int) -> None:
    rows = []
    for label, target in (("--all", ["--all"]), ("one model", ["model-0001@1"])):
        walls, peaks = [], []
        for _ in range(reps):
            # Each rep in its own interpreter: ru_maxrss of children is a running maximum,
            # so measure every rep in a fresh helper process.
            cmd = [
                sys.executable,
                __file__,
                "--child",
                "--db",
                str(db),
                "--out",
                str(out),
                *target,
            ]
            res = subprocess.run(cmd, check=True, capture_output=True, text=True)
            wall, peak = (float(x) for x in res.stdout.split())
            walls.append(wall)
            peaks.append(peak)
        size = out.stat().st_size / 1e6
        rows.append((label, min(walls), statistics.median(walls), max(peaks), size))
    print("| report | best s | median s | peak RSS MB | HTML MB |")
    print("| --- | ---: | ---: | ---: | ---: |")
    for label, best, med, peak, size in rows:
        print(f"| {label} | {best:.2f} | {med:.2f} | {peak:.0f} | {size:.1f} |")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _get(port: int, path: str) -> float:
    t0 = time.perf_counter()
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        conn.request("GET", path)
        r = conn.getresponse()
        r.read()
        if r.status != 200:
            raise RuntimeError(f"{path}: {r.status}")
    finally:
        conn.close()
    return time.perf_counter() - t0


def bench_serve(db: Path, clients: int, requests: int, cache: bool) -> None:
    port = _free_port()
    code = (
        "import sys; from govern.report._serve import make_server; "
        f"s = make_server(sys.argv[1], '127.0.0.1', {port}, cache_size={512 if cache else 0}); "
        "s.serve_forever()"
    )
    env = dict(os.environ)
    with subprocess.Popen([sys.executable, "-c", code, str(db)], env=env) as proc:
        try:
            deadline = time.monotonic() + 30
            while True:
                try:
                    _get(port, "/api/models")
                    break
                except OSError:
                    if time.monotonic() > deadline:
                        raise
                    time.sleep(0.1)
            paths = ["/models/model-0000/1", "/api/models/model-0000/1"]
            first = max(_get(port, p) for p in paths)  # each route's cold build
            times: list[float] = []
            lock = threading.Lock()

            def client(k: int) -> None:
                mine = [_get(port, paths[(k + j) % 2]) for j in range(requests)]
                with lock:
                    times.extend(mine)

            t0 = time.perf_counter()
            threads = [threading.Thread(target=client, args=(k,)) for k in range(clients)]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            wall = time.perf_counter() - t0
        finally:
            proc.terminate()
            proc.wait(10)
    q = np.quantile(np.asarray(times) * 1000, [0.5, 0.95, 0.99])
    print(
        f"| cache {'on' if cache else 'off'} | {clients} | {len(times)} | {first * 1000:.0f} "
        f"| {q[0]:.1f} | {q[1]:.1f} | {q[2]:.1f} | {len(times) / wall:.0f} |"
    )


def child(db: str, out: str, target: list[str]) -> None:
    """One measured `govern report` run (see bench_report)."""
    wall, peak = _child(["--db", db, "report", *target, "-o", out])
    print(wall, peak)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--models", type=int, default=1000)
    ap.add_argument("--scans", type=int, default=100)
    ap.add_argument("--clients", type=int, default=20)
    ap.add_argument("--requests", type=int, default=50)
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--cache", type=Path, default=Path("/tmp/govern-report-bench"))
    ap.add_argument("--skip-report", action="store_true", help="Only the serve load test.")
    ap.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--db", default=None, help=argparse.SUPPRESS)
    ap.add_argument("--out", default=None, help=argparse.SUPPRESS)
    a, rest = ap.parse_known_args()
    if a.child:
        child(a.db, a.out, rest)
        return
    db = build(a.cache, a.models, a.scans)
    print(f"{a.models} model versions, model-0000@1 with {a.scans} scans ({db})\n")
    if not a.skip_report:
        bench_report(db, a.cache / "report.html", a.reps)
        print()
    print("| serve | clients | requests | first (cold) ms | p50 ms | p95 ms | p99 ms | req/s |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    bench_serve(db, a.clients, a.requests, cache=True)
    # Without the cache every answer opens the database and builds the page, one at a time
    # (the server builds serially so that writers get the file between reads): what one
    # request costs when the database has just changed.
    bench_serve(db, 1, min(a.requests, 20), cache=False)


if __name__ == "__main__":
    main()
