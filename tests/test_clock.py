"""RFC 3339 text of the timestamps govern stores, and back."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from govern.clock import parse_rfc3339, rfc3339


@pytest.mark.parametrize(
    ("dt", "text"),
    [
        (datetime(2026, 11, 23, 19, 0, 0, 123), "2026-11-23T19:00:00.000123Z"),
        (datetime(2026, 1, 2), "2026-01-02T00:00:00.000000Z"),
        (datetime(5, 1, 2, 3, 4, 5, 6), "0005-01-02T03:04:05.000006Z"),  # four-digit year
        (
            datetime(2026, 3, 1, 1, 30, tzinfo=timezone(timedelta(hours=2))),
            "2026-02-28T23:30:00.000000Z",
        ),
        (datetime(2026, 3, 1, 1, 30, tzinfo=UTC), "2026-03-01T01:30:00.000000Z"),
    ],
)
def test_rfc3339_prints_utc_with_microseconds(dt: datetime, text: str) -> None:
    assert rfc3339(dt) == text
    naive = dt.astimezone(UTC).replace(tzinfo=None) if dt.tzinfo else dt
    assert parse_rfc3339(text) == naive
