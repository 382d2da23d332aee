"""Hive partition keys (`region=eu/c=a/n=1/part-0.parquet`) read as columns.

A monitored string feature `c`, a monitored integer feature `n` and the protected attribute
`region` live only in the folder names (URL-encoded values and Hive's null folder among
them). The reference scan is the same files, same rows and row groups, with those columns
written into them: the evidence (every value, status, reason and detail) must be the same,
by the CLI, through a plan sent to workers as JSON, and incrementally. A baseline from a
hive folder equals one from the files with the columns. A value that does not parse as the
reference's number fails with exit 2 naming the file, and nothing is stored.
"""

from __future__ import annotations

import json
import shutil
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from govern.cli import main
from govern.lifecycle import ModelRef
from govern.runner import _partitions
from govern.scanplan import ScanPlan, finish_scan, prepare_scan, scan_units
from govern.store import Store

CARD = """\
name: m
version: "1"
owner: a@example.com
risk_tier: 2
use_case: testing
monitoring:
  features: [x, c, n]
  prediction: score
  threshold: 0.5
  label: label
  protected: [region]
  favourable_outcome: 1
  min_group_size: 10
  timestamp: ts
  min_rows: 50
"""
KEYS = ("region", "c", "n")  # the folder order of the hive layout
# (folder value, column value): plain values, URL-encoded ones, Hive's null folder.
C_VALUES = (("a", "a"), ("b", "b"), ("a%2Fb", "a/b"), ("x%3Dy", "x=y"))
C_VALUES += (("__HIVE_DEFAULT_PARTITION__", None),)
N_VALUES = (("1", 1), ("2", 2), ("-3", -3), ("__HIVE_DEFAULT_PARTITION__", None))
REGIONS = (("eu", "eu"), ("us", "us"), ("south%20america", "south america"))


def rows(seed: int, n: int, day: int = 1) -> pa.Table:
    """Inference rows without the partition columns."""
    rng = np.random.default_rng(seed)
    start = datetime(2026, 11, day)
    ts = [start + timedelta(seconds=int(s)) for s in np.sort(rng.integers(0, 86_400, n))]
    x = rng.normal(0.1 * seed % 1, 1, n)
    x[rng.random(n) < 0.02] = np.nan
    score = rng.random(n)
    return pa.table(
        {
            "ts": pa.array(ts, type=pa.timestamp("us")),
            "x": pa.array(x, mask=rng.random(n) < 0.02),
            "score": pa.array(score),
            "label": pa.array((rng.random(n) < score).astype(np.int64)),
        }
    )


def training(n: int = 6_000) -> pa.Table:
    """Reference rows with c (string), n (int64) and region as columns."""
    rng = np.random.default_rng(1)
    t = rows(1, n)
    t = t.append_column("c", pa.array(rng.choice(["a", "b"], n).tolist()))
    t = t.append_column("n", pa.array(rng.choice([1, 2, 3], n)))
    return t.append_column("region", pa.array(rng.choice(["eu", "us"], n).tolist()))


def write_layout(
    root: Path, flat: Path, keys: dict[str, tuple[tuple[str, Any], ...]], seed: int = 10
) -> tuple[list[Path], list[Path]]:
    """Hive folders under `root` (one file of several row groups per combination of `keys`)
    and, under `flat`, the same files with the keys written in as columns (same order)."""
    combos: list[list[tuple[str, str, Any]]] = [[]]
    for k, values in keys.items():
        combos = [c + [(k, folder, value)] for c in combos for folder, value in values]
    hive, copies = [], []
    for i, combo in enumerate(combos):
        t = rows(seed + i, 300 + 37 * i, day=1 + i % 5)
        d = root.joinpath(*(f"{k}={folder}" for k, folder, _ in combo))
        d.mkdir(parents=True)
        pq.write_table(t, d / "part-0.parquet", row_group_size=128)
        for k, _, value in combo:
            typ = pa.int64() if k == "n" else pa.string()
            t = t.append_column(k, pa.array([value] * t.num_rows, typ))
        flat.mkdir(parents=True, exist_ok=True)
        pq.write_table(t, flat / f"f{i:03d}.parquet", row_group_size=128)
        hive.append(d / "part-0.parquet")
        copies.append(flat / f"f{i:03d}.parquet")
    return hive, copies


