"""The hash-chained audit log: append in the writer's transaction, verify, export the head.

Each row stores the exact RFC 8785 canonical bytes of its record (`canon`) and
`row_hash = sha256(prev_hash || a newline || canon)`, so verification hashes stored bytes and
never re-serialises values read back from DuckDB (timestamps render per session TimeZone,
REAL/DECIMAL change their text). The record holds its own `seq`, `ts`, `actor`, `action`,
`subject` and `payload`; verify checks that the typed columns still say the same thing.

A chain alone cannot show that its tail was cut off or that every hash was recomputed
after an edit: export the head (`head()`, `govern audit head`) somewhere the database's
writers cannot change, and pass it back to `verify(anchor=...)`.
"""

from __future__ import annotations

import getpass
import hashlib
import json
import os
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import rfc8785

from govern._jcs import canonical_json, plain_canonical
from govern.clock import rfc3339, utcnow
from govern.errors import UserInputError
from govern.store import _state
from govern.store._content import verify_content
from govern.store._engine import duckdb
from govern.store._state import Bound as Bound  # (table, key) or (table, key, digest)

FORMAT_VERSION = 1
GENESIS = "0" * 64
ACTIONS = (
    "register",
    "baseline",
    "scan",
    "decision",
    "promote",
    "retire",
    "approve",
    "migrate",
    "event",
    "event_ack",
    "event_link",
)

# Message templates (tests compare them exactly).
SEQ_GAP = "seq gap or reorder at seq {seq} (expected {expected})"
PREV_MISMATCH = "prev_hash at seq {seq} does not match the row_hash of seq {prev}"
HASH_MISMATCH = "row_hash mismatch at seq {seq}: the canonical record was altered"
COLUMNS_DIFFER = "columns differ from the hashed canonical record at seq {seq} ({fields})"
BAD_RECORD = "canonical record at seq {seq} is not a valid audit record: {cause}"
TRUNCATED = "log is shorter than the anchor: head seq {head} < anchored seq {anchor} (truncated)"
REWRITTEN = "anchored hash at seq {seq} does not match (history rewritten)"


@dataclass(frozen=True)
class AuditHead:
    """The last row of the chain: what to anchor outside the database."""

    seq: int
    hash: str

    def to_dict(self) -> dict[str, Any]:
        """JSON form written by `govern audit head`."""
        return {"format": FORMAT_VERSION, "seq": self.seq, "hash": self.hash}


@dataclass(frozen=True)
class VerifyResult:
    """Outcome of recomputing the chain (and comparing it with an anchor, if given)."""

    ok: bool
    rows: int
    head: AuditHead
    first_bad_seq: int | None = None
    problem: str | None = None
    anchored: bool = False
    content_covered: int = 0  # scan/decision/baseline records whose rows were re-hashed
    not_content_covered: int = 0  # such records written before content digests existed
    bound_rows: int = 0  # rows of models, versions, events, approvals, partials bound


def default_actor() -> str:
    """`$GOVERN_ACTOR`, else the OS user name, else "unknown"."""
    actor = os.environ.get("GOVERN_ACTOR")
    if actor:
        return actor
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


def canonical(record: dict[str, Any]) -> bytes:
    """RFC 8785 bytes of a record; NaN/±inf and integers beyond 2^53 are refused.

    Plain records take the json.dumps fast path of govern._jcs (same bytes).
    """
    try:
        return canonical_json(record)
    except (rfc8785.CanonicalizationError, TypeError, ValueError) as exc:
        what = f"{record.get('action')} {record.get('subject')}"
        raise UserInputError(f"audit record for {what} cannot be canonicalised: {exc}") from exc


def row_hash(prev_hash: str, canon: bytes) -> str:
    """sha256 over the previous hash (hex), a newline, and the canonical bytes."""
    return hashlib.sha256(prev_hash.encode("ascii") + b"\n" + canon).hexdigest()


_RECORD_KEYS = ("action", "actor", "payload", "seq", "subject", "ts", "v")  # JCS key order


def _spliced(record: dict[str, Any], payload_canon: bytes) -> bytes | None:
    """canonical(record) around the payload's canonical bytes, None unless every field is plain.

    A JCS object is its members in sorted key order, each value canonical on its own, so
    the payload (most of a record) is canonicalised once for both the record and the
    `payload` column. tests/store/test_digest_splices.py compares it with canonical(record).
    """
    parts = []
    for key in _RECORD_KEYS:
        if key == "payload":
            value = payload_canon
        else:
            found = plain_canonical(record[key])
            if found is None:
                return None
            value = found
        parts.append(b'"' + key.encode() + b'":' + value)
    return b"{" + b",".join(parts) + b"}"


