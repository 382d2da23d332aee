"""Lakehouse tables as scan sources: a Delta or Iceberg table version -> its parquet files.

`delta:PATH[@VERSION]` reads the Delta log with `deltalake` (the version's active files);
`iceberg:CATALOG.NAMESPACE.TABLE[@SNAPSHOT_ID]` plans the snapshot's files with `pyiceberg`,
the catalog configured as pyiceberg reads it (`~/.pyiceberg.yaml`, `PYICEBERG_CATALOG__*`).
Both resolve to plain parquet files that govern's own reader counts, so a table scan equals
`govern scan` over the same files. What the reader cannot honour is refused, never read
approximately: deletion vectors and Iceberg delete files (rows the files still hold but the
table no longer has), Delta column mapping and Iceberg column renames (names in the files
differ from the table's), data files that are not parquet, and reader features govern does not
know. The table version or snapshot id goes into the scan's provenance.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, cast
from urllib.parse import unquote, urlparse

from govern._optional import require
from govern.errors import UserInputError

# Delta reader features whose tables govern reads exactly: the files hold every row of the
# version with the table's column names. deletionVectors is checked file by file below.
_DELTA_READER_FEATURES = frozenset(
    {
        "deletionVectors",
        "timestampNtz",
        "v2Checkpoint",
        "vacuumProtocolCheck",
        "typeWidening",
        "typeWidening-preview",
        "variantType",
        "variantType-preview",
    }
)
_VERSIONED = re.compile(r"^(?P<name>.+?)(?:@(?P<version>-?\d+))?$")
FORMATS = ("delta", "iceberg")


@dataclass(frozen=True)
class TableFiles:
    """One version of a table: its data files (uri or local path, size), in a stable order."""

    spec: str  # as the user wrote it
    format: str  # "delta" | "iceberg"
    name: str  # the Delta table's location, or CATALOG.NAMESPACE.TABLE
    version: int  # Delta table version, or Iceberg snapshot id
    files: tuple[tuple[str, int | None], ...]  # size None: not in the log
    # file -> its partition values the file does not hold (runner/_partitions.py, encoded)
    partitions: Mapping[str, str] = field(default_factory=dict)

    @property
    def uris(self) -> list[str]:
        """The data files, as `prepare_scan` takes them."""
        return [uri for uri, _ in self.files]

    def provenance(self) -> dict[str, Any]:
        """What the scan's evidence records about the table."""
        key = "version" if self.format == "delta" else "snapshot_id"
        return {"format": self.format, "name": self.name, key: self.version}


def _refuse(spec: str, why: str) -> UserInputError:
    return UserInputError(f"table {spec}: {why}; nothing was scanned")


def _split(spec: str) -> tuple[str, str, int | None]:
    fmt, sep, rest = spec.partition(":")
    if not sep or fmt not in FORMATS or not rest:
        raise UserInputError(
            f"table {spec!r}: expected delta:PATH[@VERSION] or "
            "iceberg:CATALOG.NAMESPACE.TABLE[@SNAPSHOT_ID]"
        )
    m = _VERSIONED.match(rest)
    assert m is not None  # the pattern matches any non-empty text
    version = m.group("version")
    return fmt, m.group("name"), int(version) if version is not None else None


def resolve_table(spec: str) -> TableFiles:
    """The parquet files of a `delta:` or `iceberg:` table version, or a UserInputError."""
    fmt, name, version = _split(spec)
    if fmt == "delta":
        return _delta(spec, name, version)
    return _iceberg(spec, name, version)


def local_path(uri: str) -> str:
    """A `file:` URI as a plain path (how `govern scan` names local files); others unchanged."""
    if uri.startswith("file:"):
        return unquote(urlparse(uri).path)
    return uri


