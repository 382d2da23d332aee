"""Batched recording: one INSERT per table (a list per column) and the spliced input digest.

`check --all` hands record_decisions the canonical bytes of each input (computed once for
its input_hash); the content digest splices them into the row instead of canonicalising
the stored input again. The digest must be the one `audit verify` recomputes from the
stored row, for every kind of input the canonical form treats specially.
"""

from __future__ import annotations

import datetime
import hashlib
import json
from pathlib import Path
from typing import Any

import duckdb
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from govern.policy._input import canonical_input
from govern.results import Decision, Violation
from govern.store import Store, _digest, audit
from govern.store.bulk import _column_types, insert_rows
from govern.store.decisions import _COLUMNS, _row, record_decisions

INPUTS: list[dict[str, Any]] = [
    {"model": {"name": "m"}, "now": "2026-11-23T00:00:00Z"},
    {"x": 1.0, "y": 2.5, "z": 1e-05, "w": 1e20, "v": 123456789012345678.0},  # integral/exponent
    {"clé": "é", "emoji": "🙂", "k": [None, True, False, -0.0]},  # non-ASCII keys and values
    {"n": 2**53 - 1, "m": -(2**53) + 1, "f": 0.1 + 0.2, "g": 5e-324, "h": 1.7976931348623157e308},
    {"nested": {"b": [{"d": 1, "c": [2, {"e": "\u2028"}]}], "a": {}}},
]

JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**53) + 1, max_value=2**53 - 1)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner, max_size=4)
    ),
    max_leaves=20,
)


def _decision(input_doc: dict[str, Any], n: int = 0) -> Decision:
    return Decision(
        decision_id=f"d-{n}",
        model="m",
        version="1",
        stage="production",
        allowed=False,
        violations=(
            Violation("deny", "MRM-INV-01", "unregistered", "high", "govern.controls.mrm"),
        ),
        bundle_hash="b" * 64,
        input_hash=hashlib.sha256(canonical_input(input_doc)).hexdigest(),
        engine="regorus",
        engine_version="0.13.0",
        decided_at="2026-11-23T00:00:00.123456Z",
        packages=("govern.controls.mrm",),
    )


@pytest.mark.parametrize("doc", INPUTS)
def test_spliced_digest_equals_the_stored_rows_digest(doc: dict[str, Any]) -> None:
    row = _row(_decision(doc), doc)
    assert _digest.decision_digest(row, canonical_input(doc)) == _digest.decision_digest(row)


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(st.text(max_size=6), JSON, max_size=6))
def test_spliced_digest_equals_for_generated_inputs(doc: dict[str, Any]) -> None:
    row = _row(_decision(doc), doc)
    assert _digest.decision_digest(row, canonical_input(doc)) == _digest.decision_digest(row)


def test_recorded_batch_verifies_and_matches_one_by_one(tmp_path: Path) -> None:
    items = [(_decision(doc, n), doc) for n, doc in enumerate(INPUTS)]
    db = tmp_path / "g.duckdb"
    with Store.open(db, create=True) as store:
        record_decisions(store, items, canonical=[canonical_input(d) for _, d in items])
        stored = store.query("SELECT decision_id, input FROM decisions ORDER BY decision_id")
    con = duckdb.connect(str(db), read_only=True)
    try:
        report = audit.verify(con)
    finally:
        con.close()
    assert report.ok and report.content_covered == len(items), report
    assert [(i, json.loads(t)) for i, t in stored] == [(d.decision_id, doc) for d, doc in items]


def test_canonical_bytes_of_another_input_are_refused(tmp_path: Path) -> None:
    doc, other = INPUTS[0], INPUTS[1]
    with Store.open(tmp_path / "g.duckdb", create=True) as store:
        with pytest.raises(ValueError, match="canonical input does not match its hash"):
            record_decisions(store, [(_decision(doc), doc)], canonical=[canonical_input(other)])
        assert store.query("SELECT count(*) FROM decisions") == [(0,)]


def test_insert_rows_stores_what_row_by_row_inserts_store() -> None:
    """Every column type the batches write, with NULLs, zero bytes and microseconds."""
    conn = duckdb.connect()
    ddl = """(s VARCHAR, j JSON, t TIMESTAMP, b BLOB, n BIGINT, x DOUBLE, k BOOLEAN)"""
    conn.execute(f"CREATE TABLE a {ddl}")
    conn.execute(f"CREATE TABLE b {ddl}")
    when = datetime.datetime(2026, 11, 23, 1, 2, 3, 456789)
    rows = [
        ("é\u2028'\"", '{"a": [1, 2.5]}', when, b"\x00\xff\n", 2**62, 1e-300, True),
        (None, None, None, None, None, None, None),
        ("", "[]", when, b"", -(2**63), -0.0, False),
    ]
    cols = ("s", "j", "t", "b", "n", "x", "k")
    insert_rows(conn, "a", cols, rows)
    conn.executemany("INSERT INTO b VALUES (?, ?, ?, ?, ?, ?, ?)", rows)
    got = conn.execute("SELECT * FROM a").fetchall()
    assert got == conn.execute("SELECT * FROM b").fetchall()
    assert got[0][3] == b"\x00\xff\n" and got[0][2] == when


def test_decisions_batch_uses_the_decision_columns() -> None:
    assert tuple(_COLUMNS) == _digest.DECISION_COLUMNS


def test_column_types_are_the_catalogues_for_every_store_table(tmp_path: Path) -> None:
    """The UNNEST casts of insert_rows name each column's type as duckdb_columns() does."""
    with Store.open(tmp_path / "g.duckdb", create=True) as store:
        conn = store.conn
        tables = [t for (t,) in conn.execute("SELECT table_name FROM duckdb_tables()").fetchall()]
        assert {"decisions", "audit_log", "decision_overlays"} <= set(tables)
        for table in tables:
            catalogue = conn.execute(
                "SELECT column_name, data_type FROM duckdb_columns() WHERE table_name = ?",
                [table],
            ).fetchall()
            assert _column_types(conn, table) == dict(catalogue), table