def chain_rows(
    start: AuditHead,
    entries: Iterable[tuple[str, str, str | None, str, dict[str, Any]]],
    payload_canons: Iterable[bytes] | None = None,
) -> Iterator[tuple[int, str, str | None, str, str, str, bytes, str, str]]:
    """Rows continuing the chain after `start` for (ts, action, actor, subject, payload).

    Yields (seq, ts, actor, action, subject, payload_json, canon, prev_hash, row_hash) in the
    column order of audit_log. Used by append() and by bulk loaders (benchmarks, imports).
    `payload_canons`, one per entry, are the payloads' canonical(payload) bytes when the
    caller computed them earlier (check --all does, while its sandbox children evaluate).
    """
    seq, prev = start.seq, start.hash
    canons = iter(payload_canons) if payload_canons is not None else None
    for ts, action, actor, subject, payload in entries:
        seq += 1
        record = {
            "v": FORMAT_VERSION,
            "seq": seq,
            "ts": ts,
            "actor": actor,
            "action": action,
            "subject": subject,
            "payload": payload,
        }
        payload_canon = next(canons) if canons is not None else canonical(payload)
        canon = _spliced(record, payload_canon) or canonical(record)
        digest = row_hash(prev, canon)
        payload_json = payload_canon.decode("utf-8")
        yield (seq, ts, actor, action, subject, payload_json, canon, prev, digest)
        prev = digest


def head(conn: duckdb.DuckDBPyConnection) -> AuditHead:
    """The (seq, row_hash) of the last row, or (0, GENESIS) for an empty log."""
    rows = conn.execute("SELECT seq, row_hash FROM audit_log ORDER BY seq DESC LIMIT 1").fetchall()
    if not rows:
        return AuditHead(0, GENESIS)
    return AuditHead(int(rows[0][0]), str(rows[0][1]))


def append(
    conn: duckdb.DuckDBPyConnection,
    *,
    action: str,
    subject: str,
    payload: dict[str, Any],
    actor: str | None = None,
    at: datetime | None = None,
    rows: Sequence[Bound] = (),
) -> AuditHead:
    """Append one record inside the caller's open transaction; returns the new head.

    Call it in the same transaction as the change it records, so both commit or neither.
    `rows` names, as (table, primary key), every row of a governed table (`_state.TABLES`)
    this transaction created, changed or deleted: their digests go into the record under
    `bound`, and `verify` fails on any governed row that no record binds. An entry
    (table, key, digest) carries its row's digest (`_state.table_digest`).
    """
    if action not in ACTIONS:
        raise ValueError(f"unknown audit action {action!r}; valid actions are: {ACTIONS}")
    if rows:
        payload = {**payload, _state.BOUND_KEY: _state.bind(conn, rows)}
    ts = rfc3339(at or utcnow())
    row = next(chain_rows(head(conn), [(ts, action, actor or default_actor(), subject, payload)]))
    conn.execute(
        """INSERT INTO audit_log (seq, ts, actor, action, subject, payload, canon, prev_hash,
           row_hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)""",
        list(row),
    )
    return AuditHead(row[0], row[8])


_AUDIT_COLUMNS = (
    "seq",
    "ts",
    "actor",
    "action",
    "subject",
    "payload",
    "canon",
    "prev_hash",
    "row_hash",
)


def append_many(
    conn: duckdb.DuckDBPyConnection,
    entries: list[tuple[str, str, dict[str, Any]]],
    *,
    actor: str | None = None,
    at: datetime | None = None,
    payload_canons: Sequence[bytes] | None = None,
) -> AuditHead:
    """Append (action, subject, payload) records in the caller's transaction, in bulk.

    The chain is computed in Python from the current head (chain_rows), then written with
    multi-row INSERTs: one INSERT per row cost ~1 ms, which dominated recording a
    `check --all` run. Same records, hashes and order as calling append() per entry.
    `payload_canons` as chain_rows takes them.
    """
    from govern.store.bulk import insert_rows

    for action, _, _ in entries:
        if action not in ACTIONS:
            raise ValueError(f"unknown audit action {action!r}; valid actions are: {ACTIONS}")
    start = head(conn)
    if not entries:
        return start
    ts = rfc3339(at or utcnow())
    who = actor or default_actor()
    rows = list(chain_rows(start, ((ts, a, who, s, p) for a, s, p in entries), payload_canons))
    insert_rows(conn, "audit_log", _AUDIT_COLUMNS, rows)
    return AuditHead(rows[-1][0], rows[-1][8])


