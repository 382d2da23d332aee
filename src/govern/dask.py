"""Scan on a Dask cluster: the plan on the driver, `Client.map` over its tasks, merge on the driver.

    from dask.distributed import Client
    import govern.dask
    result = govern.dask.scan("govern.duckdb", "churn@3", "s3://lake/churn/logs/",
                              client=Client("tcp://scheduler:8786"))

Each Dask task counts a group of work units with govern's own reader and C kernel
(`scan_units`) and returns one blob of states; the plan travels once per worker (scattered
as JSON). Workers never open the DuckDB store. A task that fails, or a worker that dies
more often than the scheduler's `distributed.scheduler.allowed-failures`, fails the scan
with the units it held named, and nothing is stored; a retry that succeeds counts the same
rows, so the evidence equals a local scan's either way. Needs `govern-mrm[dask]`.
"""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import CancelledError
from datetime import datetime
from pathlib import Path
from typing import Any

from govern._optional import require
from govern.errors import EngineError
from govern.lifecycle import ModelRef
from govern.results import ScanResult
from govern.runner._plan import ScanPlan, WorkUnit
from govern.runner.engines import plan_run_finish, worker_plan
from govern.runner.scan import DEFAULT_SPLIT_BYTES
from govern.store import Store

__all__ = ["DEFAULT_TASK_BYTES", "run_plan", "scan"]

DEFAULT_TASK_BYTES = 256 << 20  # about one task per 256 MB of parquet read
WORKER_DIED = (
    "a Dask worker died while counting {units} (task {key}, after {tries} attempt(s)); "
    "nothing was stored; check the workers' memory and logs, then run the scan again"
)


def _count(plan_id: str, plan_json: str, units: Sequence[WorkUnit]) -> bytes:
    """The task: one blob with the states of `units` (runs on a worker)."""
    from govern.scanplan import scan_units

    return scan_units(worker_plan(plan_id, plan_json), units)


def describe(units: Sequence[WorkUnit]) -> str:
    """Units for a message: the first file (and its row groups), how many more."""
    first = units[0]
    what = first.uri if first.row_groups is None else f"{first.uri} row groups {first.row_groups}"
    return what if len(units) == 1 else f"{what} and {len(units) - 1} more unit(s)"


def run_plan(
    client: Any, plan: ScanPlan, *, target_bytes: int = DEFAULT_TASK_BYTES
) -> tuple[list[bytes], dict[str, Any]]:
    """Count the plan's units on the client's cluster: the blobs, and what ran them."""
    distributed = require("distributed", extra="dask", what="the Dask engine")
    from distributed.comm.core import CommClosedError

    tasks = plan.tasks(target_bytes)
    workers = len(client.scheduler_info().get("workers", {}))
    info = {"engine": "dask", "workers": workers, "tasks": len(tasks)}
    if not tasks:
        return [], info
    keys = [f"govern-scan-{plan.plan_id}-{i}" for i in range(len(tasks))]
    shared = client.scatter(plan.to_json(), broadcast=True, hash=False)
    n = len(tasks)
    futures = client.map(_count, [plan.plan_id] * n, [shared] * n, tasks, key=keys, pure=False)
    try:
        blobs = client.gather(futures)
    except distributed.KilledWorker as exc:
        key = str(exc.args[0]) if exc.args else ""
        tries = int(exc.args[2]) + 1 if len(exc.args) > 2 else 1
        index = keys.index(key) if key in keys else 0
        raise EngineError(
            WORKER_DIED.format(units=describe(tasks[index]), key=key, tries=tries)
        ) from exc
    except (CommClosedError, CancelledError) as exc:  # the scheduler went away or cancelled
        raise EngineError(
            f"lost the Dask cluster during the scan ({type(exc).__name__}: {exc}); "
            "nothing was stored; run the scan again"
        ) from exc
    finally:
        client.cancel(futures)
    return list(blobs), info


def scan(
    store_or_path: Store | str | Path | None,
    ref: ModelRef | str,
    data: Sequence[str | Path] | str | Path | None = None,
    client: Any = None,
    *,
    table: str | None = None,
    baseline: str | Path | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    incremental: bool = True,
    target_bytes: int = DEFAULT_TASK_BYTES,
    split_bytes: int | None = DEFAULT_SPLIT_BYTES,
) -> ScanResult:
    """Plan, count on Dask (`client`, or the current default client), merge and store.

    `store_or_path`: an open Store, or the DuckDB file (None: $GOVERN_DB, ./govern.duckdb).
    `data`: paths, globs, directories or object-store URIs; or `table="delta:..."`.
    Tasks hold about `target_bytes` of parquet; files over `split_bytes` are split into
    row-group ranges (None: never), so one large file keeps several workers busy.
    """
    distributed = require("distributed", extra="dask", what="the Dask engine")
    if client is None:
        client = distributed.default_client()  # raises when there is none, as Dask does
    return plan_run_finish(
        store_or_path,
        ref,
        data,
        lambda plan: run_plan(client, plan, target_bytes=target_bytes),
        table=table,
        baseline=baseline,
        since=since,
        until=until,
        incremental=incremental,
        split_bytes=split_bytes,
    )


def run_on_cluster(
    plan: ScanPlan, *, scheduler: str | None, workers: int | None
) -> tuple[list[bytes], dict[str, Any]]:
    """`govern scan --engine dask`: on `scheduler`, or a local cluster of `workers` processes."""
    distributed = require("distributed", extra="dask", what="--engine dask")
    if scheduler is not None:
        try:
            client = distributed.Client(scheduler, timeout="10s")
        except (OSError, TimeoutError) as exc:
            raise EngineError(
                f"cannot reach the Dask scheduler at {scheduler}: {exc}; nothing was scanned"
            ) from exc
        with client:
            return run_plan(client, plan)
    n = workers if workers is not None else 2
    if n < 1:
        raise EngineError(f"--workers must be at least 1, got {n}")
    with (
        distributed.LocalCluster(
            n_workers=n,
            threads_per_worker=1,
            processes=True,
            host="127.0.0.1",
            dashboard_address="127.0.0.1:0",
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        return run_plan(client, plan)
