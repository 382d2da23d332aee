"""Content verification: the stored rows still hash to the digests their audit records hold.

One streaming pass per table (audit_log, scans, evidence, decisions, profiles), so the cost
is a scan of each table plus hashing, not a query per record. Run after the chain itself
verified, which is what makes the payload column trustworthy here.

A record written before content digests existed (no `content_sha256` in its payload) is
counted as not content-covered rather than failing. A scan, decision or profile row that no
audit record mentions at all is reported: govern never writes one without its record.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from govern.store import _digest
from govern.store._engine import duckdb

ROW_DIFFERS = "{what} {id} in table {table} differs from what seq {seq} recorded"
EVIDENCE_DIFFERS = (
    "rows of scan {id} in table scans or table evidence differ from what seq {seq} recorded{counts}"
)
ROW_MISSING = "{what} {id} recorded at seq {seq} is missing from table {table}"
UNRECORDED = "{what} {id} in table {table} has no audit record (written outside govern?)"
NO_ID = "seq {seq} holds a content digest but no {key}"

# action -> (payload key of the row id, table, word used in messages)
_KINDS = {
    "scan": ("scan_id", "scans", "scan"),
    "decision": ("decision_id", "decisions", "decision"),
    "baseline": ("profile_id", "profiles", "profile"),
}
_BATCH = 10_000


@dataclass(frozen=True)
class ContentResult:
    """What content verification found; `problem` is the one with the lowest seq."""

    covered: int
    not_covered: int
    first_bad_seq: int | None = None
    problem: str | None = None


@dataclass
class _Expected:
    """Per table: id -> (seq, digest, payload) of covered records; ids of all records."""

    covered: dict[str, tuple[int, str, dict[str, Any]]]
    mentioned: set[str]


def _rows(conn: duckdb.DuckDBPyConnection, sql: str) -> Iterator[tuple[Any, ...]]:
    cur = conn.execute(sql)
    while batch := cur.fetchmany(_BATCH):
        yield from batch


def _expected(
    conn: duckdb.DuckDBPyConnection, problems: list[tuple[int, str]]
) -> tuple[dict[str, _Expected], int]:
    import json

    out = {action: _Expected({}, set()) for action in _KINDS}
    not_covered = 0
    actions = ", ".join(f"'{a}'" for a in _KINDS)
    for seq, action, payload_text in _rows(
        conn,
        f"SELECT seq, action, CAST(payload AS VARCHAR) FROM audit_log "
        f"WHERE action IN ({actions}) ORDER BY seq",
    ):
        key = _KINDS[action][0]
        payload = json.loads(payload_text)
        row_id, digest = payload.get(key), payload.get(_digest.CONTENT_KEY)
        exp = out[action]
        if row_id is not None:
            exp.mentioned.add(str(row_id))
        if digest is None:
            not_covered += 1
        elif row_id is None:
            problems.append((seq, NO_ID.format(seq=seq, key=key)))
        elif str(row_id) not in exp.covered:
            exp.covered[str(row_id)] = (seq, str(digest), payload)
    return out, not_covered


def _check_rows(
    conn: duckdb.DuckDBPyConnection,
    action: str,
    columns: tuple[str, ...],
    exp: _Expected,
    problems: list[tuple[int, str]],
    unrecorded: list[str],
    digest_of: Any,
) -> None:
    """Compare every row of a one-row-per-record table (decisions, profiles)."""
    _, table, what = _KINDS[action]
    seen: set[str] = set()
    for row in _rows(conn, f"SELECT {', '.join(columns)} FROM {table}"):
        row_id = str(row[0])
        found = exp.covered.get(row_id)
        if found is None:
            if row_id not in exp.mentioned:
                unrecorded.append(UNRECORDED.format(what=what, id=row_id, table=table))
            continue
        seen.add(row_id)
        if digest_of(row) != found[1]:
            problems.append(
                (found[0], ROW_DIFFERS.format(what=what, id=row_id, table=table, seq=found[0]))
            )
    for row_id, (seq, _, _) in exp.covered.items():
        if row_id not in seen:
            problems.append((seq, ROW_MISSING.format(what=what, id=row_id, seq=seq, table=table)))


def _check_scans(
    conn: duckdb.DuckDBPyConnection,
    exp: _Expected,
    problems: list[tuple[int, str]],
    unrecorded: list[str],
) -> None:
    """Each recorded scan: its scans row plus all its evidence rows, streamed by scan_id."""
    headers: dict[str, tuple[Any, ...]] = {}
    for row in _rows(conn, f"SELECT {', '.join(_digest.SCAN_COLUMNS)} FROM scans"):
        row_id = str(row[0])
        if row_id in exp.covered:
            headers[row_id] = row
        elif row_id not in exp.mentioned:
            unrecorded.append(UNRECORDED.format(what="scan", id=row_id, table="scans"))
    for row_id, (seq, _, _) in exp.covered.items():
        if row_id not in headers:
            problems.append(
                (seq, ROW_MISSING.format(what="scan", id=row_id, seq=seq, table="scans"))
            )

    def check(scan_id: str, rows: list[tuple[Any, ...]]) -> None:
        found = exp.covered.get(scan_id)
        if found is None:
            if scan_id not in exp.mentioned:
                unrecorded.append(
                    UNRECORDED.format(what="evidence of scan", id=scan_id, table="evidence")
                )
            return
        header = headers.get(scan_id)
        if header is None:
            return  # already reported missing
        checked.add(scan_id)
        if _digest.scan_digest(header, rows) != found[1]:
            recorded = found[2].get("metrics")
            counts = (
                f" ({len(rows)} evidence rows, {recorded} recorded)"
                if isinstance(recorded, int) and recorded != len(rows)
                else ""
            )
            problems.append(
                (found[0], EVIDENCE_DIFFERS.format(id=scan_id, seq=found[0], counts=counts))
            )

    checked: set[str] = set()
    current: str | None = None
    group: list[tuple[Any, ...]] = []
    for row in _rows(
        conn, f"SELECT {', '.join(_digest.EVIDENCE_COLUMNS)} FROM evidence ORDER BY scan_id"
    ):
        if row[0] != current:
            if current is not None:
                check(current, group)
            current, group = row[0], []
        group.append(row)
    if current is not None:
        check(current, group)
    for scan_id in headers.keys() - checked:
        check(scan_id, [])  # every evidence row of a recorded scan was deleted


def verify_content(conn: duckdb.DuckDBPyConnection) -> ContentResult:
    """Recompute the digest of every content-covered audit record from the tables."""
    problems: list[tuple[int, str]] = []
    unrecorded: list[str] = []
    expected, not_covered = _expected(conn, problems)
    covered = sum(len(e.covered) for e in expected.values())
    _check_scans(conn, expected["scan"], problems, unrecorded)
    _check_rows(
        conn,
        "decision",
        _digest.DECISION_COLUMNS,
        expected["decision"],
        problems,
        unrecorded,
        _digest.decision_digest,
    )
    _check_rows(
        conn,
        "baseline",
        _digest.PROFILE_COLUMNS,
        expected["baseline"],
        problems,
        unrecorded,
        _digest.profile_digest,
    )
    if problems:
        seq, problem = min(problems)
        return ContentResult(covered, not_covered, seq, problem)
    if unrecorded:
        return ContentResult(covered, not_covered, None, sorted(unrecorded)[0])
    return ContentResult(covered, not_covered)
