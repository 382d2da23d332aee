"""`govern scan --table`: a real Delta table (deltalake) and a real Iceberg table (pyiceberg,
SQL catalog on sqlite), two versions each; the evidence equals `govern scan` over the same
parquet files, and what the reader cannot honour is refused (exit 2, nothing stored)."""

from __future__ import annotations

import json
import struct
import time
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from govern.cli import main

from ..conftest import counts
from .conftest import copy_db, evidence, log_table


def _parquet(folder: Path) -> list[Path]:
    return sorted(folder.rglob("*.parquet"))


def _params(db: Path) -> dict[str, Any]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        row = con.execute("SELECT params FROM scans ORDER BY finished_at DESC LIMIT 1").fetchone()
    finally:
        con.close()
    return dict(json.loads(row[0]))


def _scan(db: Path, *args: str) -> int:
    return main(["--db", str(db), "-q", "scan", "m@1", *args])


def _same_as_files(model: dict[str, Any], name: str, table: str, files: list[Path]) -> None:
    """Scan the table into one copy of the store, the files into another: same evidence."""
    by_table, by_files = copy_db(model, f"{name}-table"), copy_db(model, f"{name}-files")
    assert _scan(by_table, "--table", table) == 0
    assert _scan(by_files, "--data", *map(str, files)) == 0
    assert evidence(by_table) == evidence(by_files)


# ---------------------------------------------------------------- Delta Lake


@pytest.fixture
def delta(tmp_path: Path) -> dict[str, Any]:
    """A Delta table with version 0 (day 1) and version 1 (day 1 + an append of day 2)."""
    deltalake = pytest.importorskip("deltalake", reason="needs govern-mrm[delta] (deltalake)")
    path = tmp_path / "lake" / "inference"
    deltalake.write_deltalake(str(path), log_table(21, 4_000, day=1))
    v0 = _parquet(path)
    deltalake.write_deltalake(str(path), log_table(22, 4_000, day=2, shift=0.4), mode="append")
    v1 = _parquet(path)
    assert len(v0) == 1 and len(v1) == 2
    return {"path": path, "v0": v0, "v1": v1}


def test_delta_versions_scan_like_their_files(model: dict, delta: dict) -> None:
    _same_as_files(model, "v0", f"delta:{delta['path']}@0", delta["v0"])
    _same_as_files(model, "v1", f"delta:{delta['path']}", delta["v1"])  # latest: version 1


def test_delta_version_is_in_the_provenance(model: dict, delta: dict) -> None:
    db = copy_db(model, "prov")
    assert _scan(db, "--table", f"delta:{delta['path']}@0") == 0
    assert _params(db)["table"] == {"format": "delta", "name": str(delta["path"]), "version": 0}
    assert _scan(db, "--table", f"delta:{delta['path']}") == 0
    assert _params(db)["table"]["version"] == 1


