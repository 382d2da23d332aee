"""Reference profiles and per-file partial aggregates (migration 0003).

A profile is stored once per `govern baseline`; the newest one of a version is what
`govern scan` compares against. Partial aggregates (the states of every accumulator of the
scan pass, one JSON document per file) are found by (config, path, size, mtime, footer
fingerprint, engine version): a file rewritten on disk (even with its size and mtime kept),
or a changed configuration, gets a new key and is read again. Rows stored before migration
0004 have no fingerprint (NULL) and are never reused.
"""

from __future__ import annotations

import concurrent.futures
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

# Bytes of partial states from which a scan's transaction commits by a checkpoint instead of
# through the write-ahead log (Store.transaction): DuckDB's own checkpoint threshold.
LARGE_WRITE = 16 << 20


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
    # The rows go in as one Arrow table built from buffers (pyarrow's conversion of Python
    # lists imports pandas), the states without a copy where they lie one after the other in
    # a worker's blob (`_text_column`); config, version and time, the same for every row, as
    # parameters. A join by position of the states with the other columns as lists copied
    # the ~1 GB of states of 10,000 files into its hash table.
    table = pa.Table.from_arrays(
        [
            _small_strings([str(r[1]) for r in rows]),
            _numbers([r[2] for r in rows], np.int64),
            _numbers([r[3] for r in rows], np.float64),
            _small_strings([str(r[5]) for r in rows]),
            _numbers([r[6] for r in rows], np.int64),
            _text_column(texts),
        ],
        names=["path", "size", "mtime", "fingerprint", "rows", "state"],
    )
    view = f"govern_partial_states_{uuid.uuid4().hex}"
    arrow_scans()  # the engine scans the registered Arrow table through the package's sources
    conn.register(view, table)
    # Each row's digest hashes its ~100 KB state: done on a second thread while DuckDB
    # (which releases the GIL) inserts.
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        digests = pool.submit(
            lambda: [_state.table_digest("scan_partials", _PARTIAL_COLUMNS, r) for r in rows]
        )
        try:
            conn.execute(
                f"""INSERT INTO scan_partials (config, path, size, mtime, engine_version,
                        fingerprint, rows, state, created_at)
                    SELECT ?, path, size, mtime, ?, fingerprint, rows, CAST(state AS JSON),
                        ?::TIMESTAMP
                    FROM {view}""",
                [str(config), __version__, now],
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
            ("scan_partials", dict(zip(_PARTIAL_COLUMNS, r, strict=True)), digest)
            for r, digest in zip(rows, digests.result(), strict=True)
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


# Texts lying back to back in one buffer, from this many on, go into DuckDB as a chunk over
# that buffer; fewer are copied into one buffer with the texts around them.
_RUN = 8


def _text_column(data: list[memoryview]) -> pa.ChunkedArray:
    """UTF-8 texts as an Arrow large_string column, copying only what has to be joined.

    A run of texts that lie one after the other in one buffer (the units of a worker's
    blob, `runner/_blob.py`) becomes one chunk over that buffer, as it is: the ~1 GB of
    states of a 10,000-file merge are not copied again on their way to DuckDB. Other texts
    (each encoded on its own) are joined into one buffer, one chunk for each stretch of them.
    """
    chunks: list[pa.Array] = []
    loose: list[memoryview] = []

    def flush() -> None:
        if loose:
            offsets = np.zeros(len(loose) + 1, dtype=np.int64)
            np.cumsum([len(d) for d in loose], out=offsets[1:])
            chunks.append(_large_string(offsets, pa.py_buffer(b"".join(loose))))
            loose.clear()

    i = 0
    while i < len(data):
        end, owner, offsets = _run(data, i)
        if owner is not None and end - i >= _RUN:
            flush()
            chunks.append(_large_string(np.asarray(offsets, dtype=np.int64), owner))
        else:
            loose.extend(data[i:end])
        i = end
    flush()
    return pa.chunked_array(chunks, type=pa.large_string())


def _run(data: list[memoryview], i: int) -> tuple[int, pa.Buffer | None, list[int]]:
    """(end, buffer, offsets): data[i:end] lie back to back at those offsets of one buffer.

    The buffer is the object the memoryviews were taken from; (i + 1, None, []) when
    data[i] is not a plain byte view of an object that pyarrow can wrap.
    """
    first = data[i]
    try:
        if not (first.ndim == 1 and first.itemsize == 1 and first.c_contiguous):
            return i + 1, None, []
        owner = pa.py_buffer(first.obj)
        base = owner.address
        at = pa.py_buffer(first).address - base
    except (TypeError, ValueError, BufferError):
        return i + 1, None, []
    if at < 0 or at + len(first) > owner.size:
        return i + 1, None, []
    offsets = [at, at + len(first)]
    end = i + 1
    while end < len(data):
        view = data[end]
        if view.obj is not first.obj or not (view.itemsize == 1 and view.c_contiguous):
            break
        at = pa.py_buffer(view).address - base
        if at != offsets[-1] or at + len(view) > owner.size:
            break
        offsets.append(at + len(view))
        end += 1
    return end, owner, offsets


def _large_string(offsets: np.ndarray, data: pa.Buffer) -> pa.Array:
    buffers = [None, pa.py_buffer(offsets), data]
    return pa.Array.from_buffers(pa.large_string(), len(offsets) - 1, buffers)


def _small_strings(values: list[str]) -> pa.Array:
    """Short strings as an Arrow large_string array (no per-value conversion by pyarrow)."""
    encoded = [v.encode("utf-8") for v in values]
    offsets = np.zeros(len(encoded) + 1, dtype=np.int64)
    np.cumsum([len(e) for e in encoded], out=offsets[1:])
    return _large_string(offsets, pa.py_buffer(b"".join(encoded)))


def _numbers(values: list[Any], dtype: type[np.int64] | type[np.float64]) -> pa.Array:
    array = np.array(values, dtype=dtype)
    kind = pa.int64() if dtype is np.int64 else pa.float64()
    return pa.Array.from_buffers(kind, len(array), [None, pa.py_buffer(array)])


def _is_json(text: memoryview) -> bool:
    try:
        json.loads(bytes(text))
    except ValueError:
        return False
    return True
