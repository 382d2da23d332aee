"""Partition columns of a Delta table, which its parquet files do not hold.

A real Delta table (deltalake) partitioned by monitored columns (the protected attribute
`group`, the drift feature `c`, both; with null partition values): `govern scan --table`
must count those columns from the partition values in the Delta log. The reference is the
same data files rewritten with the partition columns written into them (same rows, same row
groups): the evidence must be the same, value for value, through the CLI and through a
plan sent as JSON to workers; an appended version is read incrementally. The table's folder
given as plain --data is read through its hive folder names instead, to the same evidence.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import unquote

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from govern.lifecycle import ModelRef
from govern.runner._tables import resolve_table
from govern.scanplan import ScanPlan, finish_scan, prepare_scan, scan_units
from govern.store import Store

from .conftest import copy_db, evidence, log_table
from .test_tables import _params, _scan


def _with_nulls(t: pa.Table, column: str, every: int) -> pa.Table:
    """`t` with every `every`-th value of `column` null (a null partition value)."""
    values = t.column(column).to_pylist()
    values = [None if i % every == 0 else v for i, v in enumerate(values)]
    return t.set_column(t.schema.get_field_index(column), column, pa.array(values, pa.string()))


def _materialised(table_path: Path, out: Path) -> list[Path]:
    """Each data file of the table's latest version, rewritten with its partition values as
    columns: the same rows in the same row groups, the partition columns in the file."""
    import deltalake

    dt = deltalake.DeltaTable(str(table_path))
    columns = list(dt.metadata().partition_columns)
    actions = pa.table(dt.get_add_actions(flatten=True))
    copies = []
    for i, rel in enumerate(actions.column("path").to_pylist()):
        src = table_path / unquote(rel)
        pf = pq.ParquetFile(src)
        dst = out / f"file{i}.parquet"
        dst.parent.mkdir(parents=True, exist_ok=True)
        writer = None
        for rg in range(pf.num_row_groups):
            t = pf.read_row_group(rg)
            for c in columns:
                value = actions.column(f"partition.{c}")[i]
                t = t.append_column(c, pa.repeat(value, t.num_rows))
            if writer is None:
                writer = pq.ParquetWriter(dst, t.schema)
            writer.write_table(t, row_group_size=t.num_rows)
        assert writer is not None
        writer.close()
        copies.append(dst)
    return copies


PARTITIONS = [["group"], ["c"], ["group", "c"]]


@pytest.mark.parametrize("by", PARTITIONS, ids=["-".join(p) for p in PARTITIONS])
def test_partition_columns_are_counted_from_the_delta_log(
    model: dict[str, Any], tmp_path: Path, by: list[str]
) -> None:
    deltalake = pytest.importorskip("deltalake", reason="needs govern-mrm[delta] (deltalake)")
    path = tmp_path / "lake" / "parted"
    first = _with_nulls(log_table(41, 4_000, day=1), "c", 37)
    deltalake.write_deltalake(str(path), first, partition_by=by)
    files = sorted(path.rglob("*.parquet"))
    assert len(files) > 1 and all(
        c not in pq.read_schema(f).names for f in files for c in by
    )  # the files really lack the partition columns
    copies = _materialised(path, tmp_path / "copies0")
    by_table, by_files = copy_db(model, "t0"), copy_db(model, "f0")
    assert _scan(by_table, "--table", f"delta:{path}") == 0
    assert _scan(by_files, "--data", *map(str, copies)) == 0
    assert evidence(by_table) == evidence(by_files)
    # Version 1 appends a day: one re-scan reads only the new files, same evidence again.
    deltalake.write_deltalake(str(path), log_table(42, 3_000, day=2, shift=0.3), mode="append")
    copies = _materialised(path, tmp_path / "copies1")
    assert _scan(by_table, "--table", f"delta:{path}") == 0
    params = _params(by_table)
    assert params["files_reused"] == len(files) and params["files_read"] > 0
    fresh = copy_db(model, "f1")
    assert _scan(fresh, "--data", *map(str, copies)) == 0
    assert evidence(by_table) == evidence(fresh)


def test_partition_values_travel_in_the_plan(model: dict[str, Any], tmp_path: Path) -> None:
    """Workers get the values from the plan's JSON (no table access), split units too."""
    deltalake = pytest.importorskip("deltalake", reason="needs govern-mrm[delta] (deltalake)")
    path = tmp_path / "lake" / "parted"
    deltalake.write_deltalake(str(path), log_table(43, 5_000, day=1), partition_by=["group"])
    files = resolve_table(f"delta:{path}")
    assert len(files.partitions) == len(files.files)
    db = copy_db(model, "plan")
    with Store.open(db) as store:
        plan = prepare_scan(
            store, ModelRef("m", "1"), files.uris, partitions=files.partitions, split_bytes=1
        )
    wire = ScanPlan.from_json(plan.to_json())
    assert all(f.partition is not None for f in wire.files)
    blobs = [scan_units(wire, [u]) for u in reversed(wire.units)]
    with Store.open(db) as store:
        result = finish_scan(store, wire, blobs)
    reference = copy_db(model, "plan-files")
    assert _scan(reference, "--data", *map(str, _materialised(path, tmp_path / "c"))) == 0
    assert evidence(db, result.scan_id) == evidence(reference)


def test_a_partitioned_table_folder_as_plain_data_reads_its_hive_folders(
    model: dict[str, Any], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The table's folder as --data: `group=g1/c=__HIVE_DEFAULT_PARTITION__/` keys are read
    as the Delta log's values (one version, no removed files: the same evidence). One
    partition folder as --data has no `group=` folder under it: the column is missing."""
    deltalake = pytest.importorskip("deltalake", reason="needs govern-mrm[delta] (deltalake)")
    path = tmp_path / "lake" / "parted"
    table = _with_nulls(log_table(44, 2_000, day=1), "c", 37)
    deltalake.write_deltalake(str(path), table, partition_by=["group", "c"])
    assert any("__HIVE_DEFAULT_PARTITION__" in str(f) for f in path.rglob("*.parquet"))
    by_table, by_folder = copy_db(model, "table"), copy_db(model, "folder")
    assert _scan(by_table, "--table", f"delta:{path}") == 0
    assert _scan(by_folder, "--data", str(path)) == 0
    assert evidence(by_folder) == evidence(by_table)
    capsys.readouterr()
    assert _scan(copy_db(model, "one"), "--data", str(path / "group=g1")) == 2
    assert "'group'" in capsys.readouterr().err


def test_iceberg_identity_partitions_scan_like_their_files(
    model: dict[str, Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """pyiceberg writes an identity partition's column into the data files too (Iceberg
    spec, "Column Projection", allows either): such a table scans like its files."""
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
    for key, value in config.items():
        monkeypatch.setenv(f"PYICEBERG_CATALOG__LAKE__{key.upper()}", value)
    catalog = load_catalog("lake", **config)
    catalog.create_namespace("logs")
    data = log_table(45, 4_000, day=1)
    table = catalog.create_table("logs.parted", schema=data.schema)
    with table.update_spec() as update:
        update.add_identity("group")
    table.append(data)
    files = sorted(warehouse.rglob("*.parquet"))
    assert len(files) == 3 and all("group=" in str(f) for f in files)
    by_table, by_files = copy_db(model, "ice-t"), copy_db(model, "ice-f")
    assert _scan(by_table, "--table", "iceberg:lake.logs.parted") == 0
    assert _scan(by_files, "--data", *map(str, files)) == 0
    assert evidence(by_table) == evidence(by_files)
