"""Parquet inputs: discovery, errors that name the file, an explicit schema contract, windows.

pyarrow.dataset and DuckDB unify schemas across files silently (casts, null-filled columns);
govern instead checks every file against the reference column types before computing
anything, and reads each file's row groups itself (projected, one at a time).
"""

from __future__ import annotations

import glob
import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from fractions import Fraction
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from govern.errors import MetricInputError, UserInputError
from govern.runner import _fs, _partitions
from govern.runner._identity import require_regular

PARQUET_SUFFIXES = (".parquet", ".parq", ".pq")
_GLOB_CHARS = set("*?[")


# A parquet source: a local Path, or an object-storage URI string (runner/_fs.py).
Source = Path | str


def discover(inputs: Sequence[str | Path]) -> list[Source]:
    """Files from paths, globs, (hive-partitioned) directories and URIs, in a stable order.

    A directory (or a URI prefix) is searched recursively for *.parquet files (so
    `dt=2026-11-01/part-0.parquet` layouts work); files whose name starts with `_` or `.`
    (`_SUCCESS`, `.crc`) are skipped. Every input must match at least one file. Local files
    come back as Paths, objects as their `s3://` / `gs://` / `abfs://` URI strings.
    """
    return [f for f, _ in discover_keys(inputs)]


def discover_keys(inputs: Sequence[str | Path]) -> list[tuple[Source, dict[str, str | None]]]:
    """`discover`, with each file's hive partition keys (runner/_partitions.py, hive_keys).

    The keys are the `key=value` folders between the scan root and the file: the root is
    the directory or URI prefix given, or a glob's folder before its first wildcard; a file
    given by name has none. A file found by two inputs keeps the keys of the first.
    """
    out: list[tuple[Source, dict[str, str | None]]] = []
    seen: set[Path | str] = set()
    for raw in inputs:
        text = str(raw)
        if isinstance(raw, str) and _fs.scheme_of(text) not in (None, "file"):
            _fs.check_uri(text)
            wild = _GLOB_CHARS & set(text)
            objects = (
                _fs.glob_objects(text, PARQUET_SUFFIXES)
                if wild
                else _fs.list_objects(text, PARQUET_SUFFIXES)
            )
            root = _object_path(_glob_root(text) if wild else text)
            for uri in objects:
                if uri not in seen:
                    seen.add(uri)
                    out.append((uri, _keys_under(root, _object_path(uri), uri)))
            continue
        if _fs.scheme_of(text) == "file":
            text = text[len("file://") :]
        found: list[Path]
        base: Path | None = None
        if _GLOB_CHARS & set(text):
            found = sorted(Path(p) for p in glob.glob(text, recursive=True) if Path(p).is_file())
            if not found:
                raise UserInputError(f"no files match the pattern {text!r}")
            base = Path(_glob_root(text) or ".")
        else:
            p = Path(text)
            if p.is_dir():
                found = sorted(
                    f
                    for f in p.rglob("*")
                    if f.is_file()
                    and f.suffix in PARQUET_SUFFIXES
                    and not any(part.startswith(("_", ".")) for part in f.relative_to(p).parts)
                )
                if not found:
                    raise UserInputError(f"no parquet files under the directory {text!r}")
                base = p
            else:
                require_regular(p)  # a FIFO or device would block the reader forever
                found = [p]
        for f in found:
            key = f.resolve()
            if key not in seen:
                seen.add(key)
                out.append((f, _local_keys(base, f)))
    return out


def _glob_root(pattern: str) -> str:
    """The folder of a glob before its first wildcard ("": the current directory)."""
    wild = min(i for i, c in enumerate(pattern) if c in _GLOB_CHARS)
    head = pattern[:wild]
    if "/" not in head:
        return ""
    return head.rsplit("/", 1)[0] or "/"


def _local_keys(base: Path | None, f: Path) -> dict[str, str | None]:
    if base is None:
        return {}
    try:
        rel = f.parent.relative_to(base)
    except ValueError:  # not under the root as written (a glob with `..`): no keys
        return {}
    return _partitions.hive_keys(rel.as_posix(), f)


def _object_path(uri: str) -> str:
    """The object's path in its filesystem (bucket or container first), without a final /."""
    return _fs.filesystem(uri)[1].rstrip("/")


def _keys_under(root: str, path: str, uri: str) -> dict[str, str | None]:
    if not path.startswith(root + "/"):
        return {}
    rel = path[len(root) + 1 :].rsplit("/", 1)[0] if "/" in path[len(root) + 1 :] else ""
    return _partitions.hive_keys(rel, _fs.redact(uri))


def reader_message(exc: BaseException) -> str:
    """The reader's message on one line (pyarrow's can span several)."""
    lines = [ln.strip() for ln in str(exc).splitlines() if ln.strip()]
    return "; ".join(lines) or type(exc).__name__