def _delta(spec: str, path: str, version: int | None) -> TableFiles:
    deltalake = require("deltalake", extra="delta", what="--table delta:")
    try:
        table = deltalake.DeltaTable(path, version=version)
    except Exception as exc:  # deltalake raises its own DeltaError for every failure
        raise _refuse(spec, _delta_message(exc, version)) from exc
    protocol = table.protocol()
    unknown = sorted(set(protocol.reader_features or ()) - _DELTA_READER_FEATURES)
    if unknown:
        raise _refuse(
            spec, f"the table needs reader features govern cannot honour: {', '.join(unknown)}"
        )
    mode = table.metadata().configuration.get("delta.columnMapping.mode", "none")
    if mode != "none":
        raise _refuse(
            spec,
            f"the table uses column mapping (delta.columnMapping.mode = {mode}): the parquet "
            "files hold physical column names govern does not translate",
        )
    try:
        deleted = _with_deletion_vectors(table)
    except Exception as exc:  # a deletion vector that cannot be read is not one to ignore
        raise _refuse(spec, f"cannot read its deletion vectors ({exc})") from exc
    if deleted:
        raise _refuse(
            spec,
            f"{len(deleted)} file(s) carry deletion vectors (e.g. {deleted[0]}): their "
            "deleted rows are still in the parquet files and would be counted; purge them "
            "first (REORG TABLE ... APPLY (PURGE)) or scan a version without them",
        )
    actions = _arrow_table(table.get_add_actions(flatten=True))
    # Add actions hold paths relative to the table, URL-encoded once more than file_uris().
    rels = [unquote(str(p)) for p in actions.column("path").to_pylist()]
    sizes = dict(zip(rels, (int(n) for n in actions.column("size_bytes").to_pylist()), strict=True))
    partitioned = _delta_partitions(table, actions, rels)
    roots = [r.rstrip("/") + "/" for r in (table.table_uri, local_path(table.table_uri))]
    files = []
    partitions: dict[str, str] = {}
    for uri in table.file_uris():
        rel = next((uri[len(r) :] for r in roots if uri.startswith(r)), None)
        size = sizes.get(rel) if rel is not None else None
        files.append((local_path(uri), size))
        if partitioned:
            if rel not in partitioned:
                raise _refuse(spec, f"{local_path(uri)} has no partition values in the Delta log")
            partitions[_source_key(local_path(uri))] = partitioned[rel]
    name = local_path(table.table_uri).rstrip("/")
    return TableFiles(spec, "delta", name, int(table.version()), tuple(sorted(files)), partitions)


def _source_key(uri: str) -> str:
    """How prepare_scan names a file given as `uri` (a local path is normalised)."""
    from pathlib import Path

    from govern.runner._fs import is_uri

    return uri if is_uri(uri) else str(Path(uri))


def _delta_partitions(table: Any, actions: Any, rels: list[str]) -> dict[str, str]:
    """Each file's partition values, encoded for the plan (empty: no partition columns).

    The add actions' `partition.COL`, typed by the table schema. Delta files do not hold
    their partition columns (Delta protocol, "Partition Value Serialization"), so the scan
    adds them (runner/_partitions.py).
    """
    import pyarrow as pa

    from govern.runner import _partitions

    columns = list(table.metadata().partition_columns or ())
    if not columns:
        return {}
    values = pa.table(
        {
            c: actions.column(f"partition.{c}").cast(
                _partitions.reader_type(actions.column(f"partition.{c}").type)
            )
            for c in columns
        }
    )
    return {rel: _partitions.encode(values.slice(i, 1)) for i, rel in enumerate(rels)}


def _delta_message(exc: Exception, version: int | None) -> str:
    text = " ".join(str(exc).split())
    if type(exc).__name__ == "TableNotFoundError":
        return f"no Delta table there ({text})"
    if version is not None:
        return f"cannot load version {version} ({text}); list the versions with DESCRIBE HISTORY"
    return f"cannot read the Delta log ({text})"


def _arrow_table(obj: Any) -> Any:
    """A pyarrow Table of deltalake's arro3 tables and readers (Arrow C stream interface)."""
    import pyarrow as pa

    return pa.table(obj)


