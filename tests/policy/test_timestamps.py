"""The library's timestamp check (lib.valid_ts / lib.ts_ns) against Python's calendar.

valid_ts checks the calendar day with its pattern alone (month lengths, 29 February in
leap years only); this grid of every month 00-13 and day 00-32 over the years where the
leap rule changes is compared with datetime.date, on regorus and on real OPA.
"""

from __future__ import annotations

import datetime
import json
import re
from typing import Any

import pytest
import regorus

from govern.policy import _opa

from ..conftest import POLICIES

COMMON = POLICIES / "lib" / "common.rego"
YEARS = (1899, 1900, 1901, 1904, 1996, 1999, 2000, 2001, 2023, 2024, 2096, 2099, 2100)
DATES = [f"{y:04d}-{m:02d}-{d:02d}" for y in YEARS for m in range(14) for d in range(33)]
# every tenth date with a time of day, and the time-of-day forms at a valid and a bad date
CANDIDATES = (
    DATES
    + [f"{d}T12:30:00Z" for d in DATES[::10]]
    + [f"{d}T23:59:59.123456789+05:30" for d in DATES[5::10]]
)
QUERY = "x := {c | some c in input.c; data.govern.lib.valid_ts(c)}"
NS_QUERY = "x := {c: data.govern.lib.ts_ns(c) | some c in input.c}"


def _calendar_day(text: str) -> bool:
    try:
        day = datetime.date.fromisoformat(text[:10])
    except ValueError:
        return False
    return 1900 <= day.year <= 2099


def _ns(text: str) -> int:
    """Nanoseconds since the epoch (datetime keeps microseconds: the fraction is added here)."""
    full = text + "T00:00:00Z" if len(text) == 10 else text
    m = re.fullmatch(r"(.{19})(?:\.([0-9]{1,9}))?(Z|[+-][0-9]{2}:[0-9]{2})", full)
    assert m is not None, full
    zone = "+00:00" if m[3] == "Z" else m[3]
    moment = datetime.datetime.fromisoformat(m[1] + zone)
    return int(moment.timestamp()) * 10**9 + int((m[2] or "").ljust(9, "0"))


def _regorus(query: str) -> Any:
    engine = regorus.Engine()
    engine.add_policy(str(COMMON), COMMON.read_text(encoding="utf-8"))
    engine.set_input_json(json.dumps({"c": CANDIDATES}))
    return json.loads(engine.eval_query_as_json(query))["result"][0]["bindings"]["x"]


def _opa_eval(query: str) -> Any:
    from opa_bindings import OpaEngine

    engine = OpaEngine()
    try:
        engine.add_policy(str(COMMON), COMMON.read_text(encoding="utf-8"))
        return engine.eval_query(query, {"c": CANDIDATES})[0]["x"]
    finally:
        engine.close()


ENGINES = [
    pytest.param(_regorus, id="regorus"),
    pytest.param(
        _opa_eval,
        id="opa",
        marks=pytest.mark.skipif(
            not _opa.bindings_available(),
            reason="opa-golib-python-bindings not installed (make install adds it)",
        ),
    ),
]


@pytest.mark.parametrize("evaluate", ENGINES)
def test_valid_ts_is_a_real_calendar_day(evaluate: Any) -> None:
    valid = set(evaluate(QUERY))
    wrong = [c for c in CANDIDATES if (c in valid) != _calendar_day(c)]
    assert wrong == []
    assert {"2000-02-29", "2024-02-29", "1904-02-29"} <= valid
    assert not {"1900-02-29", "2023-02-29", "2100-02-29", "2024-04-31"} & valid


@pytest.mark.parametrize("evaluate", ENGINES)
def test_ts_ns_reads_every_valid_timestamp(evaluate: Any) -> None:
    got = evaluate(NS_QUERY)
    expected = {c: _ns(c) for c in CANDIDATES if _calendar_day(c)}
    assert got == expected
