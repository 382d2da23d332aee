"""Read-only access for the report, `show`, `sql` and `serve`: open without writing, bulk reads.

These readers never migrate, never create and never write: a database without govern's
schema is refused ("not a govern database", exit 2) instead of being given one. Every read
takes a list of model versions (or all of them) and returns rows grouped per version, so a
report of 1,000 models costs a handful of queries, not thousands.
"""

from __future__ import annotations

import json
import time
from collections import defaultdict
from datetime import datetime
from pathlib import Path
from typing import Any

from govern.errors import StoreError, UserInputError
from govern.store import audit
from govern.store._connection import Store, lock_timeout_from_env, resolve_db_path, translate
from govern.store._engine import duckdb
from govern.store._migrations import SCHEMA_VERSION, current_version

Key = tuple[str, str]

NOT_GOVERN = "not a govern database (no schema_version table); pass --db with a govern database"
OLDER = (
    "database schema version {found} is older than {want}; open it once with a writing "
    "command (e.g. `govern init`) to migrate"
)
NEWER = "database schema version {found} is newer than this govern supports ({want}); upgrade"
WRITE_REFUSED = (
    "refused: `govern sql` runs one read-only query (SELECT, WITH, FROM, SHOW, DESCRIBE, "
    "SUMMARIZE, VALUES or EXPLAIN); got a {word} statement"
)
ONE_STATEMENT = "refused: `govern sql` runs exactly one statement; got {n}"
_READ_TYPES = ("SELECT", "EXPLAIN")
# DuckDB's config for every read: no extension is installed or loaded behind our back.
_CONFIG = {"autoinstall_known_extensions": "false", "autoload_known_extensions": "false"}


def open_read_only(db: str | Path | None, *, lock_timeout: float | None = None) -> Store:
    """Open an existing govern database read-only, without migrating it.

    Refuses (StoreError, exit 2) a missing file, a file that is not DuckDB, a DuckDB file
    without govern's schema, and an older or newer schema.
    """
    path = resolve_db_path(db)
    if not path.exists():
        raise StoreError("database does not exist; run `govern init` first", path=path)
    if path.is_dir():
        raise StoreError("is a directory, not a database file", path=path)
    conn = _connect(path, lock_timeout)
    try:
        conn.execute("SET TimeZone = 'UTC'")
        conn.execute("SET enable_progress_bar = false")  # no bar on a terminal or server log
        found = current_version(conn)
    except duckdb.Error as exc:
        conn.close()
        raise translate(exc, path) from exc
    if found != SCHEMA_VERSION:
        conn.close()
        if found == 0:
            raise StoreError(NOT_GOVERN, path=path)
        template = OLDER if found < SCHEMA_VERSION else NEWER
        raise StoreError(template.format(found=found, want=SCHEMA_VERSION), path=path)
    return Store(conn, path, read_only=True)


def _connect(path: Path, lock_timeout: float | None) -> duckdb.DuckDBPyConnection:
    """Connect read-only with extension auto-loading off, waiting out a writer's lock."""
    limit = lock_timeout_from_env() if lock_timeout is None else lock_timeout
    start = time.monotonic()
    delay = 0.02
    while True:
        try:
            return duckdb.connect(str(path), read_only=True, config=dict(_CONFIG))
        except duckdb.Error as exc:
            waited = time.monotonic() - start
            if "lock" not in str(exc).lower() or waited >= limit:
                raise translate(exc, path) from exc
            time.sleep(min(delay, max(limit - waited, 0.0)))
            delay = min(delay * 2, 0.5)


def run_sql(store: Store, sql: str) -> tuple[list[str], list[tuple[Any, ...]]]:
    """Column names and rows of one read statement; anything else is refused.

    One statement of DuckDB's type SELECT (which covers WITH, FROM, SHOW, DESCRIBE,
    SUMMARIZE, VALUES) or EXPLAIN. Besides the read-only connection, the session is locked
    with file system access off, so neither `COPY ... TO` nor a table function can write or
    read outside the database.
    """
    conn = store.conn
    try:
        statements = conn.extract_statements(sql)
    except duckdb.Error as exc:
        raise UserInputError(f"query failed: {_first_line(exc)}") from exc
    if len(statements) != 1:
        raise UserInputError(ONE_STATEMENT.format(n=len(statements)))
    kind = str(statements[0].type).rsplit(".", 1)[-1]
    if kind not in _READ_TYPES:
        raise UserInputError(WRITE_REFUSED.format(word=kind))
    try:
        conn.execute("SET enable_external_access = false")
        conn.execute("SET lock_configuration = true")
        cur = conn.execute(sql)
        cols = [d[0] for d in cur.description or []]
        return cols, cur.fetchall()
    except duckdb.Error as exc:
        raise UserInputError(f"query failed: {_first_line(exc)}") from exc


