"""Turning one projected Arrow batch into the arrays the accumulators and kernels count.

Type checks happen here, once per batch, with messages naming the column and what is valid;
the scan adds the file name. `float_column` and `group_codes` give the native kernels views of
the Arrow buffers (no copy for float64 and dictionary columns, nulls kept in the bitmaps);
`as_float` gives NumPy code float64 with nulls as NaN (their count kept apart).
"""

from __future__ import annotations

import threading
import weakref
from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from govern._native import Float64Column, GroupCodes, score_cells
from govern.errors import MetricInputError

# Label states in the confusion cells (the same numbers as native/govern_scores.h).
NEG, POS, UNLABELLED, BAD_LABEL = 0, 1, 2, 3
MISSING_PRED_CELL = 8  # cells 0..7 are decision + 2 * label_state
N_CELLS = 9


def column(batch: pa.RecordBatch | pa.Table, name: str) -> pa.Array:
    """One column as a single contiguous array."""
    idx = batch.schema.get_field_index(name)
    if idx < 0:
        raise MetricInputError(f"column {name!r} is missing from the inference data")
    col = batch.column(idx)
    if isinstance(col, pa.ChunkedArray):
        return col.combine_chunks() if col.num_chunks != 1 else col.chunk(0)
    return col


def as_float(arr: pa.Array, name: str) -> tuple[np.ndarray, int]:
    """float64 values with nulls as NaN, and the null count."""
    import pyarrow.compute as pc  # here, not at import: ~0.1 s a scan does not need

    t = arr.type
    _check_numeric(t, name)
    if t != pa.float64():
        arr = pc.cast(arr, pa.float64())
    nulls = arr.null_count
    if nulls:
        arr = pc.fill_null(arr, np.nan)
    return np.asarray(arr.to_numpy(zero_copy_only=False), dtype=np.float64), nulls


def float_column(arr: pa.Array, name: str) -> Float64Column:
    """The column as float64 for the native kernels: no copy for float64, nulls kept apart."""
    _check_numeric(arr.type, name)
    if pa.types.is_boolean(arr.type):
        arr = arr.cast(pa.float64())  # bit-packed values; the cast keeps the nulls
    validity = arr.buffers()[0] if arr.null_count else None
    data = arr.buffers()[1]
    if data is None or len(arr) == 0:
        return Float64Column(np.empty(0, dtype=np.float64))
    dtype = np.dtype(arr.type.to_pandas_dtype())
    values = np.frombuffer(data, dtype=dtype, count=len(arr), offset=arr.offset * dtype.itemsize)
    if dtype != np.float64:
        values = values.astype(np.float64)
    return Float64Column(values, validity, arr.offset)


def mapped_column(arr: pa.Array, name: str, positive: tuple[object, ...]) -> pa.Array:
    """float64 1.0 where the value is one of `positive`, 0.0 elsewhere, null where null.

    For a categorical prediction or label (`{column, positive}` in the card): strings, their
    dictionaries, integers or booleans.
    """
    import pyarrow.compute as pc  # here, not at import: ~0.1 s a scan does not need

    t = arr.type.value_type if pa.types.is_dictionary(arr.type) else arr.type
    try:
        value_set = pa.array(list(positive), type=t)
    except (pa.ArrowException, TypeError, ValueError) as exc:
        raise MetricInputError(
            f"column {name!r} has type {t}; the positive values {list(positive)!r} of its "
            "monitoring mapping are not of that type"
        ) from exc
    if pa.types.is_dictionary(arr.type):
        flags = pc.take(pc.is_in(arr.dictionary, value_set=value_set), arr.indices)
    else:
        flags = pc.is_in(arr, value_set=value_set)
    if arr.null_count:
        flags = pc.if_else(arr.is_valid(), flags, pa.scalar(None, pa.bool_()))
    out: pa.Array = pc.cast(flags, pa.float64())
    return out


def outcome_column(arr: pa.Array, name: str, positive: tuple[object, ...] | None) -> Float64Column:
    """A prediction or label for the kernels: numbers as they are, a mapped column as 0/1."""
    if positive is not None:
        arr = mapped_column(arr, name, positive)
    return float_column(arr, name)


@dataclass(frozen=True)
class ScoredRows:
    """A batch's scores and every row's confusion cell at the threshold (read-only)."""

    score: Float64Column
    cells: np.ndarray  # uint8 per row: decision + 2 * label state, 8 without a score
    counts: np.ndarray  # int64[9]: rows per cell


