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

Hive-partitioned folders (`region=eu/part-0.parquet`, as Spark, Hive, pyarrow, DuckDB and
polars write them) carry such values in their paths: `hive_keys` reads the `key=value`
segments between the scan root and the file, `hive_values` types the ones the card monitors,
and they are added the same way, except that a column the file holds itself wins over the
path (HiveConstants; docs/metrics-drift.md, "Hive partition keys").

The values travel in the scan plan per file, as a one-row Arrow IPC stream (base64), so
every Arrow type and null round-trips exactly to the workers.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import pyarrow as pa

from govern.errors import MetricInputError

Constants = dict[str, pa.Scalar]


class HiveConstants(dict[str, pa.Scalar]):
    """Constants from hive `key=value` path segments: the file's own column wins.

    A table's partition values (Delta, Iceberg) replace a physical column of the same name;
    a hive key only fills in a column the file does not hold (`effective`): the rows hold
    what was logged, the folder only where the file was put (DuckDB reads the folder's
    value instead; docs/metrics-drift.md, "Hive partition keys").
    """


_HIVE = b"hive"  # schema metadata value of an encoded HiveConstants
_META = b"govern.partition"


def encode(values: pa.Table, *, hive: bool = False) -> str:
    """A one-row table of a file's partition values, as text for the plan.

    `hive`: the values come from the file's path, and decode to HiveConstants.
    """
    if values.num_rows != 1:
        raise ValueError(f"one row of partition values expected, got {values.num_rows}")
    if hive:
        values = values.replace_schema_metadata({_META: _HIVE})
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, values.schema) as writer:
        writer.write_table(values)
    return base64.b64encode(sink.getvalue().to_pybytes()).decode("ascii")


def decode(text: str) -> Constants:
    """Inverse of encode: column -> scalar of the table's type."""
    table = pa.ipc.open_stream(base64.b64decode(text)).read_all()
    values = {name: table.column(name)[0] for name in table.column_names}
    if (table.schema.metadata or {}).get(_META) == _HIVE:
        return HiveConstants(values)
    return values


def effective(constants: Mapping[str, pa.Scalar] | None, schema: pa.Schema) -> Constants | None:
    """The constants a file with `schema` gets: hive keys only where it lacks the column."""
    if isinstance(constants, HiveConstants):
        names = set(schema.names)
        constants = HiveConstants({k: v for k, v in constants.items() if k not in names})
    return dict(constants) if constants else None


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

    def read(self, columns: Sequence[str] | None = None, use_threads: bool = True) -> pa.Table:
        """Every row group with the requested columns (what `ParquetFile.read` returns)."""
        wanted = list(columns) if columns is not None else self.schema_arrow.names
        parts = [self.read_row_group(i, wanted, use_threads) for i in range(self.num_row_groups)]
        if parts:
            return pa.concat_tables(parts)
        return self.schema_arrow.empty_table().select(wanted)

    def close(self) -> None:
        self._pf.close()

    def __enter__(self) -> PartitionedFile:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def attach(
    pf: Any, constants: Mapping[str, pa.Scalar] | None, dictionary: Sequence[str] = ()
) -> Any:
    """`pf` itself without constants, else a PartitionedFile over it.

    Hive constants (HiveConstants) are only those of columns the file does not hold.
    """
    const = effective(constants, pf.schema_arrow)
    if not const:
        return pf
    return PartitionedFile(pf, const, dictionary)


def physical(names: Sequence[str], constants: Mapping[str, pa.Scalar] | None) -> list[str]:
    """`names` without the constant columns (what the parquet reader itself is asked for)."""
    return [n for n in names if not constants or n not in constants]


# ---------------------------------------------------------------- hive-partitioned folders

HIVE_NULL = "__HIVE_DEFAULT_PARTITION__"  # how Hive and Spark write a null partition value
_INT = re.compile(r"-?[0-9]+")
_FLOAT = re.compile(r"[-+]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][-+]?[0-9]+)?")
_INT64 = 2**63


