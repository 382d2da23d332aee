"""JSON-safe, exact encodings of accumulator state (stored per source file for re-scans).

A stored partial state must load back into the very same counts, so that a re-scan merging
stored partials gives bit-for-bit the evidence of a full scan. Hence: counts are JSON ints
(exact in Python's json at any size); floats are JSON numbers written with repr, which
round-trips every finite float64 exactly, and "nan"/"inf"/"-inf" as strings (strict JSON
has no such numbers and DuckDB's JSON type rejects them); ExactSum units are hex strings,
because readers other than Python (DuckDB's JSON functions) turn long integers into doubles;
mostly-zero count arrays are written sparse as [index, count] pairs, and large dense ones
(the AUC's fine histogram) as base64 of their zlib-compressed bytes.
"""

from __future__ import annotations

import base64
import math
import zlib
from typing import Any

import numpy as np

from govern.metrics._exactsum import ExactSum

_NONFINITE = {"nan": math.nan, "inf": math.inf, "-inf": -math.inf}


def float_to_json(x: float) -> float | str:
    """A finite float as itself (json writes its repr), else "nan" / "inf" / "-inf"."""
    x = float(x)
    if math.isfinite(x):
        return x
    return "nan" if math.isnan(x) else ("inf" if x > 0 else "-inf")


def float_from_json(v: float | int | str) -> float:
    """Inverse of float_to_json."""
    if isinstance(v, str):
        return _NONFINITE[v]
    return float(v)


def floats_to_json(values: np.ndarray) -> list[float | str]:
    """A float64 array, element by element (exact round trip)."""
    return [float_to_json(x) for x in np.asarray(values, dtype=np.float64).tolist()]


def floats_from_json(values: list[Any]) -> np.ndarray:
    """Inverse of floats_to_json."""
    if not any(isinstance(v, str) for v in values):
        return np.array(values, dtype=np.float64)  # exact: each value is a parsed repr
    return np.array([float_from_json(v) for v in values], dtype=np.float64)


def sparse_counts(counts: np.ndarray) -> list[list[int]]:
    """Non-zero entries of a 1-d int64 array as [index, count] pairs, in index order."""
    idx = np.flatnonzero(counts)
    return [[int(i), int(counts[i])] for i in idx]


def dense_counts(pairs: list[list[int]], size: int) -> np.ndarray:
    """Inverse of sparse_counts for an array of `size` entries."""
    out = np.zeros(size, dtype=np.int64)
    for i, c in pairs:
        out[int(i)] = int(c)
    return out


def packed_counts(counts: np.ndarray) -> str:
    """An int64 array as base64 of its zlib-compressed little-endian bytes (exact).

    For large count arrays that are mostly non-zero: the AUC's 65,536 x 2 histogram of a
    1M-row file takes ~190 KB this way instead of ~1 MB of [index, count] JSON, and loads
    without parsing a number per cell.
    """
    raw = np.ascontiguousarray(counts, dtype="<i8").tobytes()
    return base64.b64encode(zlib.compress(raw, 1)).decode("ascii")


def unpacked_counts(text: str, shape: tuple[int, ...]) -> np.ndarray:
    """Inverse of packed_counts, checked against the expected shape."""
    raw = zlib.decompress(base64.b64decode(text.encode("ascii"), validate=True))
    out = np.frombuffer(raw, dtype="<i8").astype(np.int64)  # a writeable native copy
    if out.size != math.prod(shape):
        raise ValueError(f"stored counts hold {out.size} values, expected shape {shape}")
    return out.reshape(shape)


def exactsum_to_json(s: ExactSum) -> str:
    """The exact integer representation, as a hex string."""
    return hex(s.units)


def exactsum_from_json(v: str) -> ExactSum:
    """Inverse of exactsum_to_json."""
    return ExactSum(int(v, 16))
