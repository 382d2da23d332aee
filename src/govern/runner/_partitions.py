"""Partition columns that a table keeps in its metadata instead of its parquet files.

A Delta table partitioned by `region` writes each file under `region=eu/` and leaves the
column out of the file: the value is in the Delta log (the add action's partitionValues,
typed by the table schema; Delta protocol, "Partition Value Serialization"). Iceberg can
do the same for identity partitions (a file imported without the column: the value comes
from the manifest; Iceberg spec, "Column Projection"). govern reads the files with its own
reader, so such a column is added to every row group read from the file, as a constant of
the table's type (dictionary-encoded when the plan reads that column as a dictionary): the
batches are then those of the same file with the column written in it, and so is the
evidence.

The values travel in the scan plan per file, as a one-row Arrow IPC stream (base64), so
every Arrow type and null round-trips exactly to the workers.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping, Sequence
from typing import Any

import pyarrow as pa

Constants = dict[str, pa.Scalar]


def encode(values: pa.Table) -> str:
    """A one-row table of a file's partition values, as text for the plan."""
    if values.num_rows != 1:
        raise ValueError(f"one row of partition values expected, got {values.num_rows}")
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, values.schema) as writer:
        writer.write_table(values)
    return base64.b64encode(sink.getvalue().to_pybytes()).decode("ascii")


def decode(text: str) -> Constants:
    """Inverse of encode: column -> scalar of the table's type."""
    table = pa.ipc.open_stream(base64.b64decode(text)).read_all()
    return {name: table.column(name)[0] for name in table.column_names}


def reader_type(t: pa.DataType) -> pa.DataType:
    """The type govern's reader gives the same column read from parquet (views as plain)."""
    if t == pa.string_view():
        return pa.string()
    if t == pa.binary_view():
        return pa.binary()
    return t


def _constant(value: pa.Scalar, n: int, dictionary: bool) -> pa.Array:
    if dictionary:
        indices = pa.array([0] * n, pa.int32()) if value.is_valid else pa.nulls(n, pa.int32())
        values = pa.array([value.as_py()] if value.is_valid else [], value.type)
        return pa.DictionaryArray.from_arrays(indices, values)
    return pa.repeat(value, n)


class PartitionedFile:
    """A ParquetFile plus constant columns: what the scan loop reads in its place.

    Offers what the scan uses of a ParquetFile (schema_arrow, metadata, num_row_groups,
    read_row_group, close, a context manager). A constant column replaces a physical column
    of the same name: the table's partition value is the value of the row.
    """

    def __init__(self, pf: Any, constants: Constants, dictionary: Sequence[str]) -> None:
        self._pf = pf
        self._constants = self.constants = constants
        self._dictionary = set(dictionary)
        schema = pf.schema_arrow
        for name, value in constants.items():
            t = value.type
            if name in self._dictionary and (pa.types.is_string(t) or pa.types.is_large_string(t)):
                t = pa.dictionary(pa.int32(), t)
            idx = schema.get_field_index(name)
            # In place of a physical column of that name (the file's column indices stay
            # those of its row groups' statistics), else after the file's columns.
            if idx >= 0:
                schema = schema.set(idx, pa.field(name, t))
            else:
                schema = schema.append(pa.field(name, t))
        self.schema_arrow = schema

    @property
    def metadata(self) -> Any:
        return self._pf.metadata

    @property
    def num_row_groups(self) -> int:
        return int(self._pf.num_row_groups)

    def read_row_group(
        self, i: int, columns: Sequence[str] | None = None, use_threads: bool = True
    ) -> pa.Table:
        """Row group `i` with the requested columns, constants among them, in that order."""
        wanted = list(columns) if columns is not None else self.schema_arrow.names
        physical = [c for c in wanted if c not in self._constants]
        table = self._pf.read_row_group(i, columns=physical, use_threads=use_threads)
        n = table.num_rows if physical else self._pf.metadata.row_group(i).num_rows
        arrays, names = [], []
        for c in wanted:
            if c in self._constants:
                value = self._constants[c]
                t = self.schema_arrow.field(c).type
                arrays.append(pa.chunked_array([_constant(value, n, pa.types.is_dictionary(t))]))
            else:
                arrays.append(table.column(c))
            names.append(c)
        return pa.table(arrays, names=names) if names else table

    def close(self) -> None:
        self._pf.close()

    def __enter__(self) -> PartitionedFile:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def attach(
    pf: Any, constants: Mapping[str, pa.Scalar] | None, dictionary: Sequence[str] = ()
) -> Any:
    """`pf` itself without constants, else a PartitionedFile over it."""
    if not constants:
        return pf
    return PartitionedFile(pf, dict(constants), dictionary)


def physical(names: Sequence[str], constants: Mapping[str, pa.Scalar] | None) -> list[str]:
    """`names` without the constant columns (what the parquet reader itself is asked for)."""
    return [n for n in names if not constants or n not in constants]
