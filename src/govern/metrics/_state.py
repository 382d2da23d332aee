"""JSON-safe, exact encodings of accumulator state (stored per source file for re-scans).

A stored partial state must load back into the very same counts, so that a re-scan merging
stored partials gives bit-for-bit the evidence of a full scan. Hence: counts are JSON ints
(exact in Python's json at any size); floats are JSON numbers written with repr, which
round-trips every finite float64 exactly, and "nan"/"inf"/"-inf" as strings (strict JSON
has no such numbers and DuckDB's JSON type rejects them); ExactSum units are hex strings,
because readers other than Python (DuckDB's JSON functions) turn long integers into doubles;
mostly-zero count arrays are written sparse as [index, count] pairs.
"""

from __future__ import annotations

import math
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


def exactsum_to_json(s: ExactSum) -> str:
    """The exact integer representation, as a hex string."""
    return hex(s.units)


def exactsum_from_json(v: str) -> ExactSum:
    """Inverse of exactsum_to_json."""
    return ExactSum(int(v, 16))
