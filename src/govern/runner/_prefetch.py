"""A row group of an object fetched in a few large ranged reads, then decoded from memory.

Reading an object column by column makes one request per column chunk; reading it a whole
row group at a time (pyarrow's pre_buffer) makes few requests but decodes every column into
one table before any is counted, which cost about 1.7x the CPU of the column-at-a-time path
in benchmarks/scale_s3.py. This module does both halves the cheap way: the byte ranges of
the projected column chunks of one row group are coalesced (gaps under HOLE bytes merged,
ranges capped at RANGE bytes, as pyarrow's own read coalescing does) and fetched
concurrently, and the row group is then decoded column by column from those bytes through
a ParquetFile that reuses the footer already read.
"""

from __future__ import annotations

import bisect
import io
import threading
from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

HOLE = 1 << 20  # merge ranges closer than this (fetching the gap is cheaper than a request)
RANGE = 32 << 20  # but no single read larger than this
FETCH_THREADS = 8  # ranged reads in flight per process (pyarrow's own I/O pool has 8)


def chunk_ranges(meta: Any, rg: int, columns: Sequence[str]) -> list[tuple[int, int]]:
    """(offset, length) of the row group's column chunks for `columns`, sorted."""
    wanted = set(columns)
    group = meta.row_group(rg)
    out = []
    for j in range(group.num_columns):
        col = group.column(j)
        if col.path_in_schema.split(".", 1)[0] not in wanted:
            continue
        start = col.data_page_offset
        if col.has_dictionary_page and col.dictionary_page_offset is not None:
            start = min(start, col.dictionary_page_offset)
        out.append((int(start), int(col.total_compressed_size)))
    return sorted(out)


def coalesce(ranges: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Sorted ranges merged across holes under HOLE, each at most RANGE (unless one is)."""
    out: list[tuple[int, int]] = []
    for start, length in ranges:
        if out:
            s, n = out[-1]
            end = max(s + n, start + length)
            if start - (s + n) <= HOLE and end - s <= RANGE:
                out[-1] = (s, end - s)
                continue
        out.append((start, length))
    return out


_pool: ThreadPoolExecutor | None = None
_pool_lock = threading.Lock()


def _fetcher() -> ThreadPoolExecutor:
    """The process's fetch threads (made on first use: a forked worker makes its own)."""
    global _pool
    with _pool_lock:
        if _pool is None:
            _pool = ThreadPoolExecutor(FETCH_THREADS, thread_name_prefix="govern-fetch")
        return _pool


class _Staged(io.RawIOBase):
    """A read-only file of `size` bytes, its prefetched ranges served from memory.

    A read within a range waits for that range only, so the first columns are decoded
    while later ranges are still arriving. Anything else (never needed for the staged
    columns) is read from `source`.
    """

    def __init__(self, size: int, parts: list[tuple[int, int, Future[Any]]], source: Any) -> None:
        self._size = size
        self._starts = [s for s, _, _ in parts]
        self._parts = parts
        self._source = source
        self._pos = 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._pos

    def seek(self, pos: int, whence: int = 0) -> int:
        base = {0: 0, 1: self._pos, 2: self._size}[whence]
        self._pos = base + pos
        return self._pos

    def read(self, n: int = -1) -> Any:  # bytes-like: a slice of a fetched range
        if n < 0:
            n = self._size - self._pos
        i = bisect.bisect_right(self._starts, self._pos) - 1
        if i >= 0:
            start, length, fetched = self._parts[i]
            if self._pos + n <= start + length:
                data = memoryview(fetched.result())  # an OSError of the fetch surfaces here
                out = data[self._pos - start : self._pos - start + n]
                self._pos += len(out)
                return out
        out = self._source.read_at(n, self._pos)
        self._pos += len(out)
        return bytes(out)


def staged_row_group(
    pf: pq.ParquetFile, source: Any, rg: int, columns: Sequence[str], **kwargs: Any
) -> pq.ParquetFile:
    """A ParquetFile whose bytes for row group `rg`'s `columns` are being fetched.

    `source` is a pyarrow random-access file of the object (safe to read from several
    threads); the footer is `pf`'s. Read the result column by column; a failed fetch
    raises from the read that needs it (runner/_parquet.py names the file).
    """
    pool = _fetcher()
    parts = [
        (s, n, pool.submit(source.read_at, n, s))
        for s, n in coalesce(chunk_ranges(pf.metadata, rg, columns))
    ]
    staged = _Staged(source.size(), parts, source)
    return pq.ParquetFile(pa.PythonFile(staged, mode="r"), metadata=pf.metadata, **kwargs)