def _with_deletion_vectors(table: Any) -> list[str]:
    """Files of the version that carry a deletion vector."""
    dv = _arrow_table(table.deletion_vectors())
    return sorted(local_path(str(p)) for p in dv.column("filepath").to_pylist())


def _iceberg(spec: str, name: str, snapshot_id: int | None) -> TableFiles:
    require("pyiceberg", extra="iceberg", what="--table iceberg:")
    from pyiceberg.catalog import load_catalog
    from pyiceberg.exceptions import NoSuchTableError
    from pyiceberg.utils.config import Config

    parts = name.split(".")
    if len(parts) < 3:
        raise UserInputError(
            f"table {spec!r}: expected iceberg:CATALOG.NAMESPACE.TABLE (the catalog as named "
            "in ~/.pyiceberg.yaml or PYICEBERG_CATALOG__<NAME>__URI)"
        )
    catalog_name, identifier = parts[0], tuple(parts[1:])
    try:
        # pyiceberg reads its configuration once, at import; read it again (the file and the
        # PYICEBERG_CATALOG__* variables) so a long-lived process sees the current one.
        properties = cast("dict[str, str | None]", Config().get_catalog_config(catalog_name))
        catalog = load_catalog(catalog_name, **(properties or {}))
        table = catalog.load_table(identifier)
    except NoSuchTableError as exc:
        raise _refuse(spec, f"no such table in catalog {catalog_name!r}") from exc
    except Exception as exc:  # configuration and connection errors of any catalog type
        text = " ".join(str(exc).split())
        raise _refuse(spec, f"cannot load it from catalog {catalog_name!r}: {text}") from exc
    if snapshot_id is None:
        snapshot = table.current_snapshot()
        if snapshot is None:
            raise _refuse(spec, "the table has no snapshot yet (nothing was ever written)")
    else:
        snapshot = table.snapshot_by_id(snapshot_id)
        if snapshot is None:
            known = ", ".join(str(s.snapshot_id) for s in table.snapshots()) or "none"
            raise _refuse(spec, f"no snapshot {snapshot_id}; the table has: {known}")
    _check_iceberg_names(spec, table.metadata.schemas, table.schema())
    try:
        tasks = list(table.scan(snapshot_id=snapshot.snapshot_id).plan_files())
    except Exception as exc:  # e.g. equality deletes, which pyiceberg does not plan
        text = " ".join(str(exc).split())
        raise _refuse(spec, f"cannot plan snapshot {snapshot.snapshot_id}: {text}") from exc
    files = []
    for task in tasks:
        f = task.file
        if task.delete_files:
            raise _refuse(
                spec,
                f"{local_path(f.file_path)} has {len(task.delete_files)} delete file(s): its "
                "deleted rows are still in the parquet file and would be counted; compact the "
                "table (rewrite_data_files) or scan a snapshot without them",
            )
        if str(f.file_format.name).upper() != "PARQUET":
            where = local_path(f.file_path)
            raise _refuse(spec, f"{where} is {f.file_format.name}; govern reads parquet")
        files.append((local_path(f.file_path), int(f.file_size_in_bytes)))
    return TableFiles(spec, "iceberg", name, int(snapshot.snapshot_id), tuple(sorted(files)))


def _check_iceberg_names(spec: str, schemas: Any, current: Any) -> None:
    """Refuse a table whose field ids ever went by other names than today's.

    Iceberg tracks columns by field id; govern reads by name. A renamed column, or a dropped
    one whose name came back under a new id, would be read from older files by the wrong
    name (or not at all).
    """
    now: Mapping[int, str] = {f.field_id: f.name for f in current.fields}
    by_name = {v: k for k, v in now.items()}
    for schema in schemas:
        for f in schema.fields:
            if (f.field_id in now and now[f.field_id] != f.name) or (
                f.name in by_name and by_name[f.name] != f.field_id
            ):
                raise _refuse(
                    spec,
                    f"column {f.name!r} (field id {f.field_id}) was renamed or replaced in "
                    f"schema {schema.schema_id}; older files hold other names than the table",
                )
