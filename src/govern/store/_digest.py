"""Content digests of stored rows, recorded in the audit payload and recomputed by verify.

The chain proves that the audit records were not altered; these digests extend that proof to
the rows the records describe (a scan's evidence, a decision, a reference profile). A digest
is sha256 over RFC 8785 canonical JSON of the row exactly as stored, so it is computed from
the values handed to INSERT and again from the values DuckDB returns:

- JSON columns are text both ways: parsed, then canonicalised (key order and spacing of the
  stored text do not matter, its values do);
- TIMESTAMP columns are naive UTC datetimes both ways: written as RFC 3339 UTC text with
  microseconds, so no session TimeZone can change them;
- DOUBLE round-trips exactly; integral numbers canonicalise the same as int or float;
- NaN and ±infinity (json.dumps writes them and DuckDB's JSON type accepts them) become
  the strings "NaN", "Infinity", "-Infinity"; integers beyond 2^53 become their decimal text.

Every column of the row is covered; a row is the array of its cells in the column order
listed below (SCAN_COLUMNS, EVIDENCE_COLUMNS, DECISION_COLUMNS, PROFILE_COLUMNS). A scan's
digest covers its `scans` row and all its `evidence` rows, sorted by their canonical bytes
so insertion order does not matter.
"""

from __future__ import annotations

import functools
import hashlib
import json
import math
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

import rfc8785

from govern._jcs import plain_canonical
from govern.clock import parse_rfc3339, rfc3339

CONTENT_KEY = "content_sha256"
_SAFE_INT = 2**53

SCAN_COLUMNS = (
    "scan_id",
    "name",
    "version",
    "kind",
    "rows",
    "sources",
    "params",
    "engine_version",
    "started_at",
    "finished_at",
)
EVIDENCE_COLUMNS = (
    "scan_id",
    "name",
    "version",
    "family",
    "subject",
    "metric",
    "value",
    "status",
    "reason",
    "detail",
    "created_at",
)
DECISION_COLUMNS = (
    "decision_id",
    "name",
    "version",
    "stage",
    "result",
    "violations",
    "bundle_hash",
    "input_hash",
    "input",
    "engine",
    "engine_version",
    "decided_at",
)
PROFILE_COLUMNS = (
    "profile_id",
    "name",
    "version",
    "digest",
    "rows",
    "sources",
    "profile",
    "engine_version",
    "created_at",
)
_JSON = {"sources", "params", "detail", "violations", "input", "profile"}
_TIME = {"started_at", "finished_at", "created_at", "decided_at"}
_DOUBLE = {"value"}


def _plain(value: Any, slow: list[bool]) -> Any:
    """`value` with every number made canonicalisable (see the module docstring).

    Sets slow[0] when json.dumps(sort_keys) would not already be the RFC 8785 text (a float
    outside [1e-4, 1e16), a non-ASCII key, a non-string key).
    """
    if isinstance(value, str) or value is None or isinstance(value, bool):
        return value
    if isinstance(value, dict):
        out = {}
        for k, v in value.items():
            if not isinstance(k, str) or not k.isascii():
                slow[0] = True
                k = str(k)
            out[k] = _plain(v, slow)
        return out
    if isinstance(value, list | tuple):
        return [_plain(v, slow) for v in value]
    if isinstance(value, int):
        return value if -_SAFE_INT < value < _SAFE_INT else str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return "NaN"
        if math.isinf(value):
            return "Infinity" if value > 0 else "-Infinity"
        if value.is_integer() and -_SAFE_INT < value < _SAFE_INT:
            return int(value)
        if value.is_integer() or not 1e-4 <= abs(value) < 1e16:
            # Python's repr and ECMAScript agree on the digits only without an exponent.
            slow[0] = True
        return value
    return str(value)


