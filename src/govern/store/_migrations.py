"""Versioned schema: each migration is applied once, in order, in one transaction.

An older database is migrated on open; a database written by a newer govern is refused
before anything is written.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from govern.clock import utcnow
from govern.errors import StoreError

# Migration N turns schema N-1 into schema N. Append only; never edit a released step.
MIGRATIONS: list[str] = [
    # 1: registry, lifecycle, evidence, decisions
    """
    CREATE TABLE schema_version (
        version INTEGER NOT NULL,
        applied_at TIMESTAMP NOT NULL
    );
    CREATE TABLE models (
        name VARCHAR PRIMARY KEY,
        owner VARCHAR,
        risk_tier VARCHAR,
        use_case VARCHAR,
        regulatory_scope VARCHAR[],
        created_at TIMESTAMP NOT NULL,
        updated_at TIMESTAMP NOT NULL
    );
    CREATE TABLE model_versions (
        name VARCHAR NOT NULL,
        version VARCHAR NOT NULL,
        stage VARCHAR NOT NULL,
        card JSON NOT NULL,
        card_path VARCHAR,
        card_sha256 VARCHAR NOT NULL,
        registered_at TIMESTAMP NOT NULL,
        updated_at TIMESTAMP NOT NULL,
        PRIMARY KEY (name, version)
    );
    CREATE TABLE lifecycle_events (
        event_id VARCHAR PRIMARY KEY,
        name VARCHAR NOT NULL,
        version VARCHAR NOT NULL,
        action VARCHAR NOT NULL,
        from_stage VARCHAR,
        to_stage VARCHAR,
        actor VARCHAR,
        decision_id VARCHAR,
        detail JSON,
        occurred_at TIMESTAMP NOT NULL
    );
    CREATE TABLE scans (
        scan_id VARCHAR PRIMARY KEY,
        name VARCHAR NOT NULL,
        version VARCHAR NOT NULL,
        kind VARCHAR NOT NULL,
        rows BIGINT NOT NULL,
        sources JSON NOT NULL,
        params JSON,
        engine_version VARCHAR NOT NULL,
        started_at TIMESTAMP NOT NULL,
        finished_at TIMESTAMP NOT NULL
    );
    CREATE TABLE evidence (
        scan_id VARCHAR NOT NULL,
        name VARCHAR NOT NULL,
        version VARCHAR NOT NULL,
        family VARCHAR NOT NULL,
        subject VARCHAR NOT NULL,
        metric VARCHAR NOT NULL,
        value DOUBLE,
        status VARCHAR NOT NULL,
        reason VARCHAR,
        detail JSON,
        created_at TIMESTAMP NOT NULL,
        CHECK ((status = 'ok') = (value IS NOT NULL AND NOT isnan(value) AND NOT isinf(value)))
    );
    CREATE TABLE decisions (
        decision_id VARCHAR PRIMARY KEY,
        name VARCHAR NOT NULL,
        version VARCHAR NOT NULL,
        stage VARCHAR NOT NULL,
        result VARCHAR NOT NULL,
        violations JSON NOT NULL,
        bundle_hash VARCHAR NOT NULL,
        input_hash VARCHAR NOT NULL,
        input JSON NOT NULL,
        engine VARCHAR NOT NULL,
        engine_version VARCHAR NOT NULL,
        decided_at TIMESTAMP NOT NULL
    );
    """,
]

SCHEMA_VERSION = len(MIGRATIONS)


def current_version(conn: duckdb.DuckDBPyConnection) -> int:
    """Schema version of an open database (0 for an empty file)."""
    exists = conn.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_name = 'schema_version'"
    ).fetchall()[0][0]
    if not exists:
        return 0
    row = conn.execute("SELECT max(version) FROM schema_version").fetchall()[0][0]
    return int(row or 0)


def migrate(conn: duckdb.DuckDBPyConnection, path: Path, *, read_only: bool) -> int:
    """Bring the schema to SCHEMA_VERSION; refuse a newer one. Returns the version."""
    version = current_version(conn)
    if version > SCHEMA_VERSION:
        raise StoreError(
            f"database schema version {version} is newer than this govern supports "
            f"({SCHEMA_VERSION}); upgrade govern",
            path=path,
        )
    if version == SCHEMA_VERSION:
        return version
    if read_only:
        raise StoreError(
            f"database schema version {version} is older than {SCHEMA_VERSION}; "
            "open it once read-write (any writing command) to migrate",
            path=path,
        )
    conn.execute("BEGIN TRANSACTION")
    try:
        for step in range(version, SCHEMA_VERSION):
            conn.execute(MIGRATIONS[step])
            conn.execute(
                "INSERT INTO schema_version (version, applied_at) VALUES (?, ?)",
                [step + 1, utcnow()],
            )
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    return SCHEMA_VERSION