def _first_line(exc: Exception) -> str:
    return str(exc).splitlines()[0] if str(exc) else type(exc).__name__


def _keys_filter(keys: list[Key] | None, alias: str = "") -> tuple[str, list[Any]]:
    """SQL condition restricting rows to the given versions (all when None)."""
    if keys is None:
        return "TRUE", []
    p = f"{alias}." if alias else ""
    refs = [f"{n}\x00{v}" for n, v in keys]
    return f"list_contains(?, {p}name || chr(0) || {p}version)", [refs]


def _group(rows: list[dict[str, Any]]) -> dict[Key, list[dict[str, Any]]]:
    out: dict[Key, list[dict[str, Any]]] = defaultdict(list)
    for r in rows:
        out[(r["name"], r["version"])].append(r)
    return out


def versions(store: Store, keys: list[Key] | None = None) -> list[dict[str, Any]]:
    """Registry rows (card parsed) joined with the model's owner, tier, use case and scope."""
    cond, params = _keys_filter(keys, "v")
    rows = store.query_dicts(
        f"""SELECT v.name, v.version, v.stage, v.card, v.card_path, v.card_sha256,
                   v.registered_at, v.updated_at, m.owner, m.risk_tier, m.use_case,
                   m.regulatory_scope
            FROM model_versions v JOIN models m ON m.name = v.name
            WHERE {cond} ORDER BY v.name, v.version""",
        params,
    )
    for r in rows:
        r["card"] = json.loads(r["card"])
    return rows


def inventory(store: Store, keys: list[Key] | None = None) -> list[dict[str, Any]]:
    """v_model_status with zombie reasons as of now, and each version's latest decision."""
    cond, params = _keys_filter(keys, "z")
    return store.query_dicts(
        f"""WITH last AS (
                SELECT name, version, decision_id, stage AS decision_stage, result, decided_at
                FROM decisions
                QUALIFY row_number() OVER (
                    PARTITION BY name, version ORDER BY decided_at DESC, decision_id) = 1
            )
            SELECT z.name, z.version, z.stage, z.owner, z.risk_tier, z.use_case,
                   z.last_evidence_at, z.evidence_max_age_days, z.reasons,
                   l.decision_id, l.decision_stage, l.result, l.decided_at
            FROM zombies_at(make_timestamp(epoch_us(now()))) z
            LEFT JOIN last l ON l.name = z.name AND l.version = z.version
            WHERE {cond} ORDER BY z.name, z.version""",
        params,
    )


def lifecycle_events(
    store: Store, keys: list[Key] | None = None
) -> dict[Key, list[dict[str, Any]]]:
    """Every lifecycle event per version, oldest first."""
    cond, params = _keys_filter(keys)
    return _group(
        store.query_dicts(
            f"""SELECT name, version, action, from_stage, to_stage, actor, decision_id,
                       occurred_at FROM lifecycle_events WHERE {cond}
                ORDER BY name, version, occurred_at, event_id""",
            params,
        )
    )


def decisions(store: Store, keys: list[Key] | None = None) -> dict[Key, list[dict[str, Any]]]:
    """Every decision per version (violations parsed, input left out), newest first."""
    cond, params = _keys_filter(keys)
    rows = store.query_dicts(
        f"""SELECT name, version, decision_id, stage, result, violations, bundle_hash,
                   input_hash, engine, engine_version, decided_at
            FROM decisions WHERE {cond}
            ORDER BY name, version, decided_at DESC, decision_id""",
        params,
    )
    for r in rows:
        r["violations"] = json.loads(r["violations"])
    return _group(rows)


def scans(store: Store, keys: list[Key] | None = None) -> dict[Key, list[dict[str, Any]]]:
    """Every scan per version (sources and params parsed), oldest first."""
    cond, params = _keys_filter(keys)
    rows = store.query_dicts(
        f"""SELECT name, version, scan_id, kind, rows, sources, params, engine_version,
                   started_at, finished_at
            FROM scans WHERE {cond} ORDER BY name, version, finished_at, scan_id""",
        params,
    )
    for r in rows:
        r["sources"] = json.loads(r["sources"])
        r["params"] = json.loads(r["params"]) if r["params"] else {}
    return _group(rows)