@pytest.fixture
def hive_model(tmp_path: Path) -> dict[str, Any]:
    db = tmp_path / "g.duckdb"
    card = tmp_path / "m.yaml"
    card.write_text(CARD)
    pq.write_table(training(), tmp_path / "train.parquet")
    assert main(["--db", str(db), "init"]) == 0
    assert main(["--db", str(db), "register", str(card)]) == 0
    assert (
        main(["--db", str(db), "baseline", "m@1", "--data", str(tmp_path / "train.parquet")]) == 0
    )
    counter = iter(range(1000))

    def fresh_db() -> Path:
        out = tmp_path / f"copy{next(counter)}.duckdb"
        shutil.copy(db, out)
        return out

    return {"db": db, "tmp": tmp_path, "fresh_db": fresh_db}


def scan(db: Path, *data: str | Path) -> int:
    return main(["--db", str(db), "-q", "scan", "m@1", "--data", *map(str, data)])


def evidence(db: Path, scan_id: str | None = None) -> list[tuple[Any, ...]]:
    """Every evidence row of a scan (the newest without an id), freshness's "now" checked
    against the scan's own start and masked; every other value and detail as stored."""
    con = duckdb.connect(str(db), read_only=True)
    try:
        sid = (
            scan_id
            or con.execute(
                "SELECT scan_id FROM scans ORDER BY finished_at DESC LIMIT 1"
            ).fetchone()[0]
        )
        out = con.execute(
            "SELECT family, subject, metric, value, status, reason, detail FROM evidence "
            "WHERE scan_id = ? ORDER BY family, subject, metric",
            [sid],
        ).fetchall()
    finally:
        con.close()
    masked = []
    for family, subject, metric, value, status, reason, detail in out:
        if metric == "freshness_seconds":
            d = json.loads(detail)
            d.pop("now")
            value, detail = None, json.dumps(d, sort_keys=True)
        masked.append((family, subject, metric, value, status, reason, detail))
    return masked


def stored(db: Path) -> list[int]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return [
            con.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
            for t in ("scans", "evidence", "scan_partials")
        ]
    finally:
        con.close()


def params(db: Path) -> dict[str, Any]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        row = con.execute("SELECT params FROM scans ORDER BY finished_at DESC LIMIT 1").fetchone()
    finally:
        con.close()
    return dict(json.loads(row[0]))


LAYOUT = {"region": REGIONS, "c": C_VALUES, "n": N_VALUES}


def test_hive_keys_scan_like_the_columns_written_in_the_files(
    hive_model: dict[str, Any], tmp_path: Path
) -> None:
    hive, copies = write_layout(tmp_path / "logs", tmp_path / "flat", LAYOUT)
    assert all(not set(KEYS) & set(pq.read_schema(f).names) for f in hive)
    by_hive, by_files = hive_model["fresh_db"](), hive_model["fresh_db"]()
    assert scan(by_hive, tmp_path / "logs") == 0
    assert scan(by_files, *copies) == 0
    got = evidence(by_hive)
    assert got == evidence(by_files)
    # Every family, drift of both keys, and fairness grouped by the region folders.
    assert {r[0] for r in got} >= {"drift", "fairness", "performance"}
    assert {r[1] for r in got if r[0] == "drift"} >= {"c", "n"}
    fairness = " ".join(str(r[6]) for r in got if r[0] == "fairness")
    assert "south america" in fairness and "eu" in fairness
    # A glob over the folders reads the same keys (its root is the folder before the `*`).
    by_glob = hive_model["fresh_db"]()
    assert scan(by_glob, f"{tmp_path}/logs/**/*.parquet") == 0
    assert evidence(by_glob) == got


