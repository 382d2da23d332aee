"""The streaming scan loop: row groups of many parquet files through many accumulators.

Every file is opened and checked against the schema contract before any row is counted.
Work units are (file, row group); a pool of threads reads one projected row group each
(pyarrow releases the GIL while decoding, the C kernel while counting), folds it into fresh
accumulators and hands those back to be merged per file. Memory is bounded by
threads x one decoded row group, whatever the input size; the merged per-file states are
what incremental re-scans store. Each file's identity (size, times, inode, footer fingerprint)
is taken before its footer is planned and again after every row group was counted; a file
that changed in between fails the scan, so no state mixes two contents.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from typing import Any, Protocol

import pyarrow as pa

from govern.errors import GovernError, MetricInputError
from govern.metrics._accumulator import Accumulator
from govern.runner import _fs, _partitions, _prefetch
from govern.runner._fs import ObjectIdentity, is_uri
from govern.runner._identity import FileIdentity, check_unchanged, identify
from govern.runner._parquet import (
    Source,
    Window,
    check_columns,
    logical_type,
    open_parquet,
    read_row_group,
)
from govern.runner._partitions import Constants

DEFAULT_THREADS = min(2, os.cpu_count() or 1)
SPLIT_ROWS = 200_000  # a lone row group at least this long is counted in slices on all threads


class ProgressSink(Protocol):
    """Where the scan reports progress (the CLI draws a bar; the library passes None)."""

    def start(self, files: int, row_groups: int) -> None:
        """Called once, after every file's footer was read and checked."""
        ...

    def advance(self, path: Source, rows: int) -> None:
        """Called after each row group was counted."""
        ...


@dataclass
class FileResult:
    """The merged accumulators of one source file, with its provenance."""

    path: Source
    identity: FileIdentity | ObjectIdentity  # taken before the file was read, checked after
    rows: int
    states: list[Any]  # one merged accumulator per input accumulator, same order