_last = threading.local()


def scored_rows(
    batch: pa.RecordBatch | pa.Table,
    prediction: str,
    label: str | None,
    threshold: float,
    *,
    prediction_positive: tuple[object, ...] | None = None,
    label_positive: tuple[object, ...] | None = None,
) -> ScoredRows:
    """The batch's cells, computed once per batch and thread however many accumulators ask.

    Fairness (one accumulator per attribute) and performance all start from the same cells;
    the engine hands them the same batch object one after the other on one thread, so the
    last result is kept with a weak reference to its batch (a batch that is gone can never
    match, whatever its id) and returned while the batch and the question are the same.
    """
    key = (prediction, label, threshold, prediction_positive, label_positive)
    cached = getattr(_last, "rows", None)
    if cached is not None and cached[0]() is batch and cached[1] == key:
        rows: ScoredRows = cached[2]
        return rows
    score = outcome_column(column(batch, prediction), prediction, prediction_positive)
    labels = outcome_column(column(batch, label), label, label_positive) if label else None
    cells, counts = score_cells(score, labels, threshold)
    cells.flags.writeable = False
    counts.flags.writeable = False
    rows = ScoredRows(score, cells, counts)
    _last.rows = (weakref.ref(batch), key, rows)
    return rows


def _check_numeric(t: pa.DataType, name: str) -> None:
    if not (pa.types.is_floating(t) or pa.types.is_integer(t) or pa.types.is_boolean(t)):
        raise MetricInputError(f"column {name!r} has type {t}; expected a numeric or boolean type")


def dictionary_codes(arr: pa.Array) -> tuple[np.ndarray, list[object]]:
    """Codes 0..k-1 into the batch's distinct values, k for null, and those values."""
    import pyarrow.compute as pc  # here, not at import: ~0.1 s a scan does not need

    if not pa.types.is_dictionary(arr.type):
        arr = pc.dictionary_encode(arr)
    values = arr.dictionary.to_pylist()
    idx = arr.indices
    if idx.null_count:
        idx = pc.fill_null(idx, len(values))
    codes = np.asarray(idx.to_numpy(zero_copy_only=False), dtype=np.int64)
    return codes, values


def group_codes(
    batch: pa.RecordBatch | pa.Table, columns: tuple[str, ...]
) -> tuple[GroupCodes, list[tuple[object, ...]]]:
    """Per-row code of the (intersectional) group and the key tuple of every code that occurs.

    One dictionary column (how the scan reads string attributes): its indices as they are,
    no copy, nulls through the validity bitmap (code `groups`, key (None,)). Otherwise
    mixed-radix over the batch's own dictionaries, so the number of codes is the product of
    the distinct values per column (+1 for null each); keys use None for a null value.
    """
    for name in columns:
        t = column(batch, name).type
        if pa.types.is_floating(t):
            raise MetricInputError(
                f"protected attribute column {name!r} has type {t}; "
                "expected a string, integer, boolean or dictionary column"
            )
    if len(columns) == 1:
        arr = column(batch, columns[0])
        if pa.types.is_dictionary(arr.type):
            values = arr.dictionary.to_pylist()
            idx = arr.indices
            data = idx.buffers()[1]
            if data is None or len(idx) == 0:
                codes = np.zeros(0, dtype=np.int32)
            else:
                dtype = np.dtype(idx.type.to_pandas_dtype())
                raw = np.frombuffer(
                    data, dtype=dtype, count=len(idx), offset=idx.offset * dtype.itemsize
                )
                codes = raw if dtype == np.int32 else raw.astype(np.int32)
            validity = idx.buffers()[0] if idx.null_count else None
            single: list[tuple[object, ...]] = [(v,) for v in [*values, None]]
            return GroupCodes(codes, len(values), validity, idx.offset), single
    mixed = np.zeros(batch.num_rows, dtype=np.int64)
    keys: list[tuple[object, ...]] = [()]
    for name in columns:
        c, values = dictionary_codes(column(batch, name))
        radix = len(values) + 1
        mixed = mixed * radix + c
        choices: list[object] = [*values, None]
        keys = [(*k, v) for k in keys for v in choices]
    if len(keys) > np.iinfo(np.int32).max:
        raise MetricInputError(
            f"protected attributes {', '.join(columns)}: {len(keys)} possible groups in one "
            "batch; intersect fewer columns or columns with fewer distinct values"
        )
    return GroupCodes(mixed.astype(np.int32), len(keys)), keys
