"""The incremental cache is keyed on content, and a file that changes mid-read fails the scan.

Real DuckDB, real parquet, the real policy library. Log files are written uncompressed and
without dictionaries or nulls, so a drifted rewrite has exactly the size of the calm file:
only the content (and with it the footer's statistics) differs.
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from govern.cli import main
from govern.policy import load
from govern.runner.check import build_input
from govern.store import Store

from ..conftest import POLICIES


def _fixed_size_table(shift: float, seed: int = 7, n: int = 3_000) -> pa.Table:
    """The fixture card's columns, no nulls: the file size does not depend on the values."""
    rng = np.random.default_rng(seed)
    start = datetime(2026, 11, 5)
    return pa.table(
        {
            "ts": pa.array([start + timedelta(seconds=i) for i in range(n)], pa.timestamp("us")),
            "x": rng.normal(shift, 1.0, n),
            "z": rng.exponential(2.0, n),
            "c": pa.array(rng.choice(["a", "b", "c"], n).tolist()),
            "flag": pa.array(rng.random(n) < 0.3),
            "score": rng.random(n),
        }
    )


def _write(table: pa.Table, path: Path) -> None:
    pq.write_table(table, path, compression="none", use_dictionary=False)


def _footer_sha256(path: Path) -> str:
    """An independent reading of the parquet trailer: <footer><len:u32 LE><PAR1>."""
    data = path.read_bytes()
    assert data[-4:] == b"PAR1"
    n = int.from_bytes(data[-8:-4], "little")
    return "sha256:" + hashlib.sha256(data[-(n + 8) :]).hexdigest()


def _counts(db: Path) -> tuple[int, ...]:
    con = duckdb.connect(str(db), read_only=True)
    out = tuple(
        int(con.execute(f"SELECT count(*) FROM {t}").fetchone()[0])
        for t in ("scans", "evidence", "scan_partials")
    )
    con.close()
    return out


def _last_scan(db: Path) -> tuple[dict[str, Any], list[dict[str, Any]], float]:
    """(params, sources, PSI of x) of the newest scan."""
    con = duckdb.connect(str(db), read_only=True)
    scan_id, params, sources = con.execute(
        "SELECT scan_id, params, sources FROM scans ORDER BY finished_at DESC LIMIT 1"
    ).fetchone()
    psi = con.execute(
        "SELECT value FROM evidence WHERE scan_id = ? AND subject = 'x' AND metric = 'psi'",
        [scan_id],
    ).fetchone()[0]
    con.close()
    return json.loads(params), json.loads(sources), float(psi)


def _scan(db: Path, data: Path, *extra: str) -> int:
    return main(["--db", str(db), "-q", "scan", "m@1", "--data", str(data), *extra])


def _csi_denials(db: Path) -> list[str]:
    with Store.open(db) as store:
        doc = build_input(store, "m", "1", "production")
    with load(POLICIES) as prepared:
        d = prepared.decide(doc, model="m", version="1", stage="production")
    return [v.msg for v in d.denials if v.control == "MON-CSI-01"]


@pytest.fixture
def calm_and_drifted(model: dict) -> dict[str, Path]:
    logs = model["tmp"] / "same-size"
    logs.mkdir()
    live = logs / "part-0.parquet"
    _write(_fixed_size_table(0.0), live)
    drifted = model["tmp"] / "drifted.parquet"
    _write(_fixed_size_table(2.0), drifted)
    assert live.stat().st_size == drifted.stat().st_size  # the precondition of the attack
    return {"db": model["db"], "logs": logs, "live": live, "drifted": drifted}


