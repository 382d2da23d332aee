"""Whole-registry reads for `check --all`: one query per table instead of several per model.

Per-model lookups (approvals_for, events_for, latest_scan, scan_metrics) cost a DuckDB
round trip each, ~0.3-1 ms; over 1,000 versions that is seconds. These functions read each
table once, in the order the per-model functions use, and group the rows in Python, so the
input builder can produce exactly the same documents (tests/runner/test_bulk_input.py).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from govern.clock import rfc3339
from govern.results import MetricRow
from govern.store._connection import Store
from govern.store._engine import duckdb
from govern.store.lifecycle import event_doc

Key = tuple[str, str]


def all_approvals(store: Store) -> dict[Key, list[dict[str, Any]]]:
    """Approvals of every version, oldest first, in lifecycle.approvals_for's shape."""
    out: dict[Key, list[dict[str, Any]]] = {}
    for name, version, s, r, b, at, note in store.query(
        """SELECT name, version, stage, role, approved_by, approved_at, note FROM approvals
           ORDER BY name, version, approved_at, approval_id"""
    ):
        out.setdefault((name, version), []).append(
            {"stage": s, "role": r, "by": b, "at": rfc3339(at), "note": note}
        )
    return out


def all_events(store: Store) -> dict[Key, list[dict[str, Any]]]:
    """Lifecycle events of every version, oldest first, in lifecycle.events_for's shape."""
    out: dict[Key, list[dict[str, Any]]] = {}
    for name, version, *event in store.query(
        """SELECT name, version, action, from_stage, to_stage, actor, decision_id, occurred_at,
                  detail
           FROM lifecycle_events ORDER BY name, version, occurred_at, event_id"""
    ):
        out.setdefault((name, version), []).append(event_doc(*event))
    return out


def latest_scans(store: Store, kind: str) -> dict[Key, dict[str, Any]]:
    """The newest scan of `kind` per version (evidence.latest_scan's shape), by version."""
    cur_cols = "scan_id, rows, sources, params, engine_version, started_at, finished_at"
    rows = store.query_dicts(
        f"""SELECT name, version, {cur_cols} FROM scans WHERE kind = ?
            QUALIFY row_number() OVER (
                PARTITION BY name, version ORDER BY finished_at DESC, scan_id) = 1""",
        [kind],
    )
    out: dict[Key, dict[str, Any]] = {}
    for row in rows:
        key = (str(row.pop("name")), str(row.pop("version")))
        row["sources"] = json.loads(row["sources"])
        row["params"] = json.loads(row["params"]) if row["params"] else {}
        out[key] = row
    return out


def latest_scan_metrics(store: Store, kind: str) -> dict[str, list[MetricRow]]:
    """Metric rows of every version's newest scan of `kind`, by scan id (scan_metrics order)."""
    out: dict[str, list[MetricRow]] = {}
    for scan_id, family, subject, metric, value, status, reason, detail in store.query(
        """WITH latest AS (
               SELECT scan_id FROM scans WHERE kind = ?
               QUALIFY row_number() OVER (
                   PARTITION BY name, version ORDER BY finished_at DESC, scan_id) = 1)
           SELECT e.scan_id, e.family, e.subject, e.metric, e.value, e.status, e.reason,
                  e.detail
           FROM evidence e JOIN latest USING (scan_id)
           ORDER BY e.scan_id, e.family, e.subject, e.metric""",
        [kind],
    ):
        out.setdefault(scan_id, []).append(
            MetricRow(
                family=family,
                subject=subject,
                metric=metric,
                value=value,
                status=status,
                reason=reason,
                detail=json.loads(detail) if detail else {},
            )
        )
    return out


def _column_types(conn: duckdb.DuckDBPyConnection, table: str) -> dict[str, str]:
    # the columns of an empty result (~0.3 ms) rather than a query of duckdb_columns()
    # (~1.5-2.7 ms inside a transaction); the same type names. `table` is one of the
    # store's own table names, never user input.
    described = conn.execute(f'SELECT * FROM "{table}" LIMIT 0').description or []
    return {str(column[0]): str(column[1]) for column in described}


def insert_rows(
    conn: duckdb.DuckDBPyConnection,
    table: str,
    columns: Sequence[str],
    rows: Sequence[Sequence[Any]],
    *,
    or_replace: bool = False,
) -> None:
    """INSERT `rows` in one statement, in the caller's transaction: one list per column.

    Each column travels as one list parameter cast to the column's type, and the rows are
    rebuilt by UNNEST (several UNNESTs in one SELECT advance together). DuckDB's
    executemany costs ~0.5-1.7 ms a row, a VALUES list with one parameter per cell ~0.25
    ms a row (1,000 decisions); a list per column ~0.04 ms, and like the VALUES list it
    needs neither pyarrow nor pandas imported (~0.5 s).
    """
    if not rows:
        return
    types = _column_types(conn, table)
    cells = ", ".join(f"UNNEST(?::{types[c]}[])" for c in columns)
    conn.execute(
        f"INSERT {'OR REPLACE ' if or_replace else ''}INTO {table} ({', '.join(columns)}) "
        f"SELECT {cells}",
        [[row[i] for row in rows] for i in range(len(columns))],
    )
