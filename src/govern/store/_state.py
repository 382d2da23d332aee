"""Current state bound to the audit chain: every governed row carries the digest of its record.

The chain proves its own records; `_content.py` extends that to the rows of scans, evidence,
decisions and profiles. This module covers the rest of what a gate decision reads and what
an auditor relies on: models, model versions (stage, stored card), lifecycle events,
approvals and the per-file partial aggregates of incremental scans.

Each audit record lists, under `bound`, the rows its transaction created or changed, as
`[table, [primary-key values], sha256 of the row]` (None when the row was deleted). The
digest is taken of the row read back from DuckDB inside the writer's transaction, so verify,
reading the same table later, computes it from the same values; a writer that holds the
row's values as DuckDB returns them (the partials of a scan, `table_digest`) hashes them
itself instead of reading back every state. A partial's state (up to ~100 KB of JSON) is
hashed as `sha256:<hex>` of its text in the row's digest, once, where it is written: hashing
the whole row's canonical JSON escaped every state again. Rows bound before (the full text
in the row's digest) still verify. Verify then requires:

- every row of a governed table has a record, and equals what the latest record binding it
  says (a direct INSERT, UPDATE or DELETE is named with its table and key);
- replaying register records and transitions (any record with a string `from` and `to`:
  promote, retire) gives each version's stage, and each transition started from the stage
  the trail had reached (an edited stage that a later
  legitimate write then re-bound is still caught).

scan_sources (the first scan of each file content per model version, schema 8) is derived
from the scans, which the content digests cover: verify recomputes it from them instead
(`verify_scan_sources`), so a scan writes no per-file binding for it.

A database migrated from a schema before BIND_SINCE has its rows bound by that migration's
audit record: from then on, they are covered like any other.
"""

from __future__ import annotations

import functools
import hashlib
import json
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from govern.clock import rfc3339
from govern.store import _digest
from govern.store._engine import duckdb

BOUND_KEY = "bound"
# Tables whose every row must be bound by an audit record (scans, evidence, decisions and
# profiles are covered by content digests instead, see _content.py).
TABLES = (
    "models",
    "model_versions",
    "lifecycle_events",
    "approvals",
    "scan_partials",
    # Which decisions `govern monitor` recorded decides what counts as a review (0007): a row
    # deleted or added outside govern would hide or fake a zombie flag.
    "monitor_decisions",
)

# Large columns: a row's digest holds `sha256:<hex>` of their text, not the text itself.
HASHED = {"scan_partials": "state"}

UNBOUND = "row {key} of table {table} has no audit record (inserted outside govern?)"
ROW_CHANGED = "row {key} of table {table} differs from what seq {seq} recorded"
ROW_GONE = "row {key} of table {table} recorded at seq {seq} is missing (deleted outside govern?)"
STAGE_DIFFERS = (
    "stage of {model} in table model_versions is {found!r}, but the audit trail "
    "(seq {seq}) has it at {expected!r}"
)
TRANSITION_FROM = (
    "{action} at seq {seq} moved {model} from {claimed!r}, but the audit trail "
    "(seq {prev}) had it at {expected!r}"
)
OVERLAY_UNHASHED = (
    "row {key} of table policy_overlays: its content does not hash to its key (edited?)"
)
# A record moves a version's stage when it is a `register` (payload `stage`) or carries a
# string `from` and `to` (promote, retire, and any later action written the same way).
_REGISTER = "register"
_BATCH = 5_000


@dataclass(frozen=True)
class StateResult:
    """What state verification found; `problem` is the one with the lowest seq."""

    bound_rows: int
    first_bad_seq: int | None = None
    problem: str | None = None


def primary_key(conn: duckdb.DuckDBPyConnection, table: str) -> tuple[str, ...]:
    """Primary-key columns of a governed table, read from the schema."""
    rows = conn.execute(
        "SELECT constraint_column_names FROM duckdb_constraints() "
        "WHERE table_name = ? AND constraint_type = 'PRIMARY KEY'",
        [table],
    ).fetchall()
    if not rows:
        raise RuntimeError(f"table {table} has no primary key; it cannot be bound to the audit log")
    return tuple(str(c) for c in rows[0][0])


