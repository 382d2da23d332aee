"""Opening parquet inputs with errors that name the file, and an explicit schema contract.

pyarrow.dataset and DuckDB unify schemas across files silently (casts, null-filled columns);
govern instead checks every file against the expected column types before computing anything.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from govern.errors import MetricInputError


def open_parquet(path: str | Path) -> pq.ParquetFile:
    """Open a parquet file's footer, or raise naming the file and the reader's message."""
    p = Path(path)
    if not p.exists():
        raise MetricInputError("file not found", path=p)
    if p.is_dir():
        raise MetricInputError("is a directory; pass parquet files", path=p)
    try:
        return pq.ParquetFile(p)
    except (pa.ArrowException, OSError, ValueError) as exc:
        raise MetricInputError(f"not a readable parquet file: {exc}", path=p) from exc


def check_columns(pf: pq.ParquetFile, path: str | Path, expected: dict[str, pa.DataType]) -> None:
    """Every expected column exists with exactly the expected Arrow type (no implicit casts)."""
    schema = pf.schema_arrow
    for name, dtype in expected.items():
        idx = schema.get_field_index(name)
        if idx < 0:
            raise MetricInputError(f"column {name!r} is missing", path=path)
        actual = schema.field(idx).type
        if actual != dtype:
            raise MetricInputError(
                f"column {name!r} has type {actual}, expected {dtype}; "
                "govern does not cast implicitly",
                path=path,
            )


def iter_row_groups(
    pf: pq.ParquetFile, path: str | Path, columns: Sequence[str]
) -> Iterator[pa.Table]:
    """Projected row groups, one at a time; decoding errors name the file."""
    for i in range(pf.num_row_groups):
        try:
            yield pf.read_row_group(i, columns=list(columns), use_threads=False)
        except (pa.ArrowException, OSError, ValueError) as exc:
            raise MetricInputError(f"cannot decode row group {i}: {exc}", path=path) from exc