def canonical(value: Any) -> bytes:
    """RFC 8785 bytes of `value` after the number rules in the module docstring."""
    slow = [False]
    plain = _plain(value, slow)
    if not slow[0]:
        try:
            text = json.dumps(plain, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
            return text.encode("utf-8")
        except UnicodeEncodeError:
            pass  # a lone surrogate: the reference encoder decides
    return bytes(rfc8785.dumps(plain))


@functools.lru_cache(maxsize=4096)
def _time_text(value: datetime) -> str:
    return rfc3339(value)  # rows of one scan share a timestamp: cache the strftime


def _number(value: float, slow: list[bool]) -> Any:
    if value.is_integer() and -_SAFE_INT < value < _SAFE_INT:
        return int(value)
    return _plain(value, slow)


@functools.lru_cache(maxsize=16)
def _kinds(columns: tuple[str, ...]) -> tuple[int, ...]:
    """Per column: 0 scalar, 1 JSON text, 2 TIMESTAMP, 3 DOUBLE."""
    return tuple(
        1 if c in _JSON else 2 if c in _TIME else 3 if c in _DOUBLE else 0 for c in columns
    )


def row_canon(columns: Sequence[str], row: Sequence[Any]) -> bytes:
    """Canonical bytes of one stored row as an array of its cells in `columns` order.

    Scalar cells are handled inline and only JSON cells are walked: this runs once per
    evidence row in `govern audit verify`.
    """
    slow = [False]
    out: list[Any] = []
    for kind, value in zip(_kinds(tuple(columns)), row, strict=True):
        if value is None or kind == 0 and type(value) is str:
            out.append(value)
        elif kind == 1:
            out.append(_plain(json.loads(value) if isinstance(value, str) else value, slow))
        elif kind == 2:
            if isinstance(value, str):
                value = parse_rfc3339(value)
            assert isinstance(value, datetime)
            out.append(_time_text(value))
        elif kind == 3 or isinstance(value, float):
            out.append(_number(float(value), slow))
        else:
            out.append(_plain(value, slow))
    if not slow[0]:
        try:
            text = json.dumps(out, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
            return text.encode("utf-8")
        except UnicodeEncodeError:
            pass  # a lone surrogate: the reference encoder decides
    return bytes(rfc8785.dumps(out))


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def scan_digest(scan_row: Sequence[Any], evidence_rows: Iterable[Sequence[Any]]) -> str:
    """sha256 of {"evidence": [rows sorted by canonical bytes], "scan": the scans row}."""
    rows = sorted(row_canon(EVIDENCE_COLUMNS, r) for r in evidence_rows)
    head = row_canon(SCAN_COLUMNS, scan_row)
    return _sha(b'{"evidence":[' + b",".join(rows) + b'],"scan":' + head + b"}")


_INPUT = DECISION_COLUMNS.index("input")
_VIOLATIONS = DECISION_COLUMNS.index("violations")


def decision_digest(
    row: Sequence[Any],
    input_canonical: bytes | None = None,
    violations: list[dict[str, Any]] | None = None,
    violations_canonical: bytes | None = None,
) -> str:
    """sha256 of the canonical decisions row (DECISION_COLUMNS order).

    `input_canonical`, the RFC 8785 bytes of the row's input document (those its
    input_hash is taken over), saves canonicalising the input a second time, and
    `violations`, the objects the row's violations text encodes, saves parsing and walking
    that text: a JCS array is its members' canonical bytes joined by commas, so the row is
    spliced around them (`violations_canonical`, those bytes as govern._jcs.plain_canonical
    gave them to the caller, saves even that). Violations that are not plain JSON
    (govern._jcs) take the general path, so the digest is always that of row_canon over
    the stored row.
    """
    if input_canonical is None:
        return _sha(row_canon(DECISION_COLUMNS, row))
    found = violations_canonical
    if found is None and violations is not None:
        found = plain_canonical(violations)
    if found is None:
        head = row_canon(DECISION_COLUMNS[:_INPUT], row[:_INPUT])
    else:
        before = row_canon(DECISION_COLUMNS[:_VIOLATIONS], row[:_VIOLATIONS])
        after = row_canon(DECISION_COLUMNS[_VIOLATIONS + 1 : _INPUT], row[_VIOLATIONS + 1 : _INPUT])
        head = before[:-1] + b"," + found + b"," + after[1:]
    tail = row_canon(DECISION_COLUMNS[_INPUT + 1 :], row[_INPUT + 1 :])
    return _sha(head[:-1] + b"," + input_canonical + b"," + tail[1:])


def profile_digest(row: Sequence[Any]) -> str:
    """sha256 of the canonical profiles row (PROFILE_COLUMNS order)."""
    return _sha(row_canon(PROFILE_COLUMNS, row))
