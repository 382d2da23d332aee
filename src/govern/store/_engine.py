"""The DuckDB module the store talks to: the compiled engine, without the package's Python.

`import duckdb` runs the package's Python layer on top of the compiled engine (`_duckdb`)
that it re-exports: a relation and expression API, Arrow and polars source adapters, and
`importlib.metadata` to look up its own version. That is ~200 M instructions, ~0.05 s of
CPU, on every command that opens the database (a fifth of the start-up of a `govern scan`
beyond pyarrow's, benchmarks/README.md). The store uses the engine's own API only (connect,
execute, fetch, the exception classes: the package's are the same objects), so it imports
the engine directly. The one thing the engine leaves to the package is scanning Arrow data
from Python (`register` of a pyarrow Table): call `arrow_scans()` first. With a duckdb
release whose engine module has another name, the package itself is used.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import duckdb
else:
    try:
        import _duckdb as duckdb
    except ImportError:  # another layout of the duckdb distribution
        import duckdb

__all__ = ["arrow_scans", "duckdb"]


def arrow_scans() -> None:
    """Let the engine scan Arrow data: importing the package installs its Arrow sources."""
    import duckdb as package  # noqa: F401
