"""An exact, order-independent running sum of floats (so merged scans agree bit for bit).

Every finite float64 is an integer multiple of 2**-1074, so a sum of floats is held exactly
as one Python integer counting units of 2**-1074. Adding and merging are integer additions,
hence associative and commutative; `value` rounds once, correctly, at the end. Per batch the
caller adds one numpy (pairwise) partial sum, so the cost is one big-int addition per batch.
"""

from __future__ import annotations

import math
from fractions import Fraction

_SCALE = 1074  # 2**-1074 is the smallest subnormal float64


class ExactSum:
    """Sum of finite floats, exact until the final rounding."""

    __slots__ = ("_units",)

    def __init__(self, units: int = 0) -> None:
        self._units = units

    def add(self, x: float) -> None:
        """Add one finite float (a batch's partial sum)."""
        if not math.isfinite(x):
            raise ValueError(f"exact sum: cannot add non-finite value {x}")
        num, den = float(x).as_integer_ratio()  # den is a power of two <= 2**1074
        self._units += num * ((1 << _SCALE) // den)

    @property
    def units(self) -> int:
        """The exact sum as an integer count of 2**-1074 (what a stored state holds)."""
        return self._units

    def merge(self, other: ExactSum) -> ExactSum:
        """A new sum holding both."""
        return ExactSum(self._units + other._units)

    @property
    def value(self) -> float:
        """The sum, rounded once to the nearest float (±inf past the float range)."""
        try:
            return float(Fraction(self._units, 1 << _SCALE))
        except OverflowError:
            return math.inf if self._units > 0 else -math.inf  # copysign would overflow

    def __eq__(self, other: object) -> bool:
        return isinstance(other, ExactSum) and self._units == other._units

    def __hash__(self) -> int:
        return hash(self._units)

    def __repr__(self) -> str:
        return f"ExactSum({self.value!r})"