def latest_evidence(store: Store, keys: list[Key] | None = None) -> dict[Key, list[dict[str, Any]]]:
    """Every evidence row (detail parsed) of each version's newest scan."""
    cond, params = _keys_filter(keys, "s")
    rows = store.query_dicts(
        f"""WITH latest AS (
                SELECT scan_id FROM scans s WHERE {cond}
                QUALIFY row_number() OVER (
                    PARTITION BY name, version ORDER BY finished_at DESC, scan_id DESC) = 1
            )
            SELECT e.name, e.version, e.family, e.subject, e.metric, e.value, e.status,
                   e.reason, e.detail
            FROM evidence e JOIN latest USING (scan_id)
            ORDER BY e.name, e.version, e.family, e.subject, e.metric""",
        params,
    )
    parsed: dict[str, dict[str, Any]] = {}  # a column's metrics share one detail document
    for r in rows:
        text = r["detail"]
        if not text:
            r["detail"] = {}
        elif text in parsed:
            r["detail"] = parsed[text]
        else:
            r["detail"] = parsed[text] = json.loads(text)
    return _group(rows)


def trend(store: Store, keys: list[Key] | None = None) -> dict[Key, list[dict[str, Any]]]:
    """Model-level performance and operational values, and PSI per column, of every scan."""
    cond, params = _keys_filter(keys, "s")
    return _group(
        store.query_dicts(
            f"""SELECT s.name, s.version, s.scan_id, s.finished_at, e.family, e.subject,
                       e.metric, e.value
                FROM scans s JOIN evidence e ON e.scan_id = s.scan_id
                WHERE {cond} AND e.status = 'ok' AND (
                    (e.family IN ('performance', 'operational') AND NOT contains(e.subject, '='))
                    OR (e.family = 'drift' AND e.metric = 'psi'))
                ORDER BY s.name, s.version, s.finished_at, s.scan_id, e.family, e.metric""",
            params,
        )
    )


def profiles(store: Store, profile_ids: list[str]) -> dict[str, dict[str, Any]]:
    """Stored reference profiles by id (profile document parsed)."""
    if not profile_ids:
        return {}
    rows = store.query_dicts(
        """SELECT profile_id, name, version, rows, sources, profile, created_at
           FROM profiles WHERE list_contains(?, profile_id)""",
        [sorted(set(profile_ids))],
    )
    out = {}
    for r in rows:
        r["profile"] = json.loads(r["profile"])
        r["sources"] = json.loads(r["sources"])
        out[r["profile_id"]] = r
    return out


def latest_profiles(store: Store, keys: list[Key] | None = None) -> dict[Key, str]:
    """The newest profile id of each version (for scans that name none)."""
    cond, params = _keys_filter(keys)
    rows = store.query(
        f"""SELECT name, version, profile_id FROM profiles WHERE {cond}
            QUALIFY row_number() OVER (
                PARTITION BY name, version ORDER BY created_at DESC, profile_id DESC) = 1""",
        params,
    )
    return {(str(n), str(v)): str(p) for n, v, p in rows}


def approvals(store: Store, keys: list[Key] | None = None) -> dict[Key, list[dict[str, Any]]]:
    """Recorded approvals (`govern approve`) per version, oldest first."""
    cond, params = _keys_filter(keys)
    return _group(
        store.query_dicts(
            f"""SELECT name, version, stage, role, approved_by, note, approved_at
                FROM approvals WHERE {cond} ORDER BY name, version, approved_at, approval_id""",
            params,
        )
    )


def now(store: Store) -> datetime:
    """The database's clock (UTC, naive), the instant evidence ages are measured at."""
    value = store.query("SELECT make_timestamp(epoch_us(now()))")[0][0]
    assert isinstance(value, datetime)
    return value


def chain_status(store: Store) -> tuple[bool, int, int, str, str | None]:
    """Walk the audit hash chain: (intact, rows, head seq, head hash, first problem).

    Checks what a reader of the page needs at a glance, in one pass over `canon`: seqs run
    1..N without gaps and each row_hash is sha256(prev_hash, a newline, canon) of the row
    before. The full `govern audit verify` also re-derives every content digest from the
    evidence and decision rows, which reads the whole database (tens of seconds for 1,000
    models); the report says so and leaves that to it.
    """
    prev, expected, rows = audit.GENESIS, 1, 0
    cur = store.conn.execute("SELECT seq, canon, prev_hash, row_hash FROM audit_log ORDER BY seq")
    while batch := cur.fetchmany(10_000):
        for seq, canon, prev_hash, digest in batch:
            problem = None
            if seq != expected:
                problem = audit.SEQ_GAP.format(seq=seq, expected=expected)
            elif prev_hash != prev:
                problem = audit.PREV_MISMATCH.format(seq=seq, prev=expected - 1)
            elif audit.row_hash(prev, bytes(canon)) != digest:
                problem = audit.HASH_MISMATCH.format(seq=seq)
            if problem is not None:
                return False, rows, expected - 1, prev, problem
            prev, expected, rows = str(digest), expected + 1, rows + 1
    return True, rows, expected - 1, prev, None
