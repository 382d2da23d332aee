"""SIGKILL `govern register` and `govern scan` at random points; nothing half-written survives.

After every kill: the database opens, the audit chain verifies, every acknowledged batch is
present and whole, and no partial batch exists (every scan has all its evidence rows and
its audit record; every registration has its lifecycle event and audit record).
"""

from __future__ import annotations

import json
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from govern.cli import main
from govern.store import Store, audit

from . import crash_worker

pytestmark = pytest.mark.slow  # ~35 s alone, ~70 s on a loaded 2-core machine

TRIALS = 20
WORKER = Path(crash_worker.__file__)
FEATURES = 2
METRICS_PER_FEATURE = 7  # psi, chi2, p_value, missing_rate(+change), out_of_range, inf


def _setup(tmp: Path) -> Path:
    db = tmp / "crash.duckdb"
    rng = np.random.default_rng(7)
    for name in ("base", "cur"):
        table = pa.table({"a": rng.normal(size=300), "b": rng.normal(size=300)})
        pq.write_table(table, tmp / f"{name}.parquet")
    card = tmp / "card-0.yaml"
    card.write_text(crash_worker.CARD.format(version=0))
    assert main(["--db", str(db), "init"]) == 0
    assert main(["--db", str(db), "-q", "register", str(card)]) == 0
    return db


def _kill_at_random(
    mode: str, db: Path, tmp: Path, start: int, rng: random.Random, *, wait_for_ack: bool
) -> list[int]:
    proc = subprocess.Popen(
        [sys.executable, str(WORKER), mode, str(db), str(tmp), str(start)],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    assert proc.stdout is not None
    assert proc.stdout.readline().strip() == "READY"
    seen = []
    if wait_for_ack:  # so that some kills land after commits even on a loaded machine
        while not (line := proc.stdout.readline()).startswith(("ACK ", "FAIL")):
            assert line, "worker exited early"
        seen.append(line)
    time.sleep(rng.uniform(0.0, 0.4))
    proc.send_signal(signal.SIGKILL)
    out = "".join(seen) + proc.stdout.read()
    proc.wait()
    proc.stdout.close()
    assert "FAIL" not in out
    return [int(line.split()[1]) for line in out.splitlines() if line.startswith("ACK ")]


def _check_register(db: Path, acked: set[int]) -> None:
    with Store.open(db) as store:
        assert audit.verify(store.conn).ok
        versions = {v for (v,) in store.query("SELECT version FROM model_versions")}
        assert {str(i) for i in acked} <= versions
        audited = {
            s.split("@")[1]
            for (s,) in store.query("SELECT subject FROM audit_log WHERE action = 'register'")
        }
        events = store.query("SELECT count(*) FROM lifecycle_events WHERE action = 'register'")
        n_audit = store.query("SELECT count(*) FROM audit_log WHERE action = 'register'")
        assert audited == versions and events == n_audit


def _check_scan(db: Path, n_acked: int) -> None:
    with Store.open(db) as store:
        assert audit.verify(store.conn).ok
        counts = store.query(
            """SELECT s.scan_id, count(e.scan_id) FROM scans s
               LEFT JOIN evidence e USING (scan_id) GROUP BY s.scan_id"""
        )
        assert len(counts) >= n_acked
        assert all(n == FEATURES * METRICS_PER_FEATURE for _, n in counts)  # no partial scan
        orphans = store.query(
            "SELECT count(*) FROM evidence WHERE scan_id NOT IN (SELECT scan_id FROM scans)"
        )
        assert orphans == [(0,)]
        audited = {
            json.loads(p)["scan_id"]
            for (p,) in store.query("SELECT payload FROM audit_log WHERE action = 'scan'")
        }
        assert audited == {sid for sid, _ in counts}


def test_sigkill_register(tmp_path: Path) -> None:
    db = _setup(tmp_path)
    rng = random.Random(1)
    acked: set[int] = set()
    start = 1
    for trial in range(TRIALS):
        got = _kill_at_random("register", db, tmp_path, start, rng, wait_for_ack=trial % 4 == 3)
        acked |= set(got)
        start += 1000
        _check_register(db, acked)
    assert acked  # the kills did land after some commits


def test_sigkill_scan(tmp_path: Path) -> None:
    db = _setup(tmp_path)
    rng = random.Random(2)
    n_acked = 0
    for trial in range(TRIALS):
        got = _kill_at_random("scan", db, tmp_path, 0, rng, wait_for_ack=trial % 4 == 3)
        n_acked += len(got)
        _check_scan(db, n_acked)
    assert n_acked


def test_sigkill_scan_committed_by_checkpoint(tmp_path: Path) -> None:
    # A scan whose partials are large commits by a checkpoint instead of through DuckDB's
    # write-ahead log (Store.transaction(checkpoint=True)); the worker makes every scan do
    # so. A kill during that checkpoint must leave the database as it was before the scan.
    db = _setup(tmp_path)
    rng = random.Random(3)
    n_acked = 0
    for trial in range(TRIALS):
        got = _kill_at_random("scan-checkpoint", db, tmp_path, 0, rng, wait_for_ack=trial % 4 == 3)
        n_acked += len(got)
        _check_scan(db, n_acked)
    assert n_acked
