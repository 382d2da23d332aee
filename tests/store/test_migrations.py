"""Schema migrations: an older database is migrated on open; a newer one is refused."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import duckdb
import pytest

from govern.clock import rfc3339
from govern.errors import StoreError
from govern.store import SCHEMA_VERSION, Store, audit
from govern.store._migrations import MIGRATIONS


def _schema1(db: Path) -> None:
    """A database exactly as govern 0.1 (schema 1) left it, with one registered model."""
    con = duckdb.connect(str(db))
    con.execute(MIGRATIONS[0])
    con.execute("INSERT INTO schema_version VALUES (1, TIMESTAMP '2026-01-01 00:00:00')")
    con.execute(
        """INSERT INTO models VALUES ('m', 'o', '1', 'u', [], TIMESTAMP '2026-01-01',
           TIMESTAMP '2026-01-01')"""
    )
    con.execute(
        """INSERT INTO model_versions VALUES ('m', '1', 'proposed', '{}', NULL, 'abc',
           TIMESTAMP '2026-01-01', TIMESTAMP '2026-01-01')"""
    )
    con.close()


def _sha(p: Path) -> str:
    return hashlib.sha256(p.read_bytes()).hexdigest()


def test_schema1_is_migrated_on_open(db_path: Path) -> None:
    _schema1(db_path)
    with Store.open(db_path) as store:
        versions = [v for (v,) in store.query("SELECT version FROM schema_version ORDER BY 1")]
        assert versions == list(range(1, SCHEMA_VERSION + 1))
        assert store.query("SELECT name, stage FROM model_versions") == [("m", "proposed")]
        assert store.query("SELECT count(*) FROM audit_log") == [(1,)]
        rows = store.query_dicts("SELECT action, subject, payload FROM audit_log")
        assert [(r["action"], r["subject"]) for r in rows] == [("migrate", "schema")]
        payload = json.loads(rows[0]["payload"])
        assert (payload["from"], payload["to"]) == (1, SCHEMA_VERSION)
        # the rows written before binding existed are bound by the migration's record
        assert [(t, k) for t, k, _ in payload["bound"]] == [
            ("models", ["m"]),
            ("model_versions", ["m", "1"]),
        ]
        assert audit.verify(store.conn).ok
        store.conn.execute("UPDATE model_versions SET stage = 'production'")
        assert not audit.verify(store.conn).ok
        assert store.query("SELECT count(*) FROM v_model_status") == [(1,)]


def test_read_only_open_of_old_schema_migrates_first(db_path: Path) -> None:
    _schema1(db_path)
    with Store.open(db_path, read_only=True) as store:
        assert store.read_only
        assert store.query("SELECT max(version) FROM schema_version") == [(SCHEMA_VERSION,)]


def test_failed_migration_leaves_schema1_untouched(
    db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _schema1(db_path)
    from govern.store import _migrations

    broken = [*MIGRATIONS[:1], MIGRATIONS[1] + "\nCREATE TABLE broken (x NOSUCHTYPE);"]
    broken += MIGRATIONS[2:]
    monkeypatch.setattr(_migrations, "MIGRATIONS", broken)
    with pytest.raises(StoreError, match="database error"):
        Store.open(db_path)
    con = duckdb.connect(str(db_path), read_only=True)
    assert con.execute("SELECT max(version) FROM schema_version").fetchall() == [(1,)]
    tables = {
        t for (t,) in con.execute("SELECT table_name FROM information_schema.tables").fetchall()
    }
    con.close()
    assert "audit_log" not in tables and "broken" not in tables


@pytest.mark.parametrize("read_only", [False, True])
def test_newer_schema_is_refused_and_nothing_written(db_path: Path, read_only: bool) -> None:
    with Store.open(db_path, create=True):
        pass
    con = duckdb.connect(str(db_path))
    con.execute(
        "INSERT INTO schema_version VALUES (?, TIMESTAMP '2030-01-01')", [SCHEMA_VERSION + 1]
    )
    con.execute("CHECKPOINT")
    con.close()
    before = _sha(db_path)
    with pytest.raises(StoreError) as info:
        Store.open(db_path, read_only=read_only)
    assert str(info.value) == (
        f"{db_path}: database schema version {SCHEMA_VERSION + 1} is newer than this govern "
        f"supports ({SCHEMA_VERSION}); upgrade govern"
    )
    assert _sha(db_path) == before
    assert not db_path.with_name(db_path.name + ".wal").exists()


def test_scan_sources_are_backfilled_from_stored_scans_and_bound(tmp_path: Path) -> None:
    """Schema 8 replays the scans stored before it: an upgrade makes no old file look new."""
    from govern.lifecycle import ModelRef
    from govern.runner.demo import run_demo
    from govern.runner.scan import scan

    db = run_demo(tmp_path / "demo").db
    con = duckdb.connect(str(db))
    query = "SELECT * FROM scan_sources ORDER BY ALL"
    before = con.execute(query).fetchall()
    assert before  # the demo's scans recorded their files
    # the database as govern left it before schema 8: no table, no step
    con.execute("DROP TABLE scan_sources")
    con.execute("DELETE FROM schema_version WHERE version = 8")
    con.close()
    with Store.open(db) as store:
        assert store.query(query) == before
        payload = json.loads(
            store.query("SELECT payload FROM audit_log ORDER BY seq DESC LIMIT 1")[0][0]
        )
        assert (payload["from"], payload["to"]) == (7, SCHEMA_VERSION)
        assert audit.verify(store.conn).ok  # the table is what the stored scans define
        # a re-scan of a file the demo scanned: its data changed when the demo first read it
        name, version, path, *_, first = before[0]
        again = scan(store, ModelRef(name, version), data=[path])
        assert again.data_changed_at == rfc3339(first) < again.scanned_at
        assert audit.verify(store.conn).ok
