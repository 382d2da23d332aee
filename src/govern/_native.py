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


_ERR_BAD_EDGES = 3  # native/govern_kernels.h


def _check(rc: int, what: str) -> None:
    if rc == _ERR_BAD_EDGES:
        raise ValueError("edges must be finite and sorted non-decreasing")
    if rc != 0:
        msg = _ffi.string(_lib.govern_strerror(rc)).decode()
        raise NativeError(f"native kernel {what}: {msg} (code {rc})")


def _validity_ptr(arr: pa.Array) -> object:
    buf = arr.buffers()[0]
    if buf is None or arr.null_count == 0:
        return _ffi.NULL
    return _ffi.cast("const uint8_t *", buf.address)


def _as_edges(edges: np.ndarray | list[float]) -> np.ndarray:
    if (
        isinstance(edges, np.ndarray)
        and edges.dtype == np.float64
        and edges.ndim == 1
        and edges.flags.c_contiguous
    ):
        # The kernel checks these edges on every call (GOVERN_ERR_BAD_EDGES, raised as the
        # ValueError below): checking them here too cost half of a row group's call.
        return edges
    e = np.ascontiguousarray(edges, dtype=np.float64)
    if e.ndim != 1:
        raise ValueError("edges must be one-dimensional")
    if not np.all(np.isfinite(e)):
        raise ValueError("edges must be finite")
    if e.size > 1 and np.any(e[1:] < e[:-1]):  # not np.diff: it overflows on huge edges
        raise ValueError("edges must be sorted non-decreasing")
    return e


# Arrow numeric types the histogram kernel reads in place (native/govern_kernels.h GOVERN_T_*).
_HIST_TYPES = {
    pa.float64(): 0,
    pa.float32(): 1,
    pa.int8(): 2,
    pa.int16(): 3,
    pa.int32(): 4,
    pa.int64(): 5,
    pa.uint8(): 6,
    pa.uint16(): 7,
    pa.uint32(): 8,
    pa.uint64(): 9,
}


def hist_types() -> tuple[pa.DataType, ...]:
    """The Arrow types `hist` counts without a copy."""
    return tuple(_HIST_TYPES)


def hist(
    column: pa.Array | pa.ChunkedArray,
    edges: np.ndarray | list[float],
    *,
    into: HistCounts | None = None,
) -> HistCounts:
    """Count a numeric Arrow array into len(edges)+1 left-closed bins, over its own buffers.

    float64, float32 and every integer width are read in place; each value is binned as its
    float64 value (exact for float32 and integers up to 2**53, nearest float64 beyond), so
    the counts equal `hist_f64` of the column cast to float64. Other types (float16) are cast
    to float64 first.
    """
    return _count(column, edges, into, typed=True)


def _count(
    column: pa.Array | pa.ChunkedArray,
    edges: np.ndarray | list[float],
    into: HistCounts | None,
    *,
    typed: bool,
) -> HistCounts:
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
        code = _HIST_TYPES.get(arr.type)
        if code is None:
            if not (pa.types.is_floating(arr.type) or pa.types.is_integer(arr.type)):
                raise TypeError(f"hist needs a numeric array, got {arr.type}")
            arr = arr.cast(pa.float64())  # float16: exact
            code = 0
        if len(arr) == 0:
            continue
        if arr.null_count == len(arr):
            specials[0] += len(arr)
            continue
        data = _ffi.cast("const void *", arr.buffers()[1].address)
        if typed:
            rc = _lib.govern_hist_typed(
                data, code, _validity_ptr(arr), arr.offset, len(arr), edges_ptr, e.size,
                counts_ptr, specials_ptr,
            )  # fmt: skip
        else:
            rc = _lib.govern_hist_f64(
                data, _validity_ptr(arr), arr.offset, len(arr), edges_ptr, e.size,
                counts_ptr, specials_ptr,
            )  # fmt: skip
        _check(rc, "hist")
    out.nulls += int(specials[0])
    out.nans += int(specials[1])
    out.posinf += int(specials[2])
    out.neginf += int(specials[3])
    return out


def hist_f64(
    column: pa.Array | pa.ChunkedArray,
    edges: np.ndarray | list[float],
    *,
    into: HistCounts | None = None,
) -> HistCounts:
    """Count a float64 Arrow array (or chunked array) into len(edges)+1 left-closed bins.

    Always by the per-value binary search over the edges (govern_hist_f64): the reference
    path that `hist`'s per-type comparison kernels are tested against.
    """
    chunks = column.chunks if isinstance(column, pa.ChunkedArray) else [column]
    for arr in chunks:
        if arr.type != pa.float64():
            raise TypeError(f"hist_f64 needs float64, got {arr.type}")
    return _count(column, edges, into, typed=False)


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


