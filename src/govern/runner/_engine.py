"""The streaming scan loop: row groups of many parquet files through many accumulators.

Every file is opened and checked against the schema contract before any row is counted.
Work units are (file, row group); a pool of threads reads one projected row group each
(pyarrow releases the GIL while decoding, the C kernel while counting), folds it into fresh
accumulators and hands those back to be merged per file. Memory is bounded by
threads x one decoded row group, whatever the input size; the merged per-file states are
what incremental re-scans store.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import pyarrow as pa
import pyarrow.parquet as pq

from govern.metrics._accumulator import Accumulator
from govern.runner._parquet import Window, check_columns, open_parquet, read_row_group

DEFAULT_THREADS = min(2, os.cpu_count() or 1)
SPLIT_ROWS = 200_000  # a lone row group at least this long is counted in slices on all threads


class ProgressSink(Protocol):
    """Where the scan reports progress (the CLI draws a bar; the library passes None)."""

    def start(self, files: int, row_groups: int) -> None:
        """Called once, after every file's footer was read and checked."""
        ...

    def advance(self, path: Path, rows: int) -> None:
        """Called after each row group was counted."""
        ...


@dataclass
class FileResult:
    """The merged accumulators of one source file, with its provenance."""

    path: Path
    size: int
    mtime: float
    rows: int
    states: list[Any]  # one merged accumulator per input accumulator, same order


def file_key(path: Path) -> tuple[str, int, float]:
    """(absolute path, size, mtime): the identity of a file's content for re-scans."""
    st = os.stat(path)
    return str(path.resolve()), st.st_size, st.st_mtime


def scan_files(
    files: Sequence[Path],
    accumulators: Sequence[Accumulator],
    *,
    expected: dict[str, str],
    dictionary: Sequence[str] = (),
    window: Window | None = None,
    threads: int = DEFAULT_THREADS,
    progress: ProgressSink | None = None,
    memory_map: bool = False,
    check_schema: Callable[[pa.Schema, Path], None] | None = None,
) -> list[FileResult]:
    """Count every file's row groups into copies of `accumulators`; one result per file."""
    # Footers only, closed right away: thousands of files must not hold thousands of handles.
    plans: list[tuple[Path, list[int]]] = []
    for path in files:
        with open_parquet(path, dictionary=dictionary) as pf:
            check_columns(pf, path, expected)
            if window is not None:
                window.check(pf, path)
            if check_schema is not None:  # the extra accumulators' columns
                check_schema(pf.schema_arrow, path)
            groups = [
                rg
                for rg in range(pf.num_row_groups)
                if window is None or window.row_group_overlaps(pf, rg)
            ]
        plans.append((path, groups))
    columns: list[str] = []
    for acc in accumulators:
        columns.extend(c for c in acc.columns if c not in columns)
    tasks = [(fi, rg, 0) for fi, (_, groups) in enumerate(plans) for rg in groups]
    results = []
    for path, _ in plans:
        key = file_key(path)
        results.append(FileResult(path, key[1], key[2], 0, [a.empty() for a in accumulators]))
    # Column at a time when every accumulator counts its columns independently: each decoded
    # column is counted while it is still in cache, and the allocator reuses one column's
    # memory instead of faulting in a whole row group's (10-20% less CPU, lower RSS).
    per_column = window is None and all(
        getattr(a, "independent_columns", False) for a in accumulators
    )
    col_groups = [columns]
    if per_column and 0 < len(tasks) < threads:
        # Fewer row groups than threads: split the columns across the threads instead.
        col_groups = [columns[k::threads] for k in range(threads) if columns[k::threads]]
        tasks = [(fi, rg, g) for fi, rg, _ in tasks for g in range(len(col_groups))]
    if progress is not None:
        progress.start(len(plans), len(tasks))
    local = threading.local()
    readers: list[pq.ParquetFile] = []  # closed at the end, whatever happens
    use_threads = len(tasks) < threads  # few row groups: let pyarrow decode columns in parallel

    def work(fi: int, rg: int, g: int) -> tuple[int, int, list[Any]]:
        # One reader per thread, kept while the thread stays on the same file (tasks are in
        # file order); readers are never shared between threads.
        current: tuple[int, pq.ParquetFile] | None = getattr(local, "current", None)
        if current is None or current[0] != fi:
            if current is not None:
                current[1].close()
            pf = open_parquet(plans[fi][0], dictionary=dictionary, memory_map=memory_map)
            local.current = current = (fi, pf)
            readers.append(pf)
        pf = current[1]
        if per_column:
            states = [a.empty() for a in accumulators]
            rows = 0
            for c in col_groups[g]:
                table = read_row_group(pf, plans[fi][0], rg, [c], None)
                rows = table.num_rows
                for s in states:
                    if c in s.columns:
                        s.update(table)
                del table
            # Rows are counted once per row group: by the task holding the first column.
            return fi, rows if columns and columns[0] in col_groups[g] else 0, states
        table = read_row_group(pf, plans[fi][0], rg, columns, window, use_threads=use_threads)
        if use_threads and threads > 1 and table.num_rows >= SPLIT_ROWS:
            # Fewer row groups than threads: count slices of the row group in parallel.
            step = -(-table.num_rows // threads)
            slices = [table.slice(k * step, step) for k in range(threads)]
            with ThreadPoolExecutor(max_workers=threads) as pool:
                parts = list(pool.map(count, slices))
            states = parts[0]
            for part in parts[1:]:
                states = [a.merge(b) for a, b in zip(states, part, strict=True)]
        else:
            states = count(table)
        return fi, table.num_rows, states

    def count(table: Any) -> list[Any]:
        states = [a.empty() for a in accumulators]
        for s in states:
            s.update(table)
        return states

    def fold(fi: int, rows: int, states: list[Any]) -> None:
        r = results[fi]
        r.rows += rows
        r.states = [a.merge(b) for a, b in zip(r.states, states, strict=True)]
        if progress is not None:
            progress.advance(r.path, rows)

    try:
        _run(tasks, work, fold, threads)
    finally:
        for pf in readers:
            pf.close()
    return results


def _run(
    tasks: list[tuple[int, int, int]],
    work: Callable[[int, int, int], tuple[int, int, list[Any]]],
    fold: Callable[[int, int, list[Any]], None],
    threads: int,
) -> None:
    """Run `work` over the tasks on a thread pool, folding results as they complete."""
    if threads <= 1 or len(tasks) <= 1:
        for task in tasks:
            fold(*work(*task))
        return
    with ThreadPoolExecutor(max_workers=threads, thread_name_prefix="govern-scan") as pool:
        pending: set[Future[tuple[int, int, list[Any]]]] = {
            pool.submit(work, *task) for task in tasks
        }
        while pending:
            done, pending = wait(pending, return_when=FIRST_COMPLETED)
            for fut in done:
                exc = fut.exception()
                if exc is not None:
                    for p in pending:
                        p.cancel()
                    raise exc
                fold(*fut.result())
