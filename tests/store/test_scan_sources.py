"""scan_sources: the first scan of each file content per version, and `data_changed_at`.

Direct writes through store/evidence.py (the scan engine's own tests are in tests/runner and
tests/monitor): which scan counts as first, what a later scan reports, and that `audit
verify` recomputes the table from the stored scans.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from pathlib import Path

import duckdb

from govern.clock import rfc3339
from govern.results import ScanResult, SourceFile
from govern.store import Store, audit
from govern.store import evidence as evidence_store

T0 = datetime(2026, 11, 1, 8, 0, 0)
A = SourceFile("/logs/a.parquet", 100, 1.0, 10, "sha256:aa")
B = SourceFile("/logs/b.parquet", 200, 2.0, 20, "sha256:bb")


def _scan(store: Store, at: datetime, *sources: SourceFile, version: str = "1") -> str | None:
    result = ScanResult(str(uuid.uuid4()), "m", version, 30, sources, (), rfc3339(at))
    return evidence_store.write_scan(store, result, kind="drift", params={})


def _rows(store: Store) -> list[tuple[object, ...]]:
    return store.query(
        "SELECT version, path, first_scanned_at FROM scan_sources ORDER BY version, path"
    )


def test_data_changed_at_is_the_first_scan_of_the_newest_file(db_path: Path) -> None:
    with Store.open(db_path, create=True) as store:
        assert _scan(store, T0, A) == rfc3339(T0)
        assert _scan(store, T0 + timedelta(days=5), A) == rfc3339(T0)  # same file again
        t_b = T0 + timedelta(days=6)
        assert _scan(store, t_b, A, B) == rfc3339(t_b)  # a new file
        assert _scan(store, T0 + timedelta(days=9), A) == rfc3339(T0)  # the old one alone
        # the same content under a new mtime is not new; another size or footer is
        touched = SourceFile(A.path, A.size, 99.0, A.rows, A.fingerprint)
        assert _scan(store, T0 + timedelta(days=10), touched) == rfc3339(T0)
        rewritten = SourceFile(A.path, A.size, 99.0, A.rows, "sha256:a2")
        t_r = T0 + timedelta(days=11)
        assert _scan(store, t_r, rewritten) == rfc3339(t_r)
        # per version: another version's first scan of the same file is its own
        assert _scan(store, T0 + timedelta(days=12), A, version="2") == rfc3339(
            T0 + timedelta(days=12)
        )
        assert audit.verify(store.conn).ok


def test_a_scan_stored_after_a_later_started_one_is_the_first(db_path: Path) -> None:
    """A distributed scan prepared first but finished last still read the file first."""
    with Store.open(db_path, create=True) as store:
        late = T0 + timedelta(hours=2)
        assert _scan(store, late, A) == rfc3339(late)
        assert _scan(store, T0, A) == rfc3339(T0)
        assert _rows(store) == [("1", A.path, T0)]
        assert _scan(store, late + timedelta(days=1), A) == rfc3339(T0)
        assert audit.verify(store.conn).ok


def test_verify_recomputes_the_table_from_the_scans(db_path: Path) -> None:
    with Store.open(db_path, create=True) as store:
        _scan(store, T0, A)
        _scan(store, T0 + timedelta(days=1), A, B)
    for edit, word in (
        ("DELETE FROM scan_sources WHERE path = '/logs/a.parquet'", "is missing"),
        (
            "UPDATE scan_sources SET first_scanned_at = first_scanned_at + INTERVAL 40 DAY "
            "WHERE path = '/logs/a.parquet'",
            "differs",
        ),  # fmt: skip
        ("UPDATE scan_sources SET first_scan_id = 'x' WHERE path = '/logs/b.parquet'", "differs"),
        (
            "INSERT INTO scan_sources SELECT * REPLACE ('/logs/c.parquet' AS path) "
            "FROM scan_sources LIMIT 1",
            "no stored scan read",
        ),  # fmt: skip
    ):
        copy = db_path.with_name(f"copy-{uuid.uuid4().hex}.duckdb")
        copy.write_bytes(db_path.read_bytes())
        con = duckdb.connect(str(copy))
        con.execute(edit)
        con.close()
        with Store.open(copy) as store:
            result = audit.verify(store.conn)
        assert not result.ok and result.problem is not None
        assert "table scan_sources" in result.problem and word in result.problem, result.problem
