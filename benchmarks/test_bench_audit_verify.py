"""`audit.verify` on a 100 000-row chain (target: under 5 s on one core).

Run: .venv/bin/python -m pytest benchmarks/test_bench_audit_verify.py --benchmark-enable -q -s
The chain is built with the same `chain_rows` the writer uses and bulk-loaded through Arrow.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import pyarrow as pa
import pytest

from govern.store import Store, audit
from govern.store.audit import AuditHead

ROWS = 100_000
AUDIT_COLUMNS = audit._AUDIT_COLUMNS  # the table layout, defined once in store/audit.py


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
        names = list(AUDIT_COLUMNS)
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


@pytest.fixture(scope="module")
def content_log(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """100k audit rows that are all content-covered: 50k decisions and 50k scans x 8 metrics."""
    from datetime import datetime

    from govern.store import _digest

    db = tmp_path_factory.mktemp("audit") / "content.duckdb"
    half = ROWS // 2
    at = datetime(2026, 11, 23, 19, 0, 0)
    decisions, scans, evidence, entries = [], [], [], []
    for i in range(half):
        d = [
            f"d-{i}",
            f"model-{i % 50}",
            str(i % 7),
            "validation",
            "allow" if i % 3 else "deny",
            '[{"control": "MRM-VAL-03", "kind": "deny", "msg": "no validator"}]',
            "b" * 64,
            "i" * 64,
            json.dumps({"model": {"name": f"model-{i % 50}", "risk_tier": 1, "auc": i / 7}}),
            "regorus",
            "0.5.0",
            at,
        ]
        decisions.append(d)
        s = [f"s-{i}", d[1], d[2], "drift", 1000, '[{"path": "/a.parquet", "rows": 1000}]', "{}"]
        s += ["0.1", at, at]
        scans.append(s)
        ev = [
            [s[0], d[1], d[2], "drift", f"f{k}", "psi", (i + k) / 13, "ok", None, None, at]
            for k in range(8)
        ]
        evidence.extend(ev)
        entries.append(
            (
                "2026-11-23T19:00:00.000000Z",
                "decision",
                "bench",
                f"{d[1]}@{d[2]}",
                {"decision_id": d[0], "content_sha256": _digest.decision_digest(d)},
            )
        )
        entries.append(
            (
                "2026-11-23T19:00:00.000000Z",
                "scan",
                "bench",
                f"{d[1]}@{d[2]}",
                {"scan_id": s[0], "metrics": 8, "content_sha256": _digest.scan_digest(s, ev)},
            )
        )
    with Store.open(db, create=True) as store:
        start = audit.head(store.conn)
        rows = list(audit.chain_rows(start, entries[: ROWS - start.seq]))
        for table, cols, data in (
            ("decisions", _digest.DECISION_COLUMNS, decisions),
            ("scans", _digest.SCAN_COLUMNS, scans),
            ("evidence", _digest.EVIDENCE_COLUMNS, evidence),
            ("audit_log", AUDIT_COLUMNS, rows),
        ):
            arrow = pa.table(
                {
                    c: pa.array(v, type=pa.binary() if c == "canon" else None)
                    for c, v in zip(cols, zip(*data, strict=True), strict=True)
                }
            )
            store.conn.register("bulk", arrow)
            store.conn.execute(f"INSERT INTO {table} ({', '.join(cols)}) SELECT * FROM bulk")
            store.conn.unregister("bulk")
        # the record the last entry would have made was cut by the migration's seq 1
        store.conn.execute(f"DELETE FROM evidence WHERE scan_id = 's-{half - 1}'")
        store.conn.execute(f"DELETE FROM scans WHERE scan_id = 's-{half - 1}'")
    return db


def test_verify_100k_with_content(benchmark, content_log: Path) -> None:  # type: ignore[no-untyped-def]
    with Store.open(content_log, read_only=True) as store:
        result = benchmark.pedantic(lambda: audit.verify(store.conn), rounds=3, iterations=1)
    assert result.ok, result.problem
    assert (result.rows, result.content_covered) == (ROWS, ROWS - 1)
