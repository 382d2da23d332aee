"""The hash chain: append, verify, tamper detection through DuckDB, anchors, time zones."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from govern.errors import UserInputError
from govern.store import Store, audit
from govern.store.audit import AuditHead

GOVERN = str(Path(sys.executable).with_name("govern"))


def _fill(db: Path, n: int = 10) -> AuditHead:
    with Store.open(db, create=True) as store:
        for i in range(n - 1):  # the migration itself wrote seq 1
            with store.transaction() as conn:
                audit.append(
                    conn,
                    action="decision",
                    subject=f"m@{i}",
                    payload={"i": i, "result": "deny" if i % 2 else "allow", "x": 0.1},
                    actor="tester",
                )
        return audit.head(store.conn)


def _verify(db: Path, anchor: AuditHead | None = None) -> audit.VerifyResult:
    with Store.open(db, read_only=True) as store:
        return audit.verify(store.conn, anchor=anchor)


@pytest.fixture
def log(db_path: Path) -> tuple[Path, AuditHead]:
    return db_path, _fill(db_path)


def _raw(db: Path) -> duckdb.DuckDBPyConnection:
    return duckdb.connect(str(db))


def test_intact_log_verifies_and_reports_head(log: tuple[Path, AuditHead]) -> None:
    db, tip = log
    r = _verify(db)
    assert r.ok and r.rows == 10 and r.head == tip and tip.seq == 10
    assert _verify(db, anchor=tip).ok
    assert _verify(db, anchor=AuditHead(0, audit.GENESIS)).ok


def test_independent_recomputation_matches_head(log: tuple[Path, AuditHead]) -> None:
    """A stdlib-only verifier (hashlib + json) reaches the same head."""
    db, tip = log
    con = _raw(db)
    prev = "0" * 64
    for seq, canon, prev_hash, row_hash in con.execute(
        "SELECT seq, canon, prev_hash, row_hash FROM audit_log ORDER BY seq"
    ).fetchall():
        assert prev_hash == prev
        prev = hashlib.sha256(prev.encode() + b"\n" + bytes(canon)).hexdigest()
        assert prev == row_hash and json.loads(canon)["seq"] == seq
    con.close()
    assert (seq, prev) == (tip.seq, tip.hash)


def _tamper(db: Path, *sql: str) -> None:
    con = _raw(db)
    for s in sql:
        con.execute(s)
    con.close()


def test_edit_payload_column_is_detected(log: tuple[Path, AuditHead]) -> None:
    db, _ = log
    _tamper(
        db, """UPDATE audit_log SET payload = '{"i":4,"result":"deny","x":0.1}' WHERE seq = 6"""
    )
    r = _verify(db)
    assert not r.ok and r.first_bad_seq == 6
    assert r.problem == audit.COLUMNS_DIFFER.format(seq=6, fields="payload")
    assert r.head.seq == 5


def test_edit_actor_column_is_detected(log: tuple[Path, AuditHead]) -> None:
    db, _ = log
    _tamper(db, "UPDATE audit_log SET actor = 'mallory' WHERE seq = 3")
    r = _verify(db)
    assert (r.ok, r.first_bad_seq) == (False, 3)
    assert r.problem == audit.COLUMNS_DIFFER.format(seq=3, fields="actor")


def test_edit_payload_and_canon_is_detected(log: tuple[Path, AuditHead]) -> None:
    db, _ = log
    con = _raw(db)
    canon = bytes(con.execute("SELECT canon FROM audit_log WHERE seq = 6").fetchall()[0][0])
    forged = canon.replace(b'"result":"allow"', b'"result":"deny"')
    assert forged != canon
    con.execute(
        """UPDATE audit_log SET canon = ?, payload = '{"i":4,"result":"deny","x":0.1}'
           WHERE seq = 6""",
        [forged],
    )
    con.close()
    r = _verify(db)
    assert (r.ok, r.first_bad_seq) == (False, 6)
    assert r.problem == audit.HASH_MISMATCH.format(seq=6)


def test_delete_is_detected(log: tuple[Path, AuditHead]) -> None:
    db, _ = log
    _tamper(db, "DELETE FROM audit_log WHERE seq = 5")
    r = _verify(db)
    assert (r.ok, r.first_bad_seq) == (False, 6)
    assert r.problem == audit.SEQ_GAP.format(seq=6, expected=5)


def test_swap_is_detected(log: tuple[Path, AuditHead]) -> None:
    db, _ = log
    _tamper(
        db,
        "CREATE TEMP TABLE s AS SELECT * FROM audit_log WHERE seq IN (4, 5)",
        "DELETE FROM audit_log WHERE seq IN (4, 5)",
        "INSERT INTO audit_log SELECT 9 - seq AS seq, * EXCLUDE (seq) FROM s",
    )
    r = _verify(db)
    assert (r.ok, r.first_bad_seq) == (False, 4)
    assert r.problem == audit.PREV_MISMATCH.format(seq=4, prev=3)


def test_inserted_forged_row_is_detected(log: tuple[Path, AuditHead]) -> None:
    """A row slipped in after seq 5, later rows renumbered to keep seq dense."""
    db, _ = log
    con = _raw(db)
    prev = con.execute("SELECT row_hash FROM audit_log WHERE seq = 5").fetchall()[0][0]
    row = next(
        audit.chain_rows(
            AuditHead(5, prev),
            [("2026-01-01T00:00:00.000000Z", "approve", "mallory", "m@1", {"by": "mallory"})],
        )
    )
    rest = con.execute("SELECT * FROM audit_log WHERE seq > 5 ORDER BY seq").fetchall()
    con.execute("DELETE FROM audit_log WHERE seq > 5")
    con.execute("INSERT INTO audit_log VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", list(row))
    for r in rest:
        con.execute("INSERT INTO audit_log VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", [r[0] + 1, *r[1:]])
    con.close()
    r = _verify(db)
    assert (r.ok, r.first_bad_seq) == (False, 7)
    assert r.problem == audit.PREV_MISMATCH.format(seq=7, prev=6)


def test_truncation_needs_the_anchor(log: tuple[Path, AuditHead]) -> None:
    db, tip = log
    _tamper(db, "DELETE FROM audit_log WHERE seq > 7")
    plain = _verify(db)
    assert plain.ok and plain.head.seq == 7  # undetectable without an anchor (by design)
    r = _verify(db, anchor=tip)
    assert (r.ok, r.first_bad_seq) == (False, 8)
    assert r.problem == audit.TRUNCATED.format(head=7, anchor=10)


def test_full_rechain_needs_the_anchor(log: tuple[Path, AuditHead]) -> None:
    """Edit row 3 and recompute every later hash: consistent chain, different head."""
    db, tip = log
    con = _raw(db)
    rows = con.execute(
        "SELECT seq, ts, actor, action, subject, payload FROM audit_log ORDER BY seq"
    ).fetchall()
    entries = [
        (ts, action, actor, subject, json.loads(p)) for _, ts, actor, action, subject, p in rows
    ]
    entries[2][4]["result"] = "forged"
    con.execute("DELETE FROM audit_log")
    for row in audit.chain_rows(AuditHead(0, audit.GENESIS), entries):
        con.execute("INSERT INTO audit_log VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", list(row))
    con.close()
    assert _verify(db).ok
    r = _verify(db, anchor=tip)
    assert (r.ok, r.first_bad_seq) == (False, 10)
    assert r.problem == audit.REWRITTEN.format(seq=10)


def test_older_anchor_still_checks_prefix(log: tuple[Path, AuditHead]) -> None:
    db, _ = log
    con = _raw(db)
    h4 = con.execute("SELECT row_hash FROM audit_log WHERE seq = 4").fetchall()[0][0]
    con.close()
    assert _verify(db, anchor=AuditHead(4, h4)).ok
    assert not _verify(db, anchor=AuditHead(4, "f" * 64)).ok


@pytest.mark.parametrize(
    ("payload", "fragment"),
    [
        ({"x": float("nan")}, "nan"),
        ({"x": float("inf")}, "inf"),
        ({"x": 2**53}, "9007199254740992"),
    ],
)
def test_unrepresentable_values_are_refused_and_nothing_written(
    db_path: Path, payload: dict[str, object], fragment: str
) -> None:
    with Store.open(db_path, create=True) as store:
        with pytest.raises(UserInputError, match=fragment), store.transaction() as conn:
            conn.execute("INSERT INTO schema_version VALUES (99, TIMESTAMP '2026-01-01 00:00:00')")
            audit.append(conn, action="scan", subject="m@1", payload=payload)
        assert store.query("SELECT count(*) FROM audit_log") == [(1,)]
        assert store.query("SELECT count(*) FROM schema_version WHERE version = 99") == [(0,)]


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (1e-7, b"1e-7"),
        (-0.0, b"0"),
        (100.0, b"100"),
        (1e21, b"1e+21"),
        (2**53 - 1, b"9007199254740991"),
        ("\u00e9\u20ac", '"\u00e9\u20ac"'.encode()),
    ],
)
def test_canonical_numbers_and_text(value: object, text: bytes) -> None:
    assert audit.canonical({"v": value}) == b'{"v":' + text + b"}"


def test_canonical_key_order() -> None:
    assert audit.canonical({"b": 1, "a": {"d": 2, "c": 3}}) == b'{"a":{"c":3,"d":2},"b":1}'


@pytest.mark.parametrize("tz", ["UTC", "America/New_York", "Asia/Kolkata"])
def test_verify_is_independent_of_duckdb_timezone(log: tuple[Path, AuditHead], tz: str) -> None:
    db, tip = log
    con = duckdb.connect(str(db), read_only=True)
    con.execute(f"SET TimeZone = '{tz}'")
    r = audit.verify(con, anchor=tip)
    con.close()
    assert r.ok and r.head == tip


@pytest.mark.parametrize("tz", ["America/New_York", "Asia/Kolkata"])
def test_cli_verify_is_independent_of_process_tz(log: tuple[Path, AuditHead], tz: str) -> None:
    db, tip = log
    env = {**os.environ, "TZ": tz}
    out = subprocess.run(
        [GOVERN, "--db", str(db), "audit", "verify", "--format", "json"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert out.returncode == 0, out.stderr
    doc = json.loads(out.stdout)
    assert doc["head"] == {"format": 1, "seq": tip.seq, "hash": tip.hash}


def test_appends_in_a_rolled_back_transaction_vanish(db_path: Path) -> None:
    with Store.open(db_path, create=True) as store:
        before = audit.head(store.conn)
        with pytest.raises(RuntimeError), store.transaction() as conn:
            audit.append(conn, action="scan", subject="m@1", payload={"a": 1})
            raise RuntimeError("crash between statements")
        assert audit.head(store.conn) == before
        assert audit.verify(store.conn).ok


def test_read_anchor_rejects_bad_files() -> None:
    with pytest.raises(UserInputError, match="not an audit head file"):
        audit.read_anchor("{}", "h.json")
    with pytest.raises(UserInputError, match="64-hex-digit"):
        audit.read_anchor('{"seq": 1, "hash": "x"}', "h.json")