def scan_files(
    files: Sequence[Source],
    accumulators: Sequence[Accumulator],
    *,
    expected: dict[str, str],
    dictionary: Sequence[str] = (),
    window: Window | None = None,
    threads: int = DEFAULT_THREADS,
    progress: ProgressSink | None = None,
    memory_map: bool = False,
    check_schema: Callable[[pa.Schema, Source], None] | None = None,
    identities: Sequence[FileIdentity | ObjectIdentity] | None = None,
    row_groups: Sequence[tuple[int, int] | None] | None = None,
    constants: Sequence[Constants | None] | None = None,
) -> list[FileResult]:
    """Count every file's row groups into copies of `accumulators`; one result per file.

    `dictionary` names string columns to read as dictionary arrays; a name the file lacks or
    stores with another type is left out for that file (the schema checks report it).
    `identities` (one per file, taken by the caller to look up stored states) are checked
    against the files after reading; without them they are taken here first. `row_groups`
    (one per file, None for all) restricts a file to whole row groups [first, stop): a file
    may then appear once per range, with one result per range. `constants` (one per file,
    None for none) are partition columns the table keeps out of the file (runner/_partitions.py).
    """
    if identities is None:
        identities = [identify(f) for f in files]
    if len(identities) != len(files):
        raise ValueError("one identity per file is needed")
    ranges = list(row_groups) if row_groups is not None else [None] * len(files)
    if len(ranges) != len(files):
        raise ValueError("one row-group range (or None) per file is needed")
    # Footers only, closed right away: thousands of files must not hold thousands of handles.
    consts: list[Constants | None] = (
        list(constants) if constants is not None else [None] * len(files)
    )
    if len(consts) != len(files):
        raise ValueError("one set of constant columns (or None) per file is needed")
    plans: list[tuple[Source, list[int], list[str]]] = []
    for fi, (path, span) in enumerate(zip(files, ranges, strict=True)):
        raw = open_parquet(path)
        # Hive keys only where the file lacks the column (runner/_partitions.py).
        consts[fi] = const = _partitions.effective(consts[fi], raw.schema_arrow)
        with _partitions.attach(raw, const) as pf:
            check_columns(pf, path, expected)
            if window is not None:
                window.check(pf, path)
            if check_schema is not None:  # the extra accumulators' columns
                check_schema(pf.schema_arrow, path)
            first, stop = span if span is not None else (0, pf.num_row_groups)
            if not 0 <= first <= stop <= pf.num_row_groups:
                raise MetricInputError(
                    f"row groups [{first}, {stop}) are out of range: the file has "
                    f"{pf.num_row_groups}; it changed since the scan was planned",
                    path=str(path),
                )
            groups = [
                rg
                for rg in range(first, stop)
                if window is None or window.row_group_overlaps(pf, rg)
            ]
        plans.append((path, groups, dictionary_columns(pf.schema_arrow, dictionary)))
    columns: list[str] = []
    for acc in accumulators:
        columns.extend(c for c in acc.columns if c not in columns)
    tasks = [(fi, rg, 0) for fi, (_, groups, _) in enumerate(plans) for rg in groups]
    results = [
        FileResult(path, ident, 0, [a.empty() for a in accumulators])
        for (path, _, _), ident in zip(plans, identities, strict=True)
    ]
    # Column at a time for the accumulators that count their columns independently (drift):
    # each decoded column is counted while it is still in cache, and the allocator reuses one
    # column's memory instead of faulting in a whole row group's (10-20% less CPU, lower RSS).
    # The others (fairness, performance, operational) need their columns row-aligned, so each
    # row group first decodes one batch of their union, which also feeds the independent
    # accumulators the columns they share with it; every column is decoded once.
    # Objects in a bucket are decoded column at a time too, but each row group's projected
    # column chunks are first fetched in a few large coalesced ranged GETs into memory
    # (runner/_prefetch.py): a request per column was 2x slower on loopback S3, and decoding
    # a whole row group at once cost ~1.7x the CPU (benchmarks/scale_s3.py).
    per_column = window is None and any(_independent(a) for a in accumulators)
    units = read_units(accumulators)
    unit_groups = [units]
    if per_column and 0 < len(tasks) < threads:
        # Fewer row groups than threads: split the units across the threads instead.
        unit_groups = [units[k::threads] for k in range(threads) if units[k::threads]]
        tasks = [(fi, rg, g) for fi, rg, _ in tasks for g in range(len(unit_groups))]
    if progress is not None:
        progress.start(len(plans), len(tasks))
    local = threading.local()
    readers: list[Any] = []  # ParquetFiles and object readers, closed at the end
    use_threads = len(tasks) < threads  # few row groups: let pyarrow decode columns in parallel
    # Slices of a row group on several threads, unless a state depends on batch boundaries.
    sliceable = not any(getattr(a, "whole_row_groups", False) for a in accumulators)
    independent = [_independent(a) for a in accumulators]
    # Per unit, once: which accumulators count it, and on which of its columns (None: all).
    feeds = [(unit, _feeds(accumulators, independent, is_joint, unit)) for is_joint, unit in units]
    feed_groups = [[feeds[units.index(u)] for u in group] for group in unit_groups]
    # The column-independent states (drift) run per thread and file: every row group of a
    # file that one thread reads is counted into the same state, merged once per file at
    # the end, instead of a fresh state and a merge per row group (the counts are integers,
    # so the merged result is the same whatever the grouping).
    running: list[tuple[int, list[Any]]] = []

    def work(fi: int, rg: int, g: int) -> tuple[int, int, list[Any]]:
        # One reader per thread, kept while the thread stays on the same file (tasks are in
        # file order); readers are never shared between threads.
        current: tuple[int, Any, Any] | None = getattr(local, "current", None)
        path, _, dict_cols = plans[fi]
        const = consts[fi]
        if current is None or current[0] != fi:
            if current is not None:
                current[1].close()
                if current[2] is not None:
                    current[2].close()
            pf = _partitions.attach(
                open_parquet(
                    path, dictionary=_partitions.physical(dict_cols, const), memory_map=memory_map
                ),
                const,
                dict_cols,
            )
            src = _fs.open_object(str(path)) if per_column and is_uri(path) else None
            local.current = current = (fi, pf, src)
            readers.append(pf)
            if src is not None:
                readers.append(src)
        pf = current[1]
        if per_column:
            run: tuple[int, list[Any]] | None = getattr(local, "run", None)
            if run is None or run[0] != fi:
                run = (
                    fi,
                    [
                        a.empty() if ind else None
                        for a, ind in zip(accumulators, independent, strict=True)
                    ],
                )
                local.run = run
                running.append(run)
            mine = run[1]
            states: list[Any] = [
                None if ind else a.empty() for a, ind in zip(accumulators, independent, strict=True)
            ]
            rows = 0
            if current[2] is not None:  # an object: this row group's columns in a few GETs
                wanted = [c for _, unit in unit_groups[g] for c in unit]
                pf = _partitions.attach(
                    _prefetch.staged_row_group(
                        pf,
                        current[2],
                        rg,
                        _partitions.physical(wanted, const),
                        read_dictionary=_partitions.physical(dict_cols, const) or None,
                    ),
                    const,
                    dict_cols,
                )
            for unit, fed in feed_groups[g]:
                table = read_row_group(pf, plans[fi][0], rg, unit, None)
                rows = table.num_rows
                for j, cols in fed:
                    target = mine[j] if independent[j] else states[j]
                    target.update(table if cols is None else table.select(cols))
                del table
            # Rows are counted once per row group: by the task reading the first column.
            first = bool(columns) and any(columns[0] in u for _, u in unit_groups[g])
            return fi, rows if first else 0, states
        table = read_row_group(pf, plans[fi][0], rg, columns, window, use_threads=use_threads)
        if use_threads and threads > 1 and table.num_rows >= SPLIT_ROWS and sliceable:
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
        r.states = [a if b is None else a.merge(b) for a, b in zip(r.states, states, strict=True)]
        if progress is not None:
            progress.advance(r.path, rows)

    try:
        _run(tasks, work, fold, threads)
    except GovernError:
        # A file swapped mid-read usually fails to decode first: say what really happened.
        _check_identities(results)
        raise
    finally:
        for pf in readers:
            pf.close()
    for fi, part in running:  # each thread's running states, once per file
        r = results[fi]
        r.states = [a if b is None else a.merge(b) for a, b in zip(r.states, part, strict=True)]
    _check_identities(results)
    return results