def _cell(value: Any) -> Any:
    if isinstance(value, datetime):
        return rfc3339(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value).hex()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, list | tuple):
        return [_cell(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _cell(v) for k, v in value.items()}
    return value


def row_digest(columns: Sequence[str], row: Sequence[Any]) -> str:
    """sha256 of {column: value} for the non-NULL cells of a row read from DuckDB.

    NULL cells are left out, so a migration that adds a nullable column does not change
    the digest of existing rows. JSON columns are hashed as the stored text.
    """
    cells = {c: _cell(v) for c, v in zip(columns, row, strict=True) if v is not None}
    return hashlib.sha256(_digest.canonical(cells)).hexdigest()


def hashed_text(value: str | bytes | memoryview) -> str:
    """What a HASHED column's cell stands as in its row's digest (of its UTF-8 text)."""
    raw = value.encode("utf-8") if isinstance(value, str) else value
    return "sha256:" + hashlib.sha256(raw).hexdigest()


def table_digest(table: str, columns: Sequence[str], row: Sequence[Any]) -> str:
    """The digest binding a row of `table`: row_digest with HASHED columns as their hash."""
    col = HASHED.get(table)
    if col is not None and col in columns:
        i = list(columns).index(col)
        if row[i] is not None:
            row = [*row[:i], hashed_text(row[i]), *row[i + 1 :]]
    return row_digest(columns, row)


def key_text(values: Sequence[Any]) -> str:
    """Canonical text of a primary key (also how messages show it)."""
    return _digest.canonical([_cell(v) for v in values]).decode("utf-8")


Bound = tuple[str, dict[str, Any]] | tuple[str, dict[str, Any], str]


def bind(conn: duckdb.DuckDBPyConnection, rows: Sequence[Bound]) -> list[list[Any]]:
    """`[table, [key values], digest or None]` of each (table, key) as it now is.

    Read back inside the writer's transaction; one query per table and 1,000 keys. An entry
    `(table, key, digest)` carries its digest (`table_digest` of the values the writer
    stored, as DuckDB returns them) and is not read back.
    """
    out: list[list[Any]] = []
    by_table: dict[str, list[dict[str, Any]]] = {}
    keys_of: dict[str, tuple[str, ...]] = {}
    for entry in rows:
        table, key = entry[0], entry[1]
        if table not in TABLES:
            raise ValueError(f"table {table!r} is not bound to the audit log; bound: {TABLES}")
        if len(entry) == 3:
            pk = keys_of.get(table) or keys_of.setdefault(table, primary_key(conn, table))
            out.append([table, json.loads(key_text([key[c] for c in pk])), entry[2]])
            continue
        by_table.setdefault(table, []).append(key)
    for table, keys in by_table.items():
        pk = primary_key(conn, table)
        wanted = []
        for key in keys:
            if not set(pk) <= set(key):  # extra columns are fine: the key is picked out
                raise ValueError(f"key of {table} must name {pk}, got {sorted(key)}")
            wanted.append([key[c] for c in pk])
        found: dict[str, str] = {}
        # A join on the keys (a VALUES list), not an OR of 200 conjunctions per query: the OR
        # is evaluated for every row of the table, so binding the 10,000 partials of one
        # scan took seconds (benchmarks/merge_states.py).
        on = " AND ".join(f"t.{c} = k.{c}" for c in pk)
        placeholders = "(" + ", ".join(["?"] * len(pk)) + ")"
        for start in range(0, len(wanted), 1000):
            chunk = wanted[start : start + 1000]
            rows_sql = ", ".join([placeholders] * len(chunk))
            cur = conn.execute(
                f"SELECT t.* FROM {table} t JOIN (VALUES {rows_sql}) AS k({', '.join(pk)}) ON {on}",
                [v for k in chunk for v in k],
            )
            columns = [d[0] for d in cur.description or []]
            index = [columns.index(c) for c in pk]
            for row in cur.fetchall():
                found[key_text([row[i] for i in index])] = table_digest(table, columns, row)
        for values in wanted:
            text = key_text(values)
            out.append([table, json.loads(text), found.get(text)])
    return out


def bind_all(conn: duckdb.DuckDBPyConnection) -> list[list[Any]]:
    """Every row of every governed table (used once, when a database starts binding)."""
    out: list[list[Any]] = []
    for table in TABLES:
        for key, digest, _ in _table_rows(conn, table):
            out.append([table, json.loads(key), digest])
    return out


def _table_rows(
    conn: duckdb.DuckDBPyConnection, table: str
) -> Iterator[tuple[str, str, Callable[[], str]]]:
    """(key text, table_digest, the digest as rows bound before HASHED were hashed)."""
    pk = primary_key(conn, table)
    cur = conn.execute(f"SELECT * FROM {table}")
    columns = [d[0] for d in cur.description or []]
    index = [columns.index(c) for c in pk]
    while batch := cur.fetchmany(_BATCH):
        for row in batch:
            yield (
                key_text([row[i] for i in index]),
                table_digest(table, columns, row),
                functools.partial(row_digest, columns, row),
            )


def _replay_stage(
    stages: dict[str, tuple[int, str]],
    seq: int,
    action: str,
    subject: str,
    payload: dict[str, Any],
    problems: list[tuple[int, str]],
) -> None:
    known = stages.get(subject)
    if action == _REGISTER:
        # A registration names the stage it leaves; only an update of a known version must
        # start from the stage replayed so far.
        claimed, target = payload.get("stage"), payload.get("stage")
        compare = payload.get("result") == "updated"
    else:
        claimed, target = payload.get("from"), payload.get("to")
        compare = True
    if not isinstance(target, str):
        return
    if known is not None and compare and claimed != known[1]:
        message = TRANSITION_FROM.format(
            action=action,
            seq=seq,
            model=subject,
            claimed=claimed,
            prev=known[0],
            expected=known[1],
        )
        problems.append((seq, message))
    stages[subject] = (seq, target)


def _check_overlays(
    conn: duckdb.DuckDBPyConnection,
    links: dict[str, tuple[int, list[Any]]],
    problems: list[tuple[int, str]],
    unbound: list[str],
) -> None:
    """decision_overlays must be what the decision records list; overlay content its hash."""
    seen = set()
    for row in conn.execute(
        "SELECT decision_id, position, path, sha256 FROM decision_overlays"
    ).fetchall():
        key = key_text(row[:2])
        seen.add(key)
        found = links.get(key)
        if found is None:
            unbound.append(UNBOUND.format(key=key, table="decision_overlays"))
        elif found[1] != list(row):
            problems.append(
                (found[0], ROW_CHANGED.format(key=key, table="decision_overlays", seq=found[0]))
            )
    for key, (seq, _) in links.items():
        if key not in seen:
            problems.append((seq, ROW_GONE.format(key=key, table="decision_overlays", seq=seq)))
    stored = set()
    for sha, content in conn.execute("SELECT sha256, content FROM policy_overlays").fetchall():
        stored.add(sha)
        if hashlib.sha256(str(content).encode("utf-8")).hexdigest() != sha:
            unbound.append(OVERLAY_UNHASHED.format(key=key_text([sha])))
    for seq, link in links.values():
        if link[3] not in stored:
            problems.append(
                (seq, ROW_GONE.format(key=key_text([link[3]]), table="policy_overlays", seq=seq))
            )


# scan_sources (0008) as the stored scans define it: per model version and file content
# (path, size, fingerprint), the earliest start of a scan that read it.
# (An UNNEST of the parsed list in the select list: a lateral json_each joined its rows back
# to the scans on the whole `sources` text, megabytes a scan, and ran out of memory.)
_SOURCES_READ = """
    SELECT name, version, scan_id, started_at, f.path, f.size,
           coalesce(f.fingerprint, '') AS fingerprint
    FROM (
        SELECT name, version, scan_id, started_at,
               UNNEST(from_json(sources,
                   '[{"path": "VARCHAR", "size": "BIGINT", "fingerprint": "VARCHAR"}]')) AS f
        FROM scans
    )
    WHERE f.path IS NOT NULL AND f.size IS NOT NULL
"""
_SOURCES_DIFF = f"""
    WITH occ AS ({_SOURCES_READ}),
    exp AS (
        SELECT name, version, path, size, fingerprint, min(started_at) AS first
        FROM occ GROUP BY name, version, path, size, fingerprint
    )
    SELECT coalesce(t.name, e.name), coalesce(t.version, e.version), coalesce(t.path, e.path),
           coalesce(t.size, e.size), coalesce(t.fingerprint, e.fingerprint),
           t.name IS NULL AS gone, e.name IS NULL AS forged
    FROM scan_sources t
    FULL OUTER JOIN exp e
      ON t.name = e.name AND t.version = e.version AND t.path = e.path AND t.size = e.size
     AND t.fingerprint = e.fingerprint
    LEFT JOIN occ o
      ON o.name = t.name AND o.version = t.version AND o.path = t.path AND o.size = t.size
     AND o.fingerprint = t.fingerprint AND o.scan_id = t.first_scan_id
    WHERE t.name IS NULL OR e.name IS NULL OR t.first_scanned_at IS DISTINCT FROM e.first
       OR o.started_at IS DISTINCT FROM t.first_scanned_at
    ORDER BY ALL LIMIT 1
"""
SOURCES_GONE = (
    "row {key} of table scan_sources is missing: a stored scan read that file "
    "(deleted outside govern?)"
)
SOURCES_FORGED = (
    "row {key} of table scan_sources names a file no stored scan read (inserted outside govern?)"
)
SOURCES_DIFFER = (
    "row {key} of table scan_sources differs from the stored scans: they read that file "
    "first at another time or in another scan (edited outside govern?)"
)


def verify_scan_sources(conn: duckdb.DuckDBPyConnection) -> str | None:
    """scan_sources recomputed from the stored scans (whose rows their digests cover).

    The table is derived data, kept so that a scan looks its files up by key instead of
    reading every earlier scan: a row deleted, added or edited outside govern (an old file
    made to look new) differs from the recomputation. The first difference, or None.
    """
    row = conn.execute(_SOURCES_DIFF).fetchone()
    if row is None:
        return None
    key = key_text(list(row[:5]))
    if row[5]:
        return SOURCES_GONE.format(key=key)
    return (SOURCES_FORGED if row[6] else SOURCES_DIFFER).format(key=key)


def verify_state(conn: duckdb.DuckDBPyConnection) -> StateResult:
    """Compare every row of the governed tables, and every stage, with the audit chain."""
    problems: list[tuple[int, str]] = []
    expected: dict[tuple[str, str], tuple[int, str | None]] = {}
    stages: dict[str, tuple[int, str]] = {}
    cur = conn.execute(
        f"""SELECT seq, action, subject, CAST(payload AS VARCHAR) FROM audit_log
            WHERE action = '{_REGISTER}' OR json_exists(payload, '$.{BOUND_KEY}')
               OR (json_exists(payload, '$.from') AND json_exists(payload, '$.to'))
               OR (action = 'decision' AND json_exists(payload, '$.overlays'))
            ORDER BY seq"""
    )
    links: dict[str, tuple[int, list[Any]]] = {}  # decision_overlays key -> (seq, row)
    while batch := cur.fetchmany(_BATCH):
        for seq, action, subject, text in batch:
            payload = json.loads(text)
            for entry in payload.get(BOUND_KEY) or []:
                table, key, digest = entry
                expected[(str(table), key_text(key))] = (int(seq), digest)
            for i, (path, sha) in enumerate(payload.get("overlays") or []):
                did = payload.get("decision_id")
                links[key_text([did, i])] = (int(seq), [did, i, path, sha])
            if action == _REGISTER or ("from" in payload and "to" in payload):
                _replay_stage(stages, int(seq), action, str(subject), payload, problems)
    seen: set[tuple[str, str]] = set()
    unbound: list[str] = []
    for table in TABLES:
        for key, digest, whole in _table_rows(conn, table):
            found = expected.get((table, key))
            seen.add((table, key))
            if found is None or found[1] is None:
                unbound.append(UNBOUND.format(key=key, table=table))
            elif found[1] != digest and not (table in HASHED and found[1] == whole()):
                problems.append((found[0], ROW_CHANGED.format(key=key, table=table, seq=found[0])))
    for (table, key), (seq, digest) in expected.items():
        if digest is not None and (table, key) not in seen:
            problems.append((seq, ROW_GONE.format(key=key, table=table, seq=seq)))
    for name, version, stage in conn.execute(
        "SELECT name, version, stage FROM model_versions ORDER BY name, version"
    ).fetchall():
        model = f"{name}@{version}"
        derived = stages.get(model)
        if derived is not None and derived[1] != stage:
            problems.append(
                (
                    derived[0],
                    STAGE_DIFFERS.format(
                        model=model, found=stage, seq=derived[0], expected=derived[1]
                    ),
                )
            )
    _check_overlays(conn, links, problems, unbound)
    sources = verify_scan_sources(conn)
    if sources is not None:
        unbound.append(sources)
    bound = sum(1 for v in expected.values() if v[1] is not None) + len(links)
    if problems:
        seq, problem = min(problems)
        return StateResult(bound, seq, problem)
    if unbound:
        return StateResult(bound, None, sorted(unbound)[0])
    return StateResult(bound)
