"""govern baseline + scan end to end: real parquet, real DuckDB, the compiled kernel."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from govern.cli import main
from govern.lifecycle import ModelRef
from govern.runner.check import build_input
from govern.runner.scan import scan
from govern.store import Store

from .conftest import table


def _evidence(db: Path, scan_id: str | None = None) -> list[tuple]:
    con = duckdb.connect(str(db), read_only=True)
    sid = (
        scan_id
        or con.execute("SELECT scan_id FROM scans ORDER BY finished_at DESC LIMIT 1").fetchone()[0]
    )
    rows = con.execute(
        "SELECT subject, metric, value, status, reason, detail FROM evidence WHERE scan_id = ? "
        "ORDER BY subject, metric",
        [sid],
    ).fetchall()
    con.close()
    return rows


def _timeless(rows: list[tuple]) -> list[tuple]:
    """Evidence rows with the one time-relative value masked: freshness's value and its "now".

    Freshness is the age of the newest row at the scan's start time, so two scans of the same
    data differ in it and in nothing else. Masking it is checked, not blind: the row must be
    there, and its value must be exactly its own `now` minus the newest row time.
    """
    out, seen = [], 0
    for subject, metric, value, status, reason, detail in rows:
        if metric == "freshness_seconds":
            d = json.loads(detail)
            now = datetime.fromisoformat(d.pop("now").replace("Z", "+00:00"))
            last = datetime.fromisoformat(d["last"].replace("Z", "+00:00"))
            assert status == "ok" and value == pytest.approx((now - last).total_seconds(), abs=1e-5)
            value, detail, seen = "<scan time>", json.dumps(d, sort_keys=True), seen + 1
        out.append((subject, metric, value, status, reason, detail))
    assert seen == 1, "the card names a timestamp: one freshness row expected"
    return out


def _scans(db: Path) -> int:
    con = duckdb.connect(str(db), read_only=True)
    n = con.execute("SELECT count(*) FROM scans").fetchone()[0]
    con.close()
    return int(n)


def test_scan_uses_the_stored_profile_and_reaches_the_policy_input(model: dict) -> None:
    db = model["db"]
    assert main(["--db", str(db), "-q", "scan", "m@1", "--data", str(model["logs"])]) == 0
    with Store.open(db) as store:
        doc = build_input(store, "m", "1", "production")["evidence"]["drift"]
    assert doc["rows"] == 6_000 and len(doc["sources"]) == 3
    names = [f["name"] for f in doc["features"]]
    assert names == ["c", "flag", "x", "z"]
    x = next(f for f in doc["features"] if f["name"] == "x")
    assert x["kind"] == "numeric" and x["status"] == "ok"
    for key in (
        "psi",
        "chi2",
        "p_value",
        "missing_rate",
        "missing_rate_change",
        "out_of_range_rate",
        "inf_rate",
    ):
        assert isinstance(x[key], float)
    c = next(f for f in doc["features"] if f["name"] == "c")
    assert c["kind"] == "categorical" and c["unseen_rate"] == 0.0
    assert doc["output"]["name"] == "score" and doc["output"]["psi"] is not None
    assert doc["max_psi"] == max(f["psi"] for f in doc["features"])
    assert doc["profile_id"]


def test_globs_directories_and_files_find_the_same_rows(model: dict) -> None:
    db, logs = model["db"], model["logs"]
    files = [a for p in sorted(logs.rglob("*.parquet")) for a in ("--data", str(p))]
    (logs / "dt=2026-11-01" / "_SUCCESS").write_text("")
    for data in (["--data", str(logs)], ["--data", f"{logs}/dt=*/*.parquet"], files):
        assert main(["--db", str(db), "-q", "scan", "m@1", "--full", *data]) == 0
    con = duckdb.connect(str(db), read_only=True)
    rows = [r[0] for r in con.execute("SELECT rows FROM scans").fetchall()]
    assert rows == [6_000, 6_000, 6_000]


def test_threads_do_not_change_the_evidence(model: dict) -> None:
    db, logs = model["db"], model["logs"]
    ids = []
    for threads in ("1", "2"):
        assert (
            main(
                [
                    "--db",
                    str(db),
                    "-q",
                    "scan",
                    "m@1",
                    "--full",
                    "--threads",
                    threads,
                    "--data",
                    str(logs),
                ]
            )
            == 0
        )
        con = duckdb.connect(str(db), read_only=True)
        ids.append(
            con.execute("SELECT scan_id FROM scans ORDER BY finished_at DESC LIMIT 1").fetchone()[0]
        )
        con.close()
    assert _timeless(_evidence(db, ids[0])) == _timeless(_evidence(db, ids[1]))


def test_incremental_rescan_reads_only_the_new_file(model: dict) -> None:
    db, logs = model["db"], model["logs"]
    assert main(["--db", str(db), "-q", "scan", "m@1", "--data", str(logs)]) == 0
    new = logs / "dt=2026-11-04"
    new.mkdir()
    pq.write_table(table(99, shift=0.5, day=4), new / "part-0.parquet")
    assert main(["--db", str(db), "-q", "scan", "m@1", "--data", str(logs)]) == 0
    incremental = _evidence(db)
    con = duckdb.connect(str(db), read_only=True)
    params = json.loads(
        con.execute("SELECT params FROM scans ORDER BY finished_at DESC LIMIT 1").fetchone()[0]
    )
    con.close()
    assert (params["files_read"], params["files_reused"]) == (1, 3)
    assert main(["--db", str(db), "-q", "scan", "m@1", "--full", "--data", str(logs)]) == 0
    assert _timeless(_evidence(db)) == _timeless(incremental)


def test_time_window_filters_rows(model: dict) -> None:
    db, logs = model["db"], model["logs"]
    argv = ["--db", str(db), "-q", "scan", "m@1", "--data", str(logs)]
    assert main([*argv, "--since", "2026-11-02", "--until", "2026-11-03"]) == 0
    with Store.open(db) as store:
        doc = build_input(store, "m", "1", "production")["evidence"]["drift"]
    expected = table(12, shift=0.2, day=2).num_rows
    assert doc["rows"] == expected
    assert doc["window"]["since"].startswith("2026-11-02")
    t = pa.concat_tables(pq.read_table(p) for p in sorted(logs.rglob("*.parquet")))
    ts = t.column("ts").to_numpy()
    inside = (ts >= np.datetime64("2026-11-02T06:00")) & (ts < np.datetime64("2026-11-03T00:00"))
    assert main([*argv, "--since", "2026-11-02T06:00:00Z", "--until", "2026-11-03"]) == 0
    with Store.open(db) as store:
        assert build_input(store, "m", "1", "production")["evidence"]["drift"]["rows"] == int(
            inside.sum()
        )


def test_on_the_fly_baseline_matches_the_stored_profile(model: dict) -> None:
    db, logs, ref = model["db"], model["logs"], model["ref"]
    assert main(["--db", str(db), "-q", "scan", "m@1", "--full", "--data", str(logs)]) == 0
    stored = [r[:5] for r in _timeless(_evidence(db))]
    assert (
        main(["--db", str(db), "-q", "scan", "m@1", "--baseline", str(ref), "--data", str(logs)])
        == 0
    )
    assert [r[:5] for r in _timeless(_evidence(db))] == stored


def test_extra_accumulators_share_the_single_pass(model: dict) -> None:
    from govern.results import MetricRow

    class RowCount:
        columns = ("score",)

        config: dict = {}

        def __init__(self) -> None:
            self.n = 0

        def to_state(self) -> dict:
            return {"n": self.n}

        def load_state(self, doc: dict) -> RowCount:
            out = RowCount()
            out.n = int(doc["n"])
            return out

        def update(self, batch: pa.Table) -> None:
            self.n += batch.num_rows

        def merge(self, other: RowCount) -> RowCount:
            out = RowCount()
            out.n = self.n + other.n
            return out

        def empty(self) -> RowCount:
            return RowCount()

        def finalize(self) -> list[MetricRow]:
            return [MetricRow("operational", "", "rows", float(self.n))]

    with Store.open(model["db"]) as store:
        result = scan(store, ModelRef("m", "1"), data=[model["logs"]], extra=[RowCount()])
    ops = [m for m in result.metrics if m.family == "operational"]
    assert ops == [MetricRow("operational", "", "rows", 6_000.0)]
    # The extra accumulator forces whole-row-group reads; drift alone reads column by column.
    with Store.open(model["db"]) as store:
        alone = scan(store, ModelRef("m", "1"), data=[model["logs"]], extra=[], incremental=False)
    drift = [m for m in result.metrics if m.family == "drift"]
    assert drift and drift == list(alone.metrics)


def test_card_binning_options(model: dict) -> None:
    card = model["tmp"] / "m.yaml"
    card.write_text(
        card.read_text()
        + "  binning:\n    strategy: uniform\n    bins: 5\n    edges:\n      z: [0.5, 1, 2, 4]\n"
    )
    db = model["db"]
    assert main(["--db", str(db), "register", str(card)]) == 0
    assert main(["--db", str(db), "baseline", "m@1", "--data", str(model["ref"])]) == 0
    with Store.open(db) as store:
        from govern.store.profiles import latest_profile

        cols = {c["name"]: c for c in latest_profile(store, "m", "1")["profile"]["columns"]}
    assert cols["x"]["strategy"] == "uniform" and len(cols["x"]["psi_edges"]) == 4
    assert cols["z"]["strategy"] == "explicit" and cols["z"]["psi_edges"] == [0.5, 1.0, 2.0, 4.0]


def test_one_row_group_split_by_columns_counts_rows_once(model: dict) -> None:
    single = model["tmp"] / "single.parquet"
    pq.write_table(table(77, n=3_000), single)  # one row group: columns split across threads
    ids = []
    for threads in ("1", "2"):
        argv = ["--db", str(model["db"]), "-q", "scan", "m@1", "--full", "--threads", threads]
        assert main([*argv, "--data", str(single)]) == 0
        con = duckdb.connect(str(model["db"]), read_only=True)
        sid, rows = con.execute(
            "SELECT scan_id, rows FROM scans ORDER BY finished_at DESC LIMIT 1"
        ).fetchone()
        con.close()
        assert rows == 3_000
        ids.append(sid)
    assert _timeless(_evidence(model["db"], ids[0])) == _timeless(_evidence(model["db"], ids[1]))
