"""Lifecycle writes and reads: stage transitions, approvals, events, and the inventory.

A transition, its gate decision and their audit records are written in one transaction;
the stage is re-read inside it so that a concurrent change cannot be overwritten.
"""

from __future__ import annotations

import json
import uuid
from datetime import datetime
from typing import Any

from govern.clock import rfc3339, utcnow
from govern.errors import UserInputError
from govern.results import Decision
from govern.store import audit
from govern.store._connection import Store
from govern.store.decisions import insert_decision

STAGE_CHANGED = "{model}: stage changed from {expected} to {found} while evaluating; run it again"


def apply_transition(
    store: Store,
    *,
    name: str,
    version: str,
    from_stage: str,
    to_stage: str,
    action: str,
    decision: Decision,
    input_doc: dict[str, Any],
    actor: str,
    detail: dict[str, Any] | None = None,
) -> str:
    """Move a version to `to_stage` with the decision that allowed it; returns the event id."""
    event_id = str(uuid.uuid4())
    now = utcnow()
    model = f"{name}@{version}"
    with store.transaction() as conn:
        found = conn.execute(
            "SELECT stage FROM model_versions WHERE name = ? AND version = ?", [name, version]
        ).fetchall()
        if not found or found[0][0] != from_stage:
            current = found[0][0] if found else "unregistered"
            raise UserInputError(
                STAGE_CHANGED.format(model=model, expected=from_stage, found=current)
            )
        insert_decision(conn, decision, input_doc)
        conn.execute(
            "UPDATE model_versions SET stage = ?, updated_at = ? WHERE name = ? AND version = ?",
            [to_stage, now, name, version],
        )
        conn.execute(
            """INSERT INTO lifecycle_events (event_id, name, version, action, from_stage,
               to_stage, actor, decision_id, detail, occurred_at)
               VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
            [
                event_id,
                name,
                version,
                action,
                from_stage,
                to_stage,
                actor,
                decision.decision_id,
                json.dumps(detail or {}, sort_keys=True),
                now,
            ],
        )
        audit.append(
            conn,
            action=action,
            subject=model,
            actor=actor,
            payload={
                "event_id": event_id,
                "from": from_stage,
                "to": to_stage,
                "decision_id": decision.decision_id,
                "detail": detail or {},
            },
            at=now,
            rows=[
                ("model_versions", {"name": name, "version": version}),
                ("lifecycle_events", {"event_id": event_id}),
            ],
        )
    return event_id


def add_approval(
    store: Store,
    *,
    name: str,
    version: str,
    stage: str,
    role: str,
    by: str,
    note: str | None,
    actor: str,
) -> dict[str, Any]:
    """Record an approval (and its lifecycle event and audit record); returns it."""
    approval_id = str(uuid.uuid4())
    now = utcnow()
    with store.transaction() as conn:
        conn.execute(
            """INSERT INTO approvals (approval_id, name, version, stage, role, approved_by,
               note, approved_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)""",
            [approval_id, name, version, stage, role, by, note, now],
        )
        detail = {"approval_id": approval_id, "stage": stage, "role": role, "by": by}
        event_id = str(uuid.uuid4())
        conn.execute(
            """INSERT INTO lifecycle_events (event_id, name, version, action, from_stage,
               to_stage, actor, detail, occurred_at)
               VALUES (?, ?, ?, 'approve', NULL, NULL, ?, ?, ?)""",
            [event_id, name, version, actor, json.dumps(detail, sort_keys=True), now],
        )
        audit.append(
            conn,
            action="approve",
            subject=f"{name}@{version}",
            actor=actor,
            payload={**detail, "note": note},
            at=now,
            rows=[
                ("approvals", {"approval_id": approval_id}),
                ("lifecycle_events", {"event_id": event_id}),
            ],
        )
    return {
        "approval_id": approval_id,
        "stage": stage,
        "role": role,
        "by": by,
        "at": rfc3339(now),
    }


def approvals_for(store: Store, name: str, version: str) -> list[dict[str, Any]]:
    """Approvals of a version, oldest first, in the policy-input shape {stage, role, by, at}."""
    rows = store.query(
        """SELECT stage, role, approved_by, approved_at, note FROM approvals
           WHERE name = ? AND version = ? ORDER BY approved_at, approval_id""",
        [name, version],
    )
    return [
        {"stage": s, "role": r, "by": b, "at": rfc3339(at), "note": note}
        for s, r, b, at, note in rows
    ]


def events_for(store: Store, name: str, version: str) -> list[dict[str, Any]]:
    """Lifecycle events of a version, oldest first (policy-input shape)."""
    rows = store.query(
        """SELECT action, from_stage, to_stage, actor, decision_id, occurred_at, detail
           FROM lifecycle_events WHERE name = ? AND version = ?
           ORDER BY occurred_at, event_id""",
        [name, version],
    )
    return [event_doc(*row) for row in rows]


def event_doc(
    action: str,
    from_stage: str | None,
    to_stage: str | None,
    actor: str | None,
    decision_id: str | None,
    at: datetime,
    detail: str | None,
) -> dict[str, Any]:
    """One lifecycle event in the policy-input shape (shared with the bulk reader)."""
    return {
        "action": action,
        "from": from_stage,
        "to": to_stage,
        "actor": actor,
        "decision_id": decision_id,
        "at": rfc3339(at),
        "detail": json.loads(detail) if detail else {},
    }


def inventory(store: Store, *, at: datetime | None = None) -> list[dict[str, Any]]:
    """Every model version with stage, owner, last evidence and review, and zombie reasons.

    `imported` (and `import_reason`) marks a version that entered the registry through
    `register --import-existing`, i.e. without its gates evaluated.

    `at` is the naive-UTC instant the ages are measured from (default: now); the rules
    live in the `zombies_at` macro of migration 0002, which the auditor view v_zombies uses.
    """
    rows = store.query_dicts(
        """SELECT name, version, stage, owner, risk_tier, stage_entered_at, last_evidence_at,
                  last_review_at, reasons
           FROM zombies_at(CAST(? AS TIMESTAMP)) ORDER BY name, version""",
        [at or utcnow()],
    )
    imports = {
        (n, v): reason
        for n, v, reason in store.query(
            """SELECT name, version, json_extract_string(detail, '$.reason')
               FROM lifecycle_events WHERE action = 'import'"""
        )
    }
    out = []
    for r in rows:
        key_ = (r["name"], r["version"])
        r["imported"] = key_ in imports
        r["import_reason"] = imports.get(key_)
        for key in ("stage_entered_at", "last_evidence_at", "last_review_at"):
            r[key] = rfc3339(r[key]) if r[key] is not None else None
        r["reasons"] = list(r["reasons"] or [])
        r["zombie"] = bool(r["reasons"])
        out.append(r)
    return out
