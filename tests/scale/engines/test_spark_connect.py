"""`govern scan --engine spark --master sc://...` against a real Spark Connect server.

The server (Spark's own SparkConnectServer from the pyspark package, `local[2]`, gRPC on a
free 127.0.0.1 port) runs in its own process; govern runs as a separate CLI process, a
Spark Connect client that uses the DataFrame API only. The evidence is the one the local
scan stores for the same files, bit for bit.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from govern.cli import main

from .conftest import copy_db, evidence, java_available


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def connect_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A Spark Connect server on 127.0.0.1, started for this module; its sc:// URL."""
    pyspark = pytest.importorskip("pyspark", reason="needs govern-mrm[spark] (pyspark)")
    pytest.importorskip("grpc", reason="Spark Connect needs pyspark[connect] (grpcio)")
    if not java_available():
        pytest.skip("the Spark tests need Java 17 (java on PATH or JAVA_HOME)")
    home = Path(pyspark.__file__).parent
    port = _free_port()
    log = tmp_path_factory.mktemp("connect") / "server.log"
    env = {
        **os.environ,
        "SPARK_HOME": str(home),
        "SPARK_LOCAL_IP": "127.0.0.1",
        "PYSPARK_PYTHON": sys.executable,
    }
    conf = {
        "spark.connect.grpc.binding.address": "127.0.0.1",
        "spark.connect.grpc.binding.port": str(port),
        "spark.driver.host": "127.0.0.1",
        "spark.driver.bindAddress": "127.0.0.1",
        "spark.ui.enabled": "false",
        "spark.driver.memory": "768m",
    }
    command = [str(home / "bin" / "spark-submit"), "--master", "local[2]"]
    for key, value in conf.items():
        command += ["--conf", f"{key}={value}"]
    command += ["--class", "org.apache.spark.sql.connect.service.SparkConnectServer"]
    command += ["spark-internal"]
    with log.open("wb") as out:
        proc = subprocess.Popen(command, env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 180
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), 0.5).close()
                break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"the Spark Connect server did not start:\n{log.read_text()}")
                time.sleep(0.5)
        yield f"sc://127.0.0.1:{port}"
    finally:
        proc.terminate()
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()


def test_cli_engine_spark_through_spark_connect(model: dict[str, Any], connect_url: str) -> None:
    local = copy_db(model, "local")
    assert main(["--db", str(local), "-q", "scan", "m@1", "--data", str(model["logs"])]) == 0
    db = copy_db(model, "connect")
    govern = Path(sys.executable).parent / "govern"
    args = ["--data", str(model["logs"]), "--engine", "spark", "--master", connect_url]
    done = subprocess.run(
        [str(govern), "--db", str(db), "-q", "scan", "m@1", *args],
        capture_output=True,
        text=True,
        timeout=600,
        env={**os.environ, "SPARK_LOCAL_IP": "127.0.0.1"},
    )
    assert done.returncode == 0, done.stderr
    assert evidence(db) == evidence(local)
