"""Turning one projected Arrow batch into the numpy arrays the accumulators count.

Type checks happen here, once per batch, with messages naming the column and what is valid;
the scan adds the file name. Nulls become NaN in float arrays (their count is kept apart).
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from govern.errors import MetricInputError

# Label states in the confusion cells.
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
    t = arr.type
    if not (pa.types.is_floating(t) or pa.types.is_integer(t) or pa.types.is_boolean(t)):
        raise MetricInputError(f"column {name!r} has type {t}; expected a numeric or boolean type")
    if t != pa.float64():
        arr = pc.cast(arr, pa.float64())
    nulls = arr.null_count
    if nulls:
        arr = pc.fill_null(arr, np.nan)
    return np.asarray(arr.to_numpy(zero_copy_only=False), dtype=np.float64), nulls


def label_states(label: np.ndarray, null_mask: np.ndarray | None) -> np.ndarray:
    """NEG / POS / UNLABELLED / BAD_LABEL per row (labels must be 0 or 1)."""
    states = np.full(label.shape, BAD_LABEL, dtype=np.int64)
    states[label == 0.0] = NEG
    states[label == 1.0] = POS
    if null_mask is not None:
        states[null_mask] = UNLABELLED
    return states


def null_mask(arr: pa.Array) -> np.ndarray | None:
    """Boolean mask of nulls, or None when there are none."""
    if arr.null_count == 0:
        return None
    return np.asarray(arr.is_null().to_numpy(zero_copy_only=False), dtype=bool)


def confusion_cells(score: np.ndarray, states: np.ndarray | None, threshold: float) -> np.ndarray:
    """Cell per row: decision + 2 * label_state, or MISSING_PRED_CELL for null/NaN scores."""
    decision = (score >= threshold).astype(np.int64)
    cells = decision + (2 * UNLABELLED if states is None else 2 * states)
    missing = np.isnan(score)
    if missing.any():
        cells = np.where(missing, MISSING_PRED_CELL, cells)
    return cells


def dictionary_codes(arr: pa.Array) -> tuple[np.ndarray, list[object]]:
    """Codes 0..k-1 into the batch's distinct values, k for null, and those values."""
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
) -> tuple[np.ndarray, list[tuple[object, ...]]]:
    """Per-row code of the (intersectional) group and the key tuple of every possible code.

    Mixed-radix over the batch's own dictionaries, so the number of codes is the product of
    the distinct values per column (+1 for null each); keys use None for a null value.
    """
    codes = np.zeros(batch.num_rows, dtype=np.int64)
    keys: list[tuple[object, ...]] = [()]
    for name in columns:
        arr = column(batch, name)
        if pa.types.is_floating(arr.type):
            raise MetricInputError(
                f"protected attribute column {name!r} has type {arr.type}; "
                "expected a string, integer, boolean or dictionary column"
            )
        c, values = dictionary_codes(arr)
        radix = len(values) + 1
        codes = codes * radix + c
        choices: list[object] = [*values, None]
        keys = [(*k, v) for k in keys for v in choices]
    return codes, keys
