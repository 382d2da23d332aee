"""The DuckDB store: connection and migrations, registry, evidence, decisions.

All SQL lives in this package.
"""

from govern.store._connection import DEFAULT_DB, Store, resolve_db_path
from govern.store._migrations import SCHEMA_VERSION

__all__ = ["DEFAULT_DB", "SCHEMA_VERSION", "Store", "resolve_db_path"]