def test_hive_values_travel_in_the_plan(hive_model: dict[str, Any], tmp_path: Path) -> None:
    """Workers read the values from the plan's JSON, split row-group ranges included."""
    write_layout(tmp_path / "logs", tmp_path / "flat", LAYOUT)
    db = hive_model["fresh_db"]()
    with Store.open(db) as store:
        plan = prepare_scan(store, ModelRef("m", "1"), [tmp_path / "logs"], split_bytes=1)
    wire = ScanPlan.from_json(plan.to_json())
    assert all(f.partition is not None for f in wire.files)
    first = _partitions.decode(wire.files[0].partition or "")
    assert isinstance(first, _partitions.HiveConstants)
    assert {k: v.type for k, v in first.items()} == {
        "region": pa.string(),
        "c": pa.string(),
        "n": pa.int64(),
    }
    assert any(u.row_groups is not None for u in wire.units)
    # The values pyarrow.dataset's hive partitioning reads from the same folders.
    import pyarrow.dataset as ds

    theirs = ds.dataset(tmp_path / "logs", partitioning="hive").to_table(columns=list(KEYS))
    ours = []
    for f in wire.files:
        values = _partitions.decode(f.partition or "")
        ours.extend([tuple(values[k].as_py() for k in KEYS)] * pq.read_metadata(f.uri).num_rows)
    assert sorted(ours, key=repr) == sorted(
        (tuple(r.values()) for r in theirs.to_pylist()), key=repr
    )
    blobs = [scan_units(wire, [u]) for u in reversed(wire.units)]
    with Store.open(db) as store:
        result = finish_scan(store, wire, blobs)
    reference = hive_model["fresh_db"]()
    assert scan(reference, tmp_path / "flat") == 0
    assert evidence(db, result.scan_id) == evidence(reference)


def test_incremental_rescan_and_a_file_moved_to_another_partition(
    hive_model: dict[str, Any], tmp_path: Path
) -> None:
    layout = {"region": REGIONS[:2], "c": C_VALUES[:1], "n": N_VALUES[:2]}
    hive, _ = write_layout(tmp_path / "logs", tmp_path / "flat", layout)
    db = hive_model["fresh_db"]()
    assert scan(db, tmp_path / "logs") == 0
    assert scan(db, tmp_path / "logs") == 0
    assert params(db)["files_reused"] == len(hive) and params(db)["files_read"] == 0
    # Moved to another partition folder: another path, so read again with its new values.
    moved = tmp_path / "logs" / "region=us" / "c=a" / "n=7" / "part-0.parquet"
    moved.parent.mkdir(parents=True)
    shutil.move(hive[0], moved)
    hive[0].parent.rmdir()
    assert scan(db, tmp_path / "logs") == 0
    assert params(db)["files_read"] == 1 and params(db)["files_reused"] == len(hive) - 1
    full = hive_model["fresh_db"]()
    assert scan(full, tmp_path / "logs") == 0
    assert evidence(db) == evidence(full)


def test_unmonitored_keys_are_not_added(model: dict[str, Path]) -> None:
    """The `dt=2026-11-0N/` folders of the shared fixture: `dt` is not monitored."""
    with Store.open(model["db"]) as store:
        plan = prepare_scan(store, ModelRef("m", "1"), [model["logs"]])
    assert len(plan.files) == 3 and all(f.partition is None for f in plan.files)
    assert '"partition"' not in plan.to_json()


def test_a_column_the_file_holds_wins_over_its_folder(
    hive_model: dict[str, Any], tmp_path: Path
) -> None:
    """Folders that disagree with the files' own c, n and region: the files are read."""
    _, copies = write_layout(tmp_path / "unused", tmp_path / "flat", LAYOUT)
    for i, f in enumerate(copies):
        d = tmp_path / "logs" / f"region=zz{i}" / "c=zzz" / "n=99"
        d.mkdir(parents=True)
        shutil.copy(f, d / f"f{i:03d}.parquet")
    by_hive, by_files = hive_model["fresh_db"](), hive_model["fresh_db"]()
    assert scan(by_hive, tmp_path / "logs") == 0
    assert scan(by_files, *copies) == 0
    assert evidence(by_hive) == evidence(by_files)


