"""The only importer of the compiled cffi module built from native/.

Validates inputs in Python, hands Arrow buffers to C without copying (validity bitmap,
array offset and slices honoured), checks every return code and raises NativeError.
The C calls release the GIL (cffi's default), so row groups can be counted on several threads.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from govern import _kernels  # type: ignore[attr-defined]
from govern.errors import NativeError

_ffi = _kernels.ffi
_lib = _kernels.lib

N_SPECIALS = 4  # null, NaN, +inf, -inf (native/govern_kernels.h)


@dataclass
class HistCounts:
    """Mergeable counts of one float64 column against fixed edges."""

    counts: np.ndarray  # int64[len(edges) + 1]
    nulls: int = 0
    nans: int = 0
    posinf: int = 0
    neginf: int = 0

    @property
    def valid(self) -> int:
        """Rows that landed in a bin (finite, non-null)."""
        return int(self.counts.sum())

    @property
    def rows(self) -> int:
        """Every row seen: valid + null + NaN + inf."""
        return self.valid + self.nulls + self.nans + self.posinf + self.neginf

    def merge(self, other: HistCounts) -> HistCounts:
        """Exact merge of two partial counts over the same edges."""
        if self.counts.shape != other.counts.shape:
            raise ValueError("cannot merge histograms built on different edges")
        return HistCounts(
            self.counts + other.counts,
            self.nulls + other.nulls,
            self.nans + other.nans,
            self.posinf + other.posinf,
            self.neginf + other.neginf,
        )


def _check(rc: int, what: str) -> None:
    if rc != 0:
        msg = _ffi.string(_lib.govern_strerror(rc)).decode()
        raise NativeError(f"native kernel {what}: {msg} (code {rc})")


def _validity_ptr(arr: pa.Array) -> object:
    buf = arr.buffers()[0]
    if buf is None or arr.null_count == 0:
        return _ffi.NULL
    return _ffi.cast("const uint8_t *", buf.address)


def _as_edges(edges: np.ndarray | list[float]) -> np.ndarray:
    e = np.ascontiguousarray(edges, dtype=np.float64)
    if e.ndim != 1:
        raise ValueError("edges must be one-dimensional")
    if not np.all(np.isfinite(e)):
        raise ValueError("edges must be finite")
    if e.size > 1 and np.any(e[1:] < e[:-1]):  # not np.diff: it overflows on huge edges
        raise ValueError("edges must be sorted non-decreasing")
    return e


def hist_f64(
    column: pa.Array | pa.ChunkedArray,
    edges: np.ndarray | list[float],
    *,
    into: HistCounts | None = None,
) -> HistCounts:
    """Count a float64 Arrow array (or chunked array) into len(edges)+1 left-closed bins."""
    e = _as_edges(edges)
    out = into if into is not None else HistCounts(np.zeros(e.size + 1, dtype=np.int64))
    if out.counts.shape != (e.size + 1,):
        raise ValueError("`into` was built on a different number of edges")
    chunks = column.chunks if isinstance(column, pa.ChunkedArray) else [column]
    specials = np.zeros(N_SPECIALS, dtype=np.int64)
    counts_ptr = _ffi.cast("int64_t *", _ffi.from_buffer(out.counts))
    specials_ptr = _ffi.cast("int64_t *", _ffi.from_buffer(specials))
    edges_ptr = _ffi.cast("const double *", _ffi.from_buffer(e))
    for arr in chunks:
        if arr.type != pa.float64():
            raise TypeError(f"hist_f64 needs float64, got {arr.type}")
        if len(arr) == 0:
            continue
        if arr.null_count == len(arr):
            specials[0] += len(arr)
            continue
        values = _ffi.cast("const double *", arr.buffers()[1].address)
        rc = _lib.govern_hist_f64(
            values,
            _validity_ptr(arr),
            arr.offset,
            len(arr),
            edges_ptr,
            e.size,
            counts_ptr,
            specials_ptr,
        )
        _check(rc, "hist_f64")
    out.nulls += int(specials[0])
    out.nans += int(specials[1])
    out.posinf += int(specials[2])
    out.neginf += int(specials[3])
    return out


def count_dictionary(column: pa.DictionaryArray, ndict: int) -> tuple[np.ndarray, int]:
    """Count int32 dictionary indices of one chunk: (counts per dictionary entry, nulls)."""
    indices = column.indices
    if indices.type != pa.int32():
        indices = indices.cast(pa.int32())
    counts = np.zeros(ndict, dtype=np.int64)
    nulls = np.zeros(1, dtype=np.int64)
    if len(indices) == 0:
        return counts, 0
    if indices.null_count == len(indices):
        return counts, len(indices)
    rc = _lib.govern_count_dict_i32(
        _ffi.cast("const int32_t *", indices.buffers()[1].address),
        _validity_ptr(indices),
        indices.offset,
        len(indices),
        ndict,
        _ffi.cast("int64_t *", _ffi.from_buffer(counts)) if ndict else _ffi.NULL,
        _ffi.cast("int64_t *", _ffi.from_buffer(nulls)),
    )
    _check(rc, "count_dictionary")
    return counts, int(nulls[0])
