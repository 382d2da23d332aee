"""Incremental re-scans for every family: stored per-file partials equal a full scan.

A card that names fairness, performance and operational columns; files with several row
groups; real DuckDB, real parquet. A re-scan after one new file must read only that file and
store evidence identical to a full scan of all files, for drift, fairness, performance and
operational rows alike. The one exception is freshness (the age of the newest row at the
scan's start time): it differs between two scans by construction, so the comparisons mask
its value and its "now", and check instead that it is computed against the scan's own time.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from govern.cards import parse_card
from govern.cli import main
from govern.clock import parse_rfc3339
from govern.lifecycle import ModelRef
from govern.runner.baseline import baseline
from govern.runner.scan import scan
from govern.store import Store
from govern.store.registry import upsert_card

CARD = """name: m
version: "1"
owner: o@example.com
risk_tier: 2
use_case: test
monitoring:
  features: [f0, c]
  prediction: score
  threshold: 0.5
  label: label
  protected: [group, [group, region]]
  min_group_size: 10
  latency: latency_ms
  error_code: error_code
  timestamp: ts
"""
FAMILIES = ("drift", "fairness", "performance", "operational")


def _table(seed: int, n: int, day: int) -> pa.Table:
    rng = np.random.default_rng(seed)
    group = rng.choice(["a", "b", "c"], size=n)
    score = rng.random(n)
    score[rng.random(n) < 0.01] = np.nan
    label = pa.array((rng.random(n) < score).astype(np.int64), mask=rng.random(n) < 0.2)
    start = datetime(2026, 11, day)
    ts = [start + timedelta(seconds=int(s)) for s in np.sort(rng.integers(0, 86_400, n))]
    lat = rng.gamma(2.0, 20.0, size=n)
    lat[rng.random(n) < 0.01] = np.inf
    return pa.table(
        {
            "f0": rng.normal(0.1 * day, 1.0, n),
            "c": rng.choice(["x", "y", "z"], n),
            "score": score,
            "label": label,
            "group": group,
            "region": rng.choice(np.array([1, 2]), n),
            "latency_ms": lat,
            "error_code": pa.array(
                np.where(rng.random(n) < 0.05, "E500", None).tolist(), type=pa.string()
            ),
            "ts": pa.array(ts, type=pa.timestamp("us")),
        }
    )


@pytest.fixture
def setup(tmp_path: Path) -> dict[str, Any]:
    pq.write_table(_table(1, 4_000, 1), tmp_path / "train.parquet")
    logs = tmp_path / "logs"
    logs.mkdir()
    for day in (1, 2, 3):
        pq.write_table(_table(10 + day, 3_000, day), logs / f"day{day}.parquet", row_group_size=700)
    db = tmp_path / "g.duckdb"
    with Store.open(db, create=True) as store:
        upsert_card(store, parse_card(CARD, "m.yaml"))
        baseline(store, ModelRef("m", "1"), data=[tmp_path / "train.parquet"])
    return {"db": db, "logs": logs, "tmp": tmp_path}


def _scan(db: Path, logs: Path, **kw: Any) -> tuple[list[tuple], dict[str, Any], str]:
    with Store.open(db) as store:
        result = scan(store, ModelRef("m", "1"), data=[logs], **kw)
    con = duckdb.connect(str(db), read_only=True)
    rows = con.execute(
        "SELECT family, subject, metric, value, status, reason, detail FROM evidence "
        "WHERE scan_id = ? ORDER BY family, subject, metric",
        [result.scan_id],
    ).fetchall()
    params = json.loads(
        con.execute("SELECT params FROM scans WHERE scan_id = ?", [result.scan_id]).fetchone()[0]
    )
    con.close()
    return rows, params, result.scanned_at


def _timeless(rows: list[tuple], scanned_at: str) -> list[tuple]:
    """Rows with freshness's value and "now" masked, after checking both against the scan time.

    Freshness must be measured against the scan's own start time (its `scanned_at`): the
    same instant for every row of the scan, and the value is exactly now - newest row time.
    """
    out, seen = [], 0
    for family, subject, metric, value, status, reason, detail in rows:
        if metric == "freshness_seconds":
            d = json.loads(detail)
            assert d.pop("now") == scanned_at
            age = (parse_rfc3339(scanned_at) - parse_rfc3339(d["last"])).total_seconds()
            assert status == "ok" and value == pytest.approx(age, abs=1e-5)
            value, detail, seen = "<scan time>", json.dumps(d, sort_keys=True), seen + 1
        out.append((family, subject, metric, value, status, reason, detail))
    assert seen == 1
    return out


def _by_family(rows: list[tuple]) -> dict[str, list[tuple]]:
    return {f: [r for r in rows if r[0] == f] for f in FAMILIES}


def test_incremental_rescan_equals_full_scan_for_every_family(setup: dict[str, Any]) -> None:
    db, logs = setup["db"], setup["logs"]
    _, params, _ = _scan(db, logs)
    assert (params["files_read"], params["files_reused"]) == (3, 0)
    pq.write_table(_table(99, 2_500, 4), logs / "day4.parquet", row_group_size=600)
    rows, params, at = _scan(db, logs)
    assert (params["files_read"], params["files_reused"]) == (1, 3)
    incremental = _by_family(_timeless(rows, at))
    rows, params, at = _scan(db, logs, incremental=False)
    assert (params["files_read"], params["files_reused"]) == (4, 0)
    full = _by_family(_timeless(rows, at))
    for family in FAMILIES:
        assert full[family], f"no {family} rows: the card names its columns"
        assert incremental[family] == full[family], family
    # Nothing new: every file comes from the stored partials, same evidence again.
    rows, params, at = _scan(db, logs)
    assert (params["files_read"], params["files_reused"]) == (0, 4)
    assert _by_family(_timeless(rows, at)) == full


def test_threads_do_not_change_any_family(setup: dict[str, Any]) -> None:
    db, logs = setup["db"], setup["logs"]
    one = _scan(db, logs, threads=1, incremental=False)
    two = _scan(db, logs, threads=2, incremental=False)
    assert _timeless(one[0], one[2]) == _timeless(two[0], two[2])


def test_a_card_change_invalidates_the_stored_partials(setup: dict[str, Any]) -> None:
    db, logs = setup["db"], setup["logs"]
    _scan(db, logs)
    with Store.open(db) as store:
        upsert_card(store, parse_card(CARD.replace("threshold: 0.5", "threshold: 0.7"), "m.yaml"))
    rows, params, at = _scan(db, logs)
    assert (params["files_read"], params["files_reused"]) == (3, 0)
    full, _, full_at = _scan(db, logs, incremental=False)
    assert _timeless(rows, at) == _timeless(full, full_at)
    detail = next(json.loads(r[6]) for r in rows if r[2] == "demographic_parity_difference")
    assert detail["threshold"] == 0.7


def test_a_bad_new_file_stores_nothing(setup: dict[str, Any]) -> None:
    db, logs = setup["db"], setup["logs"]
    _scan(db, logs)
    con = duckdb.connect(str(db), read_only=True)
    before = [
        con.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
        for t in ("scans", "evidence", "scan_partials")
    ]
    con.close()
    assert before[2] == 3
    good = (logs / "day1.parquet").read_bytes()
    (logs / "day9.parquet").write_bytes(good[: len(good) // 2])
    assert main(["--db", str(db), "-q", "scan", "m@1", "--data", str(logs)]) == 2
    con = duckdb.connect(str(db), read_only=True)
    after = [
        con.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
        for t in ("scans", "evidence", "scan_partials")
    ]
    con.close()
    assert after == before
