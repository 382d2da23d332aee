"""Scans and their evidence rows, written in one transaction per scan."""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Sequence
from typing import Any

import duckdb

from govern.clock import parse_rfc3339, utcnow
from govern.results import MetricRow, ScanResult
from govern.store import _digest, audit
from govern.store._connection import Store


def write_scan(
    store: Store,
    scan: ScanResult,
    *,
    kind: str,
    params: dict[str, Any],
    also: Callable[[duckdb.DuckDBPyConnection], Sequence[audit.Bound] | None] | None = None,
    large: bool = False,
) -> None:
    """Store a scan and all its metric rows atomically.

    `also` runs inside the same transaction (e.g. the scan's per-file partial aggregates), so
    either everything of the scan is stored or nothing is; it returns the (table, key) of the
    governed rows it wrote, which the scan's audit record binds (store/_state.py). `large`
    (what `also` writes is large: partial states of many files) commits by a checkpoint
    (`Store.transaction`).
    """
    from govern import __version__

    now = utcnow()
    sources = [s.__dict__ for s in scan.sources]
    rows = []
    for m in scan.metrics:
        value = m.value
        if m.status == "ok" and (value is None or not math.isfinite(value)):
            raise ValueError(
                f"metric {m.metric} of {m.subject!r} has status ok but no finite value"
            )
        rows.append(
            [
                scan.scan_id,
                scan.model,
                scan.version,
                m.family,
                m.subject,
                m.metric,
                value if m.status == "ok" else None,
                m.status,
                m.reason,
                json.dumps(m.detail, sort_keys=True) if m.detail else None,
                now,
            ]
        )
    header = [
        scan.scan_id,
        scan.model,
        scan.version,
        kind,
        scan.rows,
        json.dumps(sources),
        json.dumps(params, sort_keys=True, default=str),
        __version__,
        parse_rfc3339(scan.scanned_at),
        now,
    ]
    with store.transaction(checkpoint=large) as conn:
        conn.execute(
            """INSERT INTO scans (scan_id, name, version, kind, rows, sources, params,
               engine_version, started_at, finished_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
            header,
        )
        # One multi-row INSERT per 500 rows: DuckDB's executemany costs ~0.5 ms per row.
        for start in range(0, len(rows), 500):
            batch = rows[start : start + 500]
            values = ", ".join(["(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"] * len(batch))
            conn.execute(
                "INSERT INTO evidence (scan_id, name, version, family, subject, metric, value, "
                f"status, reason, detail, created_at) VALUES {values}",
                [v for row in batch for v in row],
            )
        bound = also(conn) if also is not None else None
        audit.append(
            conn,
            action="scan",
            subject=f"{scan.model}@{scan.version}",
            payload={
                "scan_id": scan.scan_id,
                "kind": kind,
                "rows": scan.rows,
                "files": len(scan.sources),
                "metrics": len(rows),
                _digest.CONTENT_KEY: _digest.scan_digest(header, rows),
            },
            at=now,
            rows=bound or (),
        )


def latest_scan(store: Store, name: str, version: str, kind: str) -> dict[str, Any] | None:
    """The newest scan of a kind for a version, with sources parsed, or None."""
    rows = store.query_dicts(
        """SELECT scan_id, rows, sources, params, engine_version, started_at, finished_at
           FROM scans WHERE name = ? AND version = ? AND kind = ?
           ORDER BY finished_at DESC LIMIT 1""",
        [name, version, kind],
    )
    if not rows:
        return None
    row = rows[0]
    row["sources"] = json.loads(row["sources"])
    row["params"] = json.loads(row["params"]) if row["params"] else {}
    return row


def scan_metrics(store: Store, scan_id: str) -> list[MetricRow]:
    """All metric rows of one scan."""
    out = []
    for r in store.query_dicts(
        """SELECT family, subject, metric, value, status, reason, detail FROM evidence
           WHERE scan_id = ? ORDER BY family, subject, metric""",
        [scan_id],
    ):
        out.append(
            MetricRow(
                family=r["family"],
                subject=r["subject"],
                metric=r["metric"],
                value=r["value"],
                status=r["status"],
                reason=r["reason"],
                detail=json.loads(r["detail"]) if r["detail"] else {},
            )
        )
    return out
