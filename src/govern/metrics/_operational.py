"""Operational health of the serving log: latency quantiles, error rates, throughput, freshness.

Latency quantiles come from a QuantileSketch (relative error <= its accuracy, 0.5% by default);
error codes are exact counts per value; the time window is the exact min/max timestamp. All of
it merges exactly. Freshness is the age of the newest row at `now`, a time the caller passes in
(the scan's start time: one per scan, never the clock at finalize time), so every row of a scan
is computed against the same instant and the state itself holds no time-relative value: a
stored partial state (newest row time included) is as valid for a later scan as for this one.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta
from typing import Any, Self

import numpy as np
import pyarrow as pa

from govern.clock import rfc3339
from govern.errors import MetricInputError
from govern.metrics._batch import column, dictionary_codes, float_column
from govern.metrics._sketch import MAX_INDEXABLE, QuantileSketch
from govern.metrics._state import float_to_json
from govern.results import MetricRow

QUANTILES = (("latency_p50", 0.50), ("latency_p95", 0.95), ("latency_p99", 0.99))
OVERFLOW = (
    "{n} latency values above {limit} (overflow): the quantile lies beyond the measurable "
    "range; check the latency unit and the logging pipeline"
)
_EPOCH = datetime(1970, 1, 1)


# Timestamps Python's datetime (and RFC 3339 text) can hold: years 1 to 9999.
_US_MIN = (datetime(1, 1, 1) - _EPOCH) // timedelta(microseconds=1)
_US_MAX = (datetime(9999, 12, 31, 23, 59, 59, 999999) - _EPOCH) // timedelta(microseconds=1)
TS_RANGE = (
    "timestamps span years {lo} to {hi}, outside 1-9999; is column {column!r} stored "
    "in another unit than its type says (e.g. nanoseconds written as microseconds)?"
)


def _year(us: int) -> int:
    """Approximate calendar year of an epoch-microsecond value (for messages only)."""
    return 1970 + int(us // 31_556_952_000_000)


def _as_epoch_us(arr: pa.Array, name: str) -> np.ndarray:
    import pyarrow.compute as pc  # here, not at import: ~0.1 s a scan does not need

    if not pa.types.is_timestamp(arr.type):
        raise MetricInputError(
            f"timestamp column {name!r} has type {arr.type}; expected an Arrow timestamp"
        )
    us = pc.cast(arr, pa.timestamp("us", tz=arr.type.tz)).cast(pa.int64()).drop_null()
    return np.asarray(us.to_numpy(zero_copy_only=False), dtype=np.int64)


def _code_key(value: object) -> str:
    return str(value)


class OperationalAccumulator:
    """Rows, latency sketch, error-code counts and the time window."""

    def __init__(
        self,
        *,
        latency: str | None = None,
        error_code: str | None = None,
        ok_codes: tuple[Any, ...] = (),
        timestamp: str | None = None,
        now: datetime | None = None,
    ) -> None:
        self.latency = latency
        self.error_code = error_code
        self.ok_codes = ok_codes
        self.timestamp = timestamp
        self.now = now  # naive UTC reference time of freshness; None: freshness not computed
        self.rows = 0
        self.sketch = QuantileSketch()
        self.latency_nulls = 0
        self.latency_invalid = 0  # NaN, infinite or negative
        self.codes: dict[str, int] = {}
        self.ts_min: int | None = None
        self.ts_max: int | None = None
        self.ts_rows = 0

    @property
    def columns(self) -> tuple[str, ...]:
        """The configured latency, error-code and timestamp columns."""
        return tuple(c for c in (self.latency, self.error_code, self.timestamp) if c)

    def empty(self) -> Self:
        """Same configuration, no data."""
        return type(self)(
            latency=self.latency,
            error_code=self.error_code,
            ok_codes=self.ok_codes,
            timestamp=self.timestamp,
            now=self.now,
        )

    def update(self, batch: pa.RecordBatch | pa.Table) -> None:
        """Fold one batch."""
        if batch.num_rows == 0:
            return
        self.rows += batch.num_rows
        if self.latency:
            values = float_column(column(batch, self.latency), self.latency)
            nulls, invalid = self.sketch.add_column(values)
            self.latency_nulls += nulls
            self.latency_invalid += invalid
        if self.error_code:
            codes, keys = dictionary_codes(column(batch, self.error_code))
            counts = np.bincount(codes, minlength=len(keys) + 1)
            for i in np.flatnonzero(counts[: len(keys)]):
                if keys[i] in self.ok_codes:
                    continue
                k = _code_key(keys[i])
                self.codes[k] = self.codes.get(k, 0) + int(counts[i])
        if self.timestamp:
            ts = _as_epoch_us(column(batch, self.timestamp), self.timestamp)
            if ts.size:
                lo, hi = int(ts.min()), int(ts.max())
                self.ts_min = lo if self.ts_min is None else min(self.ts_min, lo)
                self.ts_max = hi if self.ts_max is None else max(self.ts_max, hi)
                self.ts_rows += int(ts.size)

    def merge(self, other: Self) -> Self:
        """Exact merge."""
        out = self.empty()
        out.rows = self.rows + other.rows
        out.sketch = self.sketch.merge(other.sketch)
        out.latency_nulls = self.latency_nulls + other.latency_nulls
        out.latency_invalid = self.latency_invalid + other.latency_invalid
        out.codes = dict(self.codes)
        for k, v in other.codes.items():
            out.codes[k] = out.codes.get(k, 0) + v
        mins = [t for t in (self.ts_min, other.ts_min) if t is not None]
        maxs = [t for t in (self.ts_max, other.ts_max) if t is not None]
        out.ts_min = min(mins) if mins else None
        out.ts_max = max(maxs) if maxs else None
        out.ts_rows = self.ts_rows + other.ts_rows
        return out

    @property
    def config(self) -> dict[str, Any]:
        """Columns and success codes (not `now`: a stored state does not depend on it)."""
        return {
            "latency": self.latency,
            "error_code": self.error_code,
            "ok_codes": [_ok_code_to_json(c) for c in self.ok_codes],
            "timestamp": self.timestamp,
            "relative_accuracy": float_to_json(self.sketch.relative_accuracy),
        }

    def to_state(self) -> dict[str, Any]:
        """JSON-safe exact state: counts, the sparse sketch, the window in epoch microseconds."""
        return {
            "rows": self.rows,
            "sketch": self.sketch.to_state(),
            "latency_nulls": self.latency_nulls,
            "latency_invalid": self.latency_invalid,
            "codes": dict(sorted(self.codes.items())),
            "ts_min": self.ts_min,
            "ts_max": self.ts_max,
            "ts_rows": self.ts_rows,
        }

    def load_state(self, doc: dict[str, Any]) -> Self:
        """A state holding the counts of `to_state` output (same configuration and `now`)."""
        out = self.empty()
        out.rows = int(doc["rows"])
        out.sketch = self.sketch.load_state(doc["sketch"])
        out.latency_nulls = int(doc["latency_nulls"])
        out.latency_invalid = int(doc["latency_invalid"])
        out.codes = {str(k): int(v) for k, v in doc["codes"].items()}
        out.ts_min = None if doc["ts_min"] is None else int(doc["ts_min"])
        out.ts_max = None if doc["ts_max"] is None else int(doc["ts_max"])
        out.ts_rows = int(doc["ts_rows"])
        return out

    def finalize(self) -> list[MetricRow]:
        """Latency, error and time-window rows."""
        out: list[MetricRow] = []
        if self.latency:
            out += self._latency_rows()
        if self.error_code:
            out += self._error_rows()
        if self.timestamp:
            out += self._time_rows()
        return out

    def _latency_rows(self) -> list[MetricRow]:
        s = self.sketch
        detail = {
            "column": self.latency,
            "count": s.count,
            "nulls": self.latency_nulls,
            "invalid": self.latency_invalid,
            "relative_accuracy": s.relative_accuracy,
            "above_sketch_range": s.clamped_high,
        }
        subject = self.latency or ""
        if s.count == 0:
            reason = "no finite, non-negative latency values"
            return [
                MetricRow("operational", subject, m, None, "insufficient_data", reason, detail)
                for m, _ in QUANTILES
            ]
        out = []
        for m, q in QUANTILES:
            # Values above the sketch's range sort last: a quantile whose rank falls among
            # them is unknown (1e308 ms would read as 1e12), so it is invalid, not a number.
            if s.clamped_high and math.floor(q * (s.count - 1)) >= s.count - s.clamped_high:
                reason = OVERFLOW.format(n=s.clamped_high, limit=f"{MAX_INDEXABLE:g}")
                out.append(MetricRow("operational", subject, m, None, "invalid", reason, detail))
            else:
                out.append(MetricRow("operational", subject, m, s.quantile(q), detail=detail))
        return out

    def _error_rows(self) -> list[MetricRow]:
        errors = sum(self.codes.values())
        detail = {
            "column": self.error_code,
            "rows": self.rows,
            "errors": errors,
            "by_code": dict(sorted(self.codes.items())),
        }
        subject = self.error_code or ""
        if self.rows == 0:
            return [
                MetricRow(
                    "operational",
                    subject,
                    "error_rate",
                    None,
                    "insufficient_data",
                    "no rows in the data",
                    detail,
                )
            ]
        out = [MetricRow("operational", subject, "error_rate", errors / self.rows, detail=detail)]
        for code, n in sorted(self.codes.items()):
            out.append(
                MetricRow(
                    "operational",
                    f"{subject}={code}",
                    "error_rate",
                    n / self.rows,
                    detail={"rows": self.rows, "errors": n},
                )
            )
        return out

    def _time_rows(self) -> list[MetricRow]:
        subject = self.timestamp or ""
        if self.ts_min is None or self.ts_max is None:
            reason = "no non-null timestamps"
            return [
                MetricRow(
                    "operational",
                    subject,
                    m,
                    None,
                    "insufficient_data",
                    reason,
                    {"rows": self.rows},
                )
                for m in ("throughput_rows_per_hour", "freshness_seconds")
            ]
        if not _US_MIN <= self.ts_min <= self.ts_max <= _US_MAX:
            reason = TS_RANGE.format(
                lo=_year(self.ts_min), hi=_year(self.ts_max), column=self.timestamp
            )
            return [
                MetricRow("operational", subject, m, None, "invalid", reason, {"rows": self.rows})
                for m in ("throughput_rows_per_hour", "freshness_seconds")
            ]
        first = self.ts_min / 1e6
        newest_s = self.ts_max / 1e6
        window_h = (self.ts_max - self.ts_min) / 3.6e9
        detail = {
            "rows": self.rows,
            "timestamped_rows": self.ts_rows,
            "first": rfc3339(datetime.fromtimestamp(first, UTC)),
            "last": rfc3339(datetime.fromtimestamp(newest_s, UTC)),
            "window_hours": window_h,
        }
        out = []
        if window_h > 0:
            out.append(
                MetricRow(
                    "operational",
                    subject,
                    "throughput_rows_per_hour",
                    self.ts_rows / window_h,
                    detail=detail,
                )
            )
        else:
            out.append(
                MetricRow(
                    "operational",
                    subject,
                    "throughput_rows_per_hour",
                    None,
                    "insufficient_data",
                    "all timestamps are equal; the window has no length",
                    detail,
                )
            )
        # The only time-relative value: it alone carries the reference time in its detail.
        if self.now is None:
            reason = "no reference time given (now); freshness is relative to the scan time"
            out.append(
                MetricRow(
                    "operational",
                    subject,
                    "freshness_seconds",
                    None,
                    "insufficient_data",
                    reason,
                    {**detail, "now": None},
                )
            )
            return out
        age = (self.now - _EPOCH).total_seconds() - newest_s
        fresh = {**detail, "now": rfc3339(self.now)}
        out.append(MetricRow("operational", subject, "freshness_seconds", age, detail=fresh))
        return out


def _ok_code_to_json(code: object) -> object:
    """An ok code as JSON holds it (str, int, bool, None; anything else as its str)."""
    if code is None or isinstance(code, str | int):
        return code
    if isinstance(code, float):
        return float_to_json(code)
    return str(code)
