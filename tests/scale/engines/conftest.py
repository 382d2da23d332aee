"""Real engines and a registered model for the engine and table tests (tests/scale/engines).

A Dask LocalCluster of 2 worker processes and a Spark `local[2]` session, both on 127.0.0.1
and started once per test session; each fixture skips, with the reason, when its extra
(`govern-mrm[dask]`, `govern-mrm[spark]`) or Java is absent. The `model` fixture is a DuckDB
store with a registered card covering every evidence family, its baseline, and inference
parquet in several files of several row groups; `evidence` reads a scan's rows back.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import sys
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from govern.cli import main

CARD = """\
name: m
version: "1"
owner: a@example.com
risk_tier: 2
use_case: testing
monitoring:
  features: [x, z, c]
  prediction: score
  threshold: 0.5
  label: label
  protected: [group]
  favourable_outcome: 1
  min_group_size: 10
  latency: latency_ms
  error_code: error_code
  timestamp: ts
  min_rows: 50
"""


def log_table(seed: int, n: int, day: int = 1, shift: float = 0.0) -> pa.Table:
    """Inference rows of one day: every column the card monitors, some nulls and NaNs."""
    rng = np.random.default_rng(seed)
    start = datetime(2026, 11, day)
    ts = [start + timedelta(seconds=int(s)) for s in np.sort(rng.integers(0, 86_400, n))]
    x = rng.normal(shift, 1, n)
    x[rng.random(n) < 0.01] = np.nan
    score = rng.random(n)
    return pa.table(
        {
            "ts": pa.array(ts, type=pa.timestamp("us")),
            "x": pa.array(x, mask=rng.random(n) < 0.02),
            "z": pa.array(rng.exponential(2, n)),
            "c": pa.array(rng.choice(["a", "b", "c"], n).tolist()),
            "score": pa.array(score),
            "label": pa.array((rng.random(n) < score).astype(np.int64)),
            "group": pa.array(rng.choice(["g1", "g2", "g3"], n).tolist()),
            "latency_ms": pa.array(rng.gamma(2.0, 20.0, n)),
            "error_code": pa.array(
                np.where(rng.random(n) < 0.03, "E500", None).tolist(), type=pa.string()
            ),
        }
    )


@pytest.fixture
def model(tmp_path: Path) -> dict[str, Any]:
    """A store with model m@1 and its baseline, plus four log files (3 row groups each)."""
    db = tmp_path / "g.duckdb"
    card = tmp_path / "m.yaml"
    card.write_text(CARD)
    ref = tmp_path / "train.parquet"
    pq.write_table(log_table(1, 5_000), ref)
    logs = tmp_path / "logs"
    logs.mkdir()
    files = []
    for day in (1, 2, 3, 4):
        f = logs / f"part-{day}.parquet"
        pq.write_table(log_table(10 + day, 3_000, day, 0.1 * day), f, row_group_size=1_000)
        files.append(f)
    assert main(["--db", str(db), "init"]) == 0
    assert main(["--db", str(db), "register", str(card)]) == 0
    assert main(["--db", str(db), "baseline", "m@1", "--data", str(ref)]) == 0
    return {"db": db, "logs": logs, "files": files, "tmp": tmp_path}


def copy_db(model: dict[str, Any], name: str) -> Path:
    """A copy of the model's store, so two scans of the same files start from the same state."""
    out = model["tmp"] / f"{name}.duckdb"
    shutil.copy(model["db"], out)
    return out


