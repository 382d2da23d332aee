"""Every governed table x (update, delete, insert) through direct SQL fails `audit verify`.

The database is built by govern itself (demo: register, baseline, incremental scan, check;
then monitor, approve and promote), copied per case, edited with plain DuckDB SQL, and
verified with the CLI, with and without an anchor taken before the edit. Verify must exit 1
and name the table of the edited row.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import duckdb
import pytest

from govern.cli import main
from govern.runner.demo import run_demo
from govern.store._state import TABLES

_FLIP = "CASE {col} WHEN 'production' THEN 'validation' ELSE 'production' END"
# table -> primary key column (or None: no key) and the column edited by the update case
GOVERNED = {
    "models": ("name", "owner = 'mallory'"),
    "model_versions": ("version", f"stage = {_FLIP.format(col='stage')}"),
    "lifecycle_events": ("event_id", "actor = 'mallory'"),
    "approvals": ("approval_id", "approved_by = 'mallory'"),
    "scan_partials": ("path", "rows = rows + 1"),
    "monitor_decisions": ("decision_id", "decision_id = decision_id || '-x'"),
    # derived from the scans and recomputed by verify: a deleted first-scan row would make
    # old files look like new data (the no-new-data denial lifted)
    "scan_sources": ("path", "first_scanned_at = first_scanned_at + INTERVAL 30 DAY"),
    "scans": ("scan_id", "rows = rows + 1"),
    "evidence": (None, "value = 0.0"),
    "decisions": ("decision_id", "result = CASE result WHEN 'allow' THEN 'deny' ELSE 'allow' END"),
    "profiles": ("profile_id", "rows = rows + 1"),
}
# further single-column edits an attacker would make
MORE_UPDATES = [
    ("model_versions", "card = json_object('name', 'x')"),
    ("model_versions", "card_sha256 = 'f' || card_sha256[2:]"),
    ("scan_partials", "state = CAST('{}' AS JSON)"),
    # one count inside a state (x10): caught through the state's hash in the row's digest
    ("scan_partials", r"""state = regexp_replace(state, '"rows": (\d+)', '"rows": \10')::JSON"""),
    ("lifecycle_events", f"to_stage = {_FLIP.format(col='to_stage')}"),
    ("approvals", "role = CASE role WHEN 'committee' THEN 'owner' ELSE 'committee' END"),
    ("models", "risk_tier = risk_tier || '-edited'"),
]


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    out = tmp_path_factory.mktemp("demo")
    db = run_demo(out).db
    base = ["--db", str(db), "-q"]
    assert main([*base, "approve", "credit-risk@3", "--stage", "production", "--role",
                 "validator", "--by", "val"]) == 0  # fmt: skip
    assert main([*base, "approve", "credit-risk@3", "--stage", "production", "--role",
                 "approver", "--by", "boss"]) == 0  # fmt: skip
    assert main([*base, "monitor", "--all"]) == 0  # monitor decisions (not reviews)
    assert main([*base, "retire", "fraud-detect@7"]) in (0, 1)
    anchor = out / "head.json"
    assert main([*base, "audit", "head", "-o", str(anchor)]) == 0
    con = duckdb.connect(str(db), read_only=True)
    try:
        for table in GOVERNED:
            assert con.execute(f"SELECT count(*) FROM {table}").fetchall()[0][0] > 0, table
    finally:
        con.close()
    assert main([*base, "audit", "verify", "--anchor", str(anchor)]) == 0
    return db, anchor


def _copy(built: tuple[Path, Path], tmp_path: Path) -> Path:
    db = tmp_path / "g.duckdb"
    shutil.copy(built[0], db)
    return db


def _edit(db: Path, sql: str) -> None:
    con = duckdb.connect(str(db))
    try:
        con.execute(sql)
    finally:
        con.close()


def _sql(table: str, op: str) -> str:
    key, update = GOVERNED[table]
    first = f"rowid = (SELECT min(rowid) FROM {table})"
    if op == "update":
        return f"UPDATE {table} SET {update} WHERE {first}"
    if op == "delete":
        return f"DELETE FROM {table} WHERE {first}"
    if key is None:  # no primary key: a duplicate row is an insertion too
        return f"INSERT INTO {table} SELECT * FROM {table} WHERE {first}"
    return (
        f"INSERT INTO {table} SELECT * REPLACE ({key} || '-forged' AS {key}) "
        f"FROM {table} WHERE {first}"
    )


def _verify_fails_naming(
    db: Path, anchor: Path, table: str, capsys: pytest.CaptureFixture[str]
) -> None:
    for extra in ([], ["--anchor", str(anchor)]):
        rc = main(["--db", str(db), "audit", "verify", "--format", "json", *extra])
        doc = json.loads(capsys.readouterr().out)
        assert rc == 1, doc
        assert not doc["ok"]
        assert f"table {table}" in doc["problem"], doc["problem"]


def test_every_bound_table_is_covered() -> None:
    assert set(TABLES) <= set(GOVERNED)


@pytest.mark.parametrize("op", ["update", "delete", "insert"])
@pytest.mark.parametrize("table", sorted(GOVERNED))
def test_direct_edit_fails_verify(
    built: tuple[Path, Path],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    table: str,
    op: str,
) -> None:
    db = _copy(built, tmp_path)
    _edit(db, _sql(table, op))
    _verify_fails_naming(db, built[1], table, capsys)


@pytest.mark.parametrize(("table", "update"), MORE_UPDATES)
def test_column_edit_fails_verify(
    built: tuple[Path, Path],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    table: str,
    update: str,
) -> None:
    db = _copy(built, tmp_path)
    _edit(db, f"UPDATE {table} SET {update} WHERE rowid = (SELECT min(rowid) FROM {table})")
    _verify_fails_naming(db, built[1], table, capsys)


def test_edited_stage_rebound_by_a_later_write_is_still_caught(
    built: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Edit the stage, then let govern write a new record that re-binds the edited row."""
    db = _copy(built, tmp_path)
    _edit(
        db,
        "UPDATE model_versions SET stage = 'validation' "
        "WHERE name = 'credit-risk' AND version = '3'",
    )
    card = next(built[0].parent.glob("models/credit-risk.yaml"))
    assert main(["--db", str(db), "-q", "register", str(card)]) == 0
    capsys.readouterr()
    rc = main(["--db", str(db), "audit", "verify", "--format", "json"])
    doc = json.loads(capsys.readouterr().out)
    assert rc == 1
    assert "credit-risk@3" in doc["problem"] and "'validation'" in doc["problem"]


def test_untouched_copy_verifies(
    built: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The copy itself is intact: the failures above come from the edits."""
    db = _copy(built, tmp_path)
    rc = main(["--db", str(db), "audit", "verify", "--format", "json"])
    doc = json.loads(capsys.readouterr().out)
    assert rc == 0, doc
    assert doc["bound_rows"] > 0