def test_a_non_numeric_value_for_a_numeric_reference_fails_naming_the_file(
    hive_model: dict[str, Any], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    layout = {"region": REGIONS[:1], "c": C_VALUES[:1], "n": (("1", 1), ("one", 0))}
    hive, _ = write_layout(tmp_path / "logs", tmp_path / "flat", layout)
    db = hive_model["fresh_db"]()
    before = stored(db)
    capsys.readouterr()
    assert scan(db, tmp_path / "logs") == 2
    err = capsys.readouterr().err
    assert "n='one'" in err and str(hive[1]) in err and "int64" in err
    assert stored(db) == before


def test_a_key_missing_for_some_file_is_the_missing_column_error(
    hive_model: dict[str, Any], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write_layout(
        tmp_path / "logs",
        tmp_path / "flat",
        {"region": REGIONS[:1], "c": C_VALUES[:2], "n": N_VALUES[:1]},
    )
    stray = tmp_path / "logs" / "region=eu" / "c=a" / "part-9.parquet"  # no n= folder
    pq.write_table(rows(99, 200), stray)
    db = hive_model["fresh_db"]()
    before = stored(db)
    capsys.readouterr()
    assert scan(db, tmp_path / "logs") == 2
    err = capsys.readouterr().err
    assert "'n' is missing" in err and str(stray) in err
    assert stored(db) == before


def test_baseline_from_a_hive_folder_equals_the_columns_in_the_files(
    hive_model: dict[str, Any], tmp_path: Path
) -> None:
    """Keys typed as pyarrow infers them (int64 here, not int32), nulls counted as nulls."""
    write_layout(tmp_path / "logs", tmp_path / "flat", LAYOUT)
    digests = []
    for data in (tmp_path / "logs", tmp_path / "flat"):
        db = hive_model["fresh_db"]()
        assert main(["--db", str(db), "-q", "baseline", "m@1", "--data", str(data)]) == 0
        con = duckdb.connect(str(db), read_only=True)
        try:
            digest, profile = con.execute(
                "SELECT digest, profile FROM profiles ORDER BY created_at DESC LIMIT 1"
            ).fetchone()
        finally:
            con.close()
        digests.append(digest)
        types = {c["name"]: c["dtype"] for c in json.loads(profile)["columns"]}
        assert types["n"] == "int64" and types["c"] == "string"
    assert digests[0] == digests[1]


def test_hive_keys_parse() -> None:
    assert _partitions.hive_keys("region=eu/2026/c=a%2Fb/n=__HIVE_DEFAULT_PARTITION__", "f") == {
        "region": "eu",
        "c": "a/b",
        "n": None,
    }
    assert _partitions.hive_keys("x%3Dy=1%25", "f") == {"x=y": "1%"}
    assert _partitions.infer_types([{"a": "1", "b": "1"}, {"a": None, "b": "x"}]) == {
        "a": "int64",
        "b": "string",
    }
    assert _partitions.infer_types([{"a": str(2**63)}]) == {"a": "string"}
    t = _partitions.hive_values(
        {"f": "2.5", "i": "07", "b": "TRUE", "s": "3"},
        {"f": "float32", "i": "int32", "b": "bool", "s": None},
        "f",
    )
    assert t.schema.types == [pa.float32(), pa.int64(), pa.bool_(), pa.string()]
    assert t.to_pylist() == [{"f": 2.5, "i": 7, "b": True, "s": "3"}]
    for value in ("1_000", " 1", "0x10", "nan", ""):
        with pytest.raises(Exception, match="is not a number"):
            _partitions.hive_values({"i": value}, {"i": "int64"}, "f")
    with pytest.raises(Exception, match="appears twice"):
        _partitions.hive_keys("a=1/a=2", "f")


def test_keys_are_the_folders_between_the_root_and_the_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from govern.runner._parquet import discover_keys

    f = tmp_path / "logs" / "region=eu" / "2026" / "c=a%2Fb" / "part-0.parquet"
    f.parent.mkdir(parents=True)
    pq.write_table(rows(1, 10), f)
    both = {"region": "eu", "c": "a/b"}
    assert discover_keys([tmp_path / "logs"]) == [(f, both)]
    assert discover_keys([f"{tmp_path}/logs/**/*.parquet"]) == [(f, both)]
    assert discover_keys([f"{tmp_path}/logs/region=*/**/*.parquet"]) == [(f, both)]
    assert discover_keys([tmp_path / "logs" / "region=eu"]) == [(f, {"c": "a/b"})]
    assert discover_keys([f"{tmp_path}/logs/region=eu/*/*/*.parquet"]) == [(f, {"c": "a/b"})]
    assert discover_keys([str(f)]) == [(f, {})]
    monkeypatch.chdir(tmp_path / "logs")
    rel = f.relative_to(tmp_path / "logs")
    assert discover_keys(["region=*/*/*/*.parquet"]) == [(rel, both)]
