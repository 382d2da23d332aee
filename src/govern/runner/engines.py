"""Which engine counts a scan, and where its files come from: `govern scan --engine/--table`.

A scan is planned on the driver (`prepare_scan`), its work units are counted by an engine
(local threads, Dask workers, Spark executors: `scan_units` everywhere) and merged and stored
by the driver (`finish_scan`). The engine changes where the counting runs, never a number:
the evidence is the one `govern scan` stores for the same files. A `--table` resolves to the
table version's parquet files first (runner/_tables.py) and its version goes into the scan's
parameters.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from govern.errors import UserInputError
from govern.lifecycle import ModelRef
from govern.results import ScanResult
from govern.runner._engine import DEFAULT_THREADS, ProgressSink
from govern.runner._plan import ScanPlan
from govern.runner._tables import resolve_table
from govern.store import Store

ENGINES = ("local", "dask", "spark")
_plans: dict[str, ScanPlan] = {}  # on a worker: plans parsed, by plan id


def worker_plan(plan_id: str, plan_json: str) -> ScanPlan:
    """The plan on a worker, parsed once per process.

    A plan lists every unit of the scan: parsing it again for each of thousands of tasks
    would cost more than the tasks.
    """
    plan = _plans.get(plan_id)
    if plan is None:
        plan = ScanPlan.from_json(plan_json)
        if len(_plans) >= 4:
            _plans.clear()
        _plans[plan_id] = plan
    return plan


def sources(
    data: Sequence[str | Path] | str | Path | None, table: str | None
) -> tuple[list[str | Path], dict[str, Any], Mapping[str, str]]:
    """The inputs to plan (paths, globs, URIs), and what the scan records about a table.

    Third: the table's partition values that its files do not hold (runner/_partitions.py).
    """
    if isinstance(data, str | Path):
        data = [data]
    if table is not None:
        if data:
            raise UserInputError("pass either --data or --table, not both")
        files = resolve_table(table)
        if not files.files:
            raise UserInputError(f"table {table}: the version has no data files; nothing to scan")
        return list(files.uris), {"table": files.provenance()}, files.partitions
    if not data:
        raise UserInputError("no data given; pass --data PARQUET (one or more) or --table TABLE")
    return list(data), {}, {}


def plan_run_finish(
    db: Store | str | Path | None,
    ref: ModelRef | str,
    data: Sequence[str | Path] | str | Path | None,
    run: Callable[[ScanPlan], tuple[list[bytes], dict[str, Any]]],
    *,
    table: str | None = None,
    baseline: str | Path | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    incremental: bool = True,
    split_bytes: int | None = None,
) -> ScanResult:
    """The driver's side of a cluster scan: plan, hand the plan to `run`, merge and store.

    `db`: an open Store, or the DuckDB file (None: $GOVERN_DB, ./govern.duckdb). `run`
    counts the plan's units on the cluster and returns the blobs plus what the engine
    records about itself; the table's provenance is added to that.
    """
    from govern.scanplan import finish_scan, prepare_scan

    ref = ModelRef.parse(ref) if isinstance(ref, str) else ref
    inputs, provenance, partitions = sources(data, table)

    def on(store: Store) -> ScanResult:
        plan = prepare_scan(
            store,
            ref,
            inputs,
            baseline=baseline,
            since=since,
            until=until,
            incremental=incremental,
            split_bytes=split_bytes,
            partitions=partitions,
        )
        blobs, info = run(plan)
        return finish_scan(store, plan, blobs, engine={**info, **provenance})

    if isinstance(db, Store):
        return on(db)
    with Store.open(db) as store:
        return on(store)


def scan_with(
    store: Store,
    ref: ModelRef,
    *,
    data: Sequence[str | Path] | None = None,
    table: str | None = None,
    engine: str = "local",
    threads: int = DEFAULT_THREADS,
    scheduler: str | None = None,
    workers: int | None = None,
    master: str | None = None,
    baseline: str | Path | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    incremental: bool = True,
    progress: ProgressSink | None = None,
) -> ScanResult:
    """Scan with the named engine; the same evidence whichever runs it."""
    from govern.scanplan import finish_scan, prepare_scan, scan, scan_units

    if engine not in ENGINES:
        raise UserInputError(f"unknown engine {engine!r}; valid engines are: {', '.join(ENGINES)}")
    if engine != "dask" and (scheduler is not None or workers is not None):
        raise UserInputError("--scheduler and --workers go with --engine dask")
    if engine != "spark" and master is not None:
        raise UserInputError("--master goes with --engine spark")
    inputs, provenance, partitions = sources(data, table)
    if engine == "local" and not provenance:
        return scan(
            store,
            ref,
            data=inputs,
            baseline=baseline,
            since=since,
            until=until,
            threads=threads,
            progress=progress,
            incremental=incremental,
        )
    plan = prepare_scan(
        store,
        ref,
        inputs,
        baseline=baseline,
        since=since,
        until=until,
        incremental=incremental,
        partitions=partitions,
    )
    if engine == "dask":
        from govern import dask as dask_engine

        blobs, info = dask_engine.run_on_cluster(plan, scheduler=scheduler, workers=workers)
    elif engine == "spark":
        from govern import spark as spark_engine

        blobs, info = spark_engine.run_on_master(plan, master=master)
    else:
        blobs = [scan_units(plan, plan.units, threads=threads)] if plan.units else []
        info = {"engine": "local", "threads": threads}
    return finish_scan(store, plan, blobs, engine={**info, **provenance})
