"""The identity of a parquet file's content: what decides whether stored counts still hold.

A parquet file ends with its footer (the Thrift FileMetaData: schema, row-group offsets,
sizes and column statistics), then the footer's length (4 bytes, little endian) and the
magic `PAR1` (Apache Parquet format specification, "File Format"). A writer produces a new
footer for new data (other statistics, other page sizes and offsets), so the SHA-256 of the
footer bytes, with the file size and modification time, identifies the content without
reading the data pages. The incremental cache reuses a file's stored partial states only
when all of these match, and a scan compares the identity taken before reading a file with
the one taken after: a file that changed while it was read fails the scan (docs/incremental.md).

Only regular files are accepted: a FIFO or a device would block the reader forever.
"""

from __future__ import annotations

import hashlib
import os
import stat
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from govern.errors import MetricInputError
from govern.runner._fs import ObjectIdentity, identify_object, is_uri

MAGIC = b"PAR1"
_TRAILER = 8  # footer length (uint32 LE) + magic

NOT_REGULAR = "is not a regular file ({kind}); pass parquet files"
CHANGED = (
    "changed while it was read ({what}); nothing was stored; run the scan again once the "
    "file is no longer being written or replaced"
)


@dataclass(frozen=True)
class FileIdentity:
    """What a file was when it was looked at: the cache key plus what detects a swap."""

    path: str  # absolute
    size: int
    mtime: float  # seconds, as provenance and as part of the cache key
    fingerprint: str  # "sha256:<hex>" of the parquet footer (metadata + length + magic)
    mtime_ns: int
    ctime_ns: int  # changes on any write, rename or utime(), and cannot be set back
    inode: int
    device: int

    @property
    def key(self) -> tuple[str, int, float, str]:
        """(path, size, mtime, fingerprint): the key of the file's stored partial states."""
        return self.path, self.size, self.mtime, self.fingerprint

    @property
    def version(self) -> str:
        """The token a worker checks before and after reading (a scan plan's WorkUnit).

        Footer fingerprint, size and the times and inode that any rewrite changes; not the
        device number, which differs between machines mounting the same shared volume.
        """
        return (
            f"{self.fingerprint};size={self.size};mtime_ns={self.mtime_ns};"
            f"ctime_ns={self.ctime_ns};inode={self.inode}"
        )

    def differences(self, other: FileIdentity) -> list[str]:
        """Names of the attributes that differ (empty: the same content, same file)."""
        names = ("size", "fingerprint", "mtime_ns", "ctime_ns", "inode", "device")
        return [n for n in names if getattr(self, n) != getattr(other, n)]


def _kind(mode: int) -> str:
    for test, name in (
        (stat.S_ISFIFO, "a FIFO"),
        (stat.S_ISSOCK, "a socket"),
        (stat.S_ISCHR, "a character device"),
        (stat.S_ISBLK, "a block device"),
        (stat.S_ISDIR, "a directory"),
    ):
        if test(mode):
            return name
    return "not a regular file"


def require_regular(path: str | Path) -> os.stat_result:
    """stat() of `path`, refusing anything but a regular file (stat never blocks on a FIFO)."""
    p = Path(path)
    try:
        st = os.stat(p)
    except FileNotFoundError as exc:
        raise MetricInputError("file not found", path=p) from exc
    except OSError as exc:
        raise MetricInputError(f"cannot read the file: {exc.strerror}", path=p) from exc
    if not stat.S_ISREG(st.st_mode):
        raise MetricInputError(NOT_REGULAR.format(kind=_kind(st.st_mode)), path=p)
    return st


def identify(path: str | Path) -> FileIdentity | ObjectIdentity:
    """The identity of a local file or (for a URI) of an object (runner/_fs.py)."""
    if is_uri(path):
        return identify_object(str(path))
    return identify_file(path)


def identify_file(path: str | Path) -> FileIdentity:
    """Size, times, inode and footer fingerprint of a regular parquet file.

    The file is opened non-blocking (a FIFO swapped in after a stat() cannot hang the open)
    and the fstat of that very descriptor is what is recorded.
    """
    p = Path(path)
    require_regular(p)
    try:
        fd = os.open(p, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except OSError as exc:
        raise MetricInputError(f"cannot read the file: {exc.strerror}", path=p) from exc
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise MetricInputError(NOT_REGULAR.format(kind=_kind(st.st_mode)), path=p)
        fingerprint = footer_digest(lambda n, off: _read_at(fd, n, off), st.st_size, p)
    finally:
        os.close(fd)
    return FileIdentity(
        path=str(p.resolve()),
        size=st.st_size,
        mtime=st.st_mtime,
        fingerprint=fingerprint,
        mtime_ns=st.st_mtime_ns,
        ctime_ns=st.st_ctime_ns,
        inode=st.st_ino,
        device=st.st_dev,
    )


def footer_digest(read_at: Callable[[int, int], bytes], size: int, path: str | Path) -> str:
    """sha256 of the footer, its length and the magic (the last footer_len + 8 bytes).

    `read_at(n, offset)` reads up to n bytes at offset (a descriptor or a remote file).
    """
    bad = "not a readable parquet file: "
    if size < len(MAGIC) + _TRAILER:
        raise MetricInputError(f"{bad}{size} bytes is too short for a parquet file", path=path)
    trailer = read_at(_TRAILER, size - _TRAILER)
    if len(trailer) != _TRAILER or trailer[4:] != MAGIC:
        raise MetricInputError(f"{bad}no PAR1 magic at the end of the file", path=path)
    footer_len = int.from_bytes(trailer[:4], "little")
    if footer_len > size - len(MAGIC) - _TRAILER:
        raise MetricInputError(
            f"{bad}footer length {footer_len} exceeds the file size {size}", path=path
        )
    h = hashlib.sha256()
    start, remaining = size - _TRAILER - footer_len, footer_len
    while remaining > 0:  # footers of very wide files can be megabytes: read in chunks
        chunk = read_at(min(remaining, 1 << 20), start)
        if not chunk:
            raise MetricInputError(f"{bad}the file ends inside its footer", path=path)
        h.update(chunk)
        start += len(chunk)
        remaining -= len(chunk)
    h.update(trailer)
    return "sha256:" + h.hexdigest()


def _read_at(fd: int, n: int, offset: int) -> bytes:
    """Up to n bytes at offset (pread where the platform has it)."""
    if hasattr(os, "pread"):
        return os.pread(fd, n, offset)
    os.lseek(fd, offset, os.SEEK_SET)
    return os.read(fd, n)


def check_unchanged(before: FileIdentity | ObjectIdentity, path: str | Path) -> None:
    """Raise when the file at `path` is no longer the one identified as `before`."""
    try:
        after = identify(path)
    except MetricInputError as exc:
        raise MetricInputError(CHANGED.format(what=f"now: {exc.message}"), path=path) from exc
    diff = before.differences(after)  # type: ignore[arg-type]  # same kind: same path
    if diff:
        raise MetricInputError(CHANGED.format(what=", ".join(diff) + " differ"), path=path)
