"""Reference profiles and per-file partial aggregates (migration 0003).

A profile is stored once per `govern baseline`; the newest one of a version is what
`govern scan` compares against. Partial aggregates (the states of every accumulator of the
scan pass, one JSON document per file) are found by (config, path, size, mtime, footer
fingerprint, engine version): a file rewritten on disk (even with its size and mtime kept),
or a changed configuration, gets a new key and is read again. Rows stored before migration
0004 have no fingerprint (NULL) and are never reused.
"""

from __future__ import annotations

import contextlib
import json
import uuid
from collections.abc import Iterable
from typing import Any

import numpy as np
import pyarrow as pa

from govern.clock import utcnow
from govern.store import _digest, _state, audit
from govern.store._connection import Store
from govern.store._engine import arrow_scans, duckdb


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
    partials: Iterable[tuple[str, int, float, str, int, dict[str, Any] | str | memoryview]],
) -> list[_state.Bound]:
    """Insert (or replace) partial states inside the caller's transaction.

    A state is a JSON document, or its JSON text already encoded, as str or UTF-8 bytes (a
    distributed scan's workers encode it; the driver stores their bytes without parsing or
    copying the counts again). DuckDB's JSON type checks the text; text that is not JSON
    (or not UTF-8) raises ValueError naming its file.

    The primary key predates the fingerprint, so a file rewritten with the same size and
    mtime replaces its old row instead of adding one. Returns, for the scan's audit record
    (store/_state.py), the (table, key, digest) of each row written: the digest is taken of
    the values written, as DuckDB returns them, with each state hashed once here rather
    than read back.
    """
    from govern import __version__

    now = utcnow()
    items = list(partials)
    texts = [_utf8(state) for *_, state in items]
    rows = [  # the primary key first, as in the table; types as DuckDB returns them
        [
            str(config),
            str(path),
            int(size),
            float(mtime),
            __version__,
            str(fingerprint),
            int(nrows),
            text,
            now,
        ]
        for (path, size, mtime, fingerprint, nrows, _), text in zip(items, texts, strict=True)
    ]
    if not rows:
        return []
    # The rows a re-scan replaces are deleted first, then all are inserted: INSERT OR
    # REPLACE took ~4x as long as a plain INSERT for 100 KB states (benchmarks/README.md).
    conn.execute(
        """DELETE FROM scan_partials AS t USING (
               SELECT UNNEST(?::VARCHAR[]) AS path, UNNEST(?::BIGINT[]) AS size,
                      UNNEST(?::DOUBLE[]) AS mtime) AS k
           WHERE t.config = ? AND t.engine_version = ? AND t.path = k.path
             AND t.size = k.size AND t.mtime = k.mtime""",
        [[r[1] for r in rows], [r[2] for r in rows], [r[3] for r in rows], config, __version__],
    )
    # The small columns travel as one list each (as in bulk.insert_rows); the states, ~100 KB
    # each, as one Arrow column built from a single buffer and joined by position: a list
    # parameter of 10,000 such strings took 3-4x as long, and building the Arrow column
    # from Python strings would import pandas (pyarrow's conversion does).
    states = _text_column(texts)
    view = f"govern_partial_states_{uuid.uuid4().hex}"
    index = pa.Array.from_buffers(
        pa.int64(), len(rows), [None, pa.py_buffer(np.arange(len(rows), dtype=np.int64))]
    )
    arrow_scans()  # the engine scans the registered Arrow table through the package's sources
    conn.register(view, pa.Table.from_arrays([index, states], names=["i", "state"]))
    small = [c for c in _PARTIAL_COLUMNS if c != "state"]
    types = {"config": "VARCHAR", "path": "VARCHAR", "size": "BIGINT", "mtime": "DOUBLE"}
    types |= {"engine_version": "VARCHAR", "fingerprint": "VARCHAR", "rows": "BIGINT"}
    types |= {"created_at": "TIMESTAMP"}
    cells = ", ".join(f"UNNEST(?::{types[c]}[]) AS {c}" for c in small)
    try:
        conn.execute(
            f"""INSERT INTO scan_partials ({", ".join(small)}, state)
                SELECT {", ".join(f"k.{c}" for c in small)}, CAST(s.state AS JSON)
                FROM (SELECT {cells}, UNNEST(range(?)) AS i) AS k
                JOIN {view} AS s USING (i)""",
            [[r[_PARTIAL_COLUMNS.index(c)] for r in rows] for c in small] + [len(rows)],
        )
    except (duckdb.Error, UnicodeDecodeError) as exc:  # DuckDB's Arrow scan checks UTF-8
        bad = next((r for r, t in zip(rows, texts, strict=True) if not _is_json(t)), None)
        if bad is None:
            raise
        raise ValueError(f"{bad[1]}: its partial state is not JSON ({exc})") from exc
    finally:
        # In a transaction aborted by the error DuckDB refuses this (the view itself goes
        # with the rollback; the connection keeps the table until it closes).
        with contextlib.suppress(duckdb.Error):
            conn.unregister(view)
    return [
        (
            "scan_partials",
            dict(zip(_PARTIAL_COLUMNS, r, strict=True)),
            _state.table_digest("scan_partials", _PARTIAL_COLUMNS, r),
        )
        for r in rows
    ]


_PARTIAL_COLUMNS = (
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


def _utf8(state: dict[str, Any] | str | memoryview) -> memoryview:
    if isinstance(state, memoryview):
        return state
    return memoryview((state if isinstance(state, str) else json.dumps(state)).encode())


def _text_column(data: list[memoryview]) -> pa.Array:
    """UTF-8 texts as an Arrow large_string array, from one joined buffer (one copy)."""
    offsets = np.zeros(len(data) + 1, dtype=np.int64)
    np.cumsum([len(d) for d in data], out=offsets[1:])
    buffers = [None, pa.py_buffer(offsets), pa.py_buffer(b"".join(data))]
    return pa.Array.from_buffers(pa.large_string(), len(data), buffers)


def _is_json(text: memoryview) -> bool:
    try:
        json.loads(bytes(text))
    except ValueError:
        return False
    return True
