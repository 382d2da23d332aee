"""Scans from a real Spark `local[2]` session (127.0.0.1): executors count the work units with
govern's reader through `mapInArrow`, the driver merges; the evidence is the one `govern scan`
stores for the same files on one machine, bit for bit."""

from __future__ import annotations

import sys
from datetime import datetime
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest

import govern.spark
from govern.cli import main
from govern.errors import MetricInputError
from govern.lifecycle import ModelRef
from govern.scanplan import prepare_scan
from govern.store import Store

from ..conftest import counts
from .conftest import copy_db, evidence, log_table

# pyspark 4.3 warns that it does not fully support pandas 3 when mapInArrow is set up; govern
# hands it Arrow batches only (no pandas on either side).
pytestmark = pytest.mark.filterwarnings(
    "ignore:PySpark does not yet fully support pandas:FutureWarning"
)
SMALL_TASKS = 60_000  # bytes: several Spark tasks per scan


def _local(model: dict[str, Any], *args: str) -> Path:
    db = copy_db(model, "local")
    assert main(["--db", str(db), "-q", "scan", "m@1", *args]) == 0
    return db


def test_spark_scan_equals_the_local_scan(model: dict, spark: Any) -> None:
    files = [str(f) for f in model["files"]]
    local = _local(model, "--data", *files)
    db = copy_db(model, "spark")
    result = govern.spark.scan(
        spark, "m@1", files, db=db, target_bytes=SMALL_TASKS, split_bytes=40_000
    )
    assert result.rows == 12_000
    assert evidence(db) == evidence(local)


def test_spark_scan_with_a_window_and_a_directory(model: dict, spark: Any) -> None:
    since = "2026-11-02T06:00:00"
    local = _local(model, "--data", str(model["logs"]), "--since", since)
    db = copy_db(model, "spark")
    govern.spark.scan(
        spark,
        ModelRef("m", "1"),
        model["logs"],
        db=db,
        since=datetime.fromisoformat(since),
        target_bytes=SMALL_TASKS,
    )
    assert evidence(db) == evidence(local)


def test_cli_engine_spark(model: dict, spark: Any) -> None:
    local = _local(model, "--data", str(model["logs"]))
    db = copy_db(model, "spark")
    args = ["--data", str(model["logs"]), "--engine", "spark", "--master", "local[2]"]
    assert main(["--db", str(db), "-q", "scan", "m@1", *args]) == 0
    assert evidence(db) == evidence(local)
    assert spark.range(3).count() == 3  # the active session was used and left running


def test_a_govern_error_on_an_executor_reaches_the_driver(model: dict, spark: Any) -> None:
    before = counts(model["db"])
    target = model["files"][1]
    with Store.open(model["db"]) as store:
        plan = prepare_scan(store, ModelRef("m", "1"), [model["logs"]])
        pq.write_table(log_table(78, 3_000, day=2), target, row_group_size=1_000)
        with pytest.raises(MetricInputError) as info:
            govern.spark.run_plan(spark, plan, target_bytes=SMALL_TASKS)
    assert str(target) in str(info.value) and "changed while it was read" in str(info.value)
    assert counts(model["db"]) == before


def test_missing_pyspark_names_the_extra(
    model: dict, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setitem(sys.modules, "pyspark", None)  # import pyspark -> ImportError
    monkeypatch.setitem(sys.modules, "pyspark.sql", None)
    before = counts(model["db"])
    args = ["-q", "scan", "m@1", "--data", str(model["logs"]), "--engine", "spark"]
    assert main(["--db", str(model["db"]), *args]) == 2
    err = capsys.readouterr().err
    assert "--engine spark needs the Python package 'pyspark'" in err
    assert "pip install 'govern-mrm[spark]'" in err
    assert counts(model["db"]) == before
