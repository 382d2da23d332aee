"""Decision records: every gate evaluation, with the hashes needed to replay it."""

from __future__ import annotations

import json
from typing import Any

import duckdb

from govern.clock import parse_rfc3339
from govern.results import Decision
from govern.store import audit
from govern.store._connection import Store


def insert_decision(
    conn: duckdb.DuckDBPyConnection, decision: Decision, input_doc: dict[str, Any]
) -> None:
    """Insert one decision and its audit record inside the caller's transaction."""
    conn.execute(
        """INSERT INTO decisions (decision_id, name, version, stage, result, violations,
           bundle_hash, input_hash, input, engine, engine_version, decided_at)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
        [
            decision.decision_id,
            decision.model,
            decision.version,
            decision.stage,
            decision.result,
            json.dumps([v.to_dict() for v in decision.violations], sort_keys=True),
            decision.bundle_hash,
            decision.input_hash,
            json.dumps(input_doc, sort_keys=True),
            decision.engine,
            decision.engine_version,
            parse_rfc3339(decision.decided_at),
        ],
    )
    audit.append(
        conn,
        action="decision",
        subject=f"{decision.model}@{decision.version}",
        payload={
            "decision_id": decision.decision_id,
            "stage": decision.stage,
            "result": decision.result,
            "denies": sorted({v.control for v in decision.denials}),
            "warns": sorted({v.control for v in decision.warnings}),
            "bundle_hash": decision.bundle_hash,
            "input_hash": decision.input_hash,
            "engine": f"{decision.engine} {decision.engine_version}",
            "decided_at": decision.decided_at,
        },
    )


def record_decision(store: Store, decision: Decision, input_doc: dict[str, Any]) -> None:
    """Append one decision and the exact input it was evaluated on, in one transaction."""
    with store.transaction() as conn:
        insert_decision(conn, decision, input_doc)
