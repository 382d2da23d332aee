"""Spark over S3: executors of a real `local[2]` session read `s3://` objects themselves.

The session's executors get the S3 endpoint and test keys from their own environment
(`spark.executorEnv.AWS_*`, engines/conftest.py), like executors on a cluster; they reach
the moto server through a proxy that can kill a reader mid-object (tests/scale/conftest.py).
The evidence equals the local scan of the same files; an object replaced or removed after
planning, and a Python worker killed while it reads an object, fail the scan with an error
naming the object (exit 2) and store nothing.
"""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest

import govern.spark
from govern.cli import main
from govern.errors import EngineError, GovernError, MetricInputError
from govern.lifecycle import ModelRef
from govern.scanplan import prepare_scan
from govern.store import Store

from ..conftest import KillingProxy, S3Server, counts
from .conftest import copy_db, evidence, log_table

pytestmark = pytest.mark.filterwarnings(
    "ignore:PySpark does not yet fully support pandas:FutureWarning"
)
SMALL_TASKS = 60_000  # bytes: several Spark tasks per scan


def _bucket(server: S3Server, files: list[Path]) -> str:
    name = f"spark-{uuid.uuid4().hex[:10]}"
    server.make_bucket(name)
    for f in files:
        server.upload(f, f"s3://{name}/logs/{f.name}")
    return f"s3://{name}/logs/"


def test_spark_scan_of_s3_objects_equals_the_local_scan(
    model: dict, spark: Any, s3_env: S3Server, s3_proxy: KillingProxy
) -> None:
    prefix = _bucket(s3_env, model["files"])
    local = copy_db(model, "local")
    assert main(["--db", str(local), "-q", "scan", "m@1", "--data", str(model["logs"])]) == 0
    db = copy_db(model, "spark")
    result = govern.spark.scan(
        spark, "m@1", prefix, db=db, target_bytes=SMALL_TASKS, split_bytes=40_000
    )
    assert result.rows == 12_000 and [s.path for s in result.sources] == [
        prefix + f.name for f in model["files"]
    ]
    assert evidence(db) == evidence(local)


@pytest.mark.parametrize("change", ["replaced", "removed"])
def test_an_object_changed_after_planning_fails_the_spark_scan(
    model: dict, spark: Any, s3_env: S3Server, change: str
) -> None:
    prefix = _bucket(s3_env, model["files"])
    target = prefix + model["files"][2].name
    before = counts(model["db"])
    with Store.open(model["db"]) as store:
        plan = prepare_scan(store, ModelRef("m", "1"), [prefix])
        if change == "replaced":
            other = model["tmp"] / "other.parquet"
            pq.write_table(log_table(79, 2_000, day=3), other)
            s3_env.upload(other, target)
        else:
            s3_env.filesystem().delete_file(target.removeprefix("s3://"))
        with pytest.raises(MetricInputError) as info:
            govern.spark.run_plan(spark, plan, target_bytes=SMALL_TASKS)
    assert info.value.path == target and info.value.exit_code == 2
    assert ("changed while it was read" if change == "replaced" else "no such object") in str(
        info.value
    )
    assert counts(model["db"]) == before


def test_a_python_worker_killed_mid_object_fails_the_scan_naming_it(
    model: dict, spark: Any, s3_env: S3Server, s3_proxy: KillingProxy
) -> None:
    prefix = _bucket(s3_env, model["files"])
    target = prefix + model["files"][1].name
    db = copy_db(model, "killed")
    before = counts(db)
    s3_proxy.arm(target)
    with pytest.raises(GovernError) as info:
        govern.spark.scan(spark, "m@1", prefix, db=db, target_bytes=1)  # a task per object
    assert s3_proxy.killed, "no executor read the armed object"
    assert isinstance(info.value, EngineError) and info.value.exit_code == 2
    message = str(info.value)
    assert message.startswith(f"the Spark job failed while counting {target} (")
    assert "nothing was stored" in message
    assert counts(db) == before
    # The session survives: the same scan runs again and stores the local evidence.
    local = copy_db(model, "local")
    assert main(["--db", str(local), "-q", "scan", "m@1", "--data", str(model["logs"])]) == 0
    govern.spark.scan(spark, "m@1", prefix, db=db, target_bytes=SMALL_TASKS)
    assert evidence(db) == evidence(local)
