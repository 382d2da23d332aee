"""Reference profiles and per-file partial aggregates (migration 0003).

A profile is stored once per `govern baseline`; the newest one of a version is what
`govern scan` compares against. Partial aggregates (the states of every accumulator of the
scan pass, one JSON document per file) are found by (config, path, size, mtime, footer
fingerprint, engine version): a file rewritten on disk (even with its size and mtime kept),
or a changed configuration, gets a new key and is read again. Rows stored before migration
0004 have no fingerprint (NULL) and are never reused.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable
from typing import Any

import duckdb

from govern.clock import utcnow
from govern.store import _digest, audit
from govern.store._connection import Store


def save_profile(
    store: Store,
    name: str,
    version: str,
    *,
    digest: str,
    rows: int,
    sources: list[dict[str, Any]],
    profile: dict[str, Any],
) -> str:
    """Store a reference profile; returns its id."""
    from govern import __version__

    profile_id = str(uuid.uuid4())
    row = [
        profile_id,
        name,
        version,
        digest,
        rows,
        json.dumps(sources),
        json.dumps(profile, sort_keys=True),
        __version__,
        utcnow(),
    ]
    with store.transaction() as conn:
        conn.execute(
            """INSERT INTO profiles (profile_id, name, version, digest, rows, sources, profile,
               engine_version, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)""",
            row,
        )
        audit.append(
            conn,
            action="baseline",
            subject=f"{name}@{version}",
            payload={
                "profile_id": profile_id,
                "digest": digest,
                "rows": rows,
                "files": len(sources),
                _digest.CONTENT_KEY: _digest.profile_digest(row),
            },
        )
    return profile_id


def latest_profile(store: Store, name: str, version: str) -> dict[str, Any] | None:
    """The newest profile of a version (parsed), or None; ordered as views.latest_profiles."""
    rows = store.query_dicts(
        """SELECT profile_id, digest, rows, sources, profile, created_at FROM profiles
           WHERE name = ? AND version = ? ORDER BY created_at DESC, profile_id DESC LIMIT 1""",
        [name, version],
    )
    if not rows:
        return None
    row = rows[0]
    row["sources"] = json.loads(row["sources"])
    row["profile"] = json.loads(row["profile"])
    return row


PartialKey = tuple[str, int, float, str]  # (path, size, mtime, footer fingerprint)


def get_partials(
    store: Store, config: str, keys: Iterable[PartialKey]
) -> dict[PartialKey, dict[str, Any]]:
    """Stored partial states for the given (path, size, mtime, fingerprint) keys, one config."""
    from govern import __version__

    wanted = set(keys)
    if not wanted:
        return {}
    out: dict[PartialKey, dict[str, Any]] = {}
    for r in store.query_dicts(
        """SELECT path, size, mtime, fingerprint, rows, state FROM scan_partials
           WHERE config = ? AND engine_version = ? AND fingerprint IS NOT NULL""",
        [config, __version__],
    ):
        key = (r["path"], int(r["size"]), float(r["mtime"]), str(r["fingerprint"]))
        if key in wanted:
            try:
                state = json.loads(r["state"])
            except ValueError:  # damaged text: the scan reads the file again (runner/scan.py)
                state = None
            out[key] = {"rows": int(r["rows"]), "state": state}
    return out


def write_partials(
    conn: duckdb.DuckDBPyConnection,
    config: str,
    partials: Iterable[tuple[str, int, float, str, int, dict[str, Any] | str]],
) -> list[tuple[str, dict[str, Any]]]:
    """Insert (or replace) partial states inside the caller's transaction.

    A state is a JSON document, or its JSON text already encoded (a distributed scan's
    workers encode it; the driver stores it without parsing the counts again).

    The primary key predates the fingerprint, so a file rewritten with the same size and
    mtime replaces its old row instead of adding one. Returns the (table, row) of each row
    written, for the scan's audit record to bind (store/_state.py).
    """
    from govern import __version__

    now = utcnow()
    rows = [  # the primary key first, as in the table
        [
            config,
            path,
            size,
            mtime,
            __version__,
            fingerprint,
            nrows,
            state if isinstance(state, str) else json.dumps(state),
            now,
        ]
        for path, size, mtime, fingerprint, nrows, state in partials
    ]
    columns = (
        "config",
        "path",
        "size",
        "mtime",
        "engine_version",
        "fingerprint",
        "rows",
        "state",
        "created_at",
    )
    if rows:
        from govern.store.bulk import insert_rows

        # One INSERT with a list per column: binding 9 parameters a row through multi-row
        # VALUES cost ~0.6 ms a row, 6 s for the 10,000 partials of one scan; an Arrow table
        # imports pandas (pyarrow converts Python lists through it when it is installed).
        insert_rows(conn, "scan_partials", columns, rows, or_replace=True)
    return [("scan_partials", dict(zip(columns, row, strict=True))) for row in rows]
