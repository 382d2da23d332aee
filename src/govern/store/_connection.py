"""Opening the DuckDB file, translating DuckDB errors, and transactions.

DuckDB errors are translated into govern errors here and nowhere else.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import duckdb

from govern.errors import StoreError, StoreLockedError
from govern.store._migrations import migrate

DEFAULT_DB = "govern.duckdb"
_LOCK_PID = re.compile(r"\(PID (\d+)\)")


def resolve_db_path(db: str | Path | None) -> Path:
    """`--db PATH`, else `$GOVERN_DB`, else `./govern.duckdb`."""
    if db:
        return Path(db)
    env = os.environ.get("GOVERN_DB")
    return Path(env) if env else Path(DEFAULT_DB)


def translate(exc: Exception, path: Path) -> StoreError:
    """Turn a DuckDB exception into a StoreError that says what to do."""
    text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    if "Conflicting lock" in str(exc) or "Could not set lock" in str(exc):
        m = _LOCK_PID.search(str(exc))
        holder = f" (held by PID {m.group(1)})" if m else ""
        return StoreLockedError(
            f"database is locked by another process{holder}; retry when it finishes",
            path=path,
        )
    if "not a valid DuckDB database file" in str(exc):
        return StoreError("not a DuckDB database file; pass --db with a govern database", path=path)
    if "does not exist" in str(exc) and "read-only" in str(exc):
        return StoreError("database does not exist; run `govern init` first", path=path)
    return StoreError(f"database error: {text}", path=path)


class Store:
    """An open govern database: a DuckDB connection with the schema migrated."""

    def __init__(self, conn: duckdb.DuckDBPyConnection, path: Path, read_only: bool) -> None:
        self.conn = conn
        self.path = path
        self.read_only = read_only

    @classmethod
    def open(
        cls, db: str | Path | None = None, *, read_only: bool = False, create: bool = False
    ) -> Store:
        """Open (and migrate, when writable) the database; refuse to create unless asked."""
        path = resolve_db_path(db)
        if not path.exists() and not create:
            raise StoreError("database does not exist; run `govern init` first", path=path)
        if create and path.parent and not path.parent.exists():
            raise StoreError("directory does not exist", path=path.parent)
        try:
            conn = duckdb.connect(str(path), read_only=read_only)
        except duckdb.Error as exc:
            raise translate(exc, path) from exc
        store = cls(conn, path, read_only)
        try:
            conn.execute("SET TimeZone = 'UTC'")
            migrate(conn, path, read_only=read_only)
        except duckdb.Error as exc:
            conn.close()
            raise translate(exc, path) from exc
        except BaseException:
            conn.close()
            raise
        return store

    def close(self) -> None:
        """Close the connection (checkpointing when writable)."""
        try:
            if not self.read_only:
                self.conn.execute("CHECKPOINT")
        except duckdb.Error:
            pass  # the WAL is replayed on the next open; nothing is lost
        self.conn.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def transaction(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """One transaction: everything inside commits together or not at all."""
        if self.read_only:
            raise StoreError("database opened read-only", path=self.path)
        try:
            self.conn.execute("BEGIN TRANSACTION")
        except duckdb.Error as exc:
            raise translate(exc, self.path) from exc
        try:
            yield self.conn
        except BaseException:
            self.conn.execute("ROLLBACK")
            raise
        try:
            self.conn.execute("COMMIT")
        except duckdb.Error as exc:
            raise translate(exc, self.path) from exc

    def query(self, sql: str, params: list[Any] | None = None) -> list[tuple[Any, ...]]:
        """Run a read query and fetch all rows, translating errors."""
        try:
            return self.conn.execute(sql, params or []).fetchall()
        except duckdb.Error as exc:
            raise translate(exc, self.path) from exc

    def query_dicts(self, sql: str, params: list[Any] | None = None) -> list[dict[str, Any]]:
        """Like query(), with rows as dicts keyed by column name."""
        try:
            cur = self.conn.execute(sql, params or [])
            cols = [d[0] for d in cur.description or []]
            return [dict(zip(cols, row, strict=True)) for row in cur.fetchall()]
        except duckdb.Error as exc:
            raise translate(exc, self.path) from exc