def evidence(db: Path, scan_id: str | None = None) -> list[tuple[Any, ...]]:
    """Every evidence row of a scan (the newest when no id), freshness's own "now" checked.

    Freshness is the age of the newest row at the scan's start time, the one value two scans
    of the same rows may differ in: it is checked to be exactly its `now` minus the newest
    row, then masked. Everything else is compared as stored, bit for bit.
    """
    con = duckdb.connect(str(db), read_only=True)
    try:
        sid = (
            scan_id
            or con.execute(
                "SELECT scan_id FROM scans ORDER BY finished_at DESC LIMIT 1"
            ).fetchone()[0]
        )
        rows = con.execute(
            "SELECT subject, metric, value, status, reason, detail FROM evidence "
            "WHERE scan_id = ? ORDER BY subject, metric",
            [sid],
        ).fetchall()
    finally:
        con.close()
    out, seen = [], 0
    for subject, metric, value, status, reason, detail in rows:
        if metric == "freshness_seconds":
            d = json.loads(detail)
            now = datetime.fromisoformat(d.pop("now").replace("Z", "+00:00"))
            last = datetime.fromisoformat(d["last"].replace("Z", "+00:00"))
            assert status == "ok" and value == pytest.approx((now - last).total_seconds(), abs=1e-5)
            value, detail, seen = "<scan time>", json.dumps(d, sort_keys=True), seen + 1
        out.append((subject, metric, value, status, reason, detail))
    assert seen == 1, "the card names a timestamp: one freshness row expected"
    assert len(out) > 30, "every family measured"
    return out


@pytest.fixture(scope="session")
def dask_client() -> Iterator[Any]:
    """A real Dask LocalCluster: 2 worker processes, one thread each, on 127.0.0.1."""
    distributed = pytest.importorskip(
        "distributed", reason="the Dask tests need govern-mrm[dask] (dask, distributed)"
    )
    cluster = distributed.LocalCluster(
        n_workers=2,
        threads_per_worker=1,
        processes=True,
        host="127.0.0.1",
        dashboard_address="127.0.0.1:0",
        silence_logs=logging.ERROR,
    )
    client = distributed.Client(cluster)
    try:
        yield client
    finally:
        client.close()
        cluster.close()


def java_available() -> bool:
    """Whether a Java runtime is there for Spark (JAVA_HOME or java on PATH)."""
    home = os.environ.get("JAVA_HOME")
    return bool(home and Path(home, "bin", "java").exists()) or shutil.which("java") is not None


# What the Spark executors' Python workers find in their environment for S3: the moto server
# behind the killing proxy (tests/scale/conftest.py), with test keys. Spark sets an
# executor's environment from `spark.executorEnv.NAME` (Spark configuration docs).
SPARK_S3_ENV = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_REGION": "us-east-1",
    "AWS_EC2_METADATA_DISABLED": "true",
}


@pytest.fixture(scope="session")
def spark(request: pytest.FixtureRequest) -> Iterator[Any]:
    """A real Spark `local[2]` session bound to 127.0.0.1: small memory, no UI.

    When moto is installed its executors read S3 from the session's moto server through
    the killing proxy (`spark.executorEnv.AWS_*`), so S3 tests can share the session.
    """
    pytest.importorskip("pyspark", reason="the Spark tests need govern-mrm[spark] (pyspark)")
    if not java_available():
        pytest.skip("the Spark tests need Java 17 (java on PATH or JAVA_HOME)")
    try:
        proxy = request.getfixturevalue("s3_proxy")
        executor_env = {**SPARK_S3_ENV, "AWS_ENDPOINT_URL": proxy.endpoint}
    except pytest.skip.Exception:  # no moto: the S3 tests skip, the others run
        executor_env = {}
    saved = {k: os.environ.get(k) for k in ("SPARK_LOCAL_IP", "PYSPARK_PYTHON")}
    os.environ["SPARK_LOCAL_IP"] = "127.0.0.1"
    os.environ["PYSPARK_PYTHON"] = sys.executable
    from pyspark.sql import SparkSession

    builder = (
        SparkSession.builder.master("local[2]")
        .appName("govern-tests")
        .config("spark.driver.host", "127.0.0.1")
        .config("spark.driver.bindAddress", "127.0.0.1")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.driver.memory", "768m")
        .config("spark.sql.shuffle.partitions", "2")
    )
    for name, value in executor_env.items():
        builder = builder.config(f"spark.executorEnv.{name}", value)
    session = builder.getOrCreate()
    session.sparkContext.setLogLevel("ERROR")
    try:
        yield session
    finally:
        session.stop()
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