def test_same_size_rewrite_with_mtime_kept_is_read_again_and_denies(
    calm_and_drifted: dict[str, Path],
) -> None:
    db, logs, live = calm_and_drifted["db"], calm_and_drifted["logs"], calm_and_drifted["live"]
    assert _scan(db, logs) == 0
    params, sources, calm_psi = _last_scan(db)
    assert params["files_read"] == 1 and calm_psi < 0.1
    assert not [m for m in _csi_denials(db) if "feature x" in m]
    before = live.stat()
    live.write_bytes(calm_and_drifted["drifted"].read_bytes())  # in place, as cp -p does
    os.utime(live, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert (live.stat().st_size, live.stat().st_mtime) == (before.st_size, before.st_mtime)

    assert _scan(db, logs) == 0
    params, sources, psi = _last_scan(db)
    assert (params["files_read"], params["files_reused"]) == (1, 0)
    assert psi >= 0.25
    assert sources[0]["fingerprint"] == _footer_sha256(live)
    assert any("feature x" in m for m in _csi_denials(db))
    assert _scan(db, logs, "--full") == 0
    assert _last_scan(db)[2] == psi  # the incremental scan equals a full one


def test_provenance_records_the_footer_fingerprint(calm_and_drifted: dict[str, Path]) -> None:
    db, logs, live = calm_and_drifted["db"], calm_and_drifted["logs"], calm_and_drifted["live"]
    for _ in range(2):  # read, then reused: the same provenance either way
        assert _scan(db, logs) == 0
        _, sources, _ = _last_scan(db)
        assert sources == [
            {
                "path": str(live.resolve()),
                "size": live.stat().st_size,
                "mtime": live.stat().st_mtime,
                "rows": 3_000,
                "fingerprint": _footer_sha256(live),
            }
        ]
    con = duckdb.connect(str(db), read_only=True)
    stored = con.execute("SELECT fingerprint FROM scan_partials").fetchall()
    con.close()
    assert stored == [(_footer_sha256(live),)]


def test_partials_without_a_fingerprint_are_never_reused(
    calm_and_drifted: dict[str, Path],
) -> None:
    """Rows written before migration 0004 (fingerprint NULL) are read again, not trusted."""
    db, logs = calm_and_drifted["db"], calm_and_drifted["logs"]
    assert _scan(db, logs) == 0
    con = duckdb.connect(str(db))
    con.execute("UPDATE scan_partials SET fingerprint = NULL")
    con.close()
    assert _scan(db, logs) == 0
    assert _last_scan(db)[0]["files_read"] == 1


@pytest.mark.parametrize("window", [[], ["--since", "2026-01-01"]], ids=["columns", "window"])
@pytest.mark.parametrize("threads", ["1", "2"])
def test_file_replaced_by_rename_while_read_fails_and_stores_nothing(
    calm_and_drifted: dict[str, Path],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    threads: str,
    window: list[str],
) -> None:
    db, logs, live = calm_and_drifted["db"], calm_and_drifted["logs"], calm_and_drifted["live"]
    # A second file with several row groups, so the swap lands between two reads of it.
    _write(_fixed_size_table(0.0, seed=8).slice(0, 2_000), logs / "part-1.parquet")
    assert _scan(db, logs, "--full") == 0  # a stored scan, to check nothing is added
    before = _counts(db)
    swapped = threading.Event()
    original = pq.ParquetFile.read_row_group

    def swap_then_read(self: pq.ParquetFile, *args: Any, **kwargs: Any) -> pa.Table:
        # Fault injection at the reader: the writer's atomic rename lands mid-scan. This
        # reader keeps the old inode open, so it reads the old (calm) content.
        if not swapped.is_set():
            swapped.set()
            os.replace(calm_and_drifted["drifted"], live)
        return original(self, *args, **kwargs)

    monkeypatch.setattr(pq.ParquetFile, "read_row_group", swap_then_read)
    capsys.readouterr()
    rc = _scan(db, live, "--threads", threads, *window)
    err = capsys.readouterr().err
    assert rc == 2, err
    assert err.startswith(f"error: {live}: changed while it was read"), err
    assert "nothing was stored" in err and err.count("\n") == 1
    assert _counts(db) == before
    monkeypatch.undo()

    assert _scan(db, live) == 0  # the next scan reads the new content, nothing stale
    params, _, psi = _last_scan(db)
    assert params["files_read"] == 1 and psi >= 0.25
    assert _scan(db, live, "--full") == 0
    assert _last_scan(db)[2] == psi


def test_file_deleted_while_read_fails(
    calm_and_drifted: dict[str, Path],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    db, live = calm_and_drifted["db"], calm_and_drifted["live"]
    original = pq.ParquetFile.read_row_group

    def unlink_then_read(self: pq.ParquetFile, *args: Any, **kwargs: Any) -> pa.Table:
        if live.exists():
            live.unlink()
        return original(self, *args, **kwargs)

    monkeypatch.setattr(pq.ParquetFile, "read_row_group", unlink_then_read)
    assert _scan(db, live) == 2
    err = capsys.readouterr().err
    assert "changed while it was read (now: file not found)" in err
    assert _counts(db)[0] == 0


def test_baseline_file_replaced_while_read_fails_and_stores_nothing(
    calm_and_drifted: dict[str, Path],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    db, live = calm_and_drifted["db"], calm_and_drifted["live"]
    con = duckdb.connect(str(db), read_only=True)
    profiles = con.execute("SELECT count(*) FROM profiles").fetchone()[0]
    con.close()
    original = pq.ParquetFile.read

    def swap_then_read(self: pq.ParquetFile, *args: Any, **kwargs: Any) -> pa.Table:
        if calm_and_drifted["drifted"].exists():
            os.replace(calm_and_drifted["drifted"], live)
        return original(self, *args, **kwargs)

    monkeypatch.setattr(pq.ParquetFile, "read", swap_then_read)
    capsys.readouterr()
    assert main(["--db", str(db), "baseline", "m@1", "--data", str(live)]) == 2
    assert capsys.readouterr().err.startswith(f"error: {live}: changed while it was read")
    con = duckdb.connect(str(db), read_only=True)
    assert con.execute("SELECT count(*) FROM profiles").fetchone()[0] == profiles
    con.close()


def test_migration_keeps_old_partials_but_never_serves_them(tmp_path: Path) -> None:
    """A schema-3 database: its (path, size, mtime) partial stays as it was, unused."""
    from govern import __version__
    from govern.store import profiles
    from govern.store._migrations import MIGRATIONS

    db = tmp_path / "old.duckdb"
    con = duckdb.connect(str(db))
    for i, sql in enumerate(MIGRATIONS[:3], start=1):
        con.execute(sql)
        con.execute("INSERT INTO schema_version VALUES (?, TIMESTAMP '2026-01-01')", [i])
    row = ["cfg", "/logs/a.parquet", 100, 1.5, __version__, 10, '{"states": []}']
    con.execute(
        "INSERT INTO scan_partials VALUES (?, ?, ?, ?, ?, ?, ?, TIMESTAMP '2026-01-01')", row
    )
    con.close()
    with Store.open(db) as store:
        assert store.query("SELECT fingerprint FROM scan_partials") == [(None,)]
        old_key = ("/logs/a.parquet", 100, 1.5, "sha256:" + "0" * 64)
        assert profiles.get_partials(store, "cfg", [old_key]) == {}
