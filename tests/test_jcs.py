"""govern._jcs against rfc8785 alone, byte for byte, over a seeded fuzz corpus.

The corpus covers every boundary of the fast path: integral floats on both sides of 2**53
and up to 1e16 (where Python's repr keeps ".0" and ECMAScript does not) and beyond, floats
around the 1e-4 / 1e-6 and 1e16 / 1e21 exponent switches, integers at the safe-integer
edge, -0.0, non-ASCII and astral keys (JCS sorts by UTF-16 units), control characters.
"""

from __future__ import annotations

import math
import random
import struct
from typing import Any

import pytest
import rfc8785

from govern._jcs import canonical_json

SEED = 20261202
DOCUMENTS = 30_000

_KEYS = ["a", "b", "Z", "_", "é", "ö", "€", "\U0001f600", "\ufb01", "k\x00", "a b", "10", "1"]
_TEXT = ["", "plain", 'q"uote', "back\\slash", "tab\t", "nl\n", "\x07bell", "\x7f", "€", "\u2028"]


def _integral_big(rng: random.Random) -> float:
    """An integral float with 2**53 <= |x| < 1e16 (the class the fast path once broke)."""
    x = float(rng.randrange(2**53, 10**16))
    return x if rng.random() < 0.5 else -x


def _number(rng: random.Random) -> Any:
    pick = rng.randrange(12)
    if pick == 0:
        return _integral_big(rng)
    if pick == 1:  # integral floats on either side of every switch point
        exp = rng.choice([0, 1, 15, 16, 17, 20, 21, 22])
        return float(rng.randrange(1, 10)) * 10.0**exp * rng.choice([1, -1])
    if pick == 2:
        return float(rng.randrange(-(2**53) + 1, 2**53))
    if pick == 3:
        return rng.randrange(-(2**53) + 1, 2**53)
    if pick == 4:  # around the small-number switches (Python 1e-4, ECMAScript 1e-6)
        return rng.uniform(1, 10) * 10.0 ** rng.randrange(-9, -2)
    if pick == 5:  # around the large-number switches (Python 1e16, ECMAScript 1e21)
        return rng.uniform(1, 10) * 10.0 ** rng.randrange(14, 23)
    if pick == 6:  # any finite double, from random bits
        while True:
            x: float = struct.unpack("<d", rng.getrandbits(64).to_bytes(8, "little"))[0]
            if math.isfinite(x):
                return x
    if pick == 7:
        return rng.choice([0.0, -0.0, 0.1, 0.5, 1e-4, 9.999999999999999e-5, 1e16, 2.0**53])
    if pick == 8:
        return rng.choice([2**53 - 1, -(2**53) + 1, 0, 1, -1])
    return round(rng.uniform(-1e6, 1e6), rng.randrange(0, 8))


def _value(rng: random.Random, depth: int) -> Any:
    pick = rng.randrange(10 if depth < 3 else 7)
    if pick < 4:
        return _number(rng)
    if pick == 4:
        return rng.choice(_TEXT)
    if pick == 5:
        return rng.choice([True, False, None])
    if pick == 6:
        return rng.choice(_KEYS) * rng.randrange(1, 3)
    if pick in (7, 8):
        return _document(rng, depth + 1)
    return [_value(rng, depth + 1) for _ in range(rng.randrange(0, 4))]


def _document(rng: random.Random, depth: int = 0) -> dict[str, Any]:
    ascii_only = rng.random() < 0.7  # most inputs are ASCII-keyed, like the real ones
    keys = _KEYS[:5] if ascii_only else _KEYS
    return {
        rng.choice(keys) + str(rng.randrange(3)): _value(rng, depth)
        for _ in range(rng.randrange(1, 6))
    }


def corpus() -> list[dict[str, Any]]:
    rng = random.Random(SEED)
    return [_document(rng) for _ in range(DOCUMENTS)]


def _reference(doc: dict[str, Any]) -> bytes | type[Exception]:
    try:
        return bytes(rfc8785.dumps(doc))
    except (rfc8785.CanonicalizationError, ValueError) as exc:
        return type(exc)


def test_corpus_covers_the_once_broken_class() -> None:
    def floats(v: Any) -> list[float]:
        if isinstance(v, dict):
            return [f for x in v.values() for f in floats(x)]
        if isinstance(v, list):
            return [f for x in v for f in floats(x)]
        return [v] if isinstance(v, float) else []

    big = [f for d in corpus() for f in floats(d) if f.is_integer() and 2**53 <= abs(f) < 1e16]
    assert len(big) > 1_000


def test_fuzz_corpus_matches_rfc8785_alone() -> None:
    mismatches = []
    for doc in corpus():
        expected = _reference(doc)
        if isinstance(expected, bytes):
            got = canonical_json(doc)
            if got != expected:
                mismatches.append((doc, got, expected))
        else:
            with pytest.raises(expected):
                canonical_json(doc)
    assert mismatches == []


@pytest.mark.parametrize(
    "value",
    [
        9708413660533278.0,
        -9708413660533278.0,
        float(2**53),
        float(2**53 + 2),
        9999999999999998.0,
        1e16,
        1e20,
        1e21,
        float(2**53 - 1),
        -0.0,
        1e-4,
        9.99e-5,
        1e-6,
        1e-7,
        0.1 + 0.2,
    ],
)
def test_boundary_values(value: float) -> None:
    doc = {"v": value, "nested": [value, {"w": value}]}
    assert canonical_json(doc) == bytes(rfc8785.dumps(doc))


def test_integral_float_above_2_53_prints_without_fraction() -> None:
    assert canonical_json({"v": 9708413660533278.0}) == b'{"v":9708413660533278}'