def _check_row(
    expected_seq: int,
    prev: str,
    row: tuple[Any, ...],
) -> str | None:
    seq, ts, actor, action, subject, payload, canon, prev_hash, digest = row
    if seq != expected_seq:
        return SEQ_GAP.format(seq=seq, expected=expected_seq)
    if prev_hash != prev:
        return PREV_MISMATCH.format(seq=seq, prev=seq - 1)
    canon = bytes(canon)
    if row_hash(prev_hash, canon) != digest:
        return HASH_MISMATCH.format(seq=seq)
    try:
        record = json.loads(canon)
        if not isinstance(record, dict) or record.get("v") != FORMAT_VERSION:
            raise ValueError(f"unsupported format {record.get('v')!r}")
        stored_payload = json.loads(payload)
    except (ValueError, UnicodeDecodeError) as exc:
        return BAD_RECORD.format(seq=seq, cause=exc)
    columns = {
        "seq": seq,
        "ts": ts,
        "actor": actor,
        "action": action,
        "subject": subject,
        "payload": stored_payload,
    }
    differ = [k for k, v in columns.items() if record.get(k) != v]
    if differ:
        return COLUMNS_DIFFER.format(seq=seq, fields=", ".join(differ))
    return None


def verify(conn: duckdb.DuckDBPyConnection, *, anchor: AuditHead | None = None) -> VerifyResult:
    """Recompute the chain from seq 1; name the first broken seq; compare with an anchor.

    Then recompute the content digests of scan, decision and baseline records from the rows
    they describe (store/_content.py), and the digest of every row of the other governed
    tables and every version's stage from the records that bound them (store/_state.py), so
    a direct edit of any stored state is caught too.
    """
    cur = conn.execute(
        """SELECT seq, ts, actor, action, subject, CAST(payload AS VARCHAR), canon, prev_hash,
           row_hash FROM audit_log ORDER BY seq"""
    )
    prev, expected, rows = GENESIS, 1, 0
    anchor_hash_at_seq: str | None = None
    while batch := cur.fetchmany(10_000):
        for row in batch:
            problem = _check_row(expected, prev, row)
            if problem is not None:
                return VerifyResult(
                    False,
                    rows,
                    AuditHead(expected - 1, prev),
                    int(row[0]),
                    problem,
                    anchor is not None,
                )
            prev, expected, rows = str(row[8]), expected + 1, rows + 1
            if anchor is not None and row[0] == anchor.seq:
                anchor_hash_at_seq = prev
    tip = AuditHead(expected - 1, prev)
    if anchor is not None:
        if tip.seq < anchor.seq:
            msg = TRUNCATED.format(head=tip.seq, anchor=anchor.seq)
            return VerifyResult(False, rows, tip, tip.seq + 1, msg, True)
        if anchor.seq == 0:
            anchor_hash_at_seq = GENESIS
        if anchor_hash_at_seq != anchor.hash:
            msg = REWRITTEN.format(seq=anchor.seq)
            return VerifyResult(False, rows, tip, anchor.seq, msg, True)
    content = verify_content(conn)
    state = _state.verify_state(conn)
    # the problem with the lowest seq first; a row no record mentions (no seq) last
    found = [(r.first_bad_seq, r.problem) for r in (content, state) if r.problem is not None]
    found.sort(key=lambda p: (p[0] is None, p[0] or 0))
    first_bad, problem = found[0] if found else (None, None)
    return VerifyResult(
        problem is None,
        rows,
        tip,
        first_bad,
        problem,
        anchor is not None,
        content.covered,
        content.not_covered,
        state.bound_rows,
    )


def read_anchor(text: str, path: str) -> AuditHead:
    """Parse an anchor file written by `govern audit head`."""
    try:
        doc = json.loads(text)
        seq, digest = doc["seq"], doc["hash"]
    except (ValueError, KeyError, TypeError) as exc:
        raise UserInputError(
            f"not an audit head file ({exc}); write one with `govern audit head`", path=path
        ) from exc
    if not isinstance(seq, int) or seq < 0 or not isinstance(digest, str) or len(digest) != 64:
        raise UserInputError(
            "audit head needs an integer 'seq' >= 0 and a 64-hex-digit 'hash'", path=path
        )
    return AuditHead(seq, digest)