def _check_identities(results: Sequence[FileResult]) -> None:
    """Every file is still the one identified before it was read, or the scan fails."""
    for r in results:
        check_unchanged(r.identity, r.path)


def dictionary_columns(schema: pa.Schema, names: Sequence[str]) -> list[str]:
    """The `names` that `schema` holds as (large) strings, in order.

    Parquet's read_dictionary applies to byte-array columns only: it ignores integer and
    boolean columns, raises KeyError on a name the file lacks, and turns large_string into
    dictionary<string>; so the list is filtered per file, from the file's own schema.
    """
    out: list[str] = []
    for name in names:
        idx = schema.get_field_index(name)
        if idx >= 0 and name not in out:
            t = logical_type(schema.field(idx).type)
            if pa.types.is_string(t) or pa.types.is_large_string(t):
                out.append(name)
    return out


def read_units(accumulators: Sequence[Accumulator]) -> list[tuple[bool, list[str]]]:
    """How a row group is read column by column: (joint?, columns) units, each column once.

    First one joint batch with the union of the columns of the accumulators that need their
    columns row-aligned (if any), then one unit per remaining column, in accumulator order.
    """
    joint: list[str] = []
    rest: list[str] = []
    for acc in accumulators:
        if not _independent(acc):
            joint.extend(c for c in acc.columns if c not in joint)
    for acc in accumulators:
        rest.extend(c for c in acc.columns if c not in joint and c not in rest)
    units = [(True, joint)] if joint else []
    units.extend((False, [c]) for c in rest)
    return units


def _feeds(
    accumulators: Sequence[Accumulator],
    independent: Sequence[bool],
    is_joint: bool,
    unit: list[str],
) -> list[tuple[int, list[str] | None]]:
    """(accumulator index, columns of `unit` it counts, None for all) for one read unit.

    The row-aligned accumulators take the joint unit whole; each column-independent one
    takes the unit's columns it reads, in any unit.
    """
    out: list[tuple[int, list[str] | None]] = []
    for j, acc in enumerate(accumulators):
        if not independent[j]:
            if is_joint:
                out.append((j, None))
            continue
        mine = [c for c in unit if c in acc.columns]
        if mine:
            out.append((j, None if len(mine) == len(unit) else mine))
    return out


def _independent(acc: Accumulator) -> bool:
    """Whether `acc` counts each column on its own (accepts a batch of any of its columns)."""
    return bool(getattr(acc, "independent_columns", False))


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