def test_delta_column_mapping_is_refused(
    model: dict, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    deltalake = pytest.importorskip("deltalake", reason="needs govern-mrm[delta] (deltalake)")
    path = tmp_path / "mapped"
    deltalake.write_deltalake(
        str(path), log_table(3, 500), configuration={"delta.columnMapping.mode": "name"}
    )
    before = counts(model["db"])
    assert _scan(model["db"], "--table", f"delta:{path}") == 2
    err = capsys.readouterr().err
    assert f"table delta:{path}: the table uses column mapping" in err
    assert "Traceback" not in err
    assert counts(model["db"]) == before


_Z85 = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.-:+=^!/*?&<>()[]{}@%$#"


def _z85(data: bytes) -> str:
    """Z85 (ZeroMQ RFC 32), which Delta uses for inline deletion vectors."""
    out = []
    for i in range(0, len(data), 4):
        v = int.from_bytes(data[i : i + 4], "big")
        digits = []
        for _ in range(5):
            v, r = divmod(v, 85)
            digits.append(_Z85[r])
        out.append("".join(reversed(digits)))
    return "".join(out)


def _inline_deletion_vector(rows: list[int]) -> dict[str, Any]:
    """A Delta deletion vector descriptor, stored inline, deleting `rows` (all < 65536).

    Delta protocol, "Deletion Vector Format": magic 1681511377 (LE), then a RoaringTreemap
    (u64 bitmap count, per bitmap a u32 key and a portable Roaring bitmap: cookie 12346,
    container count, key and cardinality-1 per container, offsets, sorted u16 values).
    """
    rows = sorted(rows)
    bitmap = struct.pack("<IIHHI", 12346, 1, 0, len(rows) - 1, 16)
    bitmap += b"".join(struct.pack("<H", r) for r in rows)
    raw = struct.pack("<IQI", 1681511377, 1, 0) + bitmap
    encoded = _z85(raw + b"\0" * (-len(raw) % 4))
    return {
        "storageType": "i",
        "pathOrInlineDv": encoded,
        "sizeInBytes": len(raw),
        "cardinality": len(rows),
    }


def test_delta_deletion_vectors_are_refused(
    model: dict, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Version 1 deletes rows 3 and 7 of the only file by a deletion vector: refused.

    Version 0 of the same table (the feature on, no vector yet) scans like its file.
    """
    deltalake = pytest.importorskip("deltalake", reason="needs govern-mrm[delta] (deltalake)")
    path = tmp_path / "dv"
    deltalake.write_deltalake(
        str(path), log_table(5, 2_000), configuration={"delta.enableDeletionVectors": "true"}
    )
    log = path / "_delta_log"
    first = [json.loads(line) for line in (log / f"{0:020d}.json").read_text().splitlines()]
    add = next(a["add"] for a in first if "add" in a)
    now = int(time.time() * 1000)
    remove = {
        "path": add["path"],
        "deletionTimestamp": now,
        "dataChange": True,
        "extendedFileMetadata": True,
        "partitionValues": {},
        "size": add["size"],
    }
    readd = {**add, "modificationTime": now, "deletionVector": _inline_deletion_vector([3, 7])}
    (log / f"{1:020d}.json").write_text(
        json.dumps({"remove": remove}) + "\n" + json.dumps({"add": readd}) + "\n"
    )
    # The vector is real: Delta's own reader decodes it (rows 3 and 7 unselected).
    dv = pa.table(deltalake.DeltaTable(str(path)).deletion_vectors())
    selected = dv.column("selection_vector").to_pylist()[0]
    assert [i for i, keep in enumerate(selected) if not keep] == [3, 7]

    _same_as_files(model, "dv0", f"delta:{path}@0", _parquet(path))
    before = counts(model["db"])
    assert _scan(model["db"], "--table", f"delta:{path}") == 2
    err = capsys.readouterr().err
    assert (
        f"table delta:{path}: 1 file(s) carry deletion vectors (e.g. {path / add['path']})" in err
    )
    assert counts(model["db"]) == before


@pytest.mark.parametrize(
    ("suffix", "message"),
    [
        ("@7", "cannot load version 7"),
        ("/missing", "no Delta table there"),
    ],
)
def test_delta_bad_versions_and_paths(
    model: dict, delta: dict, suffix: str, message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    spec = f"delta:{delta['path']}{suffix}"
    before = counts(model["db"])
    assert _scan(model["db"], "--table", spec) == 2
    err = capsys.readouterr().err
    assert f"table {spec}: {message}" in err and "nothing was scanned" in err
    assert counts(model["db"]) == before


# ---------------------------------------------------------------- Apache Iceberg


@pytest.fixture
def iceberg(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """An Iceberg table in a SQL catalog (sqlite), configured as pyiceberg reads it (env)."""
    pytest.importorskip("pyiceberg", reason="needs govern-mrm[iceberg] (pyiceberg)")
    pytest.importorskip("sqlalchemy", reason="needs govern-mrm[iceberg] (pyiceberg[sql-sqlite])")
    from pyiceberg.catalog import load_catalog

    warehouse = tmp_path / "warehouse"
    warehouse.mkdir()
    config = {
        "type": "sql",
        "uri": f"sqlite:///{tmp_path / 'catalog.db'}",
        "warehouse": warehouse.as_uri(),
    }
    for key, value in config.items():  # how govern finds the catalog: pyiceberg's variables
        monkeypatch.setenv(f"PYICEBERG_CATALOG__LAKE__{key.upper()}", value)
    catalog = load_catalog("lake", **config)
    catalog.create_namespace("logs")
    first = log_table(31, 4_000, day=1)
    table = catalog.create_table("logs.inference", schema=first.schema)
    table.append(first)
    s1 = table.current_snapshot().snapshot_id
    v1 = _parquet(warehouse)
    table.append(log_table(32, 4_000, day=2, shift=0.4))
    s2 = table.current_snapshot().snapshot_id
    v2 = _parquet(warehouse)
    assert len(v1) == 1 and len(v2) == 2 and s1 != s2
    return {"table": table, "s1": s1, "s2": s2, "v1": v1, "v2": v2}


def test_iceberg_snapshots_scan_like_their_files(model: dict, iceberg: dict) -> None:
    _same_as_files(model, "s1", f"iceberg:lake.logs.inference@{iceberg['s1']}", iceberg["v1"])
    _same_as_files(model, "s2", "iceberg:lake.logs.inference", iceberg["v2"])


def test_iceberg_snapshot_is_in_the_provenance(model: dict, iceberg: dict) -> None:
    db = copy_db(model, "prov")
    assert _scan(db, "--table", f"iceberg:lake.logs.inference@{iceberg['s1']}") == 0
    assert _params(db)["table"] == {
        "format": "iceberg",
        "name": "lake.logs.inference",
        "snapshot_id": iceberg["s1"],
    }


def test_iceberg_renamed_column_is_refused(
    model: dict, iceberg: dict, capsys: pytest.CaptureFixture[str]
) -> None:
    with iceberg["table"].update_schema() as update:
        update.rename_column("z", "z_old")
    before = counts(model["db"])
    assert _scan(model["db"], "--table", "iceberg:lake.logs.inference") == 2
    err = capsys.readouterr().err
    assert "table iceberg:lake.logs.inference: column 'z' (field id 3) was renamed" in err
    assert counts(model["db"]) == before


def _commit_position_delete(table: Any, data_file: str, positions: list[int]) -> str:
    """Commit a real Iceberg position delete file for `data_file`, in a delete manifest.

    pyiceberg writes copy-on-write deletes only, so the snapshot is produced here with its
    own manifest writer: the delete file holds (file_path, pos) with the reserved field ids
    of the Iceberg spec, and the manifest's content is DELETES.
    """
    from pyiceberg.manifest import DataFile, DataFileContent, FileFormat, ManifestContent
    from pyiceberg.table.snapshots import Operation
    from pyiceberg.table.update.snapshot import _FastAppendFiles
    from pyiceberg.typedef import Record

    schema = pa.schema(
        [
            pa.field("file_path", pa.string(), False, {"PARQUET:field_id": "2147483546"}),
            pa.field("pos", pa.int64(), False, {"PARQUET:field_id": "2147483545"}),
        ]
    )
    local = Path(data_file.removeprefix("file://")).with_name("position-deletes-1.parquet")
    rows = {"file_path": [data_file] * len(positions), "pos": positions}
    pq.write_table(pa.table(rows, schema=schema), local)
    delete = DataFile.from_args(
        content=DataFileContent.POSITION_DELETES,
        file_path=local.as_uri(),
        file_format=FileFormat.PARQUET,
        partition=Record(),
        record_count=len(positions),
        file_size_in_bytes=local.stat().st_size,
    )
    delete.spec_id = 0

    class AppendDeletes(_FastAppendFiles):
        def new_manifest_writer(self, spec: Any) -> Any:
            writer = super().new_manifest_writer(spec)
            writer.content = lambda: ManifestContent.DELETES
            return writer

    with (
        table.transaction() as tx,
        AppendDeletes(operation=Operation.DELETE, transaction=tx, io=table.io) as producer,
    ):
        producer.append_data_file(delete)
    return str(local)


def test_iceberg_delete_files_are_refused(
    model: dict, iceberg: dict, capsys: pytest.CaptureFixture[str]
) -> None:
    table = iceberg["table"]
    data_file = sorted(t.file.file_path for t in table.scan().plan_files())[0]
    _commit_position_delete(table, data_file, [0, 5])
    table = table.refresh()
    # The delete is real: Iceberg's own reader drops the two rows.
    assert table.scan().to_arrow().num_rows == 8_000 - 2
    before = counts(model["db"])
    assert _scan(model["db"], "--table", "iceberg:lake.logs.inference") == 2
    err = capsys.readouterr().err
    # A position delete file without bounds may apply to any data file of its partition:
    # the message names the first data file it is planned with.
    named = [f for f in map(str, iceberg["v2"]) if f"{f} has 1 delete file(s)" in err]
    assert err.startswith("error: table iceberg:lake.logs.inference: ") and len(named) == 1
    assert "would be counted" in err
    assert counts(model["db"]) == before
    # The snapshot before the delete is still scanned as its files.
    _same_as_files(model, "s2", f"iceberg:lake.logs.inference@{iceberg['s2']}", iceberg["v2"])


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("iceberg:lake.logs.inference@12345", "no snapshot 12345; the table has: "),
        ("iceberg:lake.logs.missing", "no such table in catalog 'lake'"),
        ("iceberg:nocatalog.logs.inference", "cannot load it from catalog 'nocatalog'"),
    ],
)
def test_iceberg_bad_snapshots_and_tables(
    model: dict, iceberg: dict, spec: str, message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    before = counts(model["db"])
    assert _scan(model["db"], "--table", spec) == 2
    err = capsys.readouterr().err
    assert f"table {spec}: {message}" in err and "Traceback" not in err
    assert counts(model["db"]) == before


# ---------------------------------------------------------------- usage


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--table", "parquet:x"], "expected delta:PATH[@VERSION] or iceberg:"),
        (["--table", "iceberg:only.two"], "expected iceberg:CATALOG.NAMESPACE.TABLE"),
        ([], "no data given; pass --data PARQUET (one or more) or --table TABLE"),
        (["--data", "x.parquet", "--table", "delta:x"], "pass either --data or --table"),
        (["--data", "x.parquet", "--workers", "2"], "--scheduler and --workers go with"),
        (["--data", "x.parquet", "--master", "local[2]"], "--master goes with --engine spark"),
        (["--data", "x.parquet", "--engine", "ray"], "Invalid value for '--engine'"),
    ],
)
def test_scan_usage_errors(
    model: dict, args: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _scan(model["db"], *args) == 2
    assert message in capsys.readouterr().err


def test_an_empty_table_version_is_refused(
    model: dict, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    deltalake = pytest.importorskip("deltalake", reason="needs govern-mrm[delta] (deltalake)")
    path = tmp_path / "empty"
    deltalake.write_deltalake(str(path), log_table(4, 0).cast(log_table(4, 1).schema))
    assert _scan(model["db"], "--table", f"delta:{path}") == 2
    assert "the version has no data files" in capsys.readouterr().err