@dataclass(frozen=True)
class Float64Column:
    """One column as float64 values from the batch's first row, with its Arrow validity bitmap.

    Row i is null when bit `bit_offset + i` of `validity` is 0 (Arrow's layout for a sliced
    array, so no bitmap is copied); `validity` is None when there are no nulls. Values of null
    rows are unspecified and never read.
    """

    values: np.ndarray  # contiguous float64
    validity: pa.Buffer | None = None
    bit_offset: int = 0


@dataclass(frozen=True)
class GroupCodes:
    """Per-row int32 group codes in [0, groups); a null code (validity bit 0) is group `groups`."""

    codes: np.ndarray  # contiguous int32
    groups: int
    validity: pa.Buffer | None = None
    bit_offset: int = 0


@dataclass
class ScoreStats:
    """What one batch's labelled, scored rows add to the performance state (see govern_scores.h)."""

    used: int
    outside: int
    outside_unit: int
    distinct_fine: int
    ece_n: np.ndarray
    ece_pos: np.ndarray
    sq_error: float
    ece_score: list[float]


def _f64_ptr(arr: np.ndarray) -> object:
    return _ffi.cast("const double *", _ffi.from_buffer(arr)) if arr.size else _ffi.NULL


def _bitmap(buf: pa.Buffer | None) -> object:
    return _ffi.NULL if buf is None else _ffi.cast("const uint8_t *", buf.address)


def _checked_f64(col: Float64Column) -> np.ndarray:
    v = col.values
    if v.dtype != np.float64 or v.ndim != 1 or not v.flags.c_contiguous:
        raise ValueError("Float64Column.values must be a contiguous 1-d float64 array")
    if col.validity is not None and col.validity.size * 8 < col.bit_offset + v.size:
        raise ValueError("validity bitmap shorter than the column")
    return v


def score_cells(
    score: Float64Column, label: Float64Column | None, threshold: float
) -> tuple[np.ndarray, np.ndarray]:
    """Every row's confusion cell (uint8) and the count per cell (int64[9]).

    Cell = decision + 2 * label state (0 negative, 1 positive, 2 unlabelled, 3 invalid label)
    at `threshold`, 8 for a null or NaN score; without a label every row is unlabelled.
    """
    s = _checked_f64(score)
    n = s.size
    y = _checked_f64(label) if label is not None else None
    if y is not None and y.size != n:
        raise ValueError("score and label have different lengths")
    cells = np.empty(n, dtype=np.uint8)
    counts = np.zeros(9, dtype=np.int64)
    rc = _lib.govern_cells(
        _f64_ptr(s),
        _bitmap(score.validity),
        score.bit_offset,
        _f64_ptr(y) if y is not None else _ffi.NULL,
        _bitmap(label.validity) if label is not None else _ffi.NULL,
        label.bit_offset if label is not None else 0,
        n,
        float(threshold),
        _ffi.cast("uint8_t *", _ffi.from_buffer(cells)) if n else _ffi.NULL,
        _ffi.cast("int64_t *", _ffi.from_buffer(counts)),
    )
    _check(rc, "score_cells")
    return cells, counts


def group_cell_counts(cells: np.ndarray, codes: GroupCodes) -> np.ndarray:
    """Cell counts per group: int64[groups + 1, 9], the last row for a null group code."""
    c = codes.codes
    n = cells.size
    if cells.dtype != np.uint8 or cells.ndim != 1 or not cells.flags.c_contiguous:
        raise ValueError("cells must be contiguous uint8")
    if c.dtype != np.int32 or c.ndim != 1 or not c.flags.c_contiguous or c.size != n:
        raise ValueError("GroupCodes.codes must be contiguous int32 of the batch's length")
    if codes.validity is not None and codes.validity.size * 8 < codes.bit_offset + n:
        raise ValueError("validity bitmap shorter than the codes")
    out = np.zeros((codes.groups + 1, 9), dtype=np.int64)
    rc = _lib.govern_group_cells(
        _ffi.cast("const uint8_t *", _ffi.from_buffer(cells)) if n else _ffi.NULL,
        _ffi.cast("const int32_t *", _ffi.from_buffer(c)) if n else _ffi.NULL,
        _bitmap(codes.validity),
        codes.bit_offset,
        codes.groups,
        n,
        _ffi.cast("int64_t *", _ffi.from_buffer(out)),
    )
    _check(rc, "group_cell_counts")
    return out