def hive_keys(rel: str, path: str | Path) -> dict[str, str | None]:
    """The `key=value` segments of `rel`, the folders between the scan root and the file.

    Keys and values are URL-decoded (Hive and Spark escape `=`, `/`, `%`, ... as `%XX`);
    `__HIVE_DEFAULT_PARTITION__` is null. Segments without `=` are skipped. A key that
    appears twice with different values is refused, naming the file.
    """
    out: dict[str, str | None] = {}
    for segment in rel.split("/"):
        raw_key, eq, raw_value = segment.partition("=")
        if not eq or not raw_key:
            continue
        key, value = unquote(raw_key), unquote(raw_value)
        typed = None if value == HIVE_NULL else value
        if key in out and out[key] != typed:
            raise MetricInputError(
                f"the hive partition key {key!r} appears twice in the path with different "
                f"values ({out[key]!r}, {typed!r})",
                path=path,
            )
        out[key] = typed
    return out


def _number(key: str, text: str, ref: pa.DataType, path: str | Path) -> pa.Scalar:
    """`text` as a number for a reference of type `ref` (strict: digits, sign, ., exponent)."""
    if pa.types.is_integer(ref) and _INT.fullmatch(text) and -_INT64 <= int(text) < _INT64:
        return pa.scalar(int(text), pa.int64())
    if _FLOAT.fullmatch(text):
        t = ref if pa.types.is_floating(ref) else pa.float64()
        return pa.scalar(float(text), pa.float64()).cast(t)
    raise MetricInputError(
        f"the hive partition value {key}={text!r} in the path is not a number; the reference "
        f"has {key!r} as {ref}: fix the folder name, or re-run `govern baseline` on data of "
        "the new type",
        path=path,
    )


def _typed(key: str, value: str | None, dtype: str | None, path: str | Path) -> pa.Scalar:
    """A hive value as the reference's type (no reference: string)."""
    try:
        ref = pa.type_for_alias(dtype) if dtype is not None else pa.string()
    except (ValueError, KeyError):
        ref = pa.null()
    if pa.types.is_string(ref) or pa.types.is_large_string(ref):
        return pa.scalar(value, pa.string())
    if pa.types.is_integer(ref) or pa.types.is_floating(ref):
        if value is None:
            return pa.scalar(None, pa.int64() if pa.types.is_integer(ref) else ref)
        return _number(key, value, ref, path)
    if pa.types.is_boolean(ref):
        if value is None or value.lower() in ("true", "false"):
            return pa.scalar(None if value is None else value.lower() == "true", pa.bool_())
        raise MetricInputError(
            f"the hive partition value {key}={value!r} in the path is not true or false; the "
            f"reference has {key!r} as bool",
            path=path,
        )
    raise MetricInputError(
        f"the hive partition key {key!r}: the reference has it as {dtype}, and govern reads "
        "hive keys as strings, numbers or booleans; write the column into the files",
        path=path,
    )


def hive_values(
    keys: Mapping[str, str | None], types: Mapping[str, str | None], path: str | Path
) -> pa.Table:
    """One row: each key typed by `types` (the reference's dtype; None: string)."""
    scalars: Mapping[str, pa.Scalar] = hive_constants(keys, types, path) or {}
    return pa.table({k: pa.array([s.as_py()], s.type) for k, s in scalars.items()})


def hive_constants(
    keys: Mapping[str, str | None], types: Mapping[str, str | None], path: str | Path
) -> HiveConstants | None:
    """The keys as constants typed by `types` (see hive_values); None without keys."""
    if not keys:
        return None
    return HiveConstants({k: _typed(k, v, types.get(k), path) for k, v in keys.items()})


def infer_types(values: Sequence[Mapping[str, str | None]]) -> dict[str, str]:
    """Baseline types of hive keys (no reference yet): int64 or string.

    int64 when every non-null value of the key is an integer within int64, else string:
    pyarrow's default hive inference, but int64 rather than its int32, because the values
    a log carries (ids, yyyymmdd days, epoch seconds) can exceed int32, and int64 is what
    DuckDB, polars and pandas infer. A key with only nulls is a string.
    """
    seen: dict[str, bool] = {}
    for keys in values:
        for k, v in keys.items():
            ok = v is None or (_INT.fullmatch(v) is not None and -_INT64 <= int(v) < _INT64)
            seen[k] = seen.get(k, True) and ok
    return {k: "int64" if ok and _any_value(values, k) else "string" for k, ok in seen.items()}


def _any_value(values: Sequence[Mapping[str, str | None]], key: str) -> bool:
    return any(keys.get(key) is not None for keys in values)
