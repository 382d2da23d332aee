"""Opening the DuckDB file, translating DuckDB errors, and transactions.

DuckDB errors are translated into govern errors here and nowhere else.
"""

from __future__ import annotations

import contextlib
import math
import os
import random
import re
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from govern.errors import StoreError, StoreLockedError
from govern.store._engine import duckdb
from govern.store._migrations import SchemaOutdated, migrate

DEFAULT_DB = "govern.duckdb"
DEFAULT_LOCK_TIMEOUT = 10.0
LOCK_TIMEOUT_ENV = "GOVERN_LOCK_TIMEOUT"
_LOCK_PID = re.compile(r"\(PID (\d+)\)")
# First retry after 20 ms, doubling up to 1 s, with jitter so two waiters do not collide.
_BACKOFF_FIRST = 0.02
_BACKOFF_MAX = 1.0

# Every connection: no extension is installed or loaded behind govern's back (a SQLite file
# passed as --db would otherwise make DuckDB download sqlite_scanner), and no SQL reaches
# files or the network beyond the database itself.
CONNECT_CONFIG: dict[str, str | bool | int | float | list[str]] = {
    "autoinstall_known_extensions": False,
    "autoload_known_extensions": False,
    "enable_external_access": False,
}
_SQLITE_MAGIC = b"SQLite format 3\x00"
NOT_DUCKDB = "not a DuckDB database file{kind}; pass --db with a govern database"

LOCKED = (
    "database is locked by another process{holder} and stayed locked for {waited:.1f} s; "
    "retry when it finishes, or wait longer with --lock-timeout SECONDS / ${env}"
)


def resolve_db_path(db: str | Path | None) -> Path:
    """`--db PATH`, else `$GOVERN_DB`, else `./govern.duckdb`."""
    if db:
        return Path(db)
    env = os.environ.get("GOVERN_DB")
    return Path(env) if env else Path(DEFAULT_DB)


def lock_timeout_from_env() -> float:
    """`$GOVERN_LOCK_TIMEOUT` in seconds, else the default (10 s)."""
    raw = os.environ.get(LOCK_TIMEOUT_ENV)
    if not raw:
        return DEFAULT_LOCK_TIMEOUT
    try:
        value = float(raw)
    except ValueError:
        value = -1.0
    if not (value >= 0 and math.isfinite(value)):
        raise StoreError(f"${LOCK_TIMEOUT_ENV}: expected finite seconds >= 0, got {raw!r}")
    return value


def _is_lock_error(exc: Exception) -> bool:
    text = str(exc)
    return "Conflicting lock" in text or "Could not set lock" in text


def holder_pid(exc: Exception) -> int | None:
    """PID of the process holding the lock, as DuckDB reports it."""
    m = _LOCK_PID.search(str(exc))
    return int(m.group(1)) if m else None


def connect_with_retry(
    path: Path, *, read_only: bool, timeout: float | None
) -> duckdb.DuckDBPyConnection:
    """Connect, retrying with jittered exponential backoff while another process holds the lock.

    DuckDB admits one writing process and fails a second opener at once (no waiting), so
    govern waits here, up to `timeout` seconds (None: $GOVERN_LOCK_TIMEOUT, else 10 s).
    """
    limit = lock_timeout_from_env() if timeout is None else timeout
    if not (limit >= 0 and math.isfinite(limit)):  # NaN would make every comparison false
        raise StoreError(f"lock timeout must be finite seconds >= 0, got {limit!r}", path=path)
    start = time.monotonic()
    delay = _BACKOFF_FIRST
    while True:
        try:
            return duckdb.connect(str(path), read_only=read_only, config=CONNECT_CONFIG)
        except duckdb.Error as exc:
            if not _is_lock_error(exc):
                raise translate(exc, path) from exc
            waited = time.monotonic() - start
            if waited >= limit:
                pid = holder_pid(exc)
                holder = f" (PID {pid})" if pid is not None else ""
                msg = LOCKED.format(holder=holder, waited=waited, env=LOCK_TIMEOUT_ENV)
                raise StoreLockedError(msg, path=path) from exc
            time.sleep(min(delay * random.uniform(0.5, 1.0), max(limit - waited, 0.0)))
            delay = min(delay * 2, _BACKOFF_MAX)


def _is_sqlite(path: Path) -> bool:
    try:
        with open(path, "rb") as fh:
            return fh.read(len(_SQLITE_MAGIC)) == _SQLITE_MAGIC
    except OSError:
        return False


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
    if _is_sqlite(path):
        return StoreError(NOT_DUCKDB.format(kind=" (it is a SQLite database)"), path=path)
    if "not a valid DuckDB database file" in str(exc) or "xtension" in str(exc):
        return StoreError(NOT_DUCKDB.format(kind=""), path=path)
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
        cls,
        db: str | Path | None = None,
        *,
        read_only: bool = False,
        create: bool = False,
        lock_timeout: float | None = None,
    ) -> Store:
        """Open (and migrate) the database; refuse to create unless asked.

        A writer that meets another process's lock retries up to `lock_timeout` seconds.
        A read-only open of an older schema first migrates it in a short read-write open.
        """
        path = resolve_db_path(db)
        if not path.exists() and not create:
            raise StoreError("database does not exist; run `govern init` first", path=path)
        if create and path.parent and not path.parent.exists():
            raise StoreError("directory does not exist", path=path.parent)
        if read_only:
            try:
                return cls._open(path, read_only=True, lock_timeout=lock_timeout)
            except SchemaOutdated:
                cls._open(path, read_only=False, lock_timeout=lock_timeout).close()
        return cls._open(path, read_only=read_only, lock_timeout=lock_timeout)

    @classmethod
    def _open(cls, path: Path, *, read_only: bool, lock_timeout: float | None) -> Store:
        conn = connect_with_retry(path, read_only=read_only, timeout=lock_timeout)
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
    def transaction(self, *, checkpoint: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
        """One transaction: everything inside commits together or not at all.

        `checkpoint=True` is for a large write (a scan's partial states: ~1 GB for 10,000
        files): the commit checkpoints the database instead of writing the changes to the
        write-ahead log, which the next checkpoint would write a second time.
        """
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
            if checkpoint:
                _commit_by_checkpoint(self.conn)
            else:
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


def _commit_by_checkpoint(conn: duckdb.DuckDBPyConnection) -> None:
    """COMMIT, with DuckDB checkpointing at the commit and skipping its write-ahead log.

    DuckDB does this by itself for a commit whose estimated size reaches the checkpoint
    threshold, but it estimates each string at its 16-byte header: a commit of 900 MB of
    states went to the log (the 900 MB copied into growing buffers, written, then read and
    written again by the checkpoint at close: most of the 10,000-file merge's time,
    benchmarks/README.md). A threshold of 0 for this commit takes DuckDB's own large-commit
    path: the checkpoint makes the commit durable (a checkpoint that fails fails the commit;
    a crash before its header is written leaves the database as it was). When DuckDB cannot
    checkpoint (another connection's transaction is open), the commit goes to the log as
    usual. The threshold is a setting of the database instance: restored at once.
    """
    (previous,) = conn.execute("SELECT current_setting('checkpoint_threshold')").fetchall()[0]
    conn.execute("SET checkpoint_threshold = '0B'")
    try:
        conn.execute("COMMIT")
    finally:
        try:
            conn.execute("SET checkpoint_threshold = ?", [str(previous)])
        except duckdb.Error:  # a failed COMMIT can leave the transaction to be rolled back
            with contextlib.suppress(duckdb.Error):
                conn.execute("ROLLBACK")
            conn.execute("SET checkpoint_threshold = ?", [str(previous)])