def score_stats(
    score: Float64Column,
    cells: np.ndarray,
    *,
    score_range: tuple[float, float],
    auc_counts: np.ndarray,
    fine_seen: np.ndarray,
    fine_limit: int,
) -> ScoreStats:
    """One pass over the rows with a 0/1 label and a score (cells 0..3 of `score_cells`).

    Adds to `auc_counts` (int64[bins, 2]) and sets bits of `fine_seen` (uint8[bins // 4], 2
    fine bins per AUC bin) until more than `fine_limit` distinct fine bins were seen (-1:
    never). Returns the batch's sums and counts.
    """
    s = _checked_f64(score)
    if cells.dtype != np.uint8 or cells.shape != s.shape or not cells.flags.c_contiguous:
        raise ValueError("cells must be contiguous uint8, one per score")
    bins = auc_counts.shape[0]
    if auc_counts.shape != (bins, 2) or auc_counts.dtype != np.int64:
        raise ValueError("auc_counts must be int64[bins, 2]")
    if not auc_counts.flags.c_contiguous or not auc_counts.flags.writeable:
        raise ValueError("auc_counts must be a writeable C-contiguous array")
    if fine_seen.dtype != np.uint8 or fine_seen.size * 8 < 2 * bins:
        raise ValueError("fine_seen must be uint8 with at least 2 bits per AUC bin")
    lo, hi = score_range
    stats = _ffi.new("govern_score_stats *")
    rc = _lib.govern_score_stats_f64(
        _f64_ptr(s),
        _ffi.cast("const uint8_t *", _ffi.from_buffer(cells)) if s.size else _ffi.NULL,
        s.size,
        float(lo),
        float(hi),
        bins / (hi - lo),
        bins,
        _ffi.cast("int64_t *", _ffi.from_buffer(auc_counts)),
        _ffi.cast("uint8_t *", _ffi.from_buffer(fine_seen)),
        int(fine_limit),
        stats,
    )
    _check(rc, "score_stats")
    return ScoreStats(
        used=int(stats.used),
        outside=int(stats.outside),
        outside_unit=int(stats.outside_unit),
        distinct_fine=int(stats.distinct_fine),
        ece_n=np.array(list(stats.ece_n), dtype=np.int64),
        ece_pos=np.array(list(stats.ece_pos), dtype=np.int64),
        sq_error=float(stats.sq_error),
        ece_score=[float(x) for x in stats.ece_score],
    )


@dataclass(frozen=True)
class SketchIndex:
    """Bucket bounds of a log sketch, and where each value's search for its bucket starts.

    See govern_sketch_f64 in native/govern_scores.h.
    """

    bounds: np.ndarray  # float64, ascending: bucket k holds (bounds[k-1], bounds[k]]
    first: np.ndarray  # int32: first bucket per 1/1024-octave slice
    first_base: int  # slice number of first[0]


SLICE_SHIFT = 42  # a slice: a double's exponent and top 10 mantissa bits (1/1024 octave)


def sketch_index(bounds: np.ndarray) -> SketchIndex:
    """The search table for ascending positive bucket bounds."""
    b = np.ascontiguousarray(bounds, dtype=np.float64)
    if b.ndim != 1 or b.size == 0 or not (b[0] > 0.0) or np.any(b[1:] <= b[:-1]):
        raise ValueError("sketch bounds must be positive and strictly ascending")
    lo, hi = (int(x) >> SLICE_SHIFT for x in b[[0, -1]].view(np.int64))
    lowest = (np.arange(lo, hi + 1, dtype=np.int64) << SLICE_SHIFT).view(np.float64)
    first = np.minimum(np.searchsorted(b, lowest, side="left"), b.size - 1).astype(np.int32)
    return SketchIndex(b, first, lo)


def sketch_counts(
    values: Float64Column,
    buckets: np.ndarray,
    index: SketchIndex,
    *,
    max_indexable: float,
) -> tuple[int, int, int, int]:
    """Add each valid value v > 0 to the first bucket k with v <= bounds[k] (int64, added to).

    Returns (nulls, invalid: NaN, infinite or negative, zeros, above max_indexable).
    """
    v = _checked_f64(values)
    if buckets.dtype != np.int64 or not buckets.flags.c_contiguous:
        raise ValueError("buckets must be a contiguous int64 array")
    if buckets.size != index.bounds.size:
        raise ValueError("buckets and bounds differ in size")
    specials = np.zeros(4, dtype=np.int64)
    rc = _lib.govern_sketch_f64(
        _f64_ptr(v),
        _bitmap(values.validity),
        values.bit_offset,
        v.size,
        _f64_ptr(index.bounds),
        index.bounds.size,
        _ffi.cast("const int32_t *", _ffi.from_buffer(index.first)),
        index.first_base,
        index.first.size,
        float(max_indexable),
        _ffi.cast("int64_t *", _ffi.from_buffer(buckets)),
        _ffi.cast("int64_t *", _ffi.from_buffer(specials)),
    )
    _check(rc, "sketch_counts")
    nulls, invalid, zeros, high = (int(x) for x in specials)
    return nulls, invalid, zeros, high
