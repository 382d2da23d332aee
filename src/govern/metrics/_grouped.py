"""A fairlearn-shaped grouped result: one metric overall and per group, with disparities.

Mirrors fairlearn's MetricFrame for a single metric: `.overall`, `.by_group`, and
`.difference()` / `.ratio()` with method "between_groups" (max - min, min / max) or
"to_overall" (largest gap to, or smallest ratio with, the overall value). Unlike fairlearn,
an undefined value is None, never NaN, and any undefined group makes the disparity None.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

METHODS = ("between_groups", "to_overall")


def _check_method(method: str) -> None:
    if method not in METHODS:
        raise ValueError(f"unknown method {method!r}; valid methods are: {', '.join(METHODS)}")


@dataclass(frozen=True)
class GroupedResult:
    """Values of one metric overall and per group (None where undefined)."""

    overall: float | None
    by_group: Mapping[str, float | None] = field(default_factory=dict)

    def _values(self) -> list[float] | None:
        values = list(self.by_group.values())
        if not values or any(v is None for v in values):
            return None
        return [float(v) for v in values if v is not None]

    def group_max(self) -> float | None:
        """Largest group value (None if a group is undefined)."""
        values = self._values()
        return max(values) if values else None

    def group_min(self) -> float | None:
        """Smallest group value (None if a group is undefined)."""
        values = self._values()
        return min(values) if values else None

    def difference(self, *, method: str = "between_groups") -> float | None:
        """Largest minus smallest group value, or the largest |group - overall|."""
        _check_method(method)
        values = self._values()
        if values is None:
            return None
        if method == "between_groups":
            return max(values) - min(values)
        if self.overall is None:
            return None
        return max(abs(v - self.overall) for v in values)

    def ratio(self, *, method: str = "between_groups") -> float | None:
        """Smallest / largest group value, or the smallest min(g/o, o/g); None on 0/0."""
        _check_method(method)
        values = self._values()
        if values is None:
            return None
        if method == "between_groups":
            hi = max(values)
            return min(values) / hi if hi > 0 else None
        if self.overall is None:
            return None
        o = self.overall
        ratios = []
        for v in values:
            if v <= 0 or o <= 0:
                return None
            ratios.append(min(v / o, o / v))
        return min(ratios)
