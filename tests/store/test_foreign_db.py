"""Databases that are not govern's: refused with exit 2, never written, no extension loaded."""

from __future__ import annotations

import hashlib
import sqlite3
from pathlib import Path

import duckdb
import pytest

from govern.cli import main
from govern.store import Store
from govern.store._connection import CONNECT_CONFIG

from ..conftest import CARDS

COMMANDS = {
    "audit-verify": ["audit", "verify"],
    "audit-head": ["audit", "head"],
    "inventory": ["inventory"],
    "register": ["register", str(CARDS / "credit-risk.yaml")],
    "check-model": ["check", "--model", "credit-risk@3"],
    "init": ["init"],
}


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _foreign_duckdb(path: Path) -> Path:
    con = duckdb.connect(str(path))
    con.execute("CREATE TABLE sales (id INTEGER, amount DOUBLE)")
    con.execute("INSERT INTO sales VALUES (1, 9.5)")
    con.close()
    return path


def _sqlite(path: Path) -> Path:
    con = sqlite3.connect(path)
    con.execute("CREATE TABLE t (x)")
    con.commit()
    con.close()
    return path


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_foreign_duckdb_is_refused_and_left_untouched(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], command: str
) -> None:
    db = _foreign_duckdb(tmp_path / "sales.duckdb")
    before = _sha(db)
    rc = main(["--db", str(db), *COMMANDS[command]])
    err = capsys.readouterr().err
    assert rc == 2, err
    assert f"{db}: not a govern database" in err
    assert _sha(db) == before
    assert not db.with_name(db.name + ".wal").exists()
    con = duckdb.connect(str(db), read_only=True)
    try:
        tables = con.execute("SELECT table_name FROM duckdb_tables()").fetchall()
    finally:
        con.close()
    assert tables == [("sales",)]


@pytest.mark.parametrize("command", ["audit-verify", "audit-head", "inventory"])
def test_empty_duckdb_is_not_a_govern_database_for_reads(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], command: str
) -> None:
    db = tmp_path / "empty.duckdb"
    duckdb.connect(str(db)).close()
    before = _sha(db)
    assert main(["--db", str(db), *COMMANDS[command]]) == 2
    assert "not a govern database: the file is empty" in capsys.readouterr().err
    assert _sha(db) == before


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_sqlite_file_is_refused_without_loading_an_extension(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], command: str
) -> None:
    db = _sqlite(tmp_path / "app.db")
    before = _sha(db)
    rc = main(["--db", str(db), *COMMANDS[command]])
    err = capsys.readouterr().err
    assert rc == 2, err
    assert f"{db}: not a DuckDB database file (it is a SQLite database)" in err
    assert "download" not in err and "http" not in err
    assert _sha(db) == before


def test_every_connection_refuses_extensions(db_path: Path) -> None:
    Store.open(db_path, create=True).close()
    for read_only in (False, True):
        with Store.open(db_path, read_only=read_only) as store:
            for name in CONNECT_CONFIG:
                value = store.query(f"SELECT current_setting('{name}')")[0][0]
                assert value is False, name
            with pytest.raises(duckdb.Error):
                store.conn.execute("LOAD sqlite")
