"""`Store.transaction(checkpoint=True)`: the commit checkpoints instead of writing DuckDB's log.

A scan's partial states (~1 GB for 10,000 files of every family) went to the write-ahead
log and were written again by the checkpoint at close (benchmarks/README.md, "Driver
merge"). Committing by a checkpoint must store the same rows, leave no log behind, restore
the checkpoint threshold, and store nothing when the block raises.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from govern.store import Store


def _threshold(store: Store) -> str:
    return str(store.query("SELECT current_setting('checkpoint_threshold')")[0][0])


def _wal(store: Store) -> Path:
    return Path(f"{store.path}.wal")


def _fill(store: Store, checkpoint: bool) -> None:
    with store.transaction(checkpoint=checkpoint) as conn:
        conn.execute("CREATE TABLE IF NOT EXISTS t (i BIGINT, s VARCHAR)")
        conn.execute("INSERT INTO t SELECT i, repeat(i::VARCHAR, 5000) FROM range(2000) r(i)")


def test_the_commit_writes_the_database_not_the_log(tmp_path: Path) -> None:
    with Store.open(tmp_path / "g.duckdb", create=True) as store:
        store.conn.execute("CHECKPOINT")
        before = _threshold(store)
        _fill(store, checkpoint=False)
        assert _wal(store).exists() and _wal(store).stat().st_size > 1_000_000
        store.conn.execute("CHECKPOINT")
        _fill(store, checkpoint=True)
        assert not _wal(store).exists() or _wal(store).stat().st_size == 0
        assert _threshold(store) == before
    with Store.open(tmp_path / "g.duckdb", read_only=True) as store:
        assert store.query("SELECT count(*), sum(length(s)) FROM t") == [
            (4000, 2 * sum(5000 * len(str(i)) for i in range(2000)))
        ]


def test_a_failed_block_stores_nothing_and_keeps_the_threshold(tmp_path: Path) -> None:
    with Store.open(tmp_path / "g.duckdb", create=True) as store:
        with store.transaction() as conn:
            conn.execute("CREATE TABLE t (i BIGINT)")
        before = _threshold(store)
        with pytest.raises(RuntimeError, match="boom"), store.transaction(checkpoint=True) as c:
            c.execute("INSERT INTO t SELECT * FROM range(1000)")
            raise RuntimeError("boom")
        assert store.query("SELECT count(*) FROM t") == [(0,)]
        assert _threshold(store) == before