def open_parquet(
    path: Source, *, dictionary: Sequence[str] = (), memory_map: bool = False
) -> pq.ParquetFile:
    """Open a parquet file's footer, or raise naming the file and the reader's message.

    `memory_map` (off by default) reads pages from the page cache without a copy; in the
    benchmarks it saved no CPU end to end while the touched pages of every open file count
    toward RSS (about the file size), and a file truncated while mapped faults (SIGBUS).
    An object URI is read through its pyarrow filesystem (ranged reads); closing the
    ParquetFile closes the object's reader too.
    """
    if _fs.is_uri(path):
        uri = str(path)
        fs, key = _fs.filesystem(uri)
        try:
            # pre_buffer: one coalesced ranged read per row group's columns, not one per page.
            return pq.ParquetFile(
                key, filesystem=fs, read_dictionary=list(dictionary) or None, pre_buffer=True
            )
        except OSError as exc:
            raise _fs.store_error(uri, exc, "open the object") from exc
        except (pa.ArrowException, ValueError) as exc:
            raise MetricInputError(
                f"not a readable parquet file: {reader_message(exc)}", path=uri
            ) from exc
    p = Path(path)
    if p.is_dir():
        raise MetricInputError("is a directory; pass parquet files", path=p)
    require_regular(p)
    try:
        return pq.ParquetFile(p, read_dictionary=list(dictionary) or None, memory_map=memory_map)
    except (pa.ArrowException, OSError, ValueError) as exc:
        raise MetricInputError(
            f"not a readable parquet file: {reader_message(exc)}", path=p
        ) from exc


def logical_type(t: pa.DataType) -> pa.DataType:
    """The type a column holds, ignoring dictionary encoding (an encoding, not a type)."""
    return t.value_type if pa.types.is_dictionary(t) else t


def _family(t: pa.DataType) -> str:
    """What a column holds for drift: numbers, text, or (anything else) its exact type."""
    t = logical_type(t)
    if pa.types.is_integer(t) or pa.types.is_floating(t):
        return "number"
    if pa.types.is_string(t) or pa.types.is_large_string(t):
        return "text"
    return str(t)


def compatible(expected: str, actual: pa.DataType) -> bool:
    """Whether a column of type `actual` can be counted against a reference of `expected`.

    The same type always is. Beyond that, two logical types are equal (docs/metrics-drift.md,
    "Schema contract"): string and large_string (and their dictionaries) hold the same text,
    and every integer and float width holds numbers that are binned by their float64 value,
    which no conversion here narrows. Everything else (text vs number, bool vs int) is not.
    """
    if str(logical_type(actual)) == expected:
        return True
    try:
        ref = pa.type_for_alias(expected)
    except (ValueError, KeyError):
        return False
    return _family(ref) == _family(actual) and _family(ref) in ("number", "text")


def check_columns(
    pf: pq.ParquetFile | pa.Schema, path: str | Path, expected: dict[str, str]
) -> None:
    """Every expected column exists with a type compatible with the reference's (see above)."""
    schema = pf if isinstance(pf, pa.Schema) else pf.schema_arrow
    for name, dtype in expected.items():
        idx = schema.get_field_index(name)
        if idx < 0:
            raise MetricInputError(
                f"column {name!r} is missing (the reference has it as {dtype}); "
                "map it in the model card's monitoring.columns if it was renamed",
                path=path,
            )
        actual = schema.field(idx).type
        if not compatible(dtype, actual):
            raise MetricInputError(
                f"column {name!r} has type {logical_type(actual)}, the reference has {dtype}; "
                "govern does not cast implicitly (numbers of any width match numbers, strings "
                "match large strings): convert the column where the log is written, or "
                "re-run `govern baseline` on data of the new type",
                path=path,
            )


