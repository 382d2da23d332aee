"""Partial rows are bound by digests of the values written (each state hashed once).

`write_partials` computes each row's digest itself instead of reading ~100 KB states back;
`audit verify` reads the table and must compute the same digest, for any state text and key
values. Rows bound by older versions (the whole state text inside the row's digest) must
still verify, and an edit of them must still be caught.
"""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest

from govern.store import Store, audit
from govern.store._state import row_digest, table_digest, verify_state
from govern.store.profiles import write_partials

CONFIG = "c" * 64


def _store(tmp_path: Path) -> Store:
    return Store.open(tmp_path / "g.duckdb", create=True)


def _write(store: Store, partials: list[tuple[str, int, float, str, int, str]]) -> None:
    with store.transaction() as conn:
        bound = write_partials(conn, CONFIG, partials)
        audit.append(conn, action="scan", subject="m@1", payload={"test": 1}, rows=bound)


def _problem(store: Store) -> str | None:
    return verify_state(store.conn).problem


STATES = {
    "ascii": json.dumps({"states": [{"rows": 3, "histogram": "d1:eAFjYGBgAAAABAAB"}]}),
    "non-ascii": json.dumps({"states": [{"café": 1, "東京": 2}]}, ensure_ascii=False),
    "escapes": json.dumps({"states": [{"q": 'a"b\\c\n\t', "u": "\u2028"}]}),
    "large": json.dumps({"states": [{"h": "A" * 200_000}]}),
}
KEYS = {
    "fractional mtime": ("/logs/a.parquet", 1_234, 1_733_000_000.123456),
    "integral mtime": ("/logs/b.parquet", 0, 1_733_000_000.0),
    "big size": ("/logs/ç d.parquet", 2**40 + 7, 0.5),
}


@pytest.mark.parametrize("state", STATES.values(), ids=STATES.keys())
@pytest.mark.parametrize("key", KEYS.values(), ids=KEYS.keys())
def test_written_digest_is_what_verify_reads(
    tmp_path: Path, state: str, key: tuple[str, int, float]
) -> None:
    with _store(tmp_path) as store:
        with store.transaction() as conn:
            bound = write_partials(conn, CONFIG, [(*key, "f" * 64, 42, state)])
            cur = conn.execute("SELECT * FROM scan_partials")
            columns = [d[0] for d in cur.description or []]
            row = cur.fetchone()
            assert row is not None
            assert bound[0][2] == table_digest("scan_partials", columns, row)  # type: ignore[misc]
            audit.append(conn, action="scan", subject="m@1", payload={}, rows=bound)
        assert _problem(store) is None


def test_a_rescan_replacing_a_partial_verifies(tmp_path: Path) -> None:
    path, size, mtime = KEYS["fractional mtime"]
    with _store(tmp_path) as store:
        _write(store, [(path, size, mtime, "a" * 64, 1, STATES["ascii"])])
        # same primary key (the footer fingerprint is not part of it): replaced, re-bound
        _write(store, [(path, size, mtime, "b" * 64, 2, STATES["escapes"])])
        assert store.query("SELECT fingerprint, rows FROM scan_partials") == [("b" * 64, 2)]
        assert _problem(store) is None


def test_text_that_is_not_json_names_its_file_and_stores_nothing(tmp_path: Path) -> None:
    good = ("/logs/a.parquet", 1, 1.0, "f" * 64, 1, STATES["ascii"])
    bad = ("/logs/bad.parquet", 1, 1.0, "f" * 64, 1, '{"states": [oops]}')
    with _store(tmp_path) as store:
        with pytest.raises(ValueError, match=r"/logs/bad.parquet: its partial state is not JSON"):
            _write(store, [good, bad])
        assert store.query("SELECT count(*) FROM scan_partials") == [(0,)]
        assert _problem(store) is None


@pytest.mark.parametrize(
    "edit",
    [
        "UPDATE scan_partials SET state = CAST('{\"states\": []}' AS JSON)",
        "UPDATE scan_partials SET rows = rows + 1",
        "DELETE FROM scan_partials",
    ],
    ids=["state", "rows", "delete"],
)
def test_rows_bound_by_older_versions_still_verify_and_edits_are_caught(
    tmp_path: Path, edit: str
) -> None:
    """A record written before states were hashed binds the digest of the whole row."""
    with _store(tmp_path) as store:
        with store.transaction() as conn:
            write_partials(
                conn, CONFIG, [(*KEYS["fractional mtime"], "f" * 64, 7, STATES["large"])]
            )
            cur = conn.execute("SELECT * FROM scan_partials")
            columns = [d[0] for d in cur.description or []]
            row = cur.fetchone()
            assert row is not None
            legacy = row_digest(columns, row)
            assert legacy != table_digest("scan_partials", columns, row)
            key = dict(zip(columns, row, strict=True))
            audit.append(
                conn,
                action="scan",
                subject="m@1",
                payload={},
                rows=[("scan_partials", key, legacy)],
            )
        assert _problem(store) is None
        db = store.path
    con = duckdb.connect(str(db))
    try:
        con.execute(edit)
    finally:
        con.close()
    with Store.open(db) as store:
        problem = _problem(store)
    assert problem is not None and "table scan_partials" in problem
