"""Scanning data already in memory: a pyarrow Table, a polars or a pandas DataFrame.

The frame becomes one Arrow table (zero-copy where the buffers allow: pyarrow as is, polars
through its Arrow export, pandas' numeric columns through `Table.from_pandas`) and is counted
as one batch, as a parquet file of one row group is; the same accumulators, schema contract
and window as a file scan. Nothing is stored per file (there is no file to re-read); the
provenance says `in-memory` with the rows and a SHA-256 of the table's Arrow IPC stream, so
the evidence still names exactly what was measured. polars and pandas are imported by no
one: a frame is recognised by its type's module.
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from pathlib import Path
from typing import Any

import pyarrow as pa

from govern.errors import UserInputError
from govern.lifecycle import ModelRef
from govern.metrics._accumulator import Accumulator
from govern.results import ScanResult
from govern.store import Store

IN_MEMORY = "in-memory"


def _module(data: object) -> str:
    return type(data).__module__.split(".", 1)[0]


def is_table(data: object) -> bool:
    """Whether `data` is an in-memory table govern can scan (not a list of paths)."""
    if isinstance(data, pa.Table | pa.RecordBatch):
        return True
    name = type(data).__name__
    return (_module(data) == "polars" and name in ("DataFrame", "LazyFrame")) or (
        _module(data) == "pandas" and name == "DataFrame"
    )


def to_arrow(data: object) -> pa.Table:
    """The frame as an Arrow table.

    Strings become (large) strings, which the schema contract and the kernels know
    (polars exports string_view).
    """
    obj: Any = data
    if isinstance(obj, pa.RecordBatch):
        table = pa.Table.from_batches([obj])
    elif isinstance(obj, pa.Table):
        table = obj
    elif _module(obj) == "polars":
        if type(obj).__name__ == "LazyFrame":
            obj = obj.collect()
        table = obj.to_arrow()
    else:  # pandas
        table = pa.Table.from_pandas(obj, preserve_index=False)
    fields = []
    for f in table.schema:
        t = f.type
        if pa.types.is_string_view(t):
            t = pa.large_string()
        elif pa.types.is_dictionary(t) and pa.types.is_string_view(t.value_type):
            t = pa.dictionary(t.index_type, pa.large_string())
        fields.append(f.with_type(t))
    schema = pa.schema(fields)
    return table if schema.equals(table.schema) else table.cast(schema)


class _Hasher:
    """A write-only file object that hashes what is written (the IPC stream, never kept)."""

    def __init__(self) -> None:
        self.h = hashlib.sha256()
        self.closed = False

    def write(self, data: Any) -> int:
        view = memoryview(data)
        self.h.update(view)
        return view.nbytes

    def flush(self) -> None:
        return None

    def close(self) -> None:
        self.closed = True


DIGEST_ROWS = 65_536  # rows per hashed batch: the digest does not depend on the chunking


def digest(table: pa.Table) -> str:
    """sha256 of the table's content, whatever its chunks and dictionary encodings.

    The Arrow IPC stream of the table in batches of DIGEST_ROWS rows with dictionaries
    decoded, hashed as it is written (one batch in memory at a time).
    """
    plain = pa.schema(
        f.with_type(f.type.value_type) if pa.types.is_dictionary(f.type) else f
        for f in table.schema
    )
    sink = _Hasher()
    with pa.ipc.new_stream(pa.PythonFile(sink, mode="w"), plain) as writer:
        for start in range(0, table.num_rows, DIGEST_ROWS):
            part = table.slice(start, DIGEST_ROWS).cast(plain).combine_chunks()
            for batch in part.to_batches():
                writer.write_batch(batch)
    return "sha256:" + sink.h.hexdigest()


def scan_table(
    store: Store,
    ref: ModelRef,
    data: object,
    *,
    baseline: str | Path | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    extra: list[Accumulator] | Any = None,
) -> ScanResult:
    """Scan an in-memory table: prepare (no files), count it here, finish (no partials)."""
    from govern.runner.scan import count_table

    table = to_arrow(data)
    if table.num_columns == 0:
        raise UserInputError("the in-memory table has no columns")
    return count_table(
        store, ref, table, digest(table), baseline=baseline, since=since, until=until, extra=extra
    )
