"""UTC time in the two forms govern stores: naive-UTC datetimes for DuckDB and RFC 3339 text."""

from __future__ import annotations

from datetime import UTC, datetime


def utcnow() -> datetime:
    """Current UTC time as a naive datetime (DuckDB TIMESTAMP holds UTC by convention)."""
    return datetime.now(UTC).replace(tzinfo=None)


def rfc3339(dt: datetime) -> str:
    """`2026-11-23T19:00:00.123456Z` for a naive-UTC or aware datetime."""
    if dt.tzinfo is not None:
        dt = dt.astimezone(UTC).replace(tzinfo=None)
    # isoformat, not strftime: the same text (a zero-padded year too), several times
    # faster, and every decision of a `check --all` is stamped with one
    return dt.isoformat(timespec="microseconds") + "Z"


def parse_rfc3339(text: str) -> datetime:
    """Parse RFC 3339 text into a naive-UTC datetime."""
    dt = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if dt.tzinfo is not None:
        dt = dt.astimezone(UTC).replace(tzinfo=None)
    return dt
