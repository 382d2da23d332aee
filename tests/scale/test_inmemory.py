"""`scan` over in-memory data: pyarrow Table / RecordBatch, polars DataFrame / LazyFrame,
pandas DataFrame. The evidence equals `govern scan` of the same rows written as a parquet
file of one row group (an in-memory table is counted as one batch), nothing is stored per
file, and the provenance says in-memory with a digest of the content."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from govern.cli import main
from govern.errors import MetricInputError
from govern.runner._inmemory import digest, to_arrow
from govern.scanplan import scan
from govern.store import Store
from tests.scale.conftest import REF, counts, evidence, latest_scan_id, log_table, timeless

N = 6_000


def _frames() -> dict[str, Any]:
    table = log_table(21, N, day=3, shift=0.2)
    out: dict[str, Any] = {
        "arrow-table": table,
        "arrow-batch": table.combine_chunks().to_batches()[0],
    }
    try:
        import polars as pl

        df = pl.from_arrow(table)
        out["polars"] = df
        out["polars-lazy"] = df.lazy()
    except ImportError:
        pass
    try:
        import pandas as pd

        out["pandas-arrow"] = table.to_pandas(types_mapper=pd.ArrowDtype)
    except ImportError:
        pass
    return out


FRAMES = _frames()


def _file_scan(model: dict[str, Any], table: pa.Table, *extra: str) -> Any:
    path = model["tmp"] / "one.parquet"
    pq.write_table(table, path, row_group_size=table.num_rows)
    db = model["fresh_db"]()
    assert main(["--db", str(db), "-q", "scan", "m@1", "--data", str(path), *extra]) == 0
    return evidence(db, latest_scan_id(db))


@pytest.mark.parametrize("kind", sorted(FRAMES))
def test_an_in_memory_frame_equals_the_scan_of_its_parquet_file(
    scale_model: dict[str, Any], kind: str
) -> None:
    frame = FRAMES[kind]
    db = scale_model["fresh_db"]()
    before = counts(db)
    with Store.open(db) as store:
        result = scan(store, REF, data=frame)
    stored = evidence(db, result.scan_id)
    assert timeless(stored) == timeless(_file_scan(scale_model, FRAMES["arrow-table"]))
    (source,) = stored.sources
    assert source["path"] == "in-memory" and source["rows"] == N
    assert source["fingerprint"] == digest(to_arrow(frame))
    assert counts(db)[2] == before[2]  # no partial states for in-memory data


def test_a_pandas_frame_of_numpy_columns_equals_its_arrow_conversion(
    scale_model: dict[str, Any],
) -> None:
    pd = pytest.importorskip("pandas")
    frame = FRAMES["arrow-table"].to_pandas()
    assert isinstance(frame, pd.DataFrame)
    db = scale_model["fresh_db"]()
    with Store.open(db) as store:
        result = scan(store, REF, data=frame)
    expected = _file_scan(scale_model, pa.Table.from_pandas(frame, preserve_index=False))
    assert timeless(evidence(db, result.scan_id)) == timeless(expected)


def test_an_in_memory_window_equals_the_file_window(scale_model: dict[str, Any]) -> None:
    since, until = datetime(2026, 11, 3, 6), datetime(2026, 11, 3, 18)
    db = scale_model["fresh_db"]()
    with Store.open(db) as store:
        result = scan(store, REF, data=FRAMES["arrow-table"], since=since, until=until)
    stored = evidence(db, result.scan_id)
    expected = _file_scan(
        scale_model,
        FRAMES["arrow-table"],
        "--since",
        since.isoformat(),
        "--until",
        until.isoformat(),
    )
    assert 0 < stored.sources[0]["rows"] < N
    assert stored.sources[0]["rows"] == expected.sources[0]["rows"]
    assert timeless(stored) == timeless(expected)


def test_the_digest_follows_the_content() -> None:
    table = FRAMES["arrow-table"]
    assert digest(table) == digest(pa.Table.from_batches(table.to_batches(max_chunksize=999)))
    decoded = table.set_column(4, "d", table.column("d").cast(pa.string()))
    assert digest(decoded) == digest(table)
    changed = table.set_column(0, "f32", pa.array([1.0] * N, pa.float32()))
    assert digest(changed) != digest(table)


def test_an_in_memory_frame_missing_a_column_is_refused(scale_model: dict[str, Any]) -> None:
    db = scale_model["fresh_db"]()
    before = counts(db)
    with Store.open(db) as store, pytest.raises(MetricInputError, match="'f64' is missing") as e:
        scan(store, REF, data=FRAMES["arrow-table"].drop_columns(["f64"]))
    assert e.value.path == "in-memory"
    assert counts(db) == before


def test_polars_stays_an_optional_import() -> None:
    """src/ names polars only as a type's module: importing govern's scan loads no polars."""
    import subprocess
    import sys

    code = (
        "import sys; import govern.scanplan, govern.cli; "
        "print('polars' in sys.modules, 'pandas' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False"]


def test_paths_still_work_as_data(scale_model: dict[str, Any], tmp_path: Path) -> None:
    db = scale_model["fresh_db"]()
    with Store.open(db) as store:
        result = scan(store, REF, data=[scale_model["files"][0]])
    assert result.rows == 3_000
