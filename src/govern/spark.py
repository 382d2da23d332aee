"""Scan from a Spark job: executors count work units with govern's reader, the driver merges.

    import govern.spark
    result = govern.spark.scan(spark, "churn@3", "s3://lake/churn/logs/", db="govern.duckdb")

Path mode: the plan's tasks become a DataFrame of one row per task (`spark.range`, one
partition each) and `mapInArrow` runs `scan_units` on the executors, which read the parquet
files themselves (govern's reader and C kernel, whole row groups, through `pyarrow.fs`); the
blobs come back with `collect()` and `finish_scan` stores them on the driver. Only the
DataFrame API is used, so a Spark Connect session (`sc://...`) works as well as a classic
one. Executors need govern installed (the same version as the driver) and read access to
the data. A govern error on an executor (a file changed, a column missing) comes back as
that error, naming the file; nothing is stored. Needs `govern-mrm[spark]`.
"""

from __future__ import annotations

import json
import pickle
import re
from collections.abc import Iterator, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from govern._optional import require
from govern.errors import EngineError, GovernError
from govern.lifecycle import ModelRef
from govern.results import ScanResult
from govern.runner._plan import ScanPlan, WorkUnit
from govern.runner.engines import plan_run_finish, worker_plan
from govern.runner.scan import DEFAULT_SPLIT_BYTES
from govern.store import Store

__all__ = ["DEFAULT_TASK_BYTES", "run_plan", "scan"]

DEFAULT_TASK_BYTES = 256 << 20
RESULT_SCHEMA = "task long, blob binary, error binary"


class _Count:
    """The mapInArrow function: plan and task list travel with it (no broadcast variable).

    A govern error on the executor is returned pickled in `error` (re-raised on the driver
    with its message and file); anything else fails the Spark task as usual.
    """

    def __init__(self, plan_id: str, plan_json: str, tasks: list[str]) -> None:
        self.plan_id = plan_id
        self.plan_json = plan_json
        self.tasks = tasks

    def __call__(self, batches: Iterator[Any]) -> Iterator[Any]:
        import pyarrow as pa

        from govern.scanplan import scan_units

        plan = worker_plan(self.plan_id, self.plan_json)
        schema = pa.schema([("task", pa.int64()), ("blob", pa.binary()), ("error", pa.binary())])
        for batch in batches:
            for task in batch.column(0).to_pylist():
                units = [WorkUnit.from_dict(d) for d in json.loads(self.tasks[task])]
                blob: bytes | None = None
                error: bytes | None = None
                try:
                    blob = scan_units(plan, units)
                except GovernError as exc:
                    error = pickle.dumps(exc)
                yield pa.RecordBatch.from_pydict(
                    {"task": [task], "blob": [blob], "error": [error]}, schema=schema
                )


def run_plan(
    spark: Any, plan: ScanPlan, *, target_bytes: int = DEFAULT_TASK_BYTES
) -> tuple[list[bytes], dict[str, Any]]:
    """Count the plan's units on Spark executors: the blobs, and what ran them."""
    tasks = plan.tasks(target_bytes)
    info: dict[str, Any] = {"engine": "spark", "tasks": len(tasks)}
    if not tasks:
        return [], info
    payload = [json.dumps([u.to_dict() for u in t]) for t in tasks]
    frame = spark.range(0, len(tasks), 1, len(tasks))  # one task per partition
    try:
        rows = frame.mapInArrow(
            _Count(plan.plan_id, plan.to_json(), payload), RESULT_SCHEMA
        ).collect()
    except Exception as exc:  # Py4J / Spark Connect errors: an executor lost, a job aborted
        lines = [ln.strip() for ln in str(exc).splitlines() if ln.strip()]
        raise EngineError(
            f"the Spark job failed{_while_counting(str(exc), tasks)} "
            f"({type(exc).__name__}: {lines[0] if lines else exc!r}); "
            "nothing was stored; see the Spark logs, then run the scan again"
        ) from exc
    blobs: dict[int, bytes] = {}
    for row in rows:
        if row["error"] is not None:
            raise pickle.loads(row["error"])  # noqa: S301 - our own executors' govern error
        blobs[int(row["task"])] = bytes(row["blob"])
    missing = [i for i in range(len(tasks)) if i not in blobs]
    if missing:
        raise EngineError(
            f"Spark returned no result for {len(missing)} task(s) (first: task {missing[0]}); "
            "nothing was stored; run the scan again"
        )
    return [blobs[i] for i in range(len(tasks))], info


_FAILED_TASK = re.compile(r"\b[Tt]ask (\d+)(?:\.\d+)? in stage")


def _while_counting(message: str, tasks: Sequence[Sequence[WorkUnit]]) -> str:
    """The files of the task Spark names as failed (" while counting FILE, ..."), or "".

    Task i of the job is partition i of `spark.range(0, n, 1, n)`, which counts tasks[i];
    Spark's message says "Task I in stage S failed" (or "Lost task I.A in stage S").
    """
    m = _FAILED_TASK.search(message)
    if m is None or not 0 <= int(m.group(1)) < len(tasks):
        return ""
    uris = list(dict.fromkeys(u.uri for u in tasks[int(m.group(1))]))
    more = f" and {len(uris) - 3} more" if len(uris) > 3 else ""
    return f" while counting {', '.join(uris[:3])}{more}"


def scan(
    spark: Any,
    ref: ModelRef | str,
    data: Sequence[str | Path] | str | Path | None = None,
    *,
    db: Store | str | Path | None = None,
    table: str | None = None,
    baseline: str | Path | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    incremental: bool = True,
    target_bytes: int = DEFAULT_TASK_BYTES,
    split_bytes: int | None = DEFAULT_SPLIT_BYTES,
) -> ScanResult:
    """Plan on the driver, count on `spark`'s executors, merge and store in `db`.

    `db`: an open Store, or the DuckDB file on the driver (None: $GOVERN_DB, ./govern.duckdb).
    `data`: paths, globs, directories or object-store URIs the executors can read; or
    `table="delta:..."` / `"iceberg:..."`. Tasks hold about `target_bytes` of parquet;
    files over `split_bytes` are split into row-group ranges (None: never).
    """
    return plan_run_finish(
        db,
        ref,
        data,
        lambda plan: run_plan(spark, plan, target_bytes=target_bytes),
        table=table,
        baseline=baseline,
        since=since,
        until=until,
        incremental=incremental,
        split_bytes=split_bytes,
    )


def session(master: str | None) -> Any:
    """A Spark session for `--engine spark`: `sc://` URLs through Spark Connect."""
    sql = require("pyspark.sql", extra="spark", what="--engine spark")
    builder = sql.SparkSession.builder.appName("govern scan")
    if master is not None and master.startswith("sc://"):
        return builder.remote(master).getOrCreate()
    if master is not None:
        builder = builder.master(master)
    return builder.getOrCreate()


def run_on_master(plan: ScanPlan, *, master: str | None) -> tuple[list[bytes], dict[str, Any]]:
    """`govern scan --engine spark [--master URL]`: run on a new session, then stop it.

    A session already active in this process (a notebook, a test) is used and left running.
    """
    sql = require("pyspark.sql", extra="spark", what="--engine spark")
    active = sql.SparkSession.getActiveSession()
    if active is not None:
        return run_plan(active, plan)
    spark = session(master)
    try:
        return run_plan(spark, plan)
    finally:
        spark.stop()
