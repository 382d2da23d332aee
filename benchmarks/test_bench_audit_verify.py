"""`audit.verify` on a 100 000-row chain (target: under 5 s on one core).

Run: .venv/bin/python -m pytest benchmarks/test_bench_audit_verify.py --benchmark-enable -q -s
The chain is built with the same `chain_rows` the writer uses and bulk-loaded through Arrow.
"""

from __future__ import annotations

import time
from pathlib import Path

import pyarrow as pa
import pytest

from govern.store import Store, audit
from govern.store.audit import AuditHead

ROWS = 100_000


@pytest.fixture(scope="module")
def big_log(tmp_path_factory: pytest.TempPathFactory) -> Path:
    db = tmp_path_factory.mktemp("audit") / "big.duckdb"
    with Store.open(db, create=True) as store:
        start = audit.head(store.conn)
        entries = (
            (
                f"2026-11-23T19:00:00.{i % 1_000_000:06d}Z",
                "decision",
                "bench",
                f"model-{i % 50}@{i % 7}",
                {"decision_id": f"d-{i}", "result": "allow" if i % 3 else "deny", "psi": i / 7},
            )
            for i in range(ROWS - start.seq)
        )
        t0 = time.perf_counter()
        rows = list(audit.chain_rows(start, entries))
        cols = list(zip(*rows, strict=True))
        names = [
            "seq",
            "ts",
            "actor",
            "action",
            "subject",
            "payload",
            "canon",
            "prev_hash",
            "row_hash",
        ]
        table = pa.table(
            {
                n: pa.array(c, type=pa.binary() if n == "canon" else None)
                for n, c in zip(names, cols, strict=True)
            }
        )
        store.conn.register("bulk", table)
        store.conn.execute("INSERT INTO audit_log SELECT * FROM bulk")
        store.conn.unregister("bulk")
        print(f"\nbuilt and loaded {ROWS} chained rows in {time.perf_counter() - t0:.2f} s")
    return db


def test_verify_100k(benchmark, big_log: Path) -> None:  # type: ignore[no-untyped-def]
    with Store.open(big_log, read_only=True) as store:
        result = benchmark.pedantic(lambda: audit.verify(store.conn), rounds=3, iterations=1)
        tip = audit.head(store.conn)
    assert result.ok and result.rows == ROWS and result.head == tip
    with Store.open(big_log, read_only=True) as store:
        assert audit.verify(store.conn, anchor=AuditHead(tip.seq, tip.hash)).ok