@dataclass(frozen=True)
class Window:
    """Rows with since <= column < until (either bound optional), on a timestamp column."""

    column: str
    since: datetime | None = None
    until: datetime | None = None

    def check(self, pf: pq.ParquetFile, path: str | Path) -> None:
        """The window column exists and holds timestamps or dates."""
        schema = pf.schema_arrow
        idx = schema.get_field_index(self.column)
        if idx < 0:
            raise MetricInputError(f"time column {self.column!r} is missing", path=path)
        t = schema.field(idx).type
        if not (pa.types.is_timestamp(t) or pa.types.is_date(t)):
            raise MetricInputError(
                f"time column {self.column!r} has type {t}; expected a timestamp or date", path=path
            )

    def _bound(self, when: datetime, t: pa.DataType) -> pa.Scalar | float:
        """`when` as a scalar of the column's type, or +-inf beyond the type's range.

        A timestamp[ns] column holds 1677-09-21 to 2262-04-11 only: a bound outside that
        range (`--until 9999-01-01`) is not an error, it simply keeps or drops every row.
        A lower bound between two ticks of a coarse unit rounds up, an upper one too
        (`ts >= 10.5 s` is `ts >= 11 s`; `ts < 10.5 s` is `ts < 11 s`).
        """
        if pa.types.is_date(t):
            return pa.scalar(when.date(), type=t)
        micros = (_naive_utc(when) - _EPOCH) // timedelta(microseconds=1)
        per_us = {"s": Fraction(1, 10**6), "ms": Fraction(1, 1000), "us": Fraction(1)}
        ticks = micros * 1000 if t.unit == "ns" else math.ceil(micros * per_us[t.unit])
        if ticks > _INT64_MAX:
            return math.inf
        if ticks < -_INT64_MAX:
            return -math.inf
        return pa.scalar(ticks, type=pa.int64()).cast(t)

    def row_group_overlaps(self, pf: pq.ParquetFile, i: int) -> bool:
        """False only when the row group's statistics prove it lies outside the window."""
        rg = pf.metadata.row_group(i)
        idx = pf.schema_arrow.get_field_index(self.column)
        if self.column in getattr(pf, "constants", ()):  # a table's partition column
            return True  # (runner/_partitions.py): no statistics in the file
        col = rg.column(idx)
        stats = col.statistics
        if stats is None or not stats.has_min_max:
            return True
        try:
            lo, hi = stats.min, stats.max
        except (OverflowError, ValueError):  # beyond datetime's years 1-9999: cannot prove
            return True
        if isinstance(lo, datetime | date) and isinstance(hi, datetime | date):
            if self.since is not None and _naive_utc(hi) < _naive_utc(self.since):
                return False
            if self.until is not None and _naive_utc(lo) >= _naive_utc(self.until):
                return False
        return True

    def mask(self, column: pa.ChunkedArray | pa.Array) -> pa.Array | pa.ChunkedArray:
        """Boolean mask of the rows inside the window (null timestamps are outside)."""
        import pyarrow.compute as pc  # here, not at import: ~0.1 s a scan does not need

        t = column.type
        m = column.is_valid()
        for when, op, keep_all in (
            (self.since, pc.greater_equal, -math.inf),
            (self.until, pc.less, math.inf),
        ):
            if when is None:
                continue
            bound = self._bound(when, t)
            if isinstance(bound, float):  # beyond the column type's range
                if bound != keep_all:
                    m = pc.and_(m, pa.scalar(False))
                continue
            m = pc.and_(m, op(column, bound))
        return pc.fill_null(m, False)


_EPOCH = datetime(1970, 1, 1)
_INT64_MAX = 2**63 - 1


def _naive_utc(x: datetime | date) -> datetime:
    if not isinstance(x, datetime):
        return datetime(x.year, x.month, x.day)
    return x.astimezone(UTC).replace(tzinfo=None) if x.tzinfo else x


def parse_when(text: str, flag: str) -> datetime:
    """An ISO 8601 date or date-time from --since/--until (naive means UTC)."""
    try:
        when = datetime.fromisoformat(text)
    except ValueError as exc:
        raise UserInputError(
            f"{flag}: {text!r} is not an ISO 8601 date or date-time (e.g. 2026-11-01 or "
            "2026-11-01T12:00:00Z)"
        ) from exc
    try:
        _naive_utc(when)
    except OverflowError as exc:  # 9999-12-31T23:00-05:00 is after year 9999 in UTC
        raise UserInputError(f"{flag}: {text!r} is out of range in UTC") from exc
    return when


def read_row_group(
    pf: pq.ParquetFile,
    path: str | Path,
    i: int,
    columns: Sequence[str],
    window: Window | None,
    *,
    use_threads: bool = False,
) -> pa.Table:
    """One projected row group, filtered to the window; decoding errors name the file."""
    cols = list(columns)
    if window is not None and window.column not in cols:
        cols.append(window.column)
    try:
        table = pf.read_row_group(i, columns=cols, use_threads=use_threads)
    except (pa.ArrowException, OSError, ValueError) as exc:
        raise MetricInputError(
            f"cannot decode row group {i}: {reader_message(exc)}", path=path
        ) from exc
    if window is not None:
        table = table.filter(window.mask(table.column(window.column)))
    return table


def iter_row_groups(
    pf: pq.ParquetFile, path: str | Path, columns: Sequence[str]
) -> Iterator[pa.Table]:
    """Projected row groups, one at a time; decoding errors name the file."""
    for i in range(pf.num_row_groups):
        yield read_row_group(pf, path, i, columns, None)
