"""Scans split into plan, work units and merge: for clusters, notebooks and pipelines.

    plan = prepare_scan(store, ModelRef.parse("churn@3"), ["s3://lake/churn/logs/"])
    blobs = [scan_units(plan, task) for task in plan.tasks()]   # anywhere: threads, Dask, Spark
    result = finish_scan(store, plan, blobs)                     # the driver: merge and store

`prepare_scan` and `finish_scan` run on the driver, the only process that opens the DuckDB
store; `scan_units` runs on any worker that can read the data (the plan travels as JSON:
`plan.to_json()` / `ScanPlan.from_json(text)`). The evidence is the one `govern scan` stores
for the same files, bit for bit (docs/scale.md). `scan` is the one-machine shortcut and also
takes an in-memory pyarrow Table, polars DataFrame / LazyFrame or pandas DataFrame.
"""

from govern.runner._plan import PlanFile, ScanPlan, WorkUnit
from govern.runner._units import scan_unit, scan_units
from govern.runner.scan import finish_scan, prepare_scan, scan

__all__ = [
    "PlanFile",
    "ScanPlan",
    "WorkUnit",
    "finish_scan",
    "prepare_scan",
    "scan",
    "scan_unit",
    "scan_units",
]
