"""JSON-safe, exact encodings of accumulator state (stored per source file for re-scans).

A stored partial state must load back into the very same counts, so that a re-scan merging
stored partials gives bit-for-bit the evidence of a full scan. Hence: counts are JSON ints
(exact in Python's json at any size); floats are JSON numbers written with repr, which
round-trips every finite float64 exactly, and "nan"/"inf"/"-inf" as strings (strict JSON
has no such numbers and DuckDB's JSON type rejects them); ExactSum units are hex strings,
because readers other than Python (DuckDB's JSON functions) turn long integers into doubles;
mostly-zero count arrays are written sparse as [index, count] pairs, and large ones (the
AUC's fine histogram) in the narrowest width, dense or sparse, zlib-compressed, base64.
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
    pairs: list[list[int]] = np.column_stack((idx, counts[idx])).tolist()  # Python ints
    return pairs


def dense_counts(pairs: list[list[int]], size: int) -> np.ndarray:
    """Inverse of sparse_counts for an array of `size` entries."""
    out = np.zeros(size, dtype=np.int64)
    if pairs:
        arr = np.asarray(pairs, dtype=np.int64).reshape(-1, 2)
        out[arr[:, 0]] = arr[:, 1]
    return out


_WIDTHS = (1, 2, 4, 8)  # bytes per value: the narrowest unsigned type that holds the largest


def _narrow(values: np.ndarray) -> tuple[int, np.ndarray]:
    top = int(values.max()) if values.size else 0
    width = next(w for w in _WIDTHS if top < 1 << (8 * w))
    return width, values.astype(f"<u{width}")


def packed_counts(counts: np.ndarray) -> str:
    """A non-negative int64 count array as compact exact text: `HEADER:base64(zlib(...))`.

    Counts are stored in row-major order in the narrowest unsigned width that holds the
    largest (a per-file AUC histogram rarely exceeds 255 per cell): dense (`d<width>`) or,
    when smaller, sparse (`s<gap width>.<value width>.<n>`: the gaps between the n non-zero
    cells, then their counts). A 1M-row file's 65,536 x 2 AUC histogram takes ~75 KB (from
    ~200 KB as zlib'd int64); a file with few rows, a few hundred bytes. zlib level 1: the
    driver of a distributed scan inflates one per file, and level 6 saved only ~4%.
    """
    flat = np.asarray(counts, dtype=np.int64).ravel()
    if flat.size and int(flat.min()) < 0:
        raise ValueError("counts must be non-negative")
    width, values = _narrow(flat)
    best = f"d{width}", zlib.compress(values.tobytes(), 1)
    idx = np.flatnonzero(flat)
    if idx.size < flat.size // 2:
        gw, gaps = _narrow(np.diff(idx, prepend=-1))
        vw, nonzero = _narrow(flat[idx])
        sparse = zlib.compress(gaps.tobytes() + nonzero.tobytes(), 1)
        if len(sparse) < len(best[1]):
            best = f"s{gw}.{vw}.{idx.size}", sparse
    return best[0] + ":" + base64.b64encode(best[1]).decode("ascii")


def unpacked_counts(text: str, shape: tuple[int, ...]) -> np.ndarray:
    """Inverse of packed_counts, checked against the expected shape."""
    head, _, data = text.partition(":")
    if head[:1] not in ("d", "s"):
        raise ValueError(f"unknown count encoding {head!r}")
    raw = _inflate(data)
    size = math.prod(shape)
    if head[:1] == "d":
        width = int(head[1:])
        flat = np.frombuffer(raw, dtype=f"<u{width}").astype(np.int64)
    elif head[:1] == "s":
        gw, vw, n = (int(x) for x in head[1:].split("."))
        if len(raw) != n * (gw + vw):
            raise ValueError(
                f"stored sparse counts hold {len(raw)} bytes, expected {n * (gw + vw)}"
            )
        idx = np.cumsum(np.frombuffer(raw[: n * gw], dtype=f"<u{gw}").astype(np.int64)) - 1
        if n and (idx[0] < 0 or idx[-1] >= size):
            raise ValueError(f"stored sparse counts index beyond shape {shape}")
        flat = np.zeros(size, dtype=np.int64)
        flat[idx] = np.frombuffer(raw[n * gw :], dtype=f"<u{vw}").astype(np.int64)
    if flat.size != size:
        raise ValueError(f"stored counts hold {flat.size} values, expected shape {shape}")
    return flat.reshape(shape)


def _inflate(data: str) -> bytes:
    """base64 then zlib, every failure as ValueError (a damaged stored state)."""
    try:
        return zlib.decompress(base64.b64decode(data.encode("ascii"), validate=True))
    except zlib.error as exc:
        raise ValueError(f"damaged compressed counts: {exc}") from exc


def packed_floats(values: np.ndarray) -> str:
    """A float64 array (any values, NaN and infinities too) as exact compact text.

    The bit patterns, each as the difference from the previous one modulo 2**64 (sorted
    scores differ in their low bits only), zlib-compressed, base64: about a third of the
    repr-per-value JSON of floats_to_json for distinct sorted scores.
    """
    bits = np.ascontiguousarray(values, dtype="<f8").view("<u8")
    deltas = np.diff(bits, prepend=np.uint64(0))  # wraps modulo 2**64: exact inverse below
    return "u8:" + base64.b64encode(zlib.compress(deltas.tobytes(), 1)).decode("ascii")


def unpacked_floats(text: str) -> np.ndarray:
    """Inverse of packed_floats."""
    head, _, data = text.partition(":")
    if head != "u8":
        raise ValueError(f"unknown float encoding {head!r}")
    raw = _inflate(data)
    bits = np.cumsum(np.frombuffer(raw, dtype="<u8"), dtype=np.uint64)
    return bits.view(np.float64).copy()


def exactsum_to_json(s: ExactSum) -> str:
    """The exact integer representation, as a hex string."""
    return hex(s.units)


def exactsum_from_json(v: str) -> ExactSum:
    """Inverse of exactsum_to_json."""
    return ExactSum(int(v, 16))
