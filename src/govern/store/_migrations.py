"""Versioned schema: each migration is applied once, in order, in one transaction.

An older database is migrated on open; a database written by a newer govern is refused
before anything is written.
"""

from __future__ import annotations

from pathlib import Path

from govern.clock import utcnow
from govern.errors import StoreError
from govern.store._engine import duckdb

# Migration N (migrations/NNNN_*.sql) turns schema N-1 into schema N.
# Append only: never edit a released step; add the next number instead.
_DIR = Path(__file__).resolve().parent / "migrations"


def _files() -> list[Path]:
    files = sorted(_DIR.glob("[0-9][0-9][0-9][0-9]_*.sql"))
    for i, f in enumerate(files, start=1):
        if int(f.name[:4]) != i:
            raise RuntimeError(f"migration numbering gap at {f.name}")
    return files


MIGRATIONS: list[str] = [f.read_text(encoding="utf-8") for f in _files()]

SCHEMA_VERSION = len(MIGRATIONS)
_AUDIT_SINCE = 2  # the schema version that created audit_log
# the schema version from which governed rows are bound to the chain (store/_state.py)
BIND_SINCE = next(i for i, f in enumerate(_files(), start=1) if f.name.endswith("_state_audit.sql"))


NOT_GOVERN = "not a govern database: {why}; pass --db with a database made by `govern init`"


class NotGovernDatabase(StoreError):
    """A DuckDB file without govern's schema: never written to, whatever the command."""

    code = "not_govern_database"


class SchemaOutdated(StoreError):
    """A read-only open met an older schema (Store.open then migrates read-write)."""

    code = "schema_outdated"


def current_version(conn: duckdb.DuckDBPyConnection) -> int:
    """Schema version of an open database (0 for an empty file).

    The table is read directly, its absence caught: asking information_schema first cost
    ~40 ms of every command's start-up, against ~1 ms for the read.
    """
    try:
        row = conn.execute("SELECT max(version) FROM main.schema_version").fetchall()[0][0]
    except duckdb.CatalogException:
        return 0
    return int(row or 0)


def migrate(conn: duckdb.DuckDBPyConnection, path: Path, *, read_only: bool) -> int:
    """Bring the schema to SCHEMA_VERSION; refuse a newer one. Returns the version."""
    version = current_version(conn)
    if version == 0:
        others = conn.execute(
            "SELECT (SELECT count(*) FROM duckdb_tables() WHERE NOT internal) "
            "+ (SELECT count(*) FROM duckdb_views() WHERE NOT internal)"
        ).fetchall()[0][0]
        if others:
            why = f"it holds {others} tables or views but no govern schema version"
            raise NotGovernDatabase(NOT_GOVERN.format(why=why), path=path)
        if read_only:
            why = "the file is empty (no govern schema)"
            raise NotGovernDatabase(NOT_GOVERN.format(why=why), path=path)
    if version > SCHEMA_VERSION:
        raise StoreError(
            f"database schema version {version} is newer than this govern supports "
            f"({SCHEMA_VERSION}); upgrade govern",
            path=path,
        )
    if version == SCHEMA_VERSION:
        return version
    if read_only:
        raise SchemaOutdated(
            f"database schema version {version} is older than {SCHEMA_VERSION}; "
            "open it once read-write (any writing command) to migrate",
            path=path,
        )
    conn.execute("BEGIN TRANSACTION")
    try:
        for step in range(version, SCHEMA_VERSION):
            conn.execute(MIGRATIONS[step])
            conn.execute(
                "INSERT INTO schema_version (version, applied_at) VALUES (?, ?)",
                [step + 1, utcnow()],
            )
        if SCHEMA_VERSION >= _AUDIT_SINCE:
            from govern.store import _state, audit

            payload: dict[str, object] = {"from": version, "to": SCHEMA_VERSION}
            if version < BIND_SINCE:  # rows written before binding: bound as they are now
                payload[_state.BOUND_KEY] = _state.bind_all(conn)
            audit.append(conn, action="migrate", subject="schema", payload=payload)
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    return SCHEMA_VERSION
