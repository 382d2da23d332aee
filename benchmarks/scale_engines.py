"""Dask and Spark against the local scan on the same files (run by hand; benchmarks/README.md).

    python benchmarks/scale_engines.py --dir benchmarks/data --files 20 --rows-per-file 1M

Writes (once) `--files` parquet files of `--rows-per-file` rows with benchmarks/gen.py's
seeded generator, and a 1M-row baseline; registers a card naming every evidence family.
Then, for `--reps` rounds, full scans (no partial reuse) of all the files:

- local: `govern.scanplan.scan` on 2 reader threads (what `govern scan` runs);
- dask: `govern.dask.scan` on a LocalCluster of 2 worker processes x 1 thread, end to end
  (plan, `Client.map`, gather, merge and store); the cluster's start-up is timed apart;
  CPU seconds of the driver plus both workers are reported too (on a shared machine, wall
  time depends on what else runs; CPU time much less);
- spark: `prepare_scan`, then `govern.spark.run_plan` on a `local[2]` session (the
  distributed part, timed), then `finish_scan`; session start-up timed apart.

Every engine's evidence values are checked equal to the local scan's (freshness, relative
to each scan's start, left out). Prints the medians and the ratios to the local scan.
"""

from __future__ import annotations

import argparse
import logging
import os
import resource
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))
import gen  # noqa: E402

from govern.cards import parse_card  # noqa: E402
from govern.lifecycle import ModelRef  # noqa: E402
from govern.runner.baseline import baseline  # noqa: E402
from govern.scanplan import finish_scan, prepare_scan, scan  # noqa: E402
from govern.store import Store  # noqa: E402
from govern.store.registry import upsert_card  # noqa: E402

CARD = gen.CARD + gen.FAMILIES
REF = ModelRef("bench", "1")


def values(result: Any) -> list[tuple[Any, ...]]:
    return sorted(
        (m.family, m.subject, m.metric, m.value, m.status)
        for m in result.metrics
        if m.metric != "freshness_seconds"
    )


def data(folder: Path, files: int, rows: int) -> tuple[list[Path], Path]:
    split = folder / f"current-{files}x{rows}"
    paths = sorted(split.glob("*.parquet"))
    if len(paths) != files:
        split.mkdir(parents=True, exist_ok=True)
        paths = []
        for f in range(files):
            target = split / f"part{f:02d}.parquet"
            gen.pq.write_table(
                gen.chunk("current", f, rows), target, row_group_size=gen.CHUNK, compression="zstd"
            )
            paths.append(target)
    ref = folder / "baseline-1M.parquet"
    if not ref.exists():
        gen.write(folder, "baseline", 1_000_000, 1)
    return paths, ref


def cpu_seconds() -> float:
    """User + system CPU of this process (all its threads) so far."""
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def dask_cpu(client: Any) -> float:
    """CPU so far of this process plus every Dask worker process."""
    return cpu_seconds() + sum(client.run(cpu_seconds).values())


def timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    t0 = time.perf_counter()
    out = fn()
    return time.perf_counter() - t0, out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--dir", type=Path, default=Path("benchmarks/data"))
    ap.add_argument("--files", type=int, default=20)
    ap.add_argument("--rows-per-file", default="1M")
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--engines", default="dask,spark")
    a = ap.parse_args()
    engines = a.engines.split(",")
    files, ref = data(a.dir, a.files, gen.parse_rows(a.rows_per_file))
    size = sum(f.stat().st_size for f in files)
    print(f"{len(files)} files, {size / 1e6:.0f} MB, load average {os.getloadavg()}")
    with tempfile.TemporaryDirectory() as tmp:
        store = Store.open(Path(tmp) / "bench.duckdb", create=True)
        upsert_card(store, parse_card(CARD, "bench.yaml"))
        baseline(store, REF, data=[ref])
        client = cluster = spark = None
        if "dask" in engines:
            from distributed import Client, LocalCluster

            t, cluster = timed(
                lambda: LocalCluster(
                    n_workers=2,
                    threads_per_worker=1,
                    processes=True,
                    host="127.0.0.1",
                    dashboard_address="127.0.0.1:0",
                    silence_logs=logging.ERROR,
                )
            )
            client = Client(cluster)
            print(f"dask: LocalCluster of 2 processes started in {t:.1f} s")
        if "spark" in engines:
            from pyspark.sql import SparkSession

            os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
            os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
            t, spark = timed(
                lambda: (
                    SparkSession.builder.master("local[2]")
                    .config("spark.driver.host", "127.0.0.1")
                    .config("spark.driver.bindAddress", "127.0.0.1")
                    .config("spark.ui.enabled", "false")
                    .config("spark.ui.showConsoleProgress", "false")
                    .getOrCreate()
                )
            )
            spark.sparkContext.setLogLevel("ERROR")
            print(f"spark: local[2] session started in {t:.1f} s")
        times: dict[str, list[float]] = {"local": [], "dask": [], "spark": [], "spark-e2e": []}
        cpu: dict[str, list[float]] = {"local": [], "dask": []}
        for rep in range(a.reps):
            c0 = cpu_seconds()
            t, local = timed(lambda: scan(store, REF, data=files, threads=2, incremental=False))
            cpu["local"].append(cpu_seconds() - c0)
            times["local"].append(t)
            expected = values(local)
            if client is not None:
                import govern.dask

                c0 = dask_cpu(client)
                t, res = timed(
                    lambda: govern.dask.scan(store, REF, files, client=client, incremental=False)
                )
                cpu["dask"].append(dask_cpu(client) - c0)
                assert values(res) == expected, "dask evidence differs from the local scan"
                times["dask"].append(t)
            if spark is not None:
                import govern.spark

                t0 = time.perf_counter()
                plan = prepare_scan(store, REF, files, incremental=False)
                t, (blobs, _) = timed(lambda p=plan: govern.spark.run_plan(spark, p))
                res = finish_scan(store, plan, blobs)
                times["spark-e2e"].append(time.perf_counter() - t0)
                assert values(res) == expected, "spark evidence differs from the local scan"
                times["spark"].append(t)
            print(
                f"round {rep + 1}: "
                + ", ".join(f"{k} {v[-1]:.2f} s" for k, v in times.items() if v)
            )
        base = statistics.median(times["local"])
        print(f"local scan (2 threads): median {base:.2f} s")
        for name, label in (
            ("dask", "dask end to end (2 processes)"),
            ("spark", "spark distributed part (local[2])"),
            ("spark-e2e", "spark end to end (plan + run + merge)"),
        ):
            if times[name]:
                m = statistics.median(times[name])
                print(f"{label}: median {m:.2f} s = {m / base:.2f}x the local scan")
        for name, v in cpu.items():
            if v:
                print(f"{name}: median CPU {statistics.median(v):.2f} s (all its processes)")
        if client is not None:
            client.close()
            cluster.close()
        if spark is not None:
            spark.stop()
        store.close()


if __name__ == "__main__":
    main()
